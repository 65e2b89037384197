/**
 * UNIX sockets: connectUNIX's {@link Connector} and {@link Client},
 * listenUNIX's {@link Port} and {@link Server} (TCP's transport, flow
 * control and write batching over a pipe handle), Twisted's lock files
 * ({@link FilesystemLock}, {@link isLocked}), and the datagram classes,
 * which need the native addon. Applications reach them through
 * `reactor.connectUNIX` / `reactor.listenUNIX` and `protocol.transport`.
 * @module torsion/unix
 */
export { Client } from './client';
export { Connector } from './connector';
export { Server } from './server';
export { Port } from './port';
export { DatagramPort, ConnectedDatagramPort } from './datagram';
export type { UNIXDatagramProtocol } from './datagram';
export { connectUNIX, listenUNIX } from './reactor-unix';
export { FilesystemLock, isLocked } from './lock';
export type { ConnectUNIXOptions, ListenUNIXOptions, UNIXDatagramOptions } from '../interfaces/unix';
