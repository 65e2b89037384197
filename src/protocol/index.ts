/**
 * Protocols and factories: subclass `Protocol`, hand a `Factory` to
 * connectTCP/listenTCP.
 * @module torsion/protocol
 */
export { Protocol, BufferedProtocol, DatagramProtocol, ProcessProtocol, isBufferedProtocol } from './protocol';
export { Factory, ClientFactory, ServerFactory } from './factory';
export type { ProtocolClass } from './factory';
export { ReconnectingClientFactory } from './reconnecting';
