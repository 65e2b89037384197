import type { Deferred } from '../defer/deferred';
import type { IAddress } from './address';
import type { IListeningPort } from './connector';
import type { IProtocol, IProtocolFactory } from './protocol';

/**
 * A protocol factory whose buildProtocol makes `P`: what lets
 * `endpoint.connect(Factory.forProtocol(Echo))` resolve to an `Echo`.
 */
export type ProtocolFactoryOf<P extends IProtocol> = IProtocolFactory & { buildProtocol(addr: IAddress): P | null };

/** Connects a factory's protocol somewhere. */
export interface IStreamClientEndpoint {
  /** Fires with the protocol after its connectionMade; cancel gives ConnectingCancelledError. */
  connect<P extends IProtocol = IProtocol>(factory: ProtocolFactoryOf<P>): Deferred<P>;
}

/** Listens somewhere with a factory. */
export interface IStreamServerEndpoint {
  /**
   * Listen with `factory`: fires with the listening port once it is bound,
   * or fails with what listening raised (CannotListenError, ...).
   */
  listen(factory: IProtocolFactory): Deferred<IListeningPort>;
}
