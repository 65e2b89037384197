/**
 * StringTransport: an in-memory transport that records what a protocol
 * writes and how it drives the transport, without doing any I/O (Twisted's
 * `twisted.internet.testing.StringTransport`).
 * @module
 */
import { IPv4Address } from '../address';
import { Failure } from '../defer/failure';
import { ConnectionAborted, ConnectionDone, RuntimeError } from '../errors';
import type { IAddress } from '../interfaces/address';
import type { IPullProducer, IPushProducer } from '../interfaces/producer';
import type { IProtocol } from '../interfaces/protocol';
import type { ITCPTransport } from '../interfaces/transport';
import { checkBytes, checkCount, describe, ArgTypeError, ArgRangeError } from '../validate';

/** The state of a {@link StringTransport} in its role as a push producer. */
export type ProducerState = 'producing' | 'paused' | 'stopped';

/** Options of {@link StringTransport}. */
export interface StringTransportOptions {
  /** What getHost() returns. Default `IPv4Address('TCP', '10.0.0.1', 12345)`. */
  hostAddress?: IAddress;
  /** What getPeer() returns. Default `IPv4Address('TCP', '192.168.1.1', 54321)`. */
  peerAddress?: IAddress;
  /**
   * Allow pauseProducing()/resumeProducing() after loseConnection(). By
   * default they throw RuntimeError then, so that code that resumes a
   * closing transport (and would wait forever for data) is caught.
   */
  lenient?: boolean;
}

const DEFAULT_HIGH_WATER = 64 * 1024;

/**
 * A transport that buffers everything written to it in memory and keeps
 * track of its other state without providing any behaviour: hand it to a
 * protocol's `makeConnection`, feed the protocol with `dataReceived`, and
 * assert on {@link StringTransport.value}.
 *
 * It implements {@link ITCPTransport} structurally, so a
 * `Protocol<ITCPTransport>` accepts it. `value()`, `clear()` and the public
 * bookkeeping fields (`disconnecting`, `disconnected`, `producer`,
 * `streaming`, `producerState`, `writeDisconnecting`) are for tests only;
 * real transports do not have them.
 *
 * As in Twisted, it records every write, including writes made after
 * loseConnection(): a real transport sends those too while it drains its
 * buffer before the close.
 *
 * @example
 * ```ts
 * import { Protocol } from 'torsion/protocol';
 * import { StringTransport } from 'torsion/testing';
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Buffer): void {
 *     this.transport!.write(data);
 *   }
 * }
 * const proto = new Echo();
 * const tr = new StringTransport();
 * proto.makeConnection(tr);
 * proto.dataReceived(Buffer.from('hi'));
 * expect(tr.value().toString()).toBe('hi');
 * ```
 */
export class StringTransport implements ITCPTransport {
  /** False until loseConnection() (or abortConnection()) is called. */
  disconnecting = false;
  /** False until abortConnection() is called. */
  disconnected = false;
  /** False until loseWriteConnection() is called. */
  writeDisconnecting = false;
  /** True until a subclass decides the connection is gone. */
  connected = true;
  /** The registered producer, or null. */
  producer: IPushProducer | IPullProducer | null = null;
  /** The `streaming` flag given to registerProducer, or null when none is registered. */
  streaming: boolean | null = null;
  /** This transport's own state as a push producer. */
  producerState: ProducerState = 'producing';
  /** What getHost() returns. */
  hostAddr: IAddress;
  /** What getPeer() returns. */
  peerAddr: IAddress;

  #chunks: Buffer[] = [];
  #size = 0;
  #lenient: boolean;
  #noDelay = false;
  #keepAlive = false;
  #high = DEFAULT_HIGH_WATER;
  #low = DEFAULT_HIGH_WATER / 4;

  constructor(opts: StringTransportOptions = {}) {
    this.hostAddr = opts.hostAddress ?? new IPv4Address('TCP', '10.0.0.1', 12345);
    this.peerAddr = opts.peerAddress ?? new IPv4Address('TCP', '192.168.1.1', 54321);
    this.#lenient = opts.lenient ?? false;
  }

  /** Every byte written since construction or the last clear(). Test-only. */
  value(): Buffer {
    if (this.#chunks.length > 1) {
      // Join once and keep the result, so repeated value() calls stay linear.
      const joined = Buffer.concat(this.#chunks, this.#size);
      this.#chunks = [joined];
      return joined;
    }
    return this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.alloc(0);
  }

  /** Forget everything written so far. Test-only. */
  clear(): void {
    this.#chunks = [];
    this.#size = 0;
  }

  // ---- ITransport ---------------------------------------------------------

  /** Record `data`. @throws TypeError for a string (encode it first) or any non-bytes value. */
  write(data: Buffer | Uint8Array): void {
    checkBytes('data', data);
    this.#append(data);
  }

  /** Record each element of `data` in order. @throws TypeError if any element is not bytes. */
  writeSequence(data: ReadonlyArray<Buffer | Uint8Array>): void {
    if (!Array.isArray(data)) throw new ArgTypeError(`data must be an array of Buffers, got ${describe(data)}`);
    // Check everything first so a bad element does not leave a half-recorded sequence.
    for (let i = 0; i < data.length; i++) checkBytes(`data[${i}]`, data[i]);
    for (const chunk of data) this.#append(chunk);
  }

  /** Only sets `disconnecting`; the protocol is not told (see StringTransportWithDisconnection). */
  loseConnection(): void {
    this.disconnecting = true;
  }

  /** Sets `disconnected` and, like loseConnection(), `disconnecting`. */
  abortConnection(): void {
    this.disconnected = true;
    this.loseConnection();
  }

  /** Only sets `writeDisconnecting`. */
  loseWriteConnection(): void {
    this.writeDisconnecting = true;
  }

  /** {@inheritDoc torsion/interfaces!ITransport.getPeer} */
  getPeer(): IAddress {
    return this.peerAddr;
  }

  /** {@inheritDoc torsion/interfaces!ITransport.getHost} */
  getHost(): IAddress {
    return this.hostAddr;
  }

  // ---- TCP options --------------------------------------------------------

  /** {@inheritDoc torsion/interfaces!ITCPTransport.setTcpNoDelay} */
  setTcpNoDelay(enabled: boolean): void {
    this.#noDelay = checkBoolean('enabled', enabled);
  }
  /** {@inheritDoc torsion/interfaces!ITCPTransport.getTcpNoDelay} */
  getTcpNoDelay(): boolean {
    return this.#noDelay;
  }
  /** {@inheritDoc torsion/interfaces!ITCPTransport.setTcpKeepAlive} */
  setTcpKeepAlive(enabled: boolean): void {
    this.#keepAlive = checkBoolean('enabled', enabled);
  }
  /** {@inheritDoc torsion/interfaces!ITCPTransport.getTcpKeepAlive} */
  getTcpKeepAlive(): boolean {
    return this.#keepAlive;
  }

  /**
   * Store the write buffer limits (checked as on a real transport). The
   * buffer of a StringTransport never fills, so they never trigger
   * pauseWriting(); getWriteBufferLimits() reports them.
   * @throws RangeError unless high >= low >= 0.
   */
  setWriteBufferLimits(high?: number, low?: number): void {
    const [h, l] = resolveWriteBufferLimits(high, low);
    this.#high = h;
    this.#low = l;
  }

  /** The limits last set: `[high, low]`. Test-only. */
  getWriteBufferLimits(): [number, number] {
    return [this.#high, this.#low];
  }

  /** Always 0: written bytes are "sent" at once (they are in value()). */
  getWriteBufferSize(): number {
    return 0;
  }

  // ---- IConsumer ----------------------------------------------------------

  /** Remember `producer`. @throws RuntimeError if one is already registered. */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.producer !== null) throw new RuntimeError('Cannot register two producers');
    this.producer = producer;
    this.streaming = streaming;
  }

  /** Forget the producer. @throws RuntimeError if none is registered. */
  unregisterProducer(): void {
    if (this.producer === null) {
      throw new RuntimeError('Cannot unregister a producer unless one is registered');
    }
    this.producer = null;
    this.streaming = null;
  }

  // ---- IPushProducer ------------------------------------------------------

  /** producerState becomes 'paused'. @throws RuntimeError when stopped, or after loseConnection unless lenient. */
  pauseProducing(): void {
    this.#checkState();
    this.producerState = 'paused';
  }

  /** producerState becomes 'producing'. @throws RuntimeError when stopped, or after loseConnection unless lenient. */
  resumeProducing(): void {
    this.#checkState();
    this.producerState = 'producing';
  }

  /** producerState becomes 'stopped' (for good). */
  stopProducing(): void {
    this.producerState = 'stopped';
  }

  #checkState(): void {
    if (this.disconnecting && !this.#lenient) {
      throw new RuntimeError('Cannot resume producing after loseConnection');
    }
    if (this.producerState === 'stopped') throw new RuntimeError('Cannot resume a stopped producer');
  }

  #append(data: Buffer | Uint8Array): void {
    if (data.length === 0) return;
    // Copy: the caller may reuse its buffer after write() returns.
    const copy = Buffer.from(data);
    this.#chunks.push(copy);
    this.#size += copy.length;
  }
}

/**
 * A {@link StringTransport} that tells its protocol when it is closed:
 * loseConnection() calls `protocol.connectionLost(Failure(ConnectionDone))`
 * and abortConnection() `connectionLost(Failure(ConnectionAborted))`, each
 * at most once per transport (later calls only set the flags). Set
 * {@link StringTransportWithDisconnection.protocol} first (Twisted's
 * StringTransportWithDisconnection gives ConnectionDone for an abort too;
 * torsion reports what a real transport reports).
 *
 * @example
 * ```ts
 * import type { Failure } from 'torsion/failure';
 * import { ConnectionDone } from 'torsion/error';
 * import { LineReceiver } from 'torsion/protocols/basic';
 * import { StringTransportWithDisconnection } from 'torsion/testing';
 *
 * class MyProtocol extends LineReceiver {
 *   lostReason: Failure | null = null;
 *   override lineReceived(line: Buffer): void {
 *     if (line.toString() === 'QUIT') this.transport!.loseConnection();
 *   }
 *   override connectionLost(reason: Failure): void {
 *     this.lostReason = reason;
 *   }
 * }
 * const tr = new StringTransportWithDisconnection();
 * const proto = new MyProtocol();
 * tr.protocol = proto;
 * proto.makeConnection(tr);
 * proto.dataReceived(Buffer.from('QUIT\r\n')); // the protocol calls loseConnection()
 * expect(tr.disconnecting).toBe(true);
 * expect(proto.lostReason?.check(ConnectionDone)).toBe(ConnectionDone);
 * ```
 */
export class StringTransportWithDisconnection extends StringTransport {
  /** The protocol told about the disconnection; set it before closing. */
  protocol: IProtocol | null = null;

  /** Set the flags and, the first time, call protocol.connectionLost(ConnectionDone). */
  override loseConnection(): void {
    super.loseConnection();
    this.#lose(new ConnectionDone('Bye.'));
  }

  /** Set the flags and, the first time, call protocol.connectionLost(ConnectionAborted). */
  override abortConnection(): void {
    this.disconnected = true;
    this.disconnecting = true;
    this.#lose(new ConnectionAborted());
  }

  #lose(reason: Error): void {
    if (!this.connected) return;
    const protocol = this.protocol;
    if (protocol === null) {
      throw new ArgTypeError('StringTransportWithDisconnection.protocol is not set: assign the protocol before closing');
    }
    this.connected = false;
    protocol.connectionLost(new Failure(reason));
  }
}

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ArgTypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

/**
 * Apply ITCPTransport.setWriteBufferLimits' defaults and checks: high
 * defaults to 64 KiB, low to high/4 (rounded down); both are byte counts.
 * @throws TypeError/RangeError for a bad value, RangeError unless high >= low.
 * @internal
 */
export function resolveWriteBufferLimits(high?: number, low?: number): [number, number] {
  const h = high ?? DEFAULT_HIGH_WATER;
  checkCount('high', h);
  const l = low ?? Math.floor(h / 4);
  checkCount('low', l);
  if (l > h) throw new ArgRangeError(`low (${l}) must not be greater than high (${h})`);
  return [h, l];
}
