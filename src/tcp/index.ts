/**
 * TCP: connectTCP's {@link Connector} and {@link Client}, listenTCP's
 * {@link Port} and {@link Server}, and the transport they share,
 * {@link Connection}. Applications reach them through
 * `reactor.connectTCP` / `reactor.listenTCP` and `protocol.transport`.
 * @module torsion/tcp
 */
export { Connection } from './connection';
export { BaseBaseClient, BaseClient, Client, type RealAddress } from './client';
export { BaseConnector, Connector, type AttemptTransport } from './connector';
export { Server } from './server';
export { BasePort, Port } from './port';
export { connectTCP, listenTCP } from './reactor-tcp';
export type { TCPReactor, BindAddress } from './types';
export type { ConnectTCPOptions, ListenTCPOptions } from '../interfaces/tcp';
