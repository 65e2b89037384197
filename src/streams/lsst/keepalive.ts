/**
 * TCP keepalive as lsst.ts.tcpip sets it on every socket: `SO_KEEPALIVE`,
 * idle time, probe interval and probe count.
 * @module
 */
import { Socket } from 'node:net';
import { NativeAddonUnavailableError } from '../../errors';
import type { Logger } from '../../logger';
import { setTcpKeepAliveParams } from '../../native/sockets';

/** Keepalive settings: seconds idle before probing, seconds between probes, probes before giving up. */
export interface KeepAliveSettings {
  /** Seconds a connection is idle before the first probe (`TCP_KEEPIDLE`). */
  idle: number;
  /** Seconds between probes (`TCP_KEEPINTVL`; needs the native addon). */
  interval: number;
  /** Unanswered probes before the connection is dropped (`TCP_KEEPCNT`; needs the native addon). */
  count: number;
}

interface NativeTCPHandle {
  readonly fd?: number;
  setKeepAlive(enabled: boolean, delaySeconds: number): number;
}

/**
 * Turn keepalive on for `transport` with `settings`. Best effort, as lsst
 * (whose `socket.setsockopt` calls fail silently on other platforms): what
 * the transport cannot do is logged at debug, never thrown.
 * - `SO_KEEPALIVE` and the idle time go through Node (libuv), on any TCP
 *   connection that exposes its socket.
 * - The interval and count need the native addon; without it libuv's own
 *   values stay (recent libuv: 1 s × 10) and a debug line says so.
 * @internal
 */
export function applyKeepAlive(transport: unknown, settings: KeepAliveSettings, log: Logger): void {
  const t = transport as {
    setTcpKeepAlive?: (on: boolean) => void;
    getHandle?: () => unknown;
  } | null;
  if (t === null || typeof t !== 'object' || typeof t.setTcpKeepAlive !== 'function') {
    log.debug('keepalive not set: the transport has no TCP socket');
    return;
  }
  try {
    t.setTcpKeepAlive(true);
  } catch (err) {
    log.debug(`keepalive not set: ${String(err)}`);
    return;
  }
  const handle = typeof t.getHandle === 'function' ? t.getHandle() : null;
  let fd: number | undefined;
  if (handle instanceof Socket) {
    handle.setKeepAlive(true, settings.idle * 1000);
    fd = (handle as unknown as { _handle?: { fd?: number } })._handle?.fd;
  } else if (handle !== null && typeof handle === 'object' && typeof (handle as NativeTCPHandle).setKeepAlive === 'function') {
    (handle as NativeTCPHandle).setKeepAlive(true, settings.idle);
    fd = (handle as NativeTCPHandle).fd;
  } else {
    log.debug('keepalive idle time not set: the transport does not expose its socket (TLS layer or test double)');
    return;
  }
  if (typeof fd !== 'number' || fd < 0) {
    log.debug('keepalive interval/count not set: the socket has no file descriptor');
    return;
  }
  try {
    setTcpKeepAliveParams(fd, settings.interval, settings.count);
  } catch (err) {
    if (err instanceof NativeAddonUnavailableError) {
      log.debug(
        `keepalive interval ${settings.interval} s and ${settings.count} probes need the native addon (${err.reason}); libuv's defaults are used`,
      );
    } else log.debug(`keepalive interval/count not set: ${String(err)}`);
  }
}
