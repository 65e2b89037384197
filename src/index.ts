/**
 * torsion: Twisted's reactor model for Node.js.
 *
 * The root module re-exports the names most programs need; every family
 * also has its own subpath (`torsion/defer`, `torsion/tcp`, ...).
 *
 * @example
 * import { reactor, Protocol, Factory } from 'torsion';
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Buffer): void {
 *     this.transport!.write(data);
 *   }
 * }
 * reactor.listenTCP(8000, Factory.forProtocol(Echo));
 * void reactor.run();
 * @module torsion
 */
export { reactor, Reactor, DelayedCall } from './reactor';
export type { ReactorOptions, EventPhase, RunOptions, TriggerId } from './reactor';
export {
  Deferred,
  DeferredList,
  gatherResults,
  race,
  succeed,
  fail,
  maybeDeferred,
  ensureDeferred,
  setDebugging,
  DeferredLock,
  DeferredSemaphore,
  DeferredQueue,
} from './defer';
export { Failure } from './defer/failure';
export {
  Protocol,
  BufferedProtocol,
  Factory,
  ClientFactory,
  ServerFactory,
  ReconnectingClientFactory,
  DatagramProtocol,
  ProcessProtocol,
} from './protocol';
export { LoopingCall, deferLater, react, Clock, cooperate, coiterate } from './task';
export { LineReceiver, LineOnlyReceiver, Int32StringReceiver, NetstringReceiver } from './framing';
export { IPv4Address, IPv6Address, UNIXAddress, HostnameAddress } from './address';
export { Logger, globalLogPublisher } from './logger';
export * as error from './errors';
// processes family
export { SubprocessProtocol } from './process';
// tls family
export { optionsForClientTLS, CertificateOptions } from './ssl';
