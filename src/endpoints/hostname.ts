/**
 * `HostnameEndpoint`: connect to a host name by racing all of its
 * addresses (RFC 8305, "Happy Eyeballs v2").
 * @module
 */
import type { ProtocolFactoryOf } from '../interfaces/endpoints';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { HostnameAddress } from '../address';
import { Deferred } from '../defer/deferred';
import type { IStreamClientEndpoint } from '../interfaces/endpoints';
import type { IProtocol } from '../interfaces/protocol';
import type { IReactorTCP } from '../interfaces/tcp';
import type { IReactorTime } from '../interfaces/time';
import { checkDelay, checkPort, checkString, describe, ArgTypeError, ArgRangeError } from '../validate';
import { formatHostPort } from './errors';
import { HostnameConnection } from './happy-eyeballs';
import { type HostResolver, defaultResolver, resolveHost } from './resolver';
import { type TCPClientEndpointOptions, checkBindAddress, checkReactor, checkTimeout, connectTCPEndpoint } from './tcp';

/** What a HostnameEndpoint needs from its reactor: TCP and a clock. */
export type IHostnameEndpointReactor = IReactorTCP & IReactorTime;

/** Options of {@link HostnameEndpoint}. */
export interface HostnameEndpointOptions extends TCPClientEndpointOptions {
  /**
   * Seconds between starting one connection attempt and starting the next
   * (RFC 8305's "Connection Attempt Delay"). Default 0.25.
   */
  attemptDelay?: number;
  /** Resolves the host name to all of its addresses. Default: `dns.lookup(host, { all: true })`. */
  resolver?: HostResolver;
}

/** The default {@link HostnameEndpointOptions.attemptDelay}, in seconds (RFC 8305 recommends 250 ms). */
export const DEFAULT_ATTEMPT_DELAY = 0.25;

/**
 * Connects to a host name: resolves every address, then races connection
 * attempts to them and keeps the first that connects.
 *
 * - Addresses are ordered as RFC 8305 §4 says: the two families alternate,
 *   starting with the family the resolver listed first.
 * - The first attempt starts at once; each next one starts `attemptDelay`
 *   seconds (default 0.25) after the previous one started, or immediately
 *   when every started attempt has failed.
 * - The first success wins; the other attempts are cancelled and no
 *   delayed call is left behind. `connect()` fires with the protocol after
 *   its `connectionMade`.
 * - If every attempt fails, `connect()` fails once with
 *   `ConnectAttemptsFailedError`, whose `attempts` hold each attempt's
 *   address and Failure in the order they were started.
 * - A lookup that fails or finds nothing gives `DNSLookupError`; a host
 *   name that is not a valid (IDNA) name gives a `RangeError` from
 *   `connect()`, not from the constructor (as in Twisted).
 * - Cancelling gives `ConnectingCancelledError(HostnameAddress)`.
 * - An IP literal skips the lookup and makes a single attempt.
 *
 * Twisted's HostnameEndpoint instead tries the addresses in resolver order
 * every 0.3 s without interleaving, waits out the delay after a failure and
 * reports only the last failure.
 *
 * @example
 * ```ts
 * const ep = new HostnameEndpoint(reactor, 'localhost', 8080, { attemptDelay: 0.1 });
 * const proto = await ep.connect(Factory.forProtocol(Client));
 * ```
 */
export class HostnameEndpoint implements IStreamClientEndpoint {
  readonly reactor: IHostnameEndpointReactor;
  /** The host name as given (NFC-normalised). */
  readonly host: string;
  readonly port: number;
  readonly timeout: number | null;
  readonly bindAddress: [string, number] | string | null;
  readonly attemptDelay: number;
  readonly #resolver: HostResolver;
  // The name the resolver gets: ASCII (IDNA) for an internationalised name;
  // null when the name is invalid, which connect() reports.
  readonly #asciiHost: string | null;

  /** @throws TypeError/RangeError for a non-string host, a bad port or a bad option. */
  constructor(reactor: IHostnameEndpointReactor, host: string, port: number, options: HostnameEndpointOptions = {}) {
    checkReactor(reactor);
    checkString('host', host);
    checkPort('port', port);
    const attemptDelay = options.attemptDelay ?? DEFAULT_ATTEMPT_DELAY;
    checkDelay('attemptDelay', attemptDelay);
    if (options.resolver !== undefined && typeof options.resolver !== 'function') {
      throw new ArgTypeError(`resolver must be a function, got ${describe(options.resolver)}`);
    }
    this.reactor = reactor;
    this.host = host.normalize('NFC');
    this.port = port;
    this.timeout = checkTimeout(options.timeout === undefined ? 30 : options.timeout);
    this.bindAddress = checkBindAddress(options.bindAddress);
    this.attemptDelay = attemptDelay;
    this.#resolver = options.resolver ?? defaultResolver;
    this.#asciiHost = toAsciiHost(this.host);
  }

  /** {@inheritDoc torsion/interfaces!IStreamClientEndpoint.connect} */
  connect<P extends IProtocol = IProtocol>(factory: ProtocolFactoryOf<P>): Deferred<P> {
    const asciiHost = this.#asciiHost;
    if (asciiHost === null) {
      const d = new Deferred<P>();
      d.errback(new ArgRangeError(`Invalid hostname: ${JSON.stringify(this.host)}`));
      return d;
    }
    const connection = new HostnameConnection<P>({
      clock: this.reactor,
      attemptDelay: this.attemptDelay,
      address: new HostnameAddress(asciiHost, this.port),
      connect: (ip) =>
        connectTCPEndpoint<P>(this.reactor, ip, this.port, factory, { timeout: this.timeout, bindAddress: this.bindAddress }),
    });
    let resolution: Deferred<string[]>;
    if (isIP(asciiHost) !== 0) {
      resolution = new Deferred<string[]>();
      resolution.callback([asciiHost]);
    } else {
      resolution = resolveHost(this.#resolver, asciiHost, 0);
    }
    return connection.run(resolution);
  }

  toString(): string {
    return `<HostnameEndpoint ${formatHostPort(this.#asciiHost ?? JSON.stringify(this.host), this.port)}>`;
  }
}

function toAsciiHost(host: string): string | null {
  if (isIP(host) !== 0) return host;
  // domainToASCII lower-cases and validates; keep a plain ASCII name as
  // written (resolvers and /etc/hosts do not care, people reading logs do).
  const ascii = domainToASCII(host);
  if (ascii === '') return null;
  return /^[\x21-\x7e]+$/.test(host) ? host : ascii;
}
