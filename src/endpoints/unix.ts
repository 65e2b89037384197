/**
 * UNIX socket endpoints: thin wrappers over `reactor.connectUNIX` /
 * `listenUNIX` that answer with Deferreds (Twisted's `UNIXClientEndpoint`,
 * `UNIXServerEndpoint`).
 * @module
 */
import { UNIXAddress } from '../address';
import { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import type { IListeningPort } from '../interfaces/connector';
import type { IStreamClientEndpoint, IStreamServerEndpoint, ProtocolFactoryOf } from '../interfaces/endpoints';
import type { IProtocol, IProtocolFactory } from '../interfaces/protocol';
import type { ConnectUNIXOptions, IReactorUNIX, ListenUNIXOptions } from '../interfaces/unix';
import { checkBacklog, checkBoolean, checkMode, checkOptions, checkUNIXAddress } from '../unix/checks';
import { checkReactor, checkTimeout } from './tcp';
import { WrappingFactory } from './wrapping-factory';

/**
 * Connects to a UNIX socket through `reactor.connectUNIX`.
 *
 * `connect(factory)` fires with the factory's protocol once its
 * `connectionMade` has run; it fails with the connect error (a
 * `ConnectError` naming a missing file, `ConnectionRefusedError`,
 * `BadFileError` with `checkPID`), `NoProtocol` when buildProtocol gives
 * null, or whatever buildProtocol threw. Cancelling it gives
 * `ConnectingCancelledError` and stops the connector.
 *
 * @example
 * ```ts
 * const ep = new UNIXClientEndpoint(reactor, '/run/app.sock', { timeout: 5 });
 * const proto = await ep.connect(Factory.forProtocol(Echo));
 * ```
 */
export class UNIXClientEndpoint implements IStreamClientEndpoint {
  /** The reactor that connects. */
  readonly reactor: IReactorUNIX;
  /** The socket file. */
  readonly path: string;
  /** Seconds before an attempt fails; null for none. */
  readonly timeout: number | null;
  /** Whether to check `path + '.lock'` first. */
  readonly checkPID: boolean;

  /**
   * @throws TypeError/RangeError for a bad path (over 107 bytes) or option;
   * NativeAddonUnavailableError for an abstract name.
   */
  constructor(reactor: IReactorUNIX, path: string, options?: ConnectUNIXOptions) {
    checkReactor(reactor);
    const tooLong = checkUNIXAddress('path', path);
    if (tooLong !== null) throw tooLong;
    const opts = checkOptions(options);
    this.reactor = reactor;
    this.path = path;
    this.timeout = checkTimeout(opts.timeout === undefined ? 30 : opts.timeout);
    this.checkPID = checkBoolean('checkPID', opts.checkPID, false);
  }

  /** {@inheritDoc torsion/interfaces!IStreamClientEndpoint.connect} */
  connect<P extends IProtocol = IProtocol>(factory: ProtocolFactoryOf<P>): Deferred<P> {
    let wrapper: WrappingFactory<P>;
    try {
      wrapper = new WrappingFactory<P>(factory, new UNIXAddress(this.path));
      const connector = this.reactor.connectUNIX(this.path, wrapper, { timeout: this.timeout, checkPID: this.checkPID });
      // A reactor that does not call startedConnecting still gets stopConnecting on cancel.
      if (wrapper.connector === null) wrapper.connector = connector;
    } catch (err) {
      const d = new Deferred<P>();
      d.errback(Failure.from(err));
      return d;
    }
    return wrapper.onConnection;
  }

  /** A short description for debugging. */
  toString(): string {
    return `<UNIXClientEndpoint ${this.path}>`;
  }
}

/**
 * Listens on a UNIX socket through `reactor.listenUNIX`.
 *
 * @example
 * ```ts
 * const port = await new UNIXServerEndpoint(reactor, '/run/app.sock', { mode: 0o660, wantPID: true }).listen(factory);
 * ```
 */
export class UNIXServerEndpoint implements IStreamServerEndpoint {
  /** The reactor that listens. */
  readonly reactor: IReactorUNIX;
  /** The socket file. */
  readonly address: string;
  /** Listen backlog. */
  readonly backlog: number;
  /** Permissions of the socket file. */
  readonly mode: number;
  /** Whether to take `address + '.lock'` first. */
  readonly wantPID: boolean;

  /**
   * @throws TypeError/RangeError for a bad address or option;
   * NativeAddonUnavailableError for an abstract name. (An over-long path
   * fails listen() with CannotListenError, as listenUNIX does.)
   */
  constructor(reactor: IReactorUNIX, address: string, options?: ListenUNIXOptions) {
    checkReactor(reactor);
    checkUNIXAddress('address', address);
    const opts = checkOptions(options);
    this.reactor = reactor;
    this.address = address;
    this.backlog = checkBacklog(opts.backlog);
    this.mode = checkMode(opts.mode);
    this.wantPID = checkBoolean('wantPID', opts.wantPID, false);
  }

  /** Listen with `factory`: fires with the listening port, fails with listenUNIX's error (e.g. CannotListenError). */
  listen(factory: IProtocolFactory): Deferred<IListeningPort> {
    const d = new Deferred<IListeningPort>();
    let port: IListeningPort;
    try {
      port = this.reactor.listenUNIX(this.address, factory, { backlog: this.backlog, mode: this.mode, wantPID: this.wantPID });
    } catch (err) {
      d.errback(Failure.from(err));
      return d;
    }
    d.callback(port);
    return d;
  }

  /** A short description for debugging. */
  toString(): string {
    return `<UNIXServerEndpoint ${this.address}>`;
  }
}
