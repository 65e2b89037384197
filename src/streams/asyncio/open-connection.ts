/**
 * asyncio's `open_connection` / `open_unix_connection`: connect, and hand
 * back a `[StreamReader, StreamWriter]` pair.
 * @module
 */
import { connectProtocol } from '../../endpoints/connect-protocol';
import { ConnectAttemptsFailedError } from '../../endpoints/errors';
import { HostnameEndpoint } from '../../endpoints/hostname';
import { wrapClientTLS } from '../../endpoints/ssl';
import { TCP4ClientEndpoint } from '../../endpoints/tcp';
import { UNIXClientEndpoint } from '../../endpoints/unix';
import type { IReactorCore } from '../../interfaces/core';
import type { IStreamClientEndpoint } from '../../interfaces/endpoints';
import type { IOpenSSLClientConnectionCreator, IReactorSSL } from '../../interfaces/tls';
import type { IReactorTCP } from '../../interfaces/tcp';
import type { IReactorTime } from '../../interfaces/time';
import type { IReactorUNIX } from '../../interfaces/unix';
import { checkClientCreator, optionsForClientTLS } from '../../ssl/options';
import { getGlobalReactor } from '../../task/default-reactor';
import { ArgTypeError, checkDelay, checkPort, checkString, describe } from '../../validate';
import { handled } from './options';
import { StreamReader } from './stream-reader';
import { StreamReaderProtocol } from './stream-reader-protocol';
import { SSL_HANDSHAKE_TIMEOUT, type StreamWriter, awaitHandshake } from './stream-writer';

/** Options of {@link openConnection} (host and port form). */
export interface OpenConnectionOptions {
  /** The reactor to connect with; default the global reactor. */
  reactor?: IReactorTCP & IReactorSSL & IReactorTime & IReactorCore;
  /** The reader's buffer limit, default 65536. */
  limit?: number;
  /** TLS: `true` = `optionsForClientTLS(serverHostname ?? host)`, or client options; default none. */
  ssl?: boolean | IOpenSSLClientConnectionCreator | null;
  /** The name TLS verifies (default `host`); only with `ssl`. */
  serverHostname?: string | null;
  /** Seconds the TLS handshake may take, default 60 (null = no limit); then `SSLError('timeout')`. */
  sslHandshakeTimeout?: number | null;
  /** The local address to bind: `[host, port]` or a host. */
  localAddress?: readonly [string, number] | string | null;
  /**
   * Seconds between connection attempts to the host's addresses
   * (HostnameEndpoint's `attemptDelay`, RFC 8305), default 0.25; `null` =
   * a single `connectTCP`.
   */
  happyEyeballsDelay?: number | null;
  /** Connect timeout in seconds, default 30 (null = none); then `TimeoutError`. */
  timeout?: number | null;
}

/** Options of {@link openUnixConnection}. */
export type OpenUnixConnectionOptions = Omit<
  Pick<OpenConnectionOptions, 'reactor' | 'limit' | 'ssl' | 'serverHostname' | 'sslHandshakeTimeout' | 'timeout'>,
  'reactor'
> & {
  /** The reactor to connect with; default the global reactor. */
  reactor?: IReactorUNIX & IReactorTime & Partial<IReactorCore>;
};

function isEndpoint(x: unknown): x is IStreamClientEndpoint {
  return x !== null && typeof x === 'object' && typeof (x as { connect?: unknown }).connect === 'function';
}

function clockOfEndpoint(ep: IStreamClientEndpoint): IReactorTime | undefined {
  const r = (ep as { reactor?: Partial<IReactorTime> }).reactor;
  return r !== undefined && r !== null && typeof r.callLater === 'function' ? (r as IReactorTime) : undefined;
}

function checkOpts(opts: unknown): void {
  if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
}

/**
 * The TLS creator `ssl` asks for, or null.
 * @throws TypeError for a bad `ssl`, or `serverHostname` without `ssl`.
 */
function tlsCreator(
  ssl: OpenConnectionOptions['ssl'],
  serverHostname: string | null | undefined,
  host: string | null,
): IOpenSSLClientConnectionCreator | null {
  if (ssl === undefined || ssl === null || ssl === false) {
    if (serverHostname !== undefined && serverHostname !== null) {
      throw new ArgTypeError('opts.serverHostname is only meaningful with opts.ssl');
    }
    return null;
  }
  if (serverHostname !== undefined && serverHostname !== null) checkString('opts.serverHostname', serverHostname);
  if (ssl === true) {
    const name = serverHostname ?? host;
    if (name === null || name === '') {
      throw new ArgTypeError('opts.serverHostname is required with opts.ssl = true when there is no host name to verify');
    }
    return optionsForClientTLS(name);
  }
  checkClientCreator('opts.ssl', ssl);
  return ssl;
}

function checkHandshakeTimeout(v: number | null | undefined): number | null {
  const t = v === undefined ? SSL_HANDSHAKE_TIMEOUT : v;
  if (t !== null) checkDelay('opts.sslHandshakeTimeout', t);
  return t;
}

/** A HostnameEndpoint that made a single attempt fails with that attempt's error (asyncio's behaviour). */
function unwrap(err: unknown): unknown {
  if (err instanceof ConnectAttemptsFailedError && err.attempts.length === 1) return err.attempts[0]!.failure.value;
  return err;
}

async function connectStreams(
  endpoint: IStreamClientEndpoint,
  limit: number | undefined,
  clock: IReactorTime | undefined,
  tls: { timeout: number | null } | null,
): Promise<[StreamReader, StreamWriter]> {
  const reader = new StreamReader({ limit, reactor: clock });
  const proto = new StreamReaderProtocol(reader, null, { reactor: clock });
  try {
    await connectProtocol(endpoint, proto);
    if (tls !== null) {
      await awaitHandshake(proto._handshakePromise(), tls.timeout, clock ?? getGlobalReactor(), proto.transport!);
    }
  } catch (err) {
    throw unwrap(err);
  }
  return [reader, proto.writer!];
}

/**
 * Connect to `host:port` (asyncio's `open_connection`) and resolve with
 * the connection's `[reader, writer]`.
 *
 * - By default through `HostnameEndpoint` (addresses raced RFC 8305-style,
 *   `happyEyeballsDelay` apart); `happyEyeballsDelay: null` uses a single
 *   `connectTCP`.
 * - `ssl` runs TLS over the connection and resolves only after the
 *   handshake.
 * - With an endpoint instead of `host, port`, connects whatever the
 *   endpoint is (UNIX, TLS, a ProcessEndpoint, an endpoint on a
 *   MemoryReactor); only `limit` applies.
 * - Rejects with the connect error (`ConnectionRefusedError`,
 *   `TimeoutError`, `DNSLookupError`, `SSLError`); when HostnameEndpoint
 *   made a single attempt, its error itself (not a
 *   `ConnectAttemptsFailedError`).
 *
 * The reactor must be running for I/O to happen: called earlier, it
 * connects once it runs (use `react()`).
 *
 * @example
 * ```ts
 * const [reader, writer] = await openConnection('127.0.0.1', 8888);
 * writer.write(Buffer.from('GET greeting\r\n'));
 * const reply = await reader.readuntil(Buffer.from('\r\n'));
 * ```
 */
export function openConnection(host: string, port: number, opts?: OpenConnectionOptions): Promise<[StreamReader, StreamWriter]>;
/** Connect through `endpoint` and resolve with `[reader, writer]`. */
export function openConnection(endpoint: IStreamClientEndpoint, opts?: { limit?: number }): Promise<[StreamReader, StreamWriter]>;
export function openConnection(
  hostOrEndpoint: string | IStreamClientEndpoint,
  portOrOpts?: number | { limit?: number },
  maybeOpts?: OpenConnectionOptions,
): Promise<[StreamReader, StreamWriter]> {
  try {
    if (isEndpoint(hostOrEndpoint)) {
      const opts = (portOrOpts ?? {}) as { limit?: number };
      checkOpts(opts);
      return handled(connectStreams(hostOrEndpoint, opts.limit, clockOfEndpoint(hostOrEndpoint), null));
    }
    const host = hostOrEndpoint;
    checkString('host', host);
    checkPort('port', portOrOpts);
    const port = portOrOpts;
    const opts = maybeOpts ?? {};
    checkOpts(opts);
    const reactor = opts.reactor ?? getGlobalReactor();
    const creator = tlsCreator(opts.ssl, opts.serverHostname, host);
    const handshakeTimeout = checkHandshakeTimeout(opts.sslHandshakeTimeout);
    const epOpts = {
      timeout: opts.timeout === undefined ? 30 : opts.timeout,
      bindAddress: (opts.localAddress ?? null) as [string, number] | string | null,
    };
    const delay = opts.happyEyeballsDelay === undefined ? 0.25 : opts.happyEyeballsDelay;
    let endpoint: IStreamClientEndpoint =
      delay === null
        ? new TCP4ClientEndpoint(reactor, host, port, epOpts)
        : new HostnameEndpoint(reactor, host, port, { ...epOpts, attemptDelay: delay });
    if (creator !== null) endpoint = wrapClientTLS(creator, endpoint);
    // Built now so that bad options (a bad limit) throw before connecting.
    new StreamReader({ limit: opts.limit });
    return handled(connectStreams(endpoint, opts.limit, reactor, creator === null ? null : { timeout: handshakeTimeout }));
  } catch (err) {
    return handled(Promise.reject(err));
  }
}

/**
 * Connect to the UNIX socket `path` (asyncio's `open_unix_connection`) and
 * resolve with `[reader, writer]`. With `ssl: true`, `serverHostname` is
 * required (there is no host name to verify).
 */
export function openUnixConnection(path: string, opts: OpenUnixConnectionOptions = {}): Promise<[StreamReader, StreamWriter]> {
  try {
    checkString('path', path);
    checkOpts(opts);
    const reactor = opts.reactor ?? getGlobalReactor();
    const creator = tlsCreator(opts.ssl, opts.serverHostname, null);
    const handshakeTimeout = checkHandshakeTimeout(opts.sslHandshakeTimeout);
    let endpoint: IStreamClientEndpoint = new UNIXClientEndpoint(reactor, path, {
      timeout: opts.timeout === undefined ? 30 : opts.timeout,
    });
    if (creator !== null) endpoint = wrapClientTLS(creator, endpoint);
    new StreamReader({ limit: opts.limit });
    return handled(connectStreams(endpoint, opts.limit, reactor, creator === null ? null : { timeout: handshakeTimeout }));
  } catch (err) {
    return handled(Promise.reject(err));
  }
}
