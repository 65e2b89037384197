import type { Deferred } from '../defer/deferred';
import type { IListeningPort } from './connector';
import type { IProtocol, IProtocolFactory } from './protocol';

/** Connects a factory's protocol somewhere. */
export interface IStreamClientEndpoint {
  /** Fires with the protocol after its connectionMade; cancel gives ConnectingCancelledError. */
  connect<P extends IProtocol>(factory: IProtocolFactory): Deferred<P>;
}

/** Listens somewhere with a factory. */
export interface IStreamServerEndpoint {
  /**
   * Listen with `factory`: fires with the listening port once it is bound,
   * or fails with what listening raised (CannotListenError, ...).
   */
  listen(factory: IProtocolFactory): Deferred<IListeningPort>;
}
