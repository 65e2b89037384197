/**
 * asyncio's `start_server` / `start_unix_server` and its `Server`
 * (`StreamServer` here): listen, and call a callback with a
 * `(reader, writer)` pair for every client.
 * @module
 */
import type { Failure } from '../../defer/failure';
import type { IAddress } from '../../interfaces/address';
import type { IListeningPort } from '../../interfaces/connector';
import type { IReactor } from '../../interfaces';
import type { IStreamServerEndpoint } from '../../interfaces/endpoints';
import type { IOpenSSLServerConnectionCreator } from '../../interfaces/tls';
import type { IReactorTime } from '../../interfaces/time';
import type { ITCPTransport } from '../../interfaces/transport';
import type { ListenUNIXOptions } from '../../interfaces/unix';
import type { IProtocolFactory } from '../../interfaces/protocol';
import { Logger } from '../../logger';
import { TLSMemoryBIOFactory } from '../../protocols/tls';
import { RuntimeError } from '../../errors';
import { Factory } from '../../protocol/factory';
import { checkServerCreator } from '../../ssl/options';
import { getGlobalReactor } from '../../task/default-reactor';
import { ArgTypeError, checkCount, checkDelay, checkFunction, checkPort, checkString, describe } from '../../validate';
import { handled } from './options';
import { StreamReader } from './stream-reader';
import { type ClientConnectedCallback, StreamReaderProtocol } from './stream-reader-protocol';
import { SSL_HANDSHAKE_TIMEOUT } from './stream-writer';

const log = new Logger('torsion.streams');

/** Options of {@link startServer} and {@link startUnixServer}. */
export interface StartServerOptions {
  /** The reactor to listen with; default the global reactor. */
  reactor?: IReactor;
  /** Each reader's buffer limit, default 65536. */
  limit?: number;
  /** Listen backlog, default 50 (as listenTCP). */
  backlog?: number;
  /** TLS server options (`CertificateOptions`): every connection runs TLS; the callback runs after its handshake. */
  ssl?: IOpenSSLServerConnectionCreator | null;
  /** Seconds a client's TLS handshake may take (default 60; null = no limit); then the connection is aborted. */
  sslHandshakeTimeout?: number | null;
}

/** The protocol of a server connection: tells its server when it ends. */
class ServerStreamProtocol extends StreamReaderProtocol {
  constructor(
    reader: StreamReader,
    cb: ClientConnectedCallback,
    clock: IReactorTime | undefined,
    readonly server: StreamServer,
  ) {
    super(reader, cb, { reactor: clock });
  }
  override connectionMade(): void {
    this.server._attach(this);
    super.connectionMade();
  }
  override connectionLost(reason: Failure): void {
    try {
      super.connectionLost(reason);
    } finally {
      this.server._detach(this);
    }
  }
}

class StreamServerFactory extends Factory<StreamReaderProtocol> {
  readonly server = new StreamServer();
  constructor(
    readonly cb: ClientConnectedCallback,
    readonly limit: number | undefined,
    readonly clock: IReactorTime | undefined,
    readonly tls: { timeout: number | null } | null,
  ) {
    super();
  }
  override buildProtocol(_addr: IAddress): StreamReaderProtocol {
    const p = new ServerStreamProtocol(
      new StreamReader({ limit: this.limit, reactor: this.clock }),
      this.cb,
      this.clock,
      this.server,
    );
    if (this.tls !== null) p._callbackAfterHandshake(this.tls.timeout);
    return p;
  }
}

/**
 * A listening stream server (asyncio's `Server`), made by
 * {@link startServer} / {@link startUnixServer}.
 *
 * - `close()` stops listening; the clients already connected stay
 *   connected (asyncio's rule). `closeClients()` closes them
 *   (`loseConnection`, flushing), `abortClients()` drops them.
 * - `waitClosed()` resolves once `close()` was called, the port has
 *   stopped and every client connection has ended.
 * - `await using server = await startServer(...)` closes and waits at the
 *   end of the scope.
 */
export class StreamServer implements AsyncDisposable {
  #port: IListeningPort | null = null;
  #serving = true;
  #clients = new Set<StreamReaderProtocol>();
  #stopped: Promise<void> | null = null;
  #idle: Array<() => void> = [];

  /** The listening port. */
  get port(): IListeningPort {
    if (this.#port === null) throw new RuntimeError('The server is not listening yet');
    return this.#port;
  }

  /** @internal */
  _setPort(port: IListeningPort): void {
    this.#port = port;
  }

  /** The address listened on (the real port when port 0 was asked for). */
  getHost(): IAddress {
    return this.port.getHost();
  }

  /** True until `close()`. */
  isServing(): boolean {
    return this.#serving;
  }

  /** How many client connections are open. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Stop listening (idempotent); connected clients are left alone. */
  close(): void {
    if (!this.#serving) return;
    this.#serving = false;
    let d: Promise<void>;
    try {
      d = Promise.resolve(this.port.stopListening() as PromiseLike<void>);
    } catch (err) {
      d = Promise.reject(err);
    }
    this.#stopped = handled(
      d.then(undefined, (err: unknown) => {
        log.warn(`stopListening failed: ${String((err as Error)?.message ?? err)}`);
      }),
    );
    this.#wake();
  }

  /** Close every client connection (`loseConnection()`: buffered data is sent first). */
  closeClients(): void {
    for (const p of [...this.#clients]) p.transport?.loseConnection();
  }

  /** Drop every client connection at once (`abortConnection()`, or `loseConnection()` where it cannot). */
  abortClients(): void {
    for (const p of [...this.#clients]) {
      const t = p.transport as Partial<ITCPTransport> | null;
      if (typeof t?.abortConnection === 'function') t.abortConnection();
      else t?.loseConnection?.();
    }
  }

  /** Resolves once `close()` was called, the port has stopped and every client connection has ended. */
  waitClosed(): Promise<void> {
    return handled(this.#waitClosed());
  }

  async #waitClosed(): Promise<void> {
    while (this.#stopped === null || this.#clients.size > 0) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
    await this.#stopped;
  }

  /** `close()`, then `waitClosed()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  /** @internal */
  _attach(p: StreamReaderProtocol): void {
    this.#clients.add(p);
  }

  /** @internal */
  _detach(p: StreamReaderProtocol): void {
    this.#clients.delete(p);
    this.#wake();
  }

  #wake(): void {
    const w = this.#idle;
    this.#idle = [];
    for (const f of w) f();
  }

  /** A description for debugging. */
  toString(): string {
    return `<StreamServer ${this.#port === null ? '(not listening)' : String(this.getHost())}${this.#serving ? '' : ' closed'} clients=${this.#clients.size}>`;
  }
}

function isServerEndpoint(x: unknown): x is IStreamServerEndpoint {
  return x !== null && typeof x === 'object' && typeof (x as { listen?: unknown }).listen === 'function';
}

function checkServerOpts(opts: unknown): asserts opts is StartServerOptions {
  if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
  const o = opts as StartServerOptions;
  if (o.backlog !== undefined) checkCount('opts.backlog', o.backlog, 0);
  if (o.sslHandshakeTimeout !== undefined && o.sslHandshakeTimeout !== null)
    checkDelay('opts.sslHandshakeTimeout', o.sslHandshakeTimeout);
  if (o.ssl !== undefined && o.ssl !== null) checkServerCreator('opts.ssl', o.ssl);
}

function makeFactory(
  cb: ClientConnectedCallback,
  opts: StartServerOptions,
  clock: IReactorTime | undefined,
): StreamServerFactory {
  new StreamReader({ limit: opts.limit });
  const tls = opts.ssl
    ? { timeout: opts.sslHandshakeTimeout === undefined ? SSL_HANDSHAKE_TIMEOUT : opts.sslHandshakeTimeout }
    : null;
  return new StreamServerFactory(cb, opts.limit, clock, tls);
}

/**
 * Listen on `host:port` (asyncio's `start_server`; `port` 0 picks one —
 * read it from `server.getHost()`) and call `cb(reader, writer)` for
 * every client. `host` `''` listens on all IPv4 interfaces, `'::'` on all
 * IPv6 ones. With an endpoint instead of `host, port`, listens on it
 * (only `limit` applies). What `cb` throws or rejects is logged and that
 * client's connection closed.
 *
 * @example
 * ```ts
 * const server = await startServer(async (reader, writer) => {
 *   for await (const line of reader) writer.write(line);
 *   writer.close();
 * }, '127.0.0.1', 0);
 * const port = (server.getHost() as IPv4Address).port;
 * ```
 */
export function startServer(
  cb: ClientConnectedCallback,
  host: string,
  port: number,
  opts?: StartServerOptions,
): Promise<StreamServer>;
/** Listen on `endpoint`, calling `cb(reader, writer)` for every client. */
export function startServer(
  cb: ClientConnectedCallback,
  endpoint: IStreamServerEndpoint,
  opts?: { limit?: number },
): Promise<StreamServer>;
export function startServer(
  cb: ClientConnectedCallback,
  hostOrEndpoint: string | IStreamServerEndpoint,
  portOrOpts?: number | { limit?: number },
  maybeOpts?: StartServerOptions,
): Promise<StreamServer> {
  try {
    checkFunction('cb', cb);
    if (isServerEndpoint(hostOrEndpoint)) {
      const opts = (portOrOpts ?? {}) as { limit?: number };
      checkServerOpts(opts);
      const ep = hostOrEndpoint;
      const r = (ep as { reactor?: Partial<IReactorTime> }).reactor;
      const clock = r !== undefined && typeof r?.callLater === 'function' ? (r as IReactorTime) : undefined;
      const factory = makeFactory(cb, opts, clock);
      return handled(
        Promise.resolve(ep.listen(factory) as PromiseLike<IListeningPort>).then((p) => {
          factory.server._setPort(p);
          return factory.server;
        }),
      );
    }
    checkString('host', hostOrEndpoint);
    checkPort('port', portOrOpts);
    const opts = maybeOpts ?? {};
    checkServerOpts(opts);
    const reactor = opts.reactor ?? getGlobalReactor();
    const factory = makeFactory(cb, opts, reactor);
    const listenOpts = { backlog: opts.backlog ?? 50, interface: hostOrEndpoint };
    const p = opts.ssl
      ? reactor.listenSSL(portOrOpts, factory, opts.ssl, listenOpts)
      : reactor.listenTCP(portOrOpts, factory, listenOpts);
    factory.server._setPort(p);
    return Promise.resolve(factory.server);
  } catch (err) {
    return handled(Promise.reject(err));
  }
}

/**
 * Listen on the UNIX socket `path` (asyncio's `start_unix_server`) and
 * call `cb(reader, writer)` for every client. `mode` and `wantPID` are
 * listenUNIX's options.
 */
export function startUnixServer(
  cb: ClientConnectedCallback,
  path: string,
  opts: StartServerOptions & ListenUNIXOptions = {},
): Promise<StreamServer> {
  try {
    checkFunction('cb', cb);
    checkString('path', path);
    checkServerOpts(opts);
    const reactor = opts.reactor ?? getGlobalReactor();
    const factory = makeFactory(cb, opts, reactor);
    const listenOpts: ListenUNIXOptions = { backlog: opts.backlog ?? 50 };
    if (opts.mode !== undefined) listenOpts.mode = opts.mode;
    if (opts.wantPID !== undefined) listenOpts.wantPID = opts.wantPID;
    // TLS over a UNIX socket: the same TLS layer listenSSL uses.
    const wrapped: IProtocolFactory = opts.ssl ? new TLSMemoryBIOFactory(opts.ssl, false, factory, reactor) : factory;
    const p = reactor.listenUNIX(path, wrapped, listenOpts);
    factory.server._setPort(p);
    return Promise.resolve(factory.server);
  } catch (err) {
    return handled(Promise.reject(err));
  }
}
