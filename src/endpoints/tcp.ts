/**
 * TCP endpoints: thin wrappers over `reactor.connectTCP` / `listenTCP`
 * that answer with Deferreds (Twisted's `TCP4ClientEndpoint`,
 * `TCP6ClientEndpoint`, `TCP4ServerEndpoint`, `TCP6ServerEndpoint`).
 * @module
 */
import type { ProtocolFactoryOf } from '../interfaces/endpoints';
import { isIPv6 } from 'node:net';
import { HostnameAddress, IPv4Address, IPv6Address } from '../address';
import { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import { ConnectingCancelledError } from '../errors';
import type { IStreamClientEndpoint, IStreamServerEndpoint } from '../interfaces/endpoints';
import type { IProtocol, IProtocolFactory } from '../interfaces/protocol';
import type { ConnectTCPOptions, IReactorTCP, ITCPListeningPort } from '../interfaces/tcp';
import { checkCount, checkDelay, checkPort, checkString, describe, ArgTypeError } from '../validate';
import { type HostResolver, defaultResolver, resolveHost } from './resolver';
import { WrappingFactory } from './wrapping-factory';

/** Options of the TCP client endpoints (connectTCP's keyword arguments). */
export interface TCPClientEndpointOptions {
  /** Seconds before an attempt fails with TimeoutError; null for none. Default 30. */
  timeout?: number | null;
  /** Local address to bind before connecting: `[host, port]` or a host. Default none. */
  bindAddress?: [string, number] | string | null;
}

/** Options of {@link TCP6ClientEndpoint}. */
export interface TCP6ClientEndpointOptions extends TCPClientEndpointOptions {
  /** Resolves a host name that is not an IPv6 literal; only its IPv6 answers are used. Default: `dns.lookup`. */
  resolver?: HostResolver;
}

/** Options of the TCP server endpoints (listenTCP's keyword arguments). */
export interface TCPServerEndpointOptions {
  /** Listen backlog. Default 50. */
  backlog?: number;
  /** Interface to bind. Default '' (all IPv4) for TCP4, '::' (all IPv6) for TCP6. */
  interface?: string;
}

/** Throw unless `reactor` is an object (endpoints only call it later). @internal */
export function checkReactor(reactor: unknown): void {
  if (reactor === null || (typeof reactor !== 'object' && typeof reactor !== 'function')) {
    throw new ArgTypeError(`reactor must be a reactor object, got ${describe(reactor)}`);
  }
}

/** Validate connectTCP's timeout option. @internal */
export function checkTimeout(timeout: unknown): number | null {
  if (timeout === null) return null;
  checkDelay('timeout', timeout);
  return timeout;
}

/** Validate connectTCP's bindAddress option. @internal */
export function checkBindAddress(bindAddress: unknown): [string, number] | string | null {
  if (bindAddress === null || bindAddress === undefined) return null;
  if (typeof bindAddress === 'string') return bindAddress;
  if (Array.isArray(bindAddress) && bindAddress.length === 2) {
    checkString('bindAddress[0]', bindAddress[0]);
    checkPort('bindAddress[1]', bindAddress[1]);
    return [bindAddress[0], bindAddress[1]];
  }
  throw new ArgTypeError(`bindAddress must be a host string or a [host, port] pair, got ${describe(bindAddress)}`);
}

/**
 * Connect `factory` through `reactor.connectTCP`: the shared body of the
 * client endpoints. A synchronous error from connectTCP gives a failed
 * Deferred. @internal
 */
export function connectTCPEndpoint<P extends IProtocol>(
  reactor: IReactorTCP,
  host: string,
  port: number,
  factory: IProtocolFactory,
  options: ConnectTCPOptions,
): Deferred<P> {
  const destination = isIPv6(host) ? new IPv6Address('TCP', host, port) : new IPv4Address('TCP', host, port);
  let wrapper: WrappingFactory<P>;
  try {
    wrapper = new WrappingFactory<P>(factory, destination);
    const connector = reactor.connectTCP(host, port, wrapper, options);
    // A reactor that does not call startedConnecting still gets stopConnecting on cancel.
    if (wrapper.connector === null) wrapper.connector = connector;
  } catch (err) {
    const d = new Deferred<P>();
    d.errback(Failure.from(err));
    return d;
  }
  return wrapper.onConnection;
}

/**
 * Connects over TCP to a host name or IPv4 address, through
 * `reactor.connectTCP` (which resolves a name to IPv4 first, then IPv6).
 *
 * `connect(factory)` fires with the factory's protocol once its
 * `connectionMade` has run; it fails with the connect error (e.g.
 * `ConnectionRefusedError`), `NoProtocol` when buildProtocol gives null,
 * or whatever buildProtocol threw. Cancelling it gives
 * `ConnectingCancelledError` and stops the connector.
 *
 * @example
 * ```ts
 * const ep = new TCP4ClientEndpoint(reactor, '127.0.0.1', 8080, { timeout: 5 });
 * const proto = await ep.connect(Factory.forProtocol(Echo));
 * ```
 */
export class TCP4ClientEndpoint implements IStreamClientEndpoint {
  readonly reactor: IReactorTCP;
  readonly host: string;
  readonly port: number;
  readonly timeout: number | null;
  readonly bindAddress: [string, number] | string | null;

  /** @throws TypeError/RangeError for a bad host, port or option. */
  constructor(reactor: IReactorTCP, host: string, port: number, options: TCPClientEndpointOptions = {}) {
    checkReactor(reactor);
    checkString('host', host);
    checkPort('port', port);
    this.reactor = reactor;
    this.host = host;
    this.port = port;
    this.timeout = checkTimeout(options.timeout === undefined ? 30 : options.timeout);
    this.bindAddress = checkBindAddress(options.bindAddress);
  }

  /** {@inheritDoc torsion/interfaces!IStreamClientEndpoint.connect} */
  connect<P extends IProtocol = IProtocol>(factory: ProtocolFactoryOf<P>): Deferred<P> {
    return connectTCPEndpoint<P>(this.reactor, this.host, this.port, factory, {
      timeout: this.timeout,
      bindAddress: this.bindAddress,
    });
  }

  toString(): string {
    return `<TCP4ClientEndpoint ${this.host}:${this.port}>`;
  }
}

/**
 * Connects over TCP to an IPv6 address. A host name is first resolved with
 * the `resolver` option (default `dns.lookup`), and the first IPv6 address
 * is used; no IPv6 address gives `DNSLookupError`. Cancelling during that
 * lookup gives `ConnectingCancelledError(HostnameAddress)`. Otherwise as
 * {@link TCP4ClientEndpoint}.
 */
export class TCP6ClientEndpoint implements IStreamClientEndpoint {
  readonly reactor: IReactorTCP;
  readonly host: string;
  readonly port: number;
  readonly timeout: number | null;
  readonly bindAddress: [string, number] | string | null;
  readonly #resolver: HostResolver;

  /** @throws TypeError/RangeError for a bad host, port or option. */
  constructor(reactor: IReactorTCP, host: string, port: number, options: TCP6ClientEndpointOptions = {}) {
    checkReactor(reactor);
    checkString('host', host);
    checkPort('port', port);
    if (options.resolver !== undefined && typeof options.resolver !== 'function') {
      throw new ArgTypeError(`resolver must be a function, got ${describe(options.resolver)}`);
    }
    this.reactor = reactor;
    this.host = host;
    this.port = port;
    this.timeout = checkTimeout(options.timeout === undefined ? 30 : options.timeout);
    this.bindAddress = checkBindAddress(options.bindAddress);
    this.#resolver = options.resolver ?? defaultResolver;
  }

  /** {@inheritDoc torsion/interfaces!IStreamClientEndpoint.connect} */
  connect<P extends IProtocol = IProtocol>(factory: ProtocolFactoryOf<P>): Deferred<P> {
    if (isIPv6(this.host)) return this.#connectTo<P>(this.host, factory);
    let attempt: Deferred<P> | null = null;
    const resolution = resolveHost(this.#resolver, this.host, 6);
    const result = new Deferred<P>(() => {
      if (attempt !== null) {
        attempt.cancel();
      } else {
        result.errback(new ConnectingCancelledError(new HostnameAddress(this.host, this.port)));
        resolution.cancel();
      }
    });
    resolution.addCallbacks(
      (addresses: string[]) => {
        if (result.called) return undefined;
        attempt = this.#connectTo<P>(addresses[0], factory);
        attempt.addCallbacks(
          (proto: P) => {
            result.callback(proto);
            return undefined;
          },
          (f: Failure) => {
            result.errback(f);
            return undefined;
          },
        );
        return undefined;
      },
      (f: Failure) => {
        if (!result.called) result.errback(f);
        return undefined;
      },
    );
    return result;
  }

  #connectTo<P extends IProtocol>(host: string, factory: IProtocolFactory): Deferred<P> {
    return connectTCPEndpoint<P>(this.reactor, host, this.port, factory, {
      timeout: this.timeout,
      bindAddress: this.bindAddress,
    });
  }

  toString(): string {
    return `<TCP6ClientEndpoint [${this.host}]:${this.port}>`;
  }
}

/** Validated listenTCP arguments of a server endpoint. @internal */
interface ServerSettings {
  readonly port: number;
  readonly backlog: number;
  readonly interface: string;
}

function serverSettings(
  reactor: unknown,
  port: number,
  options: TCPServerEndpointOptions,
  defaultInterface: string,
): ServerSettings {
  checkReactor(reactor);
  checkPort('port', port);
  const backlog = options.backlog ?? 50;
  checkCount('backlog', backlog);
  const iface = options.interface ?? defaultInterface;
  checkString('interface', iface);
  return { port, backlog, interface: iface };
}

/**
 * Listen through `reactor.listenTCP`: fires with the port, or fails with
 * what listenTCP threw (e.g. CannotListenError). @internal
 */
export function listenTCPEndpoint(
  reactor: IReactorTCP,
  settings: ServerSettings,
  factory: IProtocolFactory,
): Deferred<ITCPListeningPort> {
  const d = new Deferred<ITCPListeningPort>();
  let port: ITCPListeningPort;
  try {
    port = reactor.listenTCP(settings.port, factory, { backlog: settings.backlog, interface: settings.interface });
  } catch (err) {
    d.errback(Failure.from(err));
    return d;
  }
  d.callback(port);
  return d;
}

/**
 * What the TCP server endpoints share: validated settings and listen().
 * @hidden
 */
abstract class TCPServerEndpointBase implements IStreamServerEndpoint {
  readonly reactor: IReactorTCP;
  readonly port: number;
  readonly backlog: number;
  readonly interface: string;

  constructor(reactor: IReactorTCP, port: number, options: TCPServerEndpointOptions, defaultInterface: string) {
    const settings = serverSettings(reactor, port, options, defaultInterface);
    this.reactor = reactor;
    this.port = settings.port;
    this.backlog = settings.backlog;
    this.interface = settings.interface;
  }

  /** Listen with `factory`: fires with the listening port, fails with listenTCP's error (e.g. CannotListenError). */
  listen(factory: IProtocolFactory): Deferred<ITCPListeningPort> {
    return listenTCPEndpoint(this.reactor, this, factory);
  }
}

/**
 * Listens on a TCP port, by default on every IPv4 interface (`interface: ''`).
 *
 * @example
 * ```ts
 * const port = await new TCP4ServerEndpoint(reactor, 0, { interface: '127.0.0.1' }).listen(factory);
 * ```
 */
export class TCP4ServerEndpoint extends TCPServerEndpointBase {
  /** @throws TypeError/RangeError for a bad port, backlog or interface. */
  constructor(reactor: IReactorTCP, port: number, options: TCPServerEndpointOptions = {}) {
    super(reactor, port, options, '');
  }

  override toString(): string {
    return `<TCP4ServerEndpoint ${this.interface || '0.0.0.0'}:${this.port}>`;
  }
}

/** Listens on a TCP port, by default on every IPv6 interface (`interface: '::'`). */
export class TCP6ServerEndpoint extends TCPServerEndpointBase {
  /** @throws TypeError/RangeError for a bad port, backlog or interface. */
  constructor(reactor: IReactorTCP, port: number, options: TCPServerEndpointOptions = {}) {
    super(reactor, port, options, '::');
  }

  override toString(): string {
    return `<TCP6ServerEndpoint [${this.interface}]:${this.port}>`;
  }
}
