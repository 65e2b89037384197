/**
 * lsst.ts.tcpip's `OneClientServer` and `OneClientReadLoopServer`: a TCP
 * server that serves one client at a time, with lsst's read/write methods
 * on that client's connection.
 * @module
 */
import { Failure } from '../../defer/failure';
import { ConnectionError, IncompleteReadError, RuntimeError } from '../../errors';
import type { IAddress } from '../../interfaces/address';
import type { IStreamServerEndpoint } from '../../interfaces/endpoints';
import type { IListeningPort } from '../../interfaces/connector';
import type { IReactorTime } from '../../interfaces/time';
import type { IOpenSSLServerConnectionCreator } from '../../interfaces/tls';
import type { IProtocol } from '../../interfaces/protocol';
import { Factory } from '../../protocol/factory';
import { Protocol } from '../../protocol/protocol';
import { getGlobalReactor } from '../../task/default-reactor';
import { ArgTypeError, checkCount, checkPort, checkString, describe } from '../../validate';
import { handled } from '../asyncio/options';
import { SSL_HANDSHAKE_TIMEOUT, awaitHandshake } from '../asyncio/stream-writer';
import {
  type BaseClientOrServerOptions,
  BaseClientOrServer,
  type LsstReactor,
  type LsstStreamProtocol,
  type Settable,
  settable,
} from './base';

/** Options of {@link OneClientServer}. */
export interface OneClientServerOptions extends BaseClientOrServerOptions<OneClientServer> {
  /** The listen backlog (default 50). */
  backlog?: number;
  /** Serve TLS with this server connection creator (e.g. `CertificateOptions`); default plain TCP. */
  ssl?: IOpenSSLServerConnectionCreator | null;
  /** Listen on this endpoint instead of `host:port`. */
  endpoint?: IStreamServerEndpoint | null;
}

/** Closes a connection as soon as it is made (a second client). */
class Refused extends Protocol {
  override connectionMade(): void {
    this.transport?.loseConnection();
  }
}

/**
 * A server for one client at a time (lsst.ts.tcpip's `OneClientServer`).
 * The constructor validates and starts listening; `startTask` resolves once
 * listening (then `port` is the real port when 0 was given). The first
 * client is accepted: `connectedTask` resolves and the callback runs;
 * while it is connected, further clients are closed at once with an error
 * log. When the client leaves (or is closed), `connectedTask` is replaced
 * by a new pending one for the next client.
 *
 * @example
 * ```ts
 * const server = new OneClientServer('127.0.0.1', 0, { connectCallback: (s) => console.log(s.connected) });
 * await server.startTask;
 * console.log(server.port);           // the port picked
 * await server.connectedTask;          // a client came
 * console.log(await server.readStr());
 * await server.close();
 * ```
 */
export class OneClientServer extends BaseClientOrServer {
  /** The interface to listen on; null = all (IPv4) interfaces. */
  readonly host: string | null;
  /** The port: as given, then the real one once `startTask` resolved. */
  port: number;
  #server: IListeningPort | null = null;
  #connected: Settable = settable();
  readonly #opts: OneClientServerOptions;
  #started = false;
  #closed = false;
  #reactor: LsstReactor | null = null;
  /** The protocol of the client being served (also while its handshake runs). */
  #current: LsstStreamProtocol | null = null;

  /**
   * @param host - the interface to listen on (`null`: all IPv4 interfaces; `'::'` all IPv6 ones).
   * @param port - the port; 0 picks a free one.
   * @param opts - see {@link OneClientServerOptions}.
   * @throws TypeError/RangeError for a bad argument or option, naming it.
   */
  constructor(host: string | null, port: number, opts: OneClientServerOptions = {}) {
    if (host !== null) checkString('host', host);
    checkPort('port', port);
    super(opts as BaseClientOrServerOptions<never>);
    if (opts.backlog !== undefined) checkCount('backlog', opts.backlog);
    if (
      opts.endpoint !== undefined &&
      opts.endpoint !== null &&
      typeof (opts.endpoint as Partial<IStreamServerEndpoint>).listen !== 'function'
    ) {
      throw new ArgTypeError(`endpoint must be a server endpoint, got ${describe(opts.endpoint)}`);
    }
    if (
      opts.ssl !== undefined &&
      opts.ssl !== null &&
      typeof (opts.ssl as Partial<IOpenSSLServerConnectionCreator>).serverConnectionForTLS !== 'function'
    ) {
      throw new ArgTypeError(`ssl must be a server TLS connection creator, got ${describe(opts.ssl)}`);
    }
    this.host = host;
    this.port = port;
    this.#opts = opts;
    this._begin();
  }

  /** The listening port, once listening; null before and after. */
  get server(): IListeningPort | null {
    return this.#server;
  }

  /** Resolves when a client connects; replaced by a new pending one after each client leaves. */
  get connectedTask(): Promise<void> {
    return this.#connected.promise;
  }
  set connectedTask(value: Promise<void>) {
    // lsst code assigns a fresh future; keep it usable as ours.
    const s = settable();
    value.then(
      () => s.resolve(),
      (err: unknown) => s.reject(err),
    );
    this.#connected = s;
  }

  /** @internal */
  protected override _clock(): IReactorTime {
    return this.#getReactor();
  }

  #getReactor(): LsstReactor {
    this.#reactor ??= this._reactorOption ?? (getGlobalReactor() as unknown as LsstReactor);
    return this.#reactor;
  }

  /**
   * Start listening (called by the constructor). Resolves once listening.
   * @throws RuntimeError (as a rejection) when called a second time; CannotListenError.
   */
  async start(): Promise<void> {
    if (this.#started) throw new RuntimeError('Start already called');
    this.#started = true;
    const opts = this.#opts;
    const reactor = this.#getReactor();
    const factory = new Factory();
    factory.buildProtocol = (_addr: IAddress): IProtocol => this.#buildProtocol();
    let port: IListeningPort;
    if (opts.endpoint !== undefined && opts.endpoint !== null) port = await opts.endpoint.listen(factory);
    else {
      const listenOpts = { interface: this.host ?? '', ...(opts.backlog === undefined ? {} : { backlog: opts.backlog }) };
      if (opts.ssl !== undefined && opts.ssl !== null) {
        if (typeof reactor.listenSSL !== 'function')
          throw new ArgTypeError('reactor cannot listenSSL; give a reactor with IReactorSSL for ssl');
        port = reactor.listenSSL(this.port, factory, opts.ssl, listenOpts);
      } else port = reactor.listenTCP(this.port, factory, listenOpts);
    }
    this.#server = port;
    const addr = port.getHost() as { port?: unknown };
    if (typeof addr.port === 'number') this.port = addr.port;
    if (this.#closed) {
      await port.stopListening();
      this.#server = null;
    }
  }

  #buildProtocol(): IProtocol {
    if (this.#current !== null || this.#closed) {
      this.log.error(
        `${this.name === '' ? '' : `${this.name}: `}Rejecting connection; a client is already connected${this.#closed ? ' (the server is closed)' : ''}`,
      );
      return new Refused();
    }
    const protocol = this._newProtocol();
    this.#current = protocol;
    const makeConnection = protocol.makeConnection.bind(protocol);
    protocol.makeConnection = (transport) => {
      makeConnection(transport);
      handled(this.#accept(protocol)).catch((err: unknown) => {
        this.log.failure('Accepting a client failed', Failure.from(err));
      });
    };
    return protocol;
  }

  async #accept(protocol: LsstStreamProtocol): Promise<void> {
    if (this.#opts.ssl !== undefined && this.#opts.ssl !== null && protocol.transport !== null) {
      try {
        await awaitHandshake(protocol._handshakePromise(), SSL_HANDSHAKE_TIMEOUT, this._clock(), protocol.transport);
      } catch (err) {
        this.log.warn(`TLS handshake with a client failed: ${String(err)}`);
        if (this.#current === protocol) this.#current = null;
        return;
      }
    }
    if (this.#current !== protocol) return;
    this._attach(protocol);
    this.shouldBeConnected = true;
    this._startMonitor();
    this.#connected.resolve();
    this.#onClientConnected();
    await this.callConnectCallback();
    this._checkConnection();
  }

  /** Hook for {@link OneClientReadLoopServer}: a client was accepted. @internal */
  protected _clientConnected(): void {}

  #onClientConnected(): void {
    this._clientConnected();
  }

  /** @internal */
  protected override async _handleLoss(): Promise<void> {
    await this.basicCloseClient();
  }

  /**
   * Close the client's connection (flushing), call the callback if it was
   * connected, and make a new `connectedTask` for the next client. Keeps
   * `shouldBeConnected` and the monitor (lsst's `basic_close_client`).
   */
  async basicCloseClient(): Promise<void> {
    const current = this.#current;
    if (current === null) return;
    try {
      await this._closeStreams();
    } finally {
      if (this.#current === current) {
        this.#current = null;
        await this.callConnectCallback();
        this._detach();
        this.#connected = settable();
      }
    }
  }

  /** `shouldBeConnected = false`, stop the monitor, then {@link OneClientServer.basicCloseClient}. */
  async closeClient(): Promise<void> {
    this.shouldBeConnected = false;
    this._stopMonitor();
    await this.basicCloseClient();
  }

  /** Stop listening, close the client, then `doneTask` resolves. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const server = this.#server;
    this.#server = null;
    try {
      if (server !== null) await server.stopListening();
    } finally {
      await this.closeClient();
      this._setDone();
    }
  }

  /** A description for debugging. */
  override toString(): string {
    return `<OneClientServer ${this.name === '' ? '' : `${this.name} `}${this.host ?? '*'}:${this.port}${this.connected ? ' connected' : ''}>`;
  }
}

/**
 * A {@link OneClientServer} that calls {@link OneClientReadLoopServer.readAndDispatch}
 * in a loop while a client is connected (lsst.ts.tcpip's
 * `OneClientReadLoopServer`). Anything it throws is logged (an
 * `IncompleteReadError` or `ConnectionError` at debug, as the client
 * simply left) and closes that client; the server waits for the next.
 *
 * @example
 * ```ts
 * class Echo extends OneClientReadLoopServer {
 *   async readAndDispatch(): Promise<void> {
 *     await this.writeStr(await this.readStr());
 *   }
 * }
 * ```
 */
export abstract class OneClientReadLoopServer extends OneClientServer {
  /** Read one message from the client and act on it; called in a loop while connected. */
  abstract readAndDispatch(): Promise<void>;

  /** @internal */
  protected override _clientConnected(): void {
    handled(this.#readLoop());
  }

  async #readLoop(): Promise<void> {
    try {
      while (this.connected) await this.readAndDispatch();
    } catch (err) {
      const gone = err instanceof IncompleteReadError || err instanceof ConnectionError;
      if (gone) this.log.debug(`read loop ended: ${String(err)}`);
      else this.log.failure('read loop failed; closing the client', Failure.from(err));
      await this.basicCloseClient();
    }
  }
}
