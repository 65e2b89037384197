/**
 * `connectProtocol`: connect one protocol instance through a client
 * endpoint, without writing a factory.
 * @module
 */
import type { Deferred } from '../defer/deferred';
import type { IStreamClientEndpoint } from '../interfaces/endpoints';
import type { IAddress } from '../interfaces/address';
import type { IProtocol } from '../interfaces/protocol';
import { Factory } from '../protocol/factory';
import { checkFunction } from '../validate';

/**
 * The one-shot factory of {@link connectProtocol}: every buildProtocol
 * returns the same protocol instance. @internal
 */
export class OneShotFactory<P extends IProtocol> extends Factory<P> {
  /** The instance buildProtocol hands out. */
  readonly instance: P;
  constructor(instance: P) {
    super();
    this.instance = instance;
  }
  override buildProtocol(_addr: IAddress): P {
    return this.instance;
  }
}

/**
 * Connect `protocol` through `endpoint`: calls `endpoint.connect()` with a
 * factory whose buildProtocol returns `protocol`, and returns that call's
 * Deferred (it fires with `protocol` after its connectionMade).
 *
 * @example
 * ```ts
 * const proto = await connectProtocol(new TCP4ClientEndpoint(reactor, '127.0.0.1', 8080), new Echo());
 * ```
 * @throws TypeError if `endpoint` has no connect method.
 */
export function connectProtocol<P extends IProtocol>(endpoint: IStreamClientEndpoint, protocol: P): Deferred<P> {
  checkFunction('endpoint.connect', (endpoint as Partial<IStreamClientEndpoint> | null)?.connect);
  return endpoint.connect<P>(new OneShotFactory(protocol));
}
