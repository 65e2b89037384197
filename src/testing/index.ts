/**
 * Test fakes shipped with torsion (`torsion/testing`), as Twisted ships
 * `twisted.internet.testing`: drive protocols and reactors deterministically
 * in unit tests, without sockets or wall-clock time.
 *
 * - {@link StringTransport}: hand it to `protocol.makeConnection`, feed
 *   `dataReceived`, assert on `value()`.
 * - {@link Clock} (the same class as `torsion/task`'s): fake time for
 *   callLater-based code.
 * - {@link MemoryReactor} / {@link MemoryReactorClock}: record connectTCP /
 *   listenTCP calls; {@link ConnectionCompleter} completes them in memory.
 * - {@link connect} / {@link IOPump} / {@link FakeTransport}: two protocols
 *   talking in memory, with byte-level control of delivery;
 *   {@link loopbackAsync}: run them until one closes.
 * @module torsion/testing
 */
export { Clock, ClockDelayedCall } from '../task/clock';
export { StringTransport, StringTransportWithDisconnection } from './string-transport';
export type { StringTransportOptions, ProducerState } from './string-transport';
export { MemoryReactor, FakeConnector, FakePort } from './memory-reactor';
export type {
  TCPClientRecord,
  TCPServerRecord,
  UNIXClientRecord,
  UNIXServerRecord,
  RecordedCall,
  SpawnedProcessRecord,
  UDPPortRecord,
} from './memory-reactor';
export { FakeProcessTransport } from './fake-process-transport';
// udp
export { FakeDatagramTransport } from './fake-datagram';
export type { FakeDatagramTransportOptions, WrittenDatagram } from './fake-datagram';
// tls family
export type { SSLClientRecord, SSLServerRecord } from './memory-reactor';
export { MemoryReactorClock, RaisingMemoryReactor } from './memory-reactor-clock';
export { FakeTransport } from './fake-transport';
export type { FakeTransportOptions } from './fake-transport';
export {
  IOPump,
  connect,
  connectedServerAndClient,
  makeFakeClient,
  makeFakeServer,
  ConnectionCompleter,
} from './io-pump';
export type { IOPumpOptions } from './io-pump';
export { loopbackAsync, identityPumpPolicy, collapsingPumpPolicy, LoopbackQueue } from './loopback';
export type { PumpPolicy, LoopbackOptions } from './loopback';
