/**
 * EasyNetwork's `AsyncTCPNetworkClient` on the reactor: a lazy connection
 * (HostnameEndpoint, or any client endpoint), optional TLS, fair senders and
 * receivers, and packets parsed by a `StreamProtocol` as receivers ask.
 * @module
 */
import type { IPv4Address, IPv6Address } from '../../address';
import type { Deferred } from '../../defer/deferred';
import type { Failure } from '../../defer/failure';
import { TimeoutError as DeferTimeoutError } from '../../defer/errors';
import { HostnameEndpoint } from '../../endpoints/hostname';
import { ConnectAttemptsFailedError } from '../../endpoints/errors';
import { wrapClientTLS } from '../../endpoints/ssl';
import { connectTCPEndpoint } from '../../endpoints/tcp';
import {
  ClientClosedError,
  ConnectionDone,
  ConnectionLost,
  IncompleteReadError,
  RuntimeError,
  SSLError,
  TimeoutError,
} from '../../errors';
import type { IReactor } from '../../interfaces';
import type { IStreamClientEndpoint } from '../../interfaces/endpoints';
import type { IProtocol } from '../../interfaces/protocol';
import type { IDelayedCall } from '../../interfaces/time';
import type { IOpenSSLClientConnectionCreator } from '../../interfaces/tls';
import type { ITCPTransport, ITransport } from '../../interfaces/transport';
import { Factory } from '../../protocol/factory';
import type { BufferedStreamProtocol, StreamProtocol } from '../protocol';
import { Protocol } from '../../protocol/protocol';
import { optionsForClientTLS } from '../../ssl/options';
import { getGlobalReactor } from '../../task/default-reactor';
import { ArgRangeError, ArgTypeError, checkCount, checkPort, checkString, describe } from '../../validate';
import {
  type BufferedStreamProtocolLike,
  Deadline,
  FairLock,
  type ReadOptions,
  type StreamProtocolLike,
  checkOptionalDelay,
  checkReadOptions,
  checkStreamProtocol,
  handled,
  isBufferedStreamProtocol,
} from './common';
import { BufferConsumer, ChunkConsumer, NONE, SerializerCrash, type StreamConsumer } from './stream-consumer';

/** An IPv4 or IPv6 address (EasyNetwork's `SocketAddress`). */
export type SocketAddress = IPv4Address | IPv6Address;

/** The options of {@link AsyncTCPNetworkClient} given a `[host, port]` pair. */
export interface AsyncTCPNetworkClientOptions {
  /** The reactor; default: torsion's global reactor. */
  reactor?: IReactor;
  /** Bind the local end to this `[host, port]` first (the client's `bindAddress`). Default: none. */
  localAddress?: readonly [string, number] | null;
  /** Seconds between Happy Eyeballs attempts (RFC 8305). Default 0.25; `null`: one address at a time (`connectTCP`). */
  happyEyeballsDelay?: number | null;
  /** Seconds the whole connection may take (the TLS handshake has its own limit). Default 30; `null`: none. */
  connectTimeout?: number | null;
  /** TLS: `true` = `optionsForClientTLS(serverHostname ?? host)`, or client options of `torsion/ssl`. Default: none. */
  ssl?: boolean | IOpenSSLClientConnectionCreator | null;
  /** The name the server's certificate must carry (with `ssl: true`). Default: the host. `''` is refused. */
  serverHostname?: string | null;
  /** Seconds the TLS handshake may take. Default 60; `null`: none. */
  sslHandshakeTimeout?: number | null;
  /** Seconds `aclose()` waits for the TLS shutdown before it aborts. Default 30; `null`: no limit. */
  sslShutdownTimeout?: number | null;
  /** `true` (default): send and expect `close_notify`; `false`: close without it, and a peer's plain FIN is the end. */
  sslStandardCompatible?: boolean | null;
  /** The most bytes read (and fed to the parser) at a time. Default 16384. */
  maxRecvSize?: number | null;
}

/** The default {@link AsyncTCPNetworkClientOptions.maxRecvSize} (EasyNetwork's `MAX_STREAM_BUFSIZE`). */
export const DEFAULT_STREAM_BUFSIZE = 16384;
const DEFAULT_CONNECT_TIMEOUT = 30;
const DEFAULT_HAPPY_EYEBALLS_DELAY = 0.25;
const DEFAULT_SSL_HANDSHAKE_TIMEOUT = 60;
const DEFAULT_SSL_SHUTDOWN_TIMEOUT = 30;
/** Pause reading while this many times maxRecvSize bytes wait unread. */
const READ_HIGH_WATER_FACTOR = 4;

const ADDRESS_OPTIONS = [
  'localAddress',
  'happyEyeballsDelay',
  'connectTimeout',
  'ssl',
  'serverHostname',
  'sslHandshakeTimeout',
  'sslShutdownTimeout',
  'sslStandardCompatible',
] as const;
const TLS_ONLY = ['serverHostname', 'sslHandshakeTimeout', 'sslShutdownTimeout', 'sslStandardCompatible'] as const;

type State = 'idle' | 'connecting' | 'connected' | 'closing' | 'closed';

/** The events of the connection, as the client sees them. @internal */
interface StreamClientOwner {
  _onData(data: Buffer): void;
  _getBuffer(): Uint8Array;
  _bufferUpdated(nbytes: number): void;
  _onEof(): void;
  _onLost(reason: Failure): void;
  _onHandshake(): void;
  _onPauseWriting(): void;
  _onResumeWriting(): void;
}

/** The Protocol the client puts on the connection (copy path). @internal */
class StreamClientProtocol extends Protocol<ITransport> {
  constructor(readonly owner: StreamClientOwner) {
    super();
  }
  override dataReceived(data: Buffer): void {
    this.owner._onData(data);
  }
  /** The peer's EOF; the connection stays writable. @hidden */
  readConnectionLost(): void {
    this.owner._onEof();
  }
  /** Our FIN went out. @hidden */
  writeConnectionLost(): void {}
  override connectionLost(reason: Failure): void {
    this.owner._onLost(reason);
  }
  /** The TLS handshake is done. @hidden */
  handshakeCompleted(): void {
    this.owner._onHandshake();
  }
  /** @hidden */
  pauseWriting(): void {
    this.owner._onPauseWriting();
  }
  /** @hidden */
  resumeWriting(): void {
    this.owner._onResumeWriting();
  }
}

/** The Protocol for a BufferedStreamProtocol: the transport reads into the parser's buffer. @internal */
class BufferedStreamClientProtocol extends StreamClientProtocol {
  /** @hidden */
  getBuffer(_sizeHint: number): Uint8Array {
    return this.owner._getBuffer();
  }
  /** @hidden */
  bufferUpdated(nbytes: number): void {
    this.owner._bufferUpdated(nbytes);
  }
}

class SingleProtocolFactory extends Factory {
  constructor(readonly built: IProtocol) {
    super();
  }
  override buildProtocol(): IProtocol {
    return this.built;
  }
}

/**
 * A TCP client that sends and receives packets through a `StreamProtocol`
 * (EasyNetwork's `AsyncTCPNetworkClient`).
 *
 * - Nothing happens until {@link AsyncTCPNetworkClient.waitConnected} (or
 *   a send or receive, which call it): then the client connects, through a
 *   `HostnameEndpoint` (Happy Eyeballs) or the endpoint given, runs the TLS
 *   handshake when asked, and sets `TCP_NODELAY` and `SO_KEEPALIVE`.
 * - Senders are served one at a time in call order; so are receivers.
 * - A packet that cannot be parsed rejects that `recvPacket()` with
 *   `StreamProtocolParseError` and the stream goes on after it; a serializer
 *   that throws anything else aborts the connection, and that call and every
 *   later one reject with `RuntimeError('The serializer crashed')`.
 * - Every timer (connect, handshake, read timeouts) runs on the reactor's
 *   clock, so a `MemoryReactorClock` drives it in tests.
 *
 * @typeParam S - the packets sent.
 * @typeParam R - the packets received.
 * @example
 * ```ts
 * import { react } from 'torsion/task';
 * import { AsyncTCPNetworkClient, StreamProtocol, JSONSerializer } from 'torsion/packets';
 *
 * react(async (reactor) => {
 *   const client = new AsyncTCPNetworkClient(['localhost', 9000], new StreamProtocol(new JSONSerializer()), { reactor });
 *   await client.sendPacket({ hello: 'world' });
 *   console.log(await client.recvPacket({ timeout: 5 }));
 *   await client.aclose();
 * });
 * ```
 */
export class AsyncTCPNetworkClient<S, R> implements AsyncDisposable {
  /** The reactor the client runs on. */
  readonly reactor: IReactor;
  /** The most bytes read (and parsed) at a time. */
  readonly maxRecvSize: number;
  readonly #protocol: StreamProtocolLike<S, R>;
  readonly #endpoint: IStreamClientEndpoint | null;
  readonly #host: string;
  readonly #port: number;
  readonly #localAddress: [string, number] | null;
  readonly #happyEyeballsDelay: number | null;
  readonly #connectTimeout: number | null;
  readonly #ssl: IOpenSSLClientConnectionCreator | null;
  readonly #sslHandshakeTimeout: number | null;
  readonly #sslShutdownTimeout: number | null;
  readonly #sslStandardCompatible: boolean;

  #state: State = 'idle';
  #proto: StreamClientProtocol | null = null;
  #consumer: StreamConsumer<R>;
  #connecting: Promise<void> | null = null;
  #cancelConnect: ((reason: unknown) => void) | null = null;
  #closing: Promise<void> | null = null;
  #lostResolve: (() => void) | null = null;
  readonly #lost: Promise<void>;
  #loss: Failure | null = null;
  #crash: RuntimeError | null = null;
  #eof = false;
  #eofSent = false;
  #readPaused = false;
  #writePaused = false;
  #wakeReceiver: (() => void) | null = null;
  #drainWaiters: Array<() => void> = [];
  #handshakeWaiter: { resolve: () => void } | null = null;
  #localAddr: SocketAddress | null = null;
  #remoteAddr: SocketAddress | null = null;
  readonly #sendLock = new FairLock();
  readonly #recvLock = new FairLock();

  /**
   * @param address - `[host, port]` to connect to (a name or an IP literal).
   * @param protocol - the `StreamProtocol` (or `BufferedStreamProtocol`) that frames the packets.
   * @param opts - see {@link AsyncTCPNetworkClientOptions}.
   * @throws TypeError/RangeError for a bad address, protocol or option (nothing is connected).
   */
  constructor(
    address: readonly [host: string, port: number],
    // biome-ignore lint/suspicious/noExplicitAny: any buffer type the protocol lends
    protocol: StreamProtocol<S, R> | BufferedStreamProtocol<S, R, any>,
    opts?: AsyncTCPNetworkClientOptions,
  );
  /**
   * @param endpoint - a client endpoint that makes the connection (TLS included, if wanted).
   * @param protocol - the `StreamProtocol` (or `BufferedStreamProtocol`) that frames the packets.
   * @param opts - only `reactor` and `maxRecvSize`.
   * @throws TypeError/RangeError for a bad endpoint, protocol or option.
   */
  constructor(
    endpoint: IStreamClientEndpoint,
    // biome-ignore lint/suspicious/noExplicitAny: any buffer type the protocol lends
    protocol: StreamProtocol<S, R> | BufferedStreamProtocol<S, R, any>,
    opts?: Pick<AsyncTCPNetworkClientOptions, 'reactor' | 'maxRecvSize'>,
  );
  constructor(
    target: readonly [host: string, port: number] | IStreamClientEndpoint,
    // biome-ignore lint/suspicious/noExplicitAny: any buffer type the protocol lends
    protocol: StreamProtocol<S, R> | BufferedStreamProtocol<S, R, any>,
    opts: AsyncTCPNetworkClientOptions = {},
  ) {
    if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
    checkStreamProtocol('protocol', protocol);
    const o = opts;
    if (Array.isArray(target)) {
      if (target.length !== 2) throw new ArgTypeError(`address must be a [host, port] pair, got ${describe(target)}`);
      checkString('address[0]', target[0]);
      checkPort('address[1]', target[1]);
      this.#endpoint = null;
      this.#host = target[0];
      this.#port = target[1];
    } else if (target !== null && typeof target === 'object' && typeof (target as IStreamClientEndpoint).connect === 'function') {
      for (const name of ADDRESS_OPTIONS) {
        if (o[name] !== undefined && o[name] !== null) {
          throw new ArgTypeError(`${name} cannot be given with an endpoint (configure the endpoint instead)`);
        }
      }
      this.#endpoint = target as IStreamClientEndpoint;
      this.#host = '';
      this.#port = 0;
    } else {
      throw new ArgTypeError(`address must be a [host, port] pair or a client endpoint, got ${describe(target)}`);
    }
    const reactor = o.reactor ?? getGlobalReactor();
    if (reactor === null || typeof reactor !== 'object' || typeof (reactor as IReactor).callLater !== 'function') {
      throw new ArgTypeError(`reactor must be a reactor, got ${describe(reactor)}`);
    }
    this.reactor = reactor;
    const maxRecvSize = o.maxRecvSize ?? DEFAULT_STREAM_BUFSIZE;
    checkCount('maxRecvSize', maxRecvSize, 1);
    this.maxRecvSize = maxRecvSize;

    let local: [string, number] | null = null;
    if (o.localAddress !== undefined && o.localAddress !== null) {
      const la = o.localAddress;
      if (!Array.isArray(la) || la.length !== 2)
        throw new ArgTypeError(`localAddress must be a [host, port] pair, got ${describe(la)}`);
      checkString('localAddress[0]', la[0]);
      checkPort('localAddress[1]', la[1]);
      local = [la[0], la[1]];
    }
    this.#localAddress = local;
    this.#happyEyeballsDelay =
      o.happyEyeballsDelay === undefined
        ? DEFAULT_HAPPY_EYEBALLS_DELAY
        : checkOptionalDelay('happyEyeballsDelay', o.happyEyeballsDelay);
    this.#connectTimeout =
      o.connectTimeout === undefined ? DEFAULT_CONNECT_TIMEOUT : checkOptionalDelay('connectTimeout', o.connectTimeout);

    const ssl = o.ssl ?? null;
    if (ssl === null || ssl === false) {
      for (const name of TLS_ONLY) {
        if (o[name] !== undefined && o[name] !== null) throw new ArgRangeError(`${name} is only meaningful with ssl`);
      }
      this.#ssl = null;
    } else {
      const hostname = o.serverHostname ?? null;
      if (hostname !== null) {
        checkString('serverHostname', hostname);
        if (hostname === '') throw new ArgRangeError("serverHostname must not be '' (pass null to use the host)");
      }
      if (ssl === true) {
        this.#ssl = optionsForClientTLS(hostname ?? this.#host);
      } else if (
        typeof ssl === 'object' &&
        typeof (ssl as IOpenSSLClientConnectionCreator).clientConnectionForTLS === 'function'
      ) {
        this.#ssl = ssl;
      } else {
        throw new ArgTypeError(`ssl must be a boolean or TLS client options (optionsForClientTLS), got ${describe(ssl)}`);
      }
    }
    this.#sslHandshakeTimeout =
      o.sslHandshakeTimeout === undefined
        ? DEFAULT_SSL_HANDSHAKE_TIMEOUT
        : checkOptionalDelay('sslHandshakeTimeout', o.sslHandshakeTimeout);
    this.#sslShutdownTimeout =
      o.sslShutdownTimeout === undefined
        ? DEFAULT_SSL_SHUTDOWN_TIMEOUT
        : checkOptionalDelay('sslShutdownTimeout', o.sslShutdownTimeout);
    const compatible = o.sslStandardCompatible ?? true;
    if (typeof compatible !== 'boolean') {
      throw new ArgTypeError(`sslStandardCompatible must be a boolean, got ${describe(compatible)}`);
    }
    this.#sslStandardCompatible = compatible;

    this.#protocol = protocol as unknown as StreamProtocolLike<S, R>;
    this.#consumer = isBufferedStreamProtocol(this.#protocol)
      ? new BufferConsumer<R>(this.#protocol as BufferedStreamProtocolLike<unknown, R>, maxRecvSize)
      : new ChunkConsumer<R>(this.#protocol as StreamProtocolLike<unknown, R>, maxRecvSize);
    this.#lost = new Promise<void>((resolve) => {
      this.#lostResolve = resolve;
    });
  }

  /** The connection's transport once connected (a TLS transport with `ssl`), else null. */
  get transport(): ITCPTransport | null {
    return (this.#proto?.transport as ITCPTransport | null | undefined) ?? null;
  }

  /** Whether `waitConnected()` succeeded and the client has not closed since. */
  isConnected(): boolean {
    return this.#state === 'connected' && this.#crash === null;
  }

  /** Whether `aclose()` was called (or the serializer crashed, which closes the client). */
  isClosing(): boolean {
    return this.#state === 'closing' || this.#state === 'closed' || this.#crash !== null;
  }

  /**
   * Connect, if not done yet (concurrent callers share one attempt).
   * A `timeout` or `signal` that fires aborts the attempt and closes the
   * client, as cancelling EasyNetwork's `wait_connected()` does.
   * @returns resolves once connected (after the TLS handshake with `ssl`).
   * Rejects with the connect error (`ConnectionRefusedError`,
   * `DNSLookupError`, `TimeoutError` of `torsion/error` after
   * `connectTimeout` ...), `SSLError`, `ClientClosedError` after `aclose()`,
   * or the deadline's error (`torsion/defer`'s `TimeoutError`, `signal.reason`).
   */
  waitConnected(opts?: ReadOptions): Promise<void> {
    let o: ReadOptions;
    try {
      o = checkReadOptions(opts);
    } catch (err) {
      return handled(Promise.reject(err));
    }
    return handled(
      this.#waitConnected(o.timeout === undefined && o.signal === undefined ? null : new Deadline(this.reactor, o), true),
    );
  }

  async #waitConnected(deadline: Deadline | null, dispose: boolean): Promise<void> {
    try {
      if (this.#crash !== null) throw this.#crash;
      if (this.#state === 'connected') return;
      if (this.#state === 'closing' || this.#state === 'closed') throw new ClientClosedError();
      if (this.#connecting === null) this.#connecting = handled(this.#connect());
      if (deadline === null) return await this.#connecting;
      const onExpire = (reason: unknown) => {
        this.#cancelConnect?.(reason);
        this.#closeNow();
      };
      deadline.onExpire(onExpire);
      try {
        await deadline.race(this.#connecting);
      } finally {
        deadline.offExpire(onExpire);
      }
    } finally {
      if (dispose) deadline?.dispose();
    }
  }

  async #connect(): Promise<void> {
    this.#state = 'connecting';
    const proto = isBufferedStreamProtocol(this.#protocol)
      ? new BufferedStreamClientProtocol(this)
      : new StreamClientProtocol(this);
    const endpoint = this.#endpoint ?? this.#makeEndpoint();
    let d: Deferred<IProtocol>;
    let timer: IDelayedCall | null = null;
    const connected = new Promise<void>((resolve, reject) => {
      this.#cancelConnect = (reason: unknown) => {
        reject(reason);
        d?.cancel();
        (proto.transport as Partial<ITCPTransport> | null)?.abortConnection?.();
      };
      d = endpoint.connect(new SingleProtocolFactory(proto));
      d.addCallbacks(
        () => resolve(),
        (f: Failure) => {
          reject(unwrapConnectError(f.value));
          return null;
        },
      );
      const timeout = this.#connectTimeout;
      if (timeout !== null && this.#endpoint === null) {
        timer = this.reactor.callLater(timeout, () => {
          timer = null;
          this.#cancelConnect?.(new TimeoutError(`Connection timed out after ${timeout} seconds`));
        });
      }
    });
    handled(connected);
    try {
      await connected;
      if (this.#state !== 'connecting') throw new ClientClosedError();
      this.#proto = proto;
      if (this.#ssl !== null) await this.#handshake(proto);
    } catch (err) {
      this.#connecting = null;
      if (this.#state === 'connecting') this.#state = 'idle';
      if (proto.transport !== null) (proto.transport as Partial<ITCPTransport>).abortConnection?.();
      this.#proto = null;
      throw err;
    } finally {
      if (timer !== null && (timer as IDelayedCall).active()) (timer as IDelayedCall).cancel();
      this.#cancelConnect = null;
    }
    const t = proto.transport!;
    const tcp = tcpTransportOf(t);
    if (tcp !== null) {
      tcp.setTcpNoDelay(true);
      tcp.setTcpKeepAlive(true);
    }
    try {
      this.#localAddr = t.getHost() as SocketAddress;
      this.#remoteAddr = t.getPeer() as SocketAddress;
    } catch {
      // Addresses stay unknown (a transport that cannot tell).
    }
    this.#state = 'connected';
  }

  #makeEndpoint(): IStreamClientEndpoint {
    const reactor = this.reactor;
    let base: IStreamClientEndpoint;
    if (this.#happyEyeballsDelay === null) {
      const host = this.#host;
      const port = this.#port;
      const options = { timeout: this.#connectTimeout, bindAddress: this.#localAddress };
      base = { connect: (factory) => connectTCPEndpoint(reactor, host, port, factory, options) };
    } else {
      base = new HostnameEndpoint(reactor, this.#host, this.#port, {
        attemptDelay: this.#happyEyeballsDelay,
        timeout: this.#connectTimeout,
        bindAddress: this.#localAddress,
      });
    }
    return this.#ssl === null ? base : wrapClientTLS(this.#ssl, base);
  }

  #handshake(proto: StreamClientProtocol): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: IDelayedCall | null = null;
      const timeout = this.#sslHandshakeTimeout;
      const done = () => {
        if (timer !== null && timer.active()) timer.cancel();
        this.#handshakeWaiter = null;
      };
      this.#handshakeWaiter = {
        resolve: () => {
          done();
          resolve();
        },
      };
      const previousCancel = this.#cancelConnect;
      this.#cancelConnect = (reason) => {
        done();
        reject(reason);
        previousCancel?.(reason);
      };
      this.#onHandshakeFailed = (err) => {
        done();
        reject(err);
      };
      if (timeout !== null) {
        timer = this.reactor.callLater(timeout, () => {
          timer = null;
          done();
          reject(new SSLError('timeout', { message: `The TLS handshake did not complete within ${timeout} seconds` }));
          (proto.transport as Partial<ITCPTransport> | null)?.abortConnection?.();
        });
      }
    });
  }
  #onHandshakeFailed: ((err: unknown) => void) | null = null;

  /**
   * Send one packet: serialize it with `generateChunks`, write the chunks,
   * then wait until the transport's buffer is below its high-water mark.
   * Connects first if needed. A serializer error rejects this call (the
   * connection carries on, nothing was written).
   * @returns rejects with `ClientClosedError` after `aclose()`,
   * `RuntimeError` after `sendEof()`, the loss once the connection is lost,
   * `signal.reason` when aborted (bytes already written may have left).
   */
  sendPacket(packet: S, opts?: { signal?: AbortSignal }): Promise<void> {
    let o: ReadOptions;
    try {
      o = checkReadOptions(opts);
      if (o.timeout !== undefined) throw new ArgTypeError('sendPacket takes no timeout (use a signal)');
    } catch (err) {
      return handled(Promise.reject(err));
    }
    if (o.signal === undefined && this.#state === 'connected' && this.#sendLock.tryAcquire()) {
      return this.#sendNow(packet);
    }
    return handled(this.#send(packet, o.signal === undefined ? null : new Deadline(this.reactor, o)));
  }

  // The common case (connected, no signal, nobody sending): write at once,
  // without the microtask hops of #send. Called with the send lock held.
  #sendNow(packet: S): Promise<void> {
    try {
      this.#writeChunks(packet);
      if (!this.#writePaused) {
        this.#checkSendable();
        this.#sendLock.release();
        return Promise.resolve();
      }
    } catch (err) {
      this.#sendLock.release();
      return handled(Promise.reject(err));
    }
    return handled(
      this.#drain(null).finally(() => {
        this.#sendLock.release();
      }),
    );
  }

  #writeChunks(packet: S): void {
    this.#checkSendable();
    const chunks: Buffer[] = [];
    for (const chunk of this.#protocol.generateChunks(packet)) {
      if (chunk.length > 0) chunks.push(chunk);
    }
    this.#checkSendable();
    const transport = this.#proto!.transport!;
    if (chunks.length === 1) transport.write(chunks[0]!);
    else if (chunks.length > 1) transport.writeSequence(chunks);
  }

  async #send(packet: S, deadline: Deadline | null): Promise<void> {
    try {
      await this.#waitConnected(deadline, false);
      await this.#sendLock.acquire(deadline);
      try {
        this.#writeChunks(packet);
        await this.#drain(deadline);
      } finally {
        this.#sendLock.release();
      }
    } finally {
      deadline?.dispose();
    }
  }

  #checkSendable(): void {
    if (this.#crash !== null) throw this.#crash;
    if (this.#state === 'closing' || this.#state === 'closed') throw new ClientClosedError();
    if (this.#eofSent) throw new RuntimeError('sendEof() has been called earlier');
    if (this.#loss !== null) throw lossError(this.#loss);
  }

  async #drain(deadline: Deadline | null): Promise<void> {
    while (this.#writePaused && this.#loss === null && this.#state === 'connected') {
      const p = new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
      await (deadline === null ? p : deadline.race(p));
    }
    this.#checkSendable();
  }

  /**
   * Close the write side once everything written has left (TCP FIN, TLS
   * close_notify); receiving goes on. Idempotent.
   * @returns rejects with `ClientClosedError` after `aclose()`.
   */
  sendEof(): Promise<void> {
    return handled(this.#sendEof());
  }

  async #sendEof(): Promise<void> {
    if (this.#crash !== null) throw this.#crash;
    if (this.#state === 'closing' || this.#state === 'closed') throw new ClientClosedError();
    await this.#waitConnected(null, false);
    await this.#sendLock.acquire(null);
    try {
      if (this.#eofSent || this.#loss !== null) return;
      this.#eofSent = true;
      const t = this.#proto!.transport as Partial<ITCPTransport>;
      t.loseWriteConnection?.();
    } finally {
      this.#sendLock.release();
    }
  }

  /**
   * Wait for the next packet. Connects first if needed.
   * @returns the packet. Rejects with `StreamProtocolParseError` (the bad
   * packet is dropped, the stream goes on), `RuntimeError('The serializer
   * crashed')`, `ConnectionDone('end-of-stream')` at the peer's EOF with
   * nothing buffered, `IncompleteReadError` at EOF within a packet, the loss
   * (`ConnectionLost`) after what was buffered, `ClientClosedError` once
   * closed, or the deadline's error (nothing is consumed).
   */
  recvPacket(opts?: ReadOptions): Promise<R> {
    let o: ReadOptions;
    try {
      o = checkReadOptions(opts);
    } catch (err) {
      return handled(Promise.reject(err));
    }
    const plain = o.timeout === undefined && o.signal === undefined;
    if (plain && this.#state === 'connected' && this.#crash === null && this.#recvLock.tryAcquire()) {
      // A packet already held: no microtask hops through #recv.
      let packet: R | typeof NONE;
      try {
        packet = this.#parseNow();
      } catch (err) {
        this.#recvLock.release();
        return handled(Promise.reject(err));
      }
      if (packet !== NONE) {
        this.#recvLock.release();
        return Promise.resolve(packet);
      }
      // Wait for bytes with the lock kept: connected already, no deadline.
      return handled(this.#recvWait());
    }
    return handled(this.#recv(plain ? null : new Deadline(this.reactor, o)));
  }

  async #recv(deadline: Deadline | null): Promise<R> {
    try {
      await this.#waitConnected(deadline, false);
      await this.#recvLock.acquire(deadline);
      try {
        for (;;) {
          const packet = this.#parseNow();
          if (packet !== NONE) return packet;
          await this.#waitData(deadline);
        }
      } finally {
        this.#recvLock.release();
      }
    } finally {
      deadline?.dispose();
    }
  }

  // #recv's loop for a caller that holds the receive lock, connected, no deadline.
  async #recvWait(): Promise<R> {
    try {
      for (;;) {
        await this.#waitData(null);
        const packet = this.#parseNow();
        if (packet !== NONE) return packet;
      }
    } finally {
      this.#recvLock.release();
    }
  }

  /** A packet from what is held, or NONE; throws what the caller must see. */
  #parseNow(): R | typeof NONE {
    if (this.#crash !== null) throw this.#crash;
    if (this.#state === 'closing' || this.#state === 'closed') throw new ClientClosedError();
    let packet: R | typeof NONE;
    try {
      packet = this.#consumer.next();
    } catch (err) {
      if (err instanceof SerializerCrash) throw this.#crashed(err.cause);
      throw err;
    }
    if (packet !== NONE) return packet;
    if (this.#eof || this.#loss !== null) {
      const loss = this.#loss;
      if (loss !== null && !this.#isCleanEnd(loss)) throw lossError(loss);
      const partial = this.#consumer.partial();
      if (partial.length > 0) {
        this.#consumer.clear();
        throw new IncompleteReadError(partial, null);
      }
      throw new ConnectionDone('end-of-stream');
    }
    if (this.#readPaused) {
      this.#readPaused = false;
      (this.#proto?.transport as Partial<ITCPTransport> | null)?.resumeProducing?.();
    }
    return NONE;
  }

  #isCleanEnd(loss: Failure): boolean {
    const v = loss.value;
    if (v instanceof ConnectionDone) return true;
    // Without standard compatibility a TLS peer's plain FIN is an ordinary end.
    return this.#ssl !== null && !this.#sslStandardCompatible && v instanceof ConnectionLost && /close_notify/.test(v.message);
  }

  #waitData(deadline: Deadline | null): Promise<void> {
    const p = new Promise<void>((resolve) => {
      this.#wakeReceiver = resolve;
    });
    return deadline === null ? p : deadline.race(p);
  }

  #wake(): void {
    const w = this.#wakeReceiver;
    if (w !== null) {
      this.#wakeReceiver = null;
      w();
    }
  }

  #crashed(cause: unknown): RuntimeError {
    if (this.#crash === null) {
      this.#crash = new RuntimeError('The serializer crashed', { cause });
      this.#consumer.clear();
      (this.#proto?.transport as Partial<ITCPTransport> | null)?.abortConnection?.();
      this.#wake();
      for (const w of this.#drainWaiters.splice(0)) w();
    }
    return this.#crash;
  }

  /**
   * Iterate over the packets received, within **one** `timeout` for the
   * whole iteration (seconds on the reactor's clock, counted only while a
   * `next()` waits): `0` (default) gives only what can be parsed from bytes
   * already received; `null` waits forever. It ends quietly when the time is
   * up, the client closes or the connection is lost; parse errors, a crashed
   * serializer and an incomplete packet at EOF end it by throwing.
   */
  iterReceivedPackets(opts: { timeout?: number | null } = {}): AsyncIterableIterator<R> {
    if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
    const timeout = opts.timeout === undefined ? 0 : checkOptionalDelay('timeout', opts.timeout);
    return recvIterator(this.reactor, timeout, (t) => this.#recvForIterator(t));
  }

  async #recvForIterator(timeout: number | null): Promise<R | typeof NONE> {
    if (timeout === 0) {
      // Only what is already here: no waiting for a connection, the lock, or bytes.
      if (this.#state !== 'connected' && this.#crash === null) {
        if (this.#state === 'closing' || this.#state === 'closed') throw new ClientClosedError();
        return NONE;
      }
      if (!this.#recvLock.tryAcquire()) return NONE;
      try {
        return this.#parseNow();
      } finally {
        this.#recvLock.release();
      }
    }
    return this.#recv(timeout === null ? null : new Deadline(this.reactor, { timeout }));
  }

  /**
   * Close gracefully: flush, TLS `close_notify` (waiting up to
   * `sslShutdownTimeout`; skipped when `sslStandardCompatible` is false),
   * FIN; resolves once the connection is gone. Pending receives reject with
   * `ClientClosedError`. Idempotent.
   */
  aclose(): Promise<void> {
    if (this.#closing === null) this.#closing = handled(this.#aclose());
    return this.#closing;
  }

  async #aclose(): Promise<void> {
    const state = this.#state;
    this.#state = 'closing';
    this.#wake();
    for (const w of this.#drainWaiters.splice(0)) w();
    if (state === 'connecting' || this.#connecting !== null) {
      this.#cancelConnect?.(new ClientClosedError());
    }
    const proto = this.#proto;
    const transport = proto?.transport as Partial<ITCPTransport> | null | undefined;
    if (proto !== null && transport !== null && transport !== undefined && this.#loss === null) {
      let timer: IDelayedCall | null = null;
      if (this.#ssl !== null && !this.#sslStandardCompatible) {
        // Close the TCP connection under TLS directly: no close_notify.
        const lower = (transport as { transport?: Partial<ITCPTransport> | null }).transport;
        if (lower !== null && lower !== undefined && typeof lower.loseConnection === 'function') lower.loseConnection();
        else transport.loseConnection?.();
      } else {
        transport.loseConnection?.();
        const limit = this.#sslShutdownTimeout;
        if (this.#ssl !== null && limit !== null) {
          timer = this.reactor.callLater(limit, () => {
            timer = null;
            transport.abortConnection?.();
          });
        }
      }
      await this.#lost;
      if (timer !== null && (timer as IDelayedCall).active()) (timer as IDelayedCall).cancel();
    }
    this.#state = 'closed';
    this.#consumer.clear();
  }

  /** Close at once (a cancelled connect). */
  #closeNow(): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#state = 'closed';
    this.#closing = Promise.resolve();
    this.#wake();
    (this.#proto?.transport as Partial<ITCPTransport> | null | undefined)?.abortConnection?.();
    this.#consumer.clear();
  }

  /** Calls {@link AsyncTCPNetworkClient.aclose}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  /**
   * The local address of the connection.
   * @throws RuntimeError before `waitConnected()` completed; ClientClosedError once closed.
   */
  getLocalAddress(): SocketAddress {
    return this.#address(this.#localAddr);
  }

  /**
   * The address of the peer.
   * @throws RuntimeError before `waitConnected()` completed; ClientClosedError once closed.
   */
  getRemoteAddress(): SocketAddress {
    return this.#address(this.#remoteAddr);
  }

  #address(a: SocketAddress | null): SocketAddress {
    if (this.#state === 'closing' || this.#state === 'closed') throw new ClientClosedError();
    if (this.#state !== 'connected' || a === null) {
      throw new RuntimeError('The client is not connected yet: await waitConnected() first');
    }
    return a;
  }

  // ---- events of the connection (StreamClientOwner) ------------------------------

  /** @internal */
  _onData(data: Buffer): void {
    if (this.#crash !== null || this.#state === 'closed') return;
    this.#consumer.feed(data);
    this.#afterBytes();
  }

  /** @internal */
  _getBuffer(): Uint8Array {
    try {
      return (this.#consumer as BufferConsumer<R>).getBuffer();
    } catch (err) {
      this.#crashed(err instanceof SerializerCrash ? err.cause : err);
      return Buffer.allocUnsafe(this.maxRecvSize);
    }
  }

  /** @internal */
  _bufferUpdated(nbytes: number): void {
    if (this.#crash !== null) return;
    const consumer = this.#consumer as BufferConsumer<R>;
    consumer.bufferUpdated(nbytes);
    const crash = consumer.pendingCrash;
    if (crash !== null) {
      this.#crashed(crash.cause);
      return;
    }
    this.#afterBytes();
  }

  #afterBytes(): void {
    if (this.#wakeReceiver !== null) this.#wake();
    else if (!this.#readPaused && this.#consumer.size > READ_HIGH_WATER_FACTOR * this.maxRecvSize) {
      const t = this.#proto?.transport as Partial<ITCPTransport> | null | undefined;
      if (t !== null && t !== undefined && typeof t.pauseProducing === 'function') {
        this.#readPaused = true;
        t.pauseProducing();
      }
    }
  }

  /** @internal */
  _onEof(): void {
    this.#eof = true;
    this.#wake();
  }

  /** @internal */
  _onLost(reason: Failure): void {
    this.#loss = reason;
    this.#writePaused = false;
    const hs = this.#onHandshakeFailed;
    this.#onHandshakeFailed = null;
    if (this.#handshakeWaiter !== null && hs !== null) hs(reason.value);
    this.#wake();
    for (const w of this.#drainWaiters.splice(0)) w();
    this.#lostResolve?.();
    this.#lostResolve = null;
  }

  /** @internal */
  _onHandshake(): void {
    this.#onHandshakeFailed = null;
    this.#handshakeWaiter?.resolve();
  }

  /** @internal */
  _onPauseWriting(): void {
    this.#writePaused = true;
  }

  /** @internal */
  _onResumeWriting(): void {
    this.#writePaused = false;
    for (const w of this.#drainWaiters.splice(0)) w();
  }
}

/** The TCP transport under `t` (itself, or the one under a TLS layer), if it has TCP options. */
function tcpTransportOf(t: ITransport): ITCPTransport | null {
  const direct = t as Partial<ITCPTransport>;
  if (typeof direct.setTcpNoDelay === 'function' && typeof direct.setTcpKeepAlive === 'function') return t as ITCPTransport;
  const lower = (t as { transport?: Partial<ITCPTransport> | null }).transport;
  if (lower && typeof lower.setTcpNoDelay === 'function' && typeof lower.setTcpKeepAlive === 'function') {
    return lower as ITCPTransport;
  }
  return null;
}

/** One failed attempt of a HostnameEndpoint is reported as its own error. */
function unwrapConnectError(err: unknown): unknown {
  if (err instanceof ConnectAttemptsFailedError && err.attempts.length === 1) return err.attempts[0]!.failure.value;
  return err;
}

/** The error a caller sees for a lost connection. */
function lossError(loss: Failure): Error {
  const v = loss.value;
  if (v instanceof Error) return v;
  return new ConnectionLost(String(v));
}

/**
 * The iterator of `iterReceivedPackets`: one timeout for the whole
 * iteration, only the time spent inside `next()` counted.
 * @internal
 */
export function recvIterator<R>(
  clock: { seconds(): number },
  timeout: number | null,
  recv: (timeout: number | null) => Promise<R | typeof NONE>,
): AsyncIterableIterator<R> {
  let left = timeout;
  let finished = false;
  const end = (): IteratorResult<R> => {
    finished = true;
    return { done: true, value: undefined };
  };
  const iterator: AsyncIterableIterator<R> = {
    next: (): Promise<IteratorResult<R>> => {
      if (finished) return Promise.resolve({ done: true, value: undefined });
      const started = clock.seconds();
      const p = (async (): Promise<IteratorResult<R>> => {
        let r: R | typeof NONE;
        try {
          r = await recv(left);
        } catch (err) {
          if (err instanceof DeferTimeoutError || isQuietEnd(err)) return end();
          finished = true;
          throw err;
        } finally {
          if (left !== null) left = Math.max(0, left - (clock.seconds() - started));
        }
        if (r === NONE) return end();
        return { done: false, value: r };
      })();
      return handled(p);
    },
    return: (): Promise<IteratorResult<R>> => Promise.resolve(end()),
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

function isQuietEnd(err: unknown): boolean {
  // The client closed or the connection is gone (ConnectionDone, ConnectionLost, ClientClosedError).
  return err instanceof ClientClosedError || err instanceof ConnectionDone || err instanceof ConnectionLost;
}
