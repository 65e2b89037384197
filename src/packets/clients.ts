/**
 * The asynchronous packet clients of `torsion/packets` (EasyNetwork's
 * `AsyncTCPNetworkClient` and `AsyncUDPNetworkClient`).
 * @module
 */
export { AsyncTCPNetworkClient, DEFAULT_STREAM_BUFSIZE } from './clients/async-tcp';
export type { AsyncTCPNetworkClientOptions, SocketAddress } from './clients/async-tcp';
export type { ReadOptions } from './clients/common';
export { AsyncUDPNetworkClient } from './clients/async-udp';
export type { AsyncUDPNetworkClientOptions } from './clients/async-udp';
