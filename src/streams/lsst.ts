/**
 * lsst.ts.tcpip's `Client`, `OneClientServer` and `OneClientReadLoopServer`,
 * on asyncio's streams.
 * @module
 */
export {
  BaseClientOrServer,
  type BaseClientOrServerOptions,
  type ConnectCallback,
  type LsstReactor,
} from './lsst/base';
export { Client, type ClientOptions } from './lsst/client';
export {
  DEFAULT_ENCODING,
  DEFAULT_MONITOR_CONNECTION_INTERVAL,
  DEFAULT_TERMINATOR,
  HEARTBEAT,
  KEEPALIVE_INTERVAL,
  KEEPALIVE_PROBES,
  KEEPALIVE_TIME,
  LOCALHOST_IPV4,
  LOCALHOST_IPV6,
} from './lsst/constants';
export type { KeepAliveSettings } from './lsst/keepalive';
export { OneClientReadLoopServer, OneClientServer, type OneClientServerOptions } from './lsst/one-client-server';
