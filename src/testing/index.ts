/**
 * Test fakes shipped with torsion (`torsion/testing`), as Twisted ships
 * `twisted.internet.testing`: drive protocols and reactors deterministically
 * in unit tests, without sockets or wall-clock time.
 * @module
 */
export { StringTransport, StringTransportWithDisconnection } from './string-transport';
export type { StringTransportOptions, ProducerState } from './string-transport';
