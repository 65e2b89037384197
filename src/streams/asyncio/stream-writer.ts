/**
 * asyncio's `StreamWriter`, in camelCase: a thin layer over a transport
 * that adds `drain()` (write-side backpressure), `waitClosed()`,
 * `startTls()` and `getExtraInfo()`.
 * @module
 */
import { SSLError } from '../../errors';
import { RuntimeError } from '../../errors';
import type { IAddress } from '../../interfaces/address';
import type { IOpenSSLClientConnectionCreator, IOpenSSLServerConnectionCreator, ISSLTransport } from '../../interfaces/tls';
import type { IReactorTime } from '../../interfaces/time';
import type { IHalfCloseableTransport, ITransport } from '../../interfaces/transport';
import { ArgTypeError, checkBytes, checkDelay, describe } from '../../validate';
import { type Bytes, clockOf, handled, isTLSTransport } from './options';
import type { StreamReaderProtocol } from './stream-reader-protocol';
import type { StreamReader } from './stream-reader';

/** Options of {@link StreamWriter.startTls}. */
export interface StartTlsOptions {
  /** Seconds the handshake may take (default 60; null = no limit); then `SSLError('timeout')`. */
  sslHandshakeTimeout?: number | null;
}

/** asyncio's default TLS handshake timeout, seconds. */
export const SSL_HANDSHAKE_TIMEOUT = 60;

/** An address as asyncio's `peername`/`sockname`: `[host, port]`, a path, or the address itself. */
function addressInfo(addr: IAddress): unknown {
  const a = addr as { host?: unknown; port?: unknown; name?: unknown };
  if (typeof a.host === 'string' && typeof a.port === 'number') return [a.host, a.port];
  if ('name' in a) return a.name ?? '';
  return addr;
}

/**
 * The writing end of a stream (asyncio's `StreamWriter`). Made by a
 * {@link StreamReaderProtocol} at connectionMade; `openConnection` and
 * `startServer` hand it out.
 *
 * @example
 * ```ts
 * const [reader, writer] = await openConnection('127.0.0.1', port);
 * writer.write(Buffer.from('ping\r\n'));
 * await writer.drain();
 * await reader.readuntil(Buffer.from('\r\n'));
 * writer.close();
 * await writer.waitClosed();
 * ```
 */
export class StreamWriter implements AsyncDisposable {
  /** The transport written to. */
  readonly transport: ITransport;
  #protocol: StreamReaderProtocol;
  #reader: StreamReader | null;
  #clock: IReactorTime | null;

  /**
   * Made by {@link StreamReaderProtocol}; rarely constructed by hand.
   * @param transport - the connection's transport.
   * @param protocol - the protocol that reports flow control and the loss.
   * @param reader - the reader of the same connection, or null.
   */
  constructor(
    transport: ITransport,
    protocol: StreamReaderProtocol,
    reader: StreamReader | null,
    opts: { reactor?: IReactorTime } = {},
  ) {
    this.transport = transport;
    this.#protocol = protocol;
    this.#reader = reader;
    this.#clock = opts.reactor ?? null;
  }

  /**
   * Write `data` (never blocks; follow with `await drain()` to respect
   * backpressure).
   * @throws TypeError unless `data` is bytes.
   */
  write(data: Bytes): void {
    checkBytes('data', data);
    this.transport.write(data);
  }

  /**
   * Write each buffer of `data`, in order (checked first: a bad element
   * throws before anything is written).
   * @throws TypeError unless `data` is an iterable of bytes.
   */
  writelines(data: Iterable<Bytes>): void {
    if (data === null || typeof (data as Partial<Iterable<Bytes>>)[Symbol.iterator] !== 'function') {
      throw new ArgTypeError(`data must be an iterable of Buffers, got ${describe(data)}`);
    }
    const list = Array.from(data);
    for (let i = 0; i < list.length; i++) checkBytes(`data[${i}]`, list[i]);
    this.transport.writeSequence(list);
  }

  /**
   * Close the write side after the buffered data is sent (the transport's
   * `loseWriteConnection()`); the connection stays readable.
   * @throws RuntimeError when the transport cannot (see {@link StreamWriter.canWriteEof}).
   */
  writeEof(): void {
    if (!this.canWriteEof()) throw new RuntimeError('This transport cannot write EOF (TLS, or no half-close)');
    (this.transport as IHalfCloseableTransport).loseWriteConnection();
  }

  /** Whether {@link StreamWriter.writeEof} works: a half-closeable transport that is not TLS. */
  canWriteEof(): boolean {
    return (
      typeof (this.transport as Partial<IHalfCloseableTransport>).loseWriteConnection === 'function' &&
      !isTLSTransport(this.transport)
    );
  }

  /**
   * Wait until the transport's write buffer is below its high-water mark:
   * resolves at once unless it is over (writing paused), then at
   * `resumeWriting()`. Concurrent drains wait and resolve together. Once
   * the connection is lost (before or during the wait), rejects with the
   * loss (`ConnectionDone` / `ConnectionLost`, both `ConnectionError`s).
   */
  drain(): Promise<void> {
    return this.#protocol._drainHelper();
  }

  /** Close the connection after the buffered data is sent (`loseConnection()`). */
  close(): void {
    this.transport.loseConnection();
  }

  /** True once `close()` was called or the connection is lost. */
  isClosing(): boolean {
    return this.transport.disconnecting || this.#protocol._lostReason() !== null;
  }

  /** Resolves after connectionLost; rejects with the loss's error unless it was a clean `ConnectionDone`. */
  waitClosed(): Promise<void> {
    return this.#protocol._closedPromise();
  }

  /**
   * Upgrade the connection to TLS in place: drains, calls the transport's
   * `startTLS(contextFactory)`, and resolves after the handshake. Rejects
   * with `SSLError` (a failed handshake, or `reason 'timeout'` after
   * `sslHandshakeTimeout` seconds, then the connection is aborted), or
   * `RuntimeError` when the transport cannot start TLS (not a TCP
   * connection, already TLS).
   */
  startTls(
    contextFactory: IOpenSSLClientConnectionCreator | IOpenSSLServerConnectionCreator,
    opts: StartTlsOptions = {},
  ): Promise<void> {
    return handled(this.#startTls(contextFactory, opts));
  }

  async #startTls(
    contextFactory: IOpenSSLClientConnectionCreator | IOpenSSLServerConnectionCreator,
    opts: StartTlsOptions,
  ): Promise<void> {
    const timeout = opts.sslHandshakeTimeout === undefined ? SSL_HANDSHAKE_TIMEOUT : opts.sslHandshakeTimeout;
    if (timeout !== null) checkDelay('opts.sslHandshakeTimeout', timeout);
    const t = this.transport as ITransport & { startTLS?: (cf: unknown) => void };
    if (typeof t.startTLS !== 'function') throw new RuntimeError('This transport does not support startTls()');
    if (isTLSTransport(t)) throw new RuntimeError('The transport is already using TLS');
    await this.drain();
    this.#protocol._resetHandshake();
    const done = this.#protocol._handshakePromise();
    t.startTLS(contextFactory);
    await awaitHandshake(done, timeout, clockOf(this.#clock), this.transport);
  }

  /**
   * Information about the connection (asyncio's `get_extra_info`):
   * `'peername'` and `'sockname'` (`[host, port]`, or a UNIX path),
   * `'peercert'` (`Certificate | null`, TLS only), `'cipher'` (TLS only),
   * `'ssl_object'` (the `ISSLTransport`, TLS only), `'socket'` (the
   * transport). Anything else, or a TLS key on a plain connection:
   * `defaultValue` (default null, as asyncio's None).
   */
  getExtraInfo(name: string, defaultValue: unknown = null): unknown {
    const t = this.transport;
    const tls = isTLSTransport(t);
    switch (name) {
      case 'peername':
        return tryAddr(() => t.getPeer(), defaultValue);
      case 'sockname':
        return tryAddr(() => t.getHost(), defaultValue);
      case 'peercert':
        return tls ? (t as ISSLTransport).getPeerCertificate() : defaultValue;
      case 'cipher':
        return tls ? ((t as ISSLTransport).getCipher() ?? defaultValue) : defaultValue;
      case 'ssl_object':
        return tls ? t : defaultValue;
      case 'socket':
        return t;
      default:
        return defaultValue;
    }
  }

  /** `close()`, then `waitClosed()`: for `await using writer = ...`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  /** A description for debugging. */
  toString(): string {
    return `<StreamWriter transport=${this.transport.constructor.name}${this.#reader === null ? '' : ` reader=${this.#reader}`}>`;
  }
}

function tryAddr(get: () => IAddress, defaultValue: unknown): unknown {
  try {
    return addressInfo(get());
  } catch {
    return defaultValue;
  }
}

/**
 * Wait for `done` (a handshake), at most `timeout` seconds on `clock`; on
 * timeout abort `transport` and reject with `SSLError('timeout')`. @internal
 */
export function awaitHandshake(
  done: Promise<void>,
  timeout: number | null,
  clock: IReactorTime,
  transport: ITransport,
): Promise<void> {
  if (timeout === null) return done;
  return new Promise<void>((resolve, reject) => {
    const timer = clock.callLater(timeout, () => {
      reject(
        new SSLError('timeout', { message: `The TLS handshake did not finish within ${timeout} seconds`, verifyError: null }),
      );
      const a = transport as { abortConnection?: () => void };
      if (typeof a.abortConnection === 'function') a.abortConnection();
      else transport.loseConnection();
    });
    done.then(
      () => {
        if (timer.active()) timer.cancel();
        resolve();
      },
      (err: unknown) => {
        if (timer.active()) timer.cancel();
        reject(err);
      },
    );
  });
}
