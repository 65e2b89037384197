/**
 * TLS connection creators: {@link ClientTLSOptions} (Twisted's
 * `optionsForClientTLS`, always verifying) and {@link CertificateOptions}
 * (Twisted's `CertificateOptions`, for servers, and for clients that say
 * `verify` explicitly).
 * @module
 */
import { constants as cryptoConstants } from 'node:crypto';
import { isIP } from 'node:net';
import {
  type ConnectionOptions,
  type SecureContext,
  type SecureContextOptions,
  type TLSSocket,
  type TlsOptions,
  checkServerIdentity,
  createSecureContext,
} from 'node:tls';
import { domainToASCII } from 'node:url';
import type {
  IOpenSSLClientConnectionCreator,
  IOpenSSLContextFactory,
  IOpenSSLServerConnectionCreator,
  IOpenSSLTrustRoot,
} from '../interfaces/tls';
import type { ITransport } from '../interfaces/transport';
import { Logger } from '../logger';
import { ArgRangeError, ArgTypeError, describe } from '../validate';
import { Certificate, KeyPair, type PEM, PrivateCertificate } from './certificate';
import { isTrustRoot, platformTrust } from './trust';
import { TLSVersion, isTLSVersion, versionRank } from './version';

const log = new Logger('torsion.ssl');

/** Seconds a handshake may take unless told otherwise (asyncio's and EasyNetwork's default). */
export const DEFAULT_HANDSHAKE_TIMEOUT = 60;

/** The options of {@link CertificateOptions}. */
export interface CertificateOptionsInit {
  /** This side's private key (a server needs one). */
  privateKey?: KeyPair | PEM | null;
  /** This side's certificate (a server needs one). */
  certificate?: Certificate | PEM | null;
  /** Intermediate certificates sent after `certificate`. */
  extraCertChain?: ReadonlyArray<Certificate | PEM>;
  /** Client: the CAs for the server (default the platform's); server: the CAs for client certificates. */
  trustRoot?: IOpenSSLTrustRoot | null;
  /**
   * Client: required, true verifies the chain and the name connected to,
   * false verifies nothing (one warning per options object). Server: true
   * requests a client certificate and verifies it (default false).
   */
  verify?: boolean;
  /** Server with verify: refuse clients without a certificate (default true). */
  requireCertificate?: boolean;
  /** ALPN protocol names, in preference order. */
  acceptableProtocols?: readonly string[] | null;
  /** Raise the lowest version accepted above the default (TLS 1.2). */
  raiseMinimumTo?: TLSVersion;
  /** Lower the lowest version accepted below the default (insecure). */
  insecurelyLowerMinimumTo?: TLSVersion;
  /** Lower the highest version offered. */
  lowerMaximumSecurityTo?: TLSVersion;
  /** An OpenSSL cipher list (TLS 1.2 and below; TLS 1.3 suites by their names). */
  acceptableCiphers?: string | null;
  /** Diffie-Hellman parameters (PEM) for DHE suites. */
  dhParameters?: PEM | null;
  /** Client: offer the last session again (resumption); server: false disables resumption. Default true. */
  enableSessions?: boolean;
  /** Server: issue session tickets. Default true. */
  enableSessionTickets?: boolean;
  /** Seconds the handshake may take (default 60); null for no limit. */
  handshakeTimeout?: number | null;
}

/** The options of {@link optionsForClientTLS}. */
export interface ClientTLSOptionsInit {
  /** The CAs the server's chain must lead to; default {@link platformTrust}(). */
  trustRoot?: IOpenSSLTrustRoot;
  /** A client certificate to present, if the server asks for one. */
  clientCertificate?: PrivateCertificate | null;
  /** ALPN protocol names, in preference order. */
  acceptableProtocols?: readonly string[] | null;
  /** Version, cipher and session settings. */
  extraCertificateOptions?: Pick<
    CertificateOptionsInit,
    'raiseMinimumTo' | 'lowerMaximumSecurityTo' | 'acceptableCiphers' | 'enableSessions'
  >;
  /** Seconds the handshake may take (default 60); null for no limit. */
  handshakeTimeout?: number | null;
}

// ---- argument checks -----------------------------------------------------------------

function checkObject(name: string, v: unknown): asserts v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ArgTypeError(`${name} must be an object, got ${describe(v)}`);
}

function checkTimeout(name: string, v: unknown): number | null {
  if (v === undefined) return DEFAULT_HANDSHAKE_TIMEOUT;
  if (v === null) return null;
  if (typeof v !== 'number') throw new ArgTypeError(`${name} must be a number of seconds or null, got ${describe(v)}`);
  if (!Number.isFinite(v) || v <= 0) throw new ArgRangeError(`${name} must be a positive number of seconds, got ${v}`);
  return v;
}

function checkProtocols(name: string, v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw new ArgTypeError(`${name} must be an array of strings, got ${describe(v)}`);
  if (v.length === 0) throw new ArgRangeError(`${name} must name at least one protocol`);
  v.forEach((p, i) => {
    if (typeof p !== 'string') throw new ArgTypeError(`${name}[${i}] must be a string, got ${describe(p)}`);
    if (p.length === 0 || Buffer.byteLength(p) > 255)
      throw new ArgRangeError(`${name}[${i}] must be 1-255 bytes long, got ${JSON.stringify(p)}`);
  });
  return v.slice();
}

function checkVersion(name: string, v: unknown): TLSVersion | undefined {
  if (v === undefined) return undefined;
  if (!isTLSVersion(v)) {
    throw new ArgRangeError(`${name} must be a TLSVersion (${Object.values(TLSVersion).join(', ')}), got ${describe(v)}`);
  }
  return v;
}

function checkBool(name: string, v: unknown, dflt: boolean | undefined): boolean | undefined {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ArgTypeError(`${name} must be a boolean, got ${describe(v)}`);
  return v;
}

function checkCiphers(name: string, v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length === 0)
    throw new ArgTypeError(`${name} must be a non-empty OpenSSL cipher list, got ${describe(v)}`);
  return v;
}

function checkTrustRoot(name: string, v: unknown): IOpenSSLTrustRoot | null {
  if (v === undefined || v === null) return null;
  if (!isTrustRoot(v))
    throw new ArgTypeError(
      `${name} must be an IOpenSSLTrustRoot (platformTrust(), trustRootFromCertificates()), got ${describe(v)}`,
    );
  return v;
}

function pemOf(name: string, v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  throw new ArgTypeError(`${name} must be PEM text, got ${describe(v)}`);
}

function certPEM(name: string, v: unknown): string | null {
  if (v instanceof Certificate) return v.dumpPEM();
  return pemOf(name, v);
}

function keyPEM(name: string, v: unknown): string | null {
  if (v instanceof KeyPair) return v.dumpPEM();
  return pemOf(name, v);
}

/** The version range from the init fields (Twisted's rules: raise and lower-minimum exclude each other). */
function versionRange(
  raise: TLSVersion | undefined,
  lower: TLSVersion | undefined,
  max: TLSVersion | undefined,
): { minVersion: TLSVersion; maxVersion: TLSVersion } {
  if (raise !== undefined && lower !== undefined) {
    throw new ArgTypeError('raiseMinimumTo and insecurelyLowerMinimumTo cannot be used together');
  }
  let min: TLSVersion = TLSVersion.TLSv1_2;
  if (lower !== undefined) min = lower;
  if (raise !== undefined && versionRank(raise) > versionRank(min)) min = raise;
  const maxVersion = max ?? TLSVersion.TLSv1_3;
  if (versionRank(min) > versionRank(maxVersion)) {
    throw new ArgRangeError(`lowerMaximumSecurityTo (${maxVersion}) is below the minimum version (${min})`);
  }
  return { minVersion: min, maxVersion };
}

function checkHostname(hostname: unknown): { host: string; servername: string | undefined } {
  if (typeof hostname !== 'string') throw new ArgTypeError(`hostname must be a string, got ${describe(hostname)}`);
  if (hostname.length === 0) throw new ArgRangeError('hostname must not be empty');
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (isIP(bare) !== 0) return { host: bare, servername: undefined };
  const ascii = domainToASCII(hostname);
  if (ascii === '' || ascii.includes('/') || ascii.includes(':')) {
    throw new ArgRangeError(`hostname must be a DNS name (IDNA) or an IP address, got ${JSON.stringify(hostname)}`);
  }
  return { host: ascii, servername: ascii };
}

/** Node keeps the last TLS session of a connection in its 'session' event: offer it again. */
class SessionCache {
  session: Buffer | undefined = undefined;
  watch(socket: TLSSocket): void {
    socket.on('session', (s: Buffer) => {
      this.session = s;
    });
  }
}

// ---- ClientTLSOptions --------------------------------------------------------------------

/**
 * Client TLS options that always verify: the server's chain against
 * `trustRoot` and its identity against {@link ClientTLSOptions.hostname}
 * (a DNS name, or an IP literal checked against the IP SANs). SNI is sent
 * for DNS names only. Made by {@link optionsForClientTLS}.
 */
export class ClientTLSOptions implements IOpenSSLClientConnectionCreator, IOpenSSLContextFactory {
  /** The name the server's certificate must carry (IDNA-encoded for DNS names). */
  readonly hostname: string;
  /** {@inheritDoc torsion/interfaces!IOpenSSLClientConnectionCreator.handshakeTimeout} */
  readonly handshakeTimeout: number | null;
  /** The ALPN protocols offered, or null. */
  readonly acceptableProtocols: readonly string[] | null;
  readonly #servername: string | undefined;
  readonly #contextOptions: SecureContextOptions;
  #context: SecureContext | null = null;
  readonly #sessions: SessionCache | null;

  /** Use {@link optionsForClientTLS}. @internal */
  constructor(hostname: string, opts: ClientTLSOptionsInit = {}) {
    const { host, servername } = checkHostname(hostname);
    checkObject('opts', opts);
    const trustRoot = opts.trustRoot === undefined ? platformTrust() : checkTrustRoot('opts.trustRoot', opts.trustRoot);
    if (trustRoot === null)
      throw new ArgTypeError('opts.trustRoot must be an IOpenSSLTrustRoot, got null (verification cannot be turned off here)');
    const clientCert = opts.clientCertificate ?? null;
    if (clientCert !== null && !(clientCert instanceof PrivateCertificate)) {
      throw new ArgTypeError(`opts.clientCertificate must be a PrivateCertificate, got ${describe(clientCert)}`);
    }
    const extra = opts.extraCertificateOptions ?? {};
    checkObject('opts.extraCertificateOptions', extra);
    for (const k of Object.keys(extra)) {
      if (!['raiseMinimumTo', 'lowerMaximumSecurityTo', 'acceptableCiphers', 'enableSessions'].includes(k)) {
        throw new ArgTypeError(`opts.extraCertificateOptions.${k} is not a client option`);
      }
    }
    const range = versionRange(
      checkVersion('opts.extraCertificateOptions.raiseMinimumTo', extra.raiseMinimumTo),
      undefined,
      checkVersion('opts.extraCertificateOptions.lowerMaximumSecurityTo', extra.lowerMaximumSecurityTo),
    );
    const ciphers = checkCiphers('opts.extraCertificateOptions.acceptableCiphers', extra.acceptableCiphers);
    const sessions = checkBool('opts.extraCertificateOptions.enableSessions', extra.enableSessions, true);
    this.acceptableProtocols = checkProtocols('opts.acceptableProtocols', opts.acceptableProtocols);
    this.handshakeTimeout = checkTimeout('opts.handshakeTimeout', opts.handshakeTimeout);
    this.hostname = host;
    this.#servername = servername;
    this.#sessions = sessions ? new SessionCache() : null;
    const cas = trustRoot.caCertificates();
    this.#contextOptions = {
      ...range,
      ...(cas === null ? {} : { ca: cas }),
      ...(clientCert === null ? {} : { cert: clientCert.dumpPEM(), key: clientCert.privateKey.dumpPEM() }),
      ...(ciphers === null ? {} : { ciphers }),
    };
  }

  /** {@inheritDoc torsion/interfaces!IOpenSSLContextFactory.getContext} */
  getContext(): SecureContext {
    return this.#context ?? (this.#context = createSecureContext(this.#contextOptions));
  }

  /** {@inheritDoc torsion/interfaces!IOpenSSLClientConnectionCreator.clientConnectionForTLS} */
  clientConnectionForTLS(_transport: ITransport): ConnectionOptions {
    const o: ConnectionOptions = {
      secureContext: this.getContext(),
      host: this.hostname,
      rejectUnauthorized: true,
      checkServerIdentity,
    };
    if (this.#servername !== undefined) o.servername = this.#servername;
    if (this.acceptableProtocols !== null) o.ALPNProtocols = this.acceptableProtocols.slice();
    if (this.#sessions?.session !== undefined) o.session = this.#sessions.session;
    return o;
  }

  /** The TLS socket of a connection made with these options exists. @internal */
  _watchSocket(socket: TLSSocket): void {
    this.#sessions?.watch(socket);
  }
}

/**
 * Client options for a connection to `hostname` (Twisted's
 * `optionsForClientTLS`): the chain is verified against
 * `opts.trustRoot` (default {@link platformTrust}()) and the certificate
 * must name `hostname`. Nothing here turns verification off.
 * @throws RangeError for an empty or non-IDNA hostname; TypeError/RangeError for bad options.
 * @example
 * const options = optionsForClientTLS('example.com', { acceptableProtocols: ['h2', 'http/1.1'] });
 */
export function optionsForClientTLS(hostname: string, opts?: ClientTLSOptionsInit): ClientTLSOptions {
  return new ClientTLSOptions(hostname, opts);
}

// ---- CertificateOptions ------------------------------------------------------------------

const UNVERIFIED_MESSAGE =
  'use optionsForClientTLS(hostname) for a client, or pass verify: false to connect without verification';

/**
 * TLS options from explicit parts (Twisted's `CertificateOptions`): a
 * server's key and certificate, client-certificate verification, versions,
 * ciphers, ALPN. Used as client options it must say `verify`.
 */
export class CertificateOptions
  implements IOpenSSLServerConnectionCreator, IOpenSSLClientConnectionCreator, IOpenSSLContextFactory
{
  /** {@inheritDoc torsion/interfaces!IOpenSSLServerConnectionCreator.handshakeTimeout} */
  readonly handshakeTimeout: number | null;
  /** Whether peers are verified (undefined: not said; a client then refuses the options). */
  readonly verify: boolean | undefined;
  /** Server with verify: whether a client without a certificate is refused. */
  readonly requireCertificate: boolean;
  /** The ALPN protocols, or null. */
  readonly acceptableProtocols: readonly string[] | null;
  /** This side's certificate, or null. */
  readonly certificate: Certificate | null;
  readonly #contextOptions: SecureContextOptions;
  readonly #hasKey: boolean;
  readonly #sessions: SessionCache | null;
  #context: SecureContext | null = null;
  #warned = false;

  /**
   * @throws TypeError/RangeError for a badly typed or out-of-range option;
   *   CertificateError for an unparsable certificate or key.
   */
  constructor(opts: CertificateOptionsInit = {}) {
    checkObject('opts', opts);
    const key = keyPEM('opts.privateKey', opts.privateKey);
    const cert = certPEM('opts.certificate', opts.certificate);
    this.certificate =
      opts.certificate instanceof Certificate ? opts.certificate : cert === null ? null : Certificate.loadPEM(cert);
    if (key !== null) KeyPair.load(key); // parsable, else CertificateError now
    const chain = opts.extraCertChain ?? [];
    if (!Array.isArray(chain)) throw new ArgTypeError(`opts.extraCertChain must be an array, got ${describe(chain)}`);
    const chainPEMs = chain.map((c, i) => certPEM(`opts.extraCertChain[${i}]`, c) as string);
    const trustRoot = checkTrustRoot('opts.trustRoot', opts.trustRoot);
    if (opts.verify !== undefined && typeof opts.verify !== 'boolean') {
      throw new ArgTypeError(`opts.verify must be a boolean, got ${describe(opts.verify)}`);
    }
    this.verify = opts.verify;
    this.requireCertificate = checkBool('opts.requireCertificate', opts.requireCertificate, true) as boolean;
    this.acceptableProtocols = checkProtocols('opts.acceptableProtocols', opts.acceptableProtocols);
    const range = versionRange(
      checkVersion('opts.raiseMinimumTo', opts.raiseMinimumTo),
      checkVersion('opts.insecurelyLowerMinimumTo', opts.insecurelyLowerMinimumTo),
      checkVersion('opts.lowerMaximumSecurityTo', opts.lowerMaximumSecurityTo),
    );
    const ciphers = checkCiphers('opts.acceptableCiphers', opts.acceptableCiphers);
    const dh = pemOf('opts.dhParameters', opts.dhParameters);
    const sessions = checkBool('opts.enableSessions', opts.enableSessions, true) as boolean;
    const tickets = checkBool('opts.enableSessionTickets', opts.enableSessionTickets, true) as boolean;
    this.handshakeTimeout = checkTimeout('opts.handshakeTimeout', opts.handshakeTimeout);
    this.#hasKey = key !== null;
    this.#sessions = sessions ? new SessionCache() : null;
    let secureOptions = 0;
    if (!tickets || !sessions) secureOptions |= cryptoConstants.SSL_OP_NO_TICKET;
    const cas = trustRoot === null ? null : trustRoot.caCertificates();
    this.#contextOptions = {
      ...range,
      ...(key === null ? {} : { key }),
      ...(cert === null ? {} : { cert: [cert, ...chainPEMs].join('\n') }),
      ...(cas === null ? {} : { ca: cas }),
      ...(ciphers === null ? {} : { ciphers }),
      ...(dh === null ? {} : { dhparam: dh }),
      ...(secureOptions === 0 ? {} : { secureOptions }),
      ...(sessions ? { sessionIdContext: 'torsion' } : { sessionTimeout: 0 }),
    };
  }

  /** {@inheritDoc torsion/interfaces!IOpenSSLContextFactory.getContext} */
  getContext(): SecureContext {
    return this.#context ?? (this.#context = createSecureContext(this.#contextOptions));
  }

  /**
   * Server options for one accepted connection.
   * @throws TypeError without a private key or certificate.
   */
  serverConnectionForTLS(_transport: ITransport): TlsOptions {
    this._checkServerUsable();
    const verify = this.verify === true;
    const o: TlsOptions = {
      secureContext: this.getContext(),
      requestCert: verify,
      rejectUnauthorized: verify && this.requireCertificate,
    };
    if (this.acceptableProtocols !== null) o.ALPNProtocols = this.acceptableProtocols.slice();
    return o;
  }

  /**
   * Client options for one connection over `transport`: with verify true
   * the server must carry the name the connection was made to.
   * @throws TypeError when `verify` was not given.
   */
  clientConnectionForTLS(transport: ITransport): ConnectionOptions {
    this._checkClientUsable();
    const o: ConnectionOptions = { secureContext: this.getContext() };
    if (this.verify === true) {
      const { host, servername } = checkHostname(destinationHost(transport));
      o.host = host;
      if (servername !== undefined) o.servername = servername;
      o.rejectUnauthorized = true;
      o.checkServerIdentity = checkServerIdentity;
    } else {
      o.rejectUnauthorized = false;
      o.checkServerIdentity = () => undefined;
    }
    if (this.acceptableProtocols !== null) o.ALPNProtocols = this.acceptableProtocols.slice();
    if (this.#sessions?.session !== undefined) o.session = this.#sessions.session;
    return o;
  }

  /** @throws TypeError unless these options can make a client. @internal */
  _checkClientUsable(): void {
    if (this.verify === undefined) {
      throw new ArgTypeError(`CertificateOptions used as client options must say verify: ${UNVERIFIED_MESSAGE}`);
    }
    if (this.verify === false && !this.#warned) {
      this.#warned = true;
      log.warn(
        'TLS client connections with CertificateOptions({ verify: false }) verify neither the certificate nor the host name',
      );
    }
  }

  /** @throws TypeError unless these options can make a server. @internal */
  _checkServerUsable(): void {
    if (!this.#hasKey || this.certificate === null) {
      throw new ArgTypeError('CertificateOptions used as server options need both privateKey and certificate');
    }
  }

  /** The TLS socket of a connection made with these options exists. @internal */
  _watchSocket(socket: TLSSocket): void {
    this.#sessions?.watch(socket);
  }
}

/** The host a client transport connected to: the connector's destination, else the peer address. */
function destinationHost(transport: ITransport): string {
  const t = transport as ITransport & { addr?: readonly [string, number]; _tlsHostname?: string };
  if (typeof t._tlsHostname === 'string') return t._tlsHostname;
  if (Array.isArray(t.addr) && typeof t.addr[0] === 'string') return t.addr[0];
  const peer = transport.getPeer() as { host?: unknown };
  if (typeof peer.host === 'string') return peer.host;
  throw new ArgTypeError(
    'CertificateOptions({ verify: true }) needs the host name the connection was made to; use optionsForClientTLS(hostname)',
  );
}

/**
 * Check a client creator before a connection uses it (connectSSL, startTLS,
 * TLSMemoryBIOFactory): a CertificateOptions without `verify` is a TypeError.
 * @internal
 */
export function checkClientCreator(name: string, cf: unknown): asserts cf is IOpenSSLClientConnectionCreator {
  if (
    cf === null ||
    typeof cf !== 'object' ||
    typeof (cf as IOpenSSLClientConnectionCreator).clientConnectionForTLS !== 'function'
  ) {
    throw new ArgTypeError(`${name} must be client TLS options (optionsForClientTLS(hostname)), got ${describe(cf)}`);
  }
  if (cf instanceof CertificateOptions) cf._checkClientUsable();
}

/**
 * Check a server creator before a port or connection uses it.
 * @internal
 */
export function checkServerCreator(name: string, cf: unknown): asserts cf is IOpenSSLServerConnectionCreator {
  if (
    cf === null ||
    typeof cf !== 'object' ||
    typeof (cf as IOpenSSLServerConnectionCreator).serverConnectionForTLS !== 'function'
  ) {
    throw new ArgTypeError(
      `${name} must be server TLS options (CertificateOptions with privateKey and certificate), got ${describe(cf)}`,
    );
  }
  if (cf instanceof CertificateOptions) cf._checkServerUsable();
}
