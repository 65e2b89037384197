/**
 * TLS endpoints (Twisted's `SSL4ClientEndpoint`, `SSL4ServerEndpoint`,
 * `wrapClientTLS`) and the `ssl:` / `tls:` description strings.
 * @module
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { IPv4Address, IPv6Address } from '../address';
import { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import type { IListeningPort } from '../interfaces/connector';
import type { IStreamClientEndpoint, IStreamServerEndpoint, ProtocolFactoryOf } from '../interfaces/endpoints';
import type { IProtocol, IProtocolFactory } from '../interfaces/protocol';
import type { IReactorTime } from '../interfaces/time';
import type {
  IOpenSSLClientConnectionCreator,
  IOpenSSLServerConnectionCreator,
  IReactorSSL,
  IOpenSSLTrustRoot,
} from '../interfaces/tls';
import { TLSMemoryBIOFactory, TLSMemoryBIOProtocol } from '../protocols/tls';
import { Certificate, KeyPair, PrivateCertificate } from '../ssl/certificate';
import { CertificateOptions, checkClientCreator, checkServerCreator, optionsForClientTLS } from '../ssl/options';
import { platformTrust, trustRootFromCertificates } from '../ssl/trust';
import { ArgTypeError, checkCount, checkPort, checkString, describe } from '../validate';
import { EndpointParseError } from './errors';
import type { ParsedDescription } from './parser';
import {
  type TCPClientEndpointOptions,
  type TCPServerEndpointOptions,
  checkBindAddress,
  checkReactor,
  checkTimeout,
} from './tcp';
import { WrappingFactory } from './wrapping-factory';

function checkSSLReactor(reactor: unknown): void {
  checkReactor(reactor);
  if (typeof (reactor as IReactorSSL).connectSSL !== 'function' || typeof (reactor as IReactorSSL).listenSSL !== 'function') {
    throw new ArgTypeError(`reactor must provide connectSSL/listenSSL (IReactorSSL), got ${describe(reactor)}`);
  }
}

/**
 * Connects over TLS through `reactor.connectSSL`. `connect(factory)` fires
 * with the protocol after its `connectionMade` (which runs before the
 * handshake, as in Twisted); a failed handshake reaches the protocol's
 * `connectionLost` as an SSLError.
 * @example
 * ```ts
 * const ep = new SSL4ClientEndpoint(reactor, 'example.com', 443, optionsForClientTLS('example.com'));
 * ```
 */
export class SSL4ClientEndpoint implements IStreamClientEndpoint {
  readonly reactor: IReactorSSL;
  readonly host: string;
  readonly port: number;
  readonly sslContextFactory: IOpenSSLClientConnectionCreator;
  readonly timeout: number | null;
  readonly bindAddress: [string, number] | string | null;

  /** @throws TypeError/RangeError for a bad argument (CertificateOptions without `verify` included). */
  constructor(
    reactor: IReactorSSL,
    host: string,
    port: number,
    sslContextFactory: IOpenSSLClientConnectionCreator,
    options: TCPClientEndpointOptions = {},
  ) {
    checkSSLReactor(reactor);
    checkString('host', host);
    checkPort('port', port);
    checkClientCreator('sslContextFactory', sslContextFactory);
    this.reactor = reactor;
    this.host = host;
    this.port = port;
    this.sslContextFactory = sslContextFactory;
    this.timeout = checkTimeout(options.timeout === undefined ? 30 : options.timeout);
    this.bindAddress = checkBindAddress(options.bindAddress);
  }

  /** {@inheritDoc torsion/interfaces!IStreamClientEndpoint.connect} */
  connect<P extends IProtocol = IProtocol>(factory: ProtocolFactoryOf<P>): Deferred<P> {
    const destination = isIPv6(this.host)
      ? new IPv6Address('TCP', this.host, this.port)
      : new IPv4Address('TCP', this.host, this.port);
    let wrapper: WrappingFactory<P>;
    try {
      wrapper = new WrappingFactory<P>(factory, destination);
      const connector = this.reactor.connectSSL(this.host, this.port, wrapper, this.sslContextFactory, {
        timeout: this.timeout,
        bindAddress: this.bindAddress,
      });
      if (wrapper.connector === null) wrapper.connector = connector;
    } catch (err) {
      const d = new Deferred<P>();
      d.errback(Failure.from(err));
      return d;
    }
    return wrapper.onConnection;
  }

  toString(): string {
    return `<SSL4ClientEndpoint ${this.host}:${this.port}>`;
  }
}

/** Listens with TLS through `reactor.listenSSL`; `listen(factory)` fires with the port. */
export class SSL4ServerEndpoint implements IStreamServerEndpoint {
  readonly reactor: IReactorSSL;
  readonly port: number;
  readonly sslContextFactory: IOpenSSLServerConnectionCreator;
  readonly backlog: number;
  readonly interface: string;

  /** @throws TypeError/RangeError for a bad argument (server options without key or certificate included). */
  constructor(
    reactor: IReactorSSL,
    port: number,
    sslContextFactory: IOpenSSLServerConnectionCreator,
    options: TCPServerEndpointOptions = {},
  ) {
    checkSSLReactor(reactor);
    checkPort('port', port);
    checkServerCreator('sslContextFactory', sslContextFactory);
    const backlog = options.backlog ?? 50;
    checkCount('backlog', backlog);
    const iface = options.interface ?? '';
    checkString('interface', iface);
    this.reactor = reactor;
    this.port = port;
    this.sslContextFactory = sslContextFactory;
    this.backlog = backlog;
    this.interface = iface;
  }

  /** {@inheritDoc torsion/interfaces!IStreamServerEndpoint.listen} */
  listen(factory: IProtocolFactory): Deferred<IListeningPort> {
    const d = new Deferred<IListeningPort>();
    try {
      d.callback(
        this.reactor.listenSSL(this.port, factory, this.sslContextFactory, { backlog: this.backlog, interface: this.interface }),
      );
    } catch (err) {
      d.errback(Failure.from(err));
    }
    return d;
  }

  toString(): string {
    return `<SSL4ServerEndpoint ${this.port}>`;
  }
}

class TLSWrapperClientEndpoint implements IStreamClientEndpoint {
  constructor(
    readonly connectionCreator: IOpenSSLClientConnectionCreator,
    readonly wrappedEndpoint: IStreamClientEndpoint,
    readonly clock: IReactorTime | null,
  ) {}

  /** {@inheritDoc torsion/interfaces!IStreamClientEndpoint.connect} */
  connect<P extends IProtocol = IProtocol>(factory: ProtocolFactoryOf<P>): Deferred<P> {
    let tlsFactory: TLSMemoryBIOFactory;
    try {
      tlsFactory = new TLSMemoryBIOFactory(this.connectionCreator, true, factory, this.clock);
    } catch (err) {
      const d = new Deferred<P>();
      d.errback(Failure.from(err));
      return d;
    }
    return this.wrappedEndpoint
      .connect(tlsFactory as unknown as ProtocolFactoryOf<IProtocol>)
      .addCallback((p: IProtocol) => (p instanceof TLSMemoryBIOProtocol ? p.wrappedProtocol : p) as P) as unknown as Deferred<P>;
  }

  toString(): string {
    return `<TLS over ${String(this.wrappedEndpoint)}>`;
  }
}

/**
 * An endpoint that runs TLS over whatever `wrappedEndpoint` connects
 * (Twisted's `wrapClientTLS`); `connect(factory)` fires with the
 * factory's own protocol (after its connectionMade, before the handshake).
 * @throws TypeError for a bad creator (CertificateOptions without `verify`) or endpoint.
 */
export function wrapClientTLS(
  connectionCreator: IOpenSSLClientConnectionCreator,
  wrappedEndpoint: IStreamClientEndpoint,
): IStreamClientEndpoint {
  checkClientCreator('connectionCreator', connectionCreator);
  if (wrappedEndpoint === null || typeof wrappedEndpoint !== 'object' || typeof wrappedEndpoint.connect !== 'function') {
    throw new ArgTypeError(`wrappedEndpoint must be a client endpoint, got ${describe(wrappedEndpoint)}`);
  }
  const reactor = (wrappedEndpoint as { reactor?: Partial<IReactorTime> }).reactor;
  const clock = reactor !== undefined && typeof reactor.callLater === 'function' ? (reactor as IReactorTime) : null;
  return new TLSWrapperClientEndpoint(connectionCreator, wrappedEndpoint, clock);
}

// ---- description strings ------------------------------------------------------------

/** What the string parsers of from-string.ts hand to the TLS ones. @internal */
export interface StringFields {
  has(name: string): boolean;
  setPositional(name: string, value: string): void;
  tooMany(expected: string): never;
  required(name: string): string;
  optional(name: string): string | undefined;
  integer(name: string, text: string): number;
  port(name: string, text: string): number;
  seconds(name: string, text: string): number;
}

function readPEM(description: string, field: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new EndpointParseError(
      'BAD_VALUE',
      `The field '${field}' names a file that cannot be read: ${(err as Error).message}`,
      description,
      field,
    );
  }
}

/** Every certificate in the files of `dir` (files that are not certificates are skipped, as Twisted does). */
function trustFromDir(description: string, field: string, dir: string): IOpenSSLTrustRoot {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    throw new EndpointParseError(
      'BAD_VALUE',
      `The field '${field}' names a directory that cannot be read: ${(err as Error).message}`,
      description,
      field,
    );
  }
  const certs: Certificate[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      if (!statSync(path).isFile()) continue;
      certs.push(Certificate.loadPEM(readFileSync(path)));
    } catch {
      // not a certificate
    }
  }
  if (certs.length === 0) {
    throw new EndpointParseError(
      'BAD_VALUE',
      `The field '${field}' names a directory without any PEM certificate: ${dir}`,
      description,
      field,
    );
  }
  return trustRootFromCertificates(certs);
}

function clientCertificate(
  description: string,
  certField: string,
  certPath: string | undefined,
  keyPath: string | undefined,
): PrivateCertificate | null {
  if (certPath === undefined) {
    if (keyPath !== undefined) {
      throw new EndpointParseError(
        'MISSING_FIELD',
        `'privateKey' needs '${certField}' (the certificate) too`,
        description,
        certField,
      );
    }
    return null;
  }
  const certText = readPEM(description, certField, certPath);
  const keyText = keyPath === undefined ? certText : readPEM(description, 'privateKey', keyPath);
  try {
    return PrivateCertificate.fromCertificateAndKeyPair(Certificate.loadPEM(certText), KeyPair.load(keyText));
  } catch (err) {
    throw new EndpointParseError(
      'BAD_VALUE',
      `The client certificate cannot be loaded: ${(err as Error).message}`,
      description,
      certField,
    );
  }
}

/**
 * `ssl:host=H:port=P[:timeout=S][:bindAddress=IP][:caCertsDir=DIR][:certKey=PEM][:privateKey=PEM][:hostname=NAME]`:
 * an SSL4ClientEndpoint verifying the server against `hostname` (default `host`).
 * @internal
 */
export function sslClientFromFields(
  reactor: unknown,
  description: string,
  parsed: ParsedDescription,
  fields: StringFields,
): IStreamClientEndpoint {
  const positional = [...parsed.args];
  if (positional.length > 2) fields.tooMany('host and port');
  if (positional.length === 2) {
    fields.setPositional('host', positional[0]);
    fields.setPositional('port', positional[1]);
  } else if (positional.length === 1) fields.setPositional(fields.has('host') ? 'port' : 'host', positional[0]);
  const host = fields.required('host');
  if (host === '') throw new EndpointParseError('BAD_VALUE', 'The host is empty', description, 'host');
  const port = fields.port('port', fields.required('port'));
  const timeoutText = fields.optional('timeout');
  const bindText = fields.optional('bindAddress');
  const caDir = fields.optional('caCertsDir');
  const trustRoot = caDir === undefined ? platformTrust() : trustFromDir(description, 'caCertsDir', caDir);
  const cert = clientCertificate(description, 'certKey', fields.optional('certKey'), fields.optional('privateKey'));
  const hostname = fields.optional('hostname') ?? host;
  const creator = optionsForClientTLS(hostname, { trustRoot, clientCertificate: cert });
  return new SSL4ClientEndpoint(reactor as IReactorSSL, host, port, creator, {
    timeout: timeoutText === undefined ? 30 : fields.seconds('timeout', timeoutText),
    bindAddress: bindText === undefined ? null : [bindText, 0],
  });
}

/** The fields `ssl:` accepts on the client side. @internal */
export const SSL_CLIENT_FIELDS = ['host', 'port', 'timeout', 'bindAddress', 'caCertsDir', 'certKey', 'privateKey', 'hostname'];
/** The fields `tls:` accepts (client only). @internal */
export const TLS_CLIENT_FIELDS = [
  'host',
  'port',
  'timeout',
  'bindAddress',
  'trustRoots',
  'certificate',
  'privateKey',
  'endpoint',
];
/** The fields `ssl:` accepts on the server side, positional order first. @internal */
export const SSL_SERVER_FIELDS = [
  'port',
  'privateKey',
  'certKey',
  'sslmethod',
  'interface',
  'backlog',
  'extraCertChain',
  'dhParameters',
];

/**
 * `tls:HOST:PORT[:timeout][:bindAddress][:trustRoots=DIR][:certificate=PEM][:privateKey=PEM][:endpoint=DESC]`:
 * wrapClientTLS(optionsForClientTLS(HOST, ...), HostnameEndpoint or the `endpoint` description).
 * @internal
 */
export function tlsClientFromFields(
  description: string,
  parsed: ParsedDescription,
  fields: StringFields,
  hostnameEndpoint: (host: string, port: number, options: TCPClientEndpointOptions) => IStreamClientEndpoint,
  inner: (description: string) => IStreamClientEndpoint,
): IStreamClientEndpoint {
  const positional = [...parsed.args];
  if (positional.length > 2) fields.tooMany('host and port');
  if (positional.length === 2) {
    fields.setPositional('host', positional[0]);
    fields.setPositional('port', positional[1]);
  } else if (positional.length === 1) fields.setPositional(fields.has('host') ? 'port' : 'host', positional[0]);
  const host = fields.required('host');
  if (host === '') throw new EndpointParseError('BAD_VALUE', 'The host is empty', description, 'host');
  const endpointText = fields.optional('endpoint');
  const portText = fields.optional('port');
  if (endpointText === undefined && portText === undefined) fields.required('port');
  const timeoutText = fields.optional('timeout');
  const bindText = fields.optional('bindAddress');
  const trustDir = fields.optional('trustRoots');
  const trustRoot = trustDir === undefined ? platformTrust() : trustFromDir(description, 'trustRoots', trustDir);
  const cert = clientCertificate(description, 'certificate', fields.optional('certificate'), fields.optional('privateKey'));
  let creator: IOpenSSLClientConnectionCreator;
  try {
    creator = optionsForClientTLS(host, { trustRoot, clientCertificate: cert });
  } catch (err) {
    throw new EndpointParseError(
      'BAD_VALUE',
      `The host is not a valid TLS host name: ${(err as Error).message}`,
      description,
      'host',
    );
  }
  const wrapped =
    endpointText !== undefined
      ? inner(endpointText)
      : hostnameEndpoint(host, fields.port('port', portText as string), {
          timeout: timeoutText === undefined ? 30 : fields.seconds('timeout', timeoutText),
          bindAddress: bindText === undefined ? null : [bindText, 0],
        });
  return wrapClientTLS(creator, wrapped);
}

/**
 * `ssl:PORT[:privateKey=server.pem][:certKey=PEM][:extraCertChain=PEM][:dhParameters=PEM][:interface][:backlog]`.
 * @internal
 */
export function sslServerFromFields(
  reactor: unknown,
  description: string,
  parsed: ParsedDescription,
  fields: StringFields,
): IStreamServerEndpoint {
  const order = ['port', 'privateKey', 'certKey', 'sslmethod', 'interface', 'backlog'];
  if (parsed.args.length > order.length) fields.tooMany(order.join(', '));
  parsed.args.forEach((value, i) => fields.setPositional(order[i], value));
  const port = fields.port('port', fields.required('port'));
  const keyPath = fields.optional('privateKey') ?? 'server.pem';
  const certPath = fields.optional('certKey') ?? keyPath;
  const method = fields.optional('sslmethod');
  if (method !== undefined && method !== 'SSLv23_METHOD' && method !== 'TLS_METHOD') {
    throw new EndpointParseError(
      'BAD_VALUE',
      `The field 'sslmethod' must be SSLv23_METHOD or TLS_METHOD (the versions are negotiated), got ${JSON.stringify(method)}`,
      description,
      'sslmethod',
    );
  }
  const chainPath = fields.optional('extraCertChain');
  const dhPath = fields.optional('dhParameters');
  const iface = fields.optional('interface');
  const backlogText = fields.optional('backlog');
  const keyText = readPEM(description, 'privateKey', keyPath);
  const certText = readPEM(description, 'certKey', certPath);
  let options: CertificateOptions;
  try {
    const chain = chainPath === undefined ? [] : pemCertificates(readPEM(description, 'extraCertChain', chainPath));
    options = new CertificateOptions({
      privateKey: KeyPair.load(keyText),
      certificate: Certificate.loadPEM(certText),
      extraCertChain: chain,
      dhParameters: dhPath === undefined ? null : readPEM(description, 'dhParameters', dhPath),
    });
  } catch (err) {
    if (err instanceof EndpointParseError) throw err;
    throw new EndpointParseError(
      'BAD_VALUE',
      `The server certificate or key cannot be loaded: ${(err as Error).message}`,
      description,
      'privateKey',
    );
  }
  return new SSL4ServerEndpoint(reactor as IReactorSSL, port, options, {
    backlog: backlogText === undefined ? 50 : fields.integer('backlog', backlogText),
    ...(iface === undefined ? {} : { interface: iface }),
  });
}

function pemCertificates(text: string): Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => Certificate.loadPEM(b));
}
