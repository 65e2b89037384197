/**
 * FakeTransport: one end of an in-memory TCP connection, moved by an
 * {@link IOPump} (Twisted's `twisted.test.iosim.FakeTransport`, made to
 * behave like torsion's real TCP transport so that protocol tests on it
 * mean something; the conformance specs hold the two together).
 * @module
 */
import { guardCall } from '../guard';
import { IPv4Address } from '../address';
import { Failure } from '../defer/failure';
import { ConnectionDone, ConnectionLost, RuntimeError } from '../errors';
import type { IAddress } from '../interfaces/address';
import type { IPullProducer, IPushProducer } from '../interfaces/producer';
import type { IHalfCloseableProtocol, IProtocol, IWriteFlowControlled } from '../interfaces/protocol';
import type { ITCPTransport } from '../interfaces/transport';
import { Logger } from '../logger';
import { checkBytes, describe, ArgTypeError } from '../validate';
import { resolveWriteBufferLimits } from './string-transport';

const log = new Logger('torsion.testing');

/** Options of {@link FakeTransport}. */
export interface FakeTransportOptions {
  /** What getHost() returns. Default: 127.0.0.1, port 12345 on the server side and 54321 on the client side. */
  hostAddress?: IAddress;
  /** What getPeer() returns. Default: the mirror of the host default. */
  peerAddress?: IAddress;
}

let nextSerial = 0;

/**
 * One end of an in-memory connection. What the protocol writes waits in
 * this transport's outgoing buffer until an {@link IOPump} delivers it to
 * the peer, so a test controls exactly when and in what pieces bytes arrive.
 *
 * It follows the real TCP transport's contract (see ITCPTransport):
 * - `write(string)` throws TypeError; writes made after loseConnection()
 *   or loseWriteConnection() are still delivered until the close (or the
 *   FIN) happens, then dropped; after abortConnection() they are dropped.
 * - loseConnection(): the bytes already written are delivered first, then
 *   (once no pull producer or paused streaming producer holds the close)
 *   both sides get connectionLost with ConnectionDone, each exactly once; a
 *   half-closeable peer gets readConnectionLost() instead and stays
 *   writable. A transport registered as another's producer is unregistered
 *   from it when its own connection is lost.
 * - abortConnection(): pending bytes are dropped; on the next pump this
 *   side gets ConnectionAborted and the peer ConnectionLost, once.
 * - registerProducer twice throws RuntimeError; a pull producer is resumed
 *   at registration and each time the buffer drains; a push producer is
 *   paused when the buffer goes strictly over the high-water mark and
 *   resumed at the low-water mark; the producer gets stopProducing() when
 *   the connection is lost.
 * - As a push producer itself, pauseProducing() stops delivery to this
 *   side's protocol (bytes wait at the peer), resumeProducing() restarts
 *   it, stopProducing() is loseConnection().
 * - pauseWriting()/resumeWriting() on the protocol around the write buffer
 *   limits (default 64 KiB / 16 KiB), as asyncio.
 *
 * No kernel buffer is modelled: while one side has paused reading, what
 * the peer writes stays in the peer's write buffer (getWriteBufferSize
 * grows, flow control reacts), and a loseConnection() on the peer
 * completes only once reading resumes.
 */
export class FakeTransport implements ITCPTransport {
  /** A number unique to this transport, for telling transports apart in failures. */
  readonly serial: number = nextSerial++;
  /** The protocol this transport delivers to. */
  readonly protocol: IProtocol;
  /** True for the accepting side. */
  readonly isServer: boolean;
  /** What getHost() returns. */
  hostAddress: IAddress;
  /** What getPeer() returns. */
  peerAddress: IAddress;
  /** True once loseConnection() (or abortConnection(), or stopProducing()) was called. */
  disconnecting = false;
  /** True once abortConnection() was called. */
  aborted = false;
  /** True once loseWriteConnection() was called. */
  writeDisconnecting = false;
  /** True once our FIN "went out" (writeConnectionLost ran). */
  writeDisconnected = false;
  /** True once the peer's FIN arrived and the protocol kept the connection (half-closeable). */
  readDisconnected = false;
  /** True once connectionLost was delivered. */
  disconnected = false;
  /** True until connectionLost was delivered. */
  connected = true;
  /** The registered producer, or null. */
  producer: IPushProducer | IPullProducer | null = null;
  /** The streaming flag of the registered producer, or null. */
  streaming: boolean | null = null;
  /** True while pauseProducing() holds back delivery to this side. */
  readingPaused = false;

  #out: Buffer[] = [];
  #outSize = 0;
  #high: number;
  #low: number;
  #writingPaused = false;
  #producerPaused = false;
  #eofPending = false;
  #noDelay = false;
  /** Transports this one is registered on as a producer. */
  readonly #consumers: FakeTransport[] = [];
  #keepAlive = false;

  constructor(protocol: IProtocol, isServer: boolean, opts: FakeTransportOptions = {}) {
    this.protocol = protocol;
    this.isServer = isServer;
    const [serverPort, clientPort] = [12345, 54321];
    const hostPort = isServer ? serverPort : clientPort;
    const peerPort = isServer ? clientPort : serverPort;
    this.hostAddress = opts.hostAddress ?? new IPv4Address('TCP', '127.0.0.1', hostPort);
    this.peerAddress = opts.peerAddress ?? new IPv4Address('TCP', '127.0.0.1', peerPort);
    [this.#high, this.#low] = resolveWriteBufferLimits();
  }

  // ---- ITransport ---------------------------------------------------------

  /** {@inheritDoc torsion/interfaces!ITransport.write} */
  write(data: Buffer | Uint8Array): void {
    checkBytes('data', data);
    // As on a real transport (and in Twisted), writes made after
    // loseConnection() still go out until the close; not after an abort.
    if (this.aborted || this.writeDisconnected || this.disconnected || data.length === 0) return;
    // Copy: the caller may reuse its buffer before the pump delivers it.
    this.#out.push(Buffer.from(data));
    this.#outSize += data.length;
    this.#checkHighWater();
  }

  /** {@inheritDoc torsion/interfaces!ITransport.writeSequence} */
  writeSequence(data: ReadonlyArray<Buffer | Uint8Array>): void {
    if (!Array.isArray(data)) throw new ArgTypeError(`data must be an array of Buffers, got ${describe(data)}`);
    for (let i = 0; i < data.length; i++) checkBytes(`data[${i}]`, data[i]);
    for (const chunk of data) this.write(chunk);
  }

  /** {@inheritDoc torsion/interfaces!ITransport.loseConnection} */
  loseConnection(): void {
    this.disconnecting = true;
  }

  /** {@inheritDoc torsion/interfaces!ITransportAbortable.abortConnection} */
  abortConnection(): void {
    if (this.disconnected || this.aborted) return;
    this.aborted = true;
    this.disconnecting = true;
    this.#out = [];
    this.#outSize = 0;
  }

  /** {@inheritDoc torsion/interfaces!IHalfCloseableTransport.loseWriteConnection} */
  loseWriteConnection(): void {
    this.writeDisconnecting = true;
  }

  /** {@inheritDoc torsion/interfaces!ITransport.getPeer} */
  getPeer(): IAddress {
    return this.peerAddress;
  }
  /** {@inheritDoc torsion/interfaces!ITransport.getHost} */
  getHost(): IAddress {
    return this.hostAddress;
  }
  /** A short name for log lines. */
  logPrefix(): string {
    return `FakeTransport<${this.isServer ? 'S' : 'C'},${this.serial},${this.protocol.constructor.name}>`;
  }

  // ---- TCP options --------------------------------------------------------

  /** {@inheritDoc torsion/interfaces!ITCPTransport.setTcpNoDelay} */
  setTcpNoDelay(enabled: boolean): void {
    if (typeof enabled !== 'boolean') throw new ArgTypeError(`enabled must be a boolean, got ${describe(enabled)}`);
    this.#noDelay = enabled;
  }
  /** {@inheritDoc torsion/interfaces!ITCPTransport.getTcpNoDelay} */
  getTcpNoDelay(): boolean {
    return this.#noDelay;
  }
  /** {@inheritDoc torsion/interfaces!ITCPTransport.setTcpKeepAlive} */
  setTcpKeepAlive(enabled: boolean): void {
    if (typeof enabled !== 'boolean') throw new ArgTypeError(`enabled must be a boolean, got ${describe(enabled)}`);
    this.#keepAlive = enabled;
  }
  /** {@inheritDoc torsion/interfaces!ITCPTransport.getTcpKeepAlive} */
  getTcpKeepAlive(): boolean {
    return this.#keepAlive;
  }
  /** {@inheritDoc torsion/interfaces!ITCPTransport.setWriteBufferLimits} */
  setWriteBufferLimits(high?: number, low?: number): void {
    [this.#high, this.#low] = resolveWriteBufferLimits(high, low);
    this.#checkHighWater();
  }
  /** Bytes written and not yet delivered by the pump. */
  getWriteBufferSize(): number {
    return this.#outSize;
  }

  // ---- IConsumer ----------------------------------------------------------

  /** {@inheritDoc torsion/interfaces!IConsumer.registerProducer} */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.producer !== null) {
      throw new RuntimeError(`Cannot register producer ${describe(producer)}: another producer is already registered`);
    }
    if (this.disconnected) {
      producer.stopProducing();
      return;
    }
    this.producer = producer;
    this.streaming = streaming;
    this.#producerPaused = false;
    // As on a real transport: a transport registered as the producer leaves
    // this consumer when its own connection is lost.
    if (producer instanceof FakeTransport && producer !== this) producer.#consumers.push(this);
    if (!streaming) producer.resumeProducing();
  }

  /** Forget the producer (no error when none is registered, as on a real transport). */
  unregisterProducer(): void {
    const producer = this.producer;
    if (producer instanceof FakeTransport) {
      const i = producer.#consumers.indexOf(this);
      if (i >= 0) producer.#consumers.splice(i, 1);
    }
    this.producer = null;
    this.streaming = null;
    this.#producerPaused = false;
  }

  // ---- IPushProducer (the transport itself) --------------------------------

  /** Hold back delivery to this side's protocol until resumeProducing(). */
  pauseProducing(): void {
    this.readingPaused = true;
  }
  /** Let the pump deliver to this side again. */
  resumeProducing(): void {
    if (!this.disconnected && !this.disconnecting) this.readingPaused = false;
  }
  /** Same as loseConnection(). */
  stopProducing(): void {
    this.loseConnection();
  }

  // ---- used by IOPump -----------------------------------------------------

  /**
   * Take pending output: everything (joined), or up to `maxBytes`, or with
   * `oneChunk` just the oldest write. Null when nothing is pending.
   * @internal
   */
  _takeOutput(maxBytes = Infinity, oneChunk = false): Buffer | null {
    if (this.#outSize === 0) return null;
    let taken: Buffer;
    if (oneChunk || this.#out[0]!.length >= maxBytes || this.#out.length === 1) {
      const first = this.#out[0]!;
      const n = Math.min(first.length, maxBytes);
      taken = n === first.length ? first : first.subarray(0, n);
      if (n === first.length) this.#out.shift();
      else this.#out[0] = first.subarray(n);
    } else if (maxBytes >= this.#outSize) {
      taken = Buffer.concat(this.#out, this.#outSize);
      this.#out = [];
    } else {
      const joined = Buffer.concat(this.#out, this.#outSize);
      taken = joined.subarray(0, maxBytes);
      this.#out = [joined.subarray(maxBytes)];
    }
    this.#outSize -= taken.length;
    this.#afterDrain();
    return taken;
  }

  /** Hand received bytes to the protocol (dropped once this side is closed). @internal */
  _deliver(data: Buffer): void {
    if (this.disconnected || this.readDisconnected) return;
    this.#guard('dataReceived', () => this.protocol.dataReceived(data));
  }

  /** Whether the pump may deliver to this side now. @internal */
  _canReceive(): boolean {
    return !this.readingPaused && !this.disconnected;
  }

  /**
   * loseConnection() was called, everything was sent, no producer holds the
   * close (a pull producer or a paused streaming one does; an unpaused
   * streaming one does not, as in Twisted). @internal
   */
  _closeReady(): boolean {
    return (
      this.disconnecting &&
      !this.aborted &&
      !this.disconnected &&
      this.#outSize === 0 &&
      (this.producer === null || (this.streaming === true && !this.#producerPaused))
    );
  }

  /** loseWriteConnection() was called and everything was sent. @internal */
  _halfCloseReady(): boolean {
    return this.writeDisconnecting && !this.writeDisconnected && !this.disconnected && this.#outSize === 0;
  }

  /** Mark our FIN as sent and tell the protocol. @internal */
  _writeConnectionLost(): void {
    this.writeDisconnected = true;
    const p = this.protocol as Partial<IHalfCloseableProtocol>;
    if (typeof p.writeConnectionLost === 'function') this.#guard('writeConnectionLost', () => p.writeConnectionLost!());
    if (this.readDisconnected) this._connectionLost(new ConnectionDone());
  }

  /** The peer closed its write side: remember it until this side reads again. @internal */
  _peerClosed(): void {
    if (!this.disconnected) this.#eofPending = true;
  }

  /** Deliver a pending EOF if reading is allowed; true if something happened. @internal */
  _deliverEOF(): boolean {
    if (!this.#eofPending || this.readingPaused || this.disconnected) return false;
    this.#eofPending = false;
    const p = this.protocol as Partial<IHalfCloseableProtocol>;
    if (typeof p.readConnectionLost !== 'function') {
      this._connectionLost(new ConnectionDone());
      return true;
    }
    this.readDisconnected = true;
    this.#guard('readConnectionLost', () => p.readConnectionLost!());
    if (this.writeDisconnected && !this.disconnected) this._connectionLost(new ConnectionDone());
    return true;
  }

  /** Drop pending output (the peer reset the connection). @internal */
  _discardOutput(): void {
    this.#out = [];
    this.#outSize = 0;
  }

  /** Deliver connectionLost(reason) exactly once; stop the producer. @internal */
  _connectionLost(reason: Error): void {
    if (this.disconnected) return;
    this.disconnected = true;
    this.connected = false;
    this.disconnecting = true;
    this.#eofPending = false;
    this._discardOutput();
    const producer = this.producer;
    this.unregisterProducer();
    if (producer !== null) this.#guard('stopProducing', () => producer.stopProducing());
    const consumers = this.#consumers.splice(0);
    for (const consumer of consumers) if (consumer.producer === this) consumer.unregisterProducer();
    this.#guard('connectionLost', () => this.protocol.connectionLost(new Failure(reason)));
  }

  /**
   * A protocol or producer callback threw, or its Promise rejected: as on a
   * real transport, log it and end the connection with that failure
   * (only log it once the connection is lost).
   * @internal
   */
  _callbackFailed(err: unknown, where: string): void {
    log.failure(`Unhandled error in ${where} of ${this.logPrefix()}`, Failure.from(err));
    if (!this.disconnected) this._connectionLost(err instanceof Error ? err : new ConnectionLost(String(err)));
  }

  // Run a protocol/producer callback through the guard (guard.ts).
  #guard(where: string, fn: () => unknown): void {
    guardCall(this, where, fn, undefined);
  }

  #checkHighWater(): void {
    if (this.#outSize <= this.#high) return;
    if (!this.#writingPaused) {
      this.#writingPaused = true;
      const p = this.protocol as Partial<IWriteFlowControlled>;
      if (typeof p.pauseWriting === 'function') this.#guard('pauseWriting', () => p.pauseWriting!());
    }
    if (this.producer !== null && this.streaming && !this.#producerPaused) {
      this.#producerPaused = true;
      const producer = this.producer as IPushProducer;
      this.#guard('pauseProducing', () => producer.pauseProducing());
    }
  }

  #afterDrain(): void {
    if (this.#outSize > this.#low) return;
    if (this.#writingPaused) {
      this.#writingPaused = false;
      const p = this.protocol as Partial<IWriteFlowControlled>;
      if (typeof p.resumeWriting === 'function') this.#guard('resumeWriting', () => p.resumeWriting!());
    }
    const producer = this.producer;
    if (producer === null) return;
    if (this.streaming) {
      if (this.#producerPaused) {
        this.#producerPaused = false;
        this.#guard('resumeProducing', () => producer.resumeProducing());
      }
    } else if (this.#outSize === 0) {
      this.#guard('resumeProducing', () => producer.resumeProducing());
    }
  }
}
