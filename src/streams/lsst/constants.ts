/**
 * lsst.ts.tcpip's module constants (`lsst.ts.tcpip.constants`).
 * @module
 */

/** The default text encoding of `readStr`/`writeStr`/`readJson`/`writeJson`. */
export const DEFAULT_ENCODING = 'utf-8';
/** The default line terminator of `readStr`/`writeStr`: `\r\n`. */
export const DEFAULT_TERMINATOR: Buffer = Buffer.from('\r\n');
/** Seconds between connection checks by default. */
export const DEFAULT_MONITOR_CONNECTION_INTERVAL = 0.1;
/** What a heartbeat sends (followed by the terminator). */
export const HEARTBEAT: Buffer = Buffer.from('heartbeat');
/** The IPv4 loopback address. */
export const LOCALHOST_IPV4 = '127.0.0.1';
/** The IPv6 loopback address. */
export const LOCALHOST_IPV6 = '::1';
/** Seconds a connection is idle before the first keepalive probe. */
export const KEEPALIVE_TIME = 60;
/** Seconds between keepalive probes (needs the native addon). */
export const KEEPALIVE_INTERVAL = 15;
/** Unanswered keepalive probes before the connection is dropped (needs the native addon). */
export const KEEPALIVE_PROBES = 4;
