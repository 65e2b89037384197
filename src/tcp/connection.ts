/**
 * `Connection`: the TCP transport shared by clients and servers (Twisted's
 * `tcp.Connection` over `abstract.FileDescriptor`), on a libuv TCP handle
 * driven directly (NativeStream) or through `node:net`.
 * @module
 */
import type { AddressInfo, Socket } from 'node:net';
import type { IPv4Address, IPv6Address } from '../address';
import { ipAddress } from '../address';
import { Failure } from '../defer/failure';
import { ConnectionAborted, ConnectionDone, ConnectionLost, RuntimeError } from '../errors';
import type { IAddress } from '../interfaces/address';
import type { IHandleDescriptor } from '../interfaces/fdset';
import type { IPullProducer, IPushProducer } from '../interfaces/producer';
import type { IBufferedProtocol, IProtocol } from '../interfaces/protocol';
import type { ITCPTransport } from '../interfaces/transport';
import { guardCall, guardResult, whereOf } from '../guard';
import { Logger } from '../logger';
import { isBufferedProtocol } from '../protocol/protocol';
import { checkBytes, describe, ArgTypeError } from '../validate';
import { DEFAULT_HIGH_WATER, WriteFlow } from './flow';
import { NativeStream } from './native-stream';
import { SHARED_READ_BUFFER, type SocketOwner, type TransportSocket, linger, startSocketReading } from './socket';
import type { TCPReactor } from './types';
import { type Flushable, scheduleFlush } from './write-batch';
// tls family
import type { IOpenSSLClientConnectionCreator, IOpenSSLServerConnectionCreator } from '../interfaces/tls';
import type { Certificate } from '../ssl/certificate';
import { startTLS, tlsLayerOf } from '../ssl/start-tls';
import type { TLSVersion } from '../ssl/version';

const log = new Logger('torsion.tcp');

/** A read at least this big makes the next read land in a fresh buffer (no copy). */
const FRESH_READ_MIN = 32 * 1024;
/** How long a gracefully closed socket may wait for the peer's FIN. */
const LINGER_SECONDS = 30;
const EMPTY = Buffer.alloc(0);

// State bits (one small integer instead of a dozen boolean fields: an idle
// connection's size is what the memory budget is about).
const CONNECTED = 1 << 0;
const DISCONNECTED = 1 << 1;
const DISCONNECTING = 1 << 2;
const READING = 1 << 3;
const CORKED = 1 << 4;
const ABORTING = 1 << 5;
const END_REQUESTED = 1 << 6;
const WRITE_DISCONNECTING = 1 << 7;
const WRITE_DISCONNECTED = 1 << 8;
const READ_DISCONNECTED = 1 << 9;
const FRESH_NEXT = 1 << 10;
const NO_DELAY = 1 << 11;
const KEEP_ALIVE = 1 << 12;
const LENDER = 1 << 13;
/** Reads delivered in the current loop pass (bits 14–19), see {@link READ_BUDGET}. */
const PASS_READS_SHIFT = 14;
const PASS_READS_MAX = 0b111111;
const PASS_READS = PASS_READS_MAX << PASS_READS_SHIFT;
/** In `passReaders` (read at least once in the current loop pass). */
const IN_PASS = 1 << 20;
/** Reading was stopped for the rest of the loop pass (the budget was spent). */
const THROTTLED = 1 << 21;

/**
 * Fairness: how many reads one connection is delivered per loop pass. libuv
 * drains a readable stream up to 32 reads (of 64 KiB) per event; with many
 * busy connections a loop pass then takes long, and accepts, timers and the
 * other connections wait for it. Twisted reads one chunk per readable
 * event. After this many reads in one pass the connection's handle stops
 * reading (libuv's read loop ends early) and starts again on the next pass.
 */
const READ_BUDGET = 1;
/**
 * The budget of a connection that is, so far, the only one to read in this
 * loop pass: libuv's own (uv__read's 32 reads per event). A lone bulk stream
 * keeps libuv's batching: fewer loop passes and epoll_ctl calls (W3 bulk
 * measured no better with 16, worse with 1).
 */
const SOLO_READ_BUDGET = 32;

/** Connections that read in the current loop pass (one shared queue). */
let passReaders: Connection<IAddress>[] = [];
let passReadersSpare: Connection<IAddress>[] = [];
let passScheduled = false;

/** The loop pass is over (check phase): budgets are renewed, throttled connections read again. */
function endReadPass(): void {
  passScheduled = false;
  const list = passReaders;
  passReaders = passReadersSpare;
  for (let i = 0; i < list.length; i++) list[i]._endReadPass();
  list.length = 0;
  passReadersSpare = list;
}

/**
 * State few connections ever use (write flow control, a lent read buffer,
 * the cached local address): one field in every connection, and an object
 * only in those that use it.
 */
class RareState {
  flow: WriteFlow | null = null;
  lent: Uint8Array | null = null;
  host: IAddress | null = null;
  /** Transports this one is registered on as a producer (unregistered when this one is lost). */
  consumers: Connection<IAddress>[] | null = null;
  /** The callback of the drain marker of a closing connection (created once). */
  closeCb: ((err?: Error | null) => void) | null = null;
}

/**
 * The reason of every clean close: one shared Failure, as Twisted's
 * `connectionDone` (building an Error captures a stack, which would cost
 * more than the rest of a short connection's close).
 * @internal
 */
export const CONNECTION_DONE: Failure = new Failure(new ConnectionDone());

/**
 * Close with RST where there is one (TCP); a net.Socket over a pipe (UNIX
 * socket) refuses resetAndDestroy, and a plain destroy is as abrupt there.
 */
function resetSocket(socket: TransportSocket): void {
  try {
    socket.resetAndDestroy();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_INVALID_HANDLE_TYPE') throw err;
    socket.destroy();
  }
}

function abortLater(t: Connection<IAddress>): void {
  t.connectionLost(new Failure(new ConnectionAborted()));
}

/**
 * The transport of an established TCP connection: an {@link ITCPTransport}
 * (writes, graceful/abortive/half close, producers and consumers, asyncio's
 * write watermarks) and an {@link IHandleDescriptor} in its reactor's reader
 * set while it reads. Use it through `protocol.transport`; connectTCP and
 * listenTCP create the concrete {@link Client} and {@link Server}.
 *
 * It calls its protocol in the order {@link IProtocol} writes down (the
 * call grammar). An exception thrown by any protocol callback is logged
 * and ends this connection with that failure as the reason.
 */
export abstract class Connection<A extends IAddress = IPv4Address | IPv6Address>
  implements ITCPTransport, IHandleDescriptor, SocketOwner, Flushable
{
  /** The protocol this transport delivers to (set once connected). */
  protocol: IProtocol | null = null;
  /** The reactor this connection belongs to. */
  readonly reactor: TCPReactor;
  /** The net.Socket or NativeStream (libuv TCP handle) while this transport owns it. @internal */
  _socket: TransportSocket | null = null;
  #flags = 0;
  #rare: RareState | null = null;

  /** @param reactor - the reactor that runs this connection. */
  constructor(reactor: TCPReactor) {
    this.reactor = reactor;
  }

  /** True while the connection is established and not yet lost. */
  get connected(): boolean {
    return (this.#flags & CONNECTED) !== 0;
  }
  set connected(value: boolean) {
    this._setBit(CONNECTED, value);
  }
  /** True once connectionLost has run. */
  get disconnected(): boolean {
    return (this.#flags & DISCONNECTED) !== 0;
  }
  /** True once loseConnection() was called. */
  get disconnecting(): boolean {
    return (this.#flags & DISCONNECTING) !== 0;
  }

  /** Attach the protocol and pick its receive path. @internal */
  protected _setProtocol(protocol: IProtocol): void {
    this.protocol = protocol;
    this._setBit(LENDER, isBufferedProtocol(protocol));
  }

  // ---- ITransport -----------------------------------------------------------

  /**
   * Queue `data` for sending; everything written in one tick leaves in one
   * writev. As in Twisted, writes made after loseConnection() are still
   * sent while the connection drains its buffer (the close comes once the
   * buffer is empty); once the FIN is on its way (or after
   * abortConnection(), or once disconnected) writes are ignored.
   * @throws TypeError if `data` is not a Buffer/Uint8Array (encode strings first).
   */
  write(data: Buffer | Uint8Array): void {
    checkBytes('data', data);
    const flags = this.#flags;
    if ((flags & (CONNECTED | END_REQUESTED | ABORTING)) !== CONNECTED || data.length === 0) return;
    const socket = this._socket as TransportSocket;
    if ((flags & CORKED) === 0) {
      this.#flags = flags | CORKED;
      socket.cork();
      scheduleFlush(this);
    }
    socket.write(data);
    const flow = this.#rare === null ? null : this.#rare.flow;
    if (flow === null) {
      if (socket.writableLength > DEFAULT_HIGH_WATER) this._ensureFlow().overHigh();
    } else {
      flow.pullRequested = false;
      if (socket.writableLength > flow.high) flow.overHigh();
    }
  }

  /** Write every buffer in `data`, in order. @throws TypeError for a non-bytes element. */
  writeSequence(data: ReadonlyArray<Buffer | Uint8Array>): void {
    if (!Array.isArray(data)) throw new ArgTypeError(`data must be an array of Buffers, got ${describe(data)}`);
    for (let i = 0; i < data.length; i++) checkBytes(`data[${i}]`, data[i]);
    for (let i = 0; i < data.length; i++) this.write(data[i]);
  }

  /**
   * Close gracefully (Twisted's semantics): stop reading, send everything
   * written (including writes made after this call while the buffer
   * drains), then FIN and connectionLost(ConnectionDone). A pull producer,
   * or a paused streaming producer, holds the close until it is
   * unregistered (a paused one is resumed first, as Twisted's doWrite
   * does); an unpaused streaming producer does not hold it and is stopped
   * in connectionLost.
   */
  loseConnection(): void {
    if ((this.#flags & (CONNECTED | DISCONNECTING | ABORTING)) !== CONNECTED) return;
    this.#flags |= DISCONNECTING;
    this.reactor.removeReader(this);
    if ((this.#flags & WRITE_DISCONNECTED) !== 0) {
      this.connectionLost(CONNECTION_DONE);
    } else {
      this._closeSoon();
    }
  }

  /**
   * Drop buffered data, reset the connection (RST) and, on the next reactor
   * pass, connectionLost(ConnectionAborted). Calling it again does nothing.
   */
  abortConnection(): void {
    if ((this.#flags & (DISCONNECTED | ABORTING)) !== 0) return;
    this.#flags |= ABORTING;
    this.reactor.removeReader(this);
    const socket = this._socket;
    if (socket !== null && !socket.destroyed) {
      if (this.connected) resetSocket(socket);
      else socket.destroy();
    }
    this.reactor.callLater(0, abortLater, this);
  }

  /**
   * Half-close: send FIN once the buffer has drained (writes made meanwhile
   * still go out first), then the protocol's writeConnectionLost(). A
   * producer holds it as it holds loseConnection().
   */
  loseWriteConnection(): void {
    if ((this.#flags & (CONNECTED | DISCONNECTING | WRITE_DISCONNECTING | ABORTING)) !== CONNECTED) return;
    this.#flags |= WRITE_DISCONNECTING;
    this._closeSoon();
  }

  /** The remote address. */
  abstract getPeer(): A;

  /**
   * The local address (for TCP: read from the socket once, then cached).
   * @throws RuntimeError once the socket is closed (unless asked before).
   */
  getHost(): A {
    const rare = this._ensureRare();
    if (rare.host === null) rare.host = this._readHost();
    return rare.host as A;
  }

  /**
   * The local address, read from the socket (getHost() caches it): an
   * IPv4Address/IPv6Address; the UNIX transports override it.
   * @throws RuntimeError once the socket is closed.
   * @internal
   */
  protected _readHost(): A {
    const socket = this._socket;
    const a = (socket === null || socket.destroyed ? {} : socket.address()) as Partial<AddressInfo>;
    if (a.port === undefined || a.address === undefined) {
      throw new RuntimeError('The transport is closed; getHost() is only available while it is open');
    }
    return ipAddress('TCP', a.address, a.port, a.family) as IAddress as A;
  }

  /**
   * The underlying handle while open, else null (Twisted's getHandle):
   * libuv's raw TCP handle object for connections driven through Node's
   * private TCP binding (the default where available, for accepted and
   * client connections alike; Node-internal, e.g. its `fd`: do not read
   * from, write to or close it), else the net.Socket. A net.Socket handed
   * out here is never reused for another connection.
   */
  getHandle(): Socket | { readonly fd?: number } | null {
    const socket = this._socket;
    if (socket === null) return null;
    if (socket instanceof NativeStream) return socket._handle;
    socket.recyclable = false;
    return socket as unknown as Socket;
  }

  // ---- TCP options ------------------------------------------------------------

  /** Enable/disable TCP_NODELAY (Nagle's algorithm off/on). */
  setTcpNoDelay(enabled: boolean): void {
    this._setBit(NO_DELAY, Boolean(enabled));
    this._socket?.setNoDelay(Boolean(enabled));
  }
  /** Whether TCP_NODELAY is set. */
  getTcpNoDelay(): boolean {
    return (this.#flags & NO_DELAY) !== 0;
  }
  /** Enable/disable SO_KEEPALIVE. */
  setTcpKeepAlive(enabled: boolean): void {
    this._setBit(KEEP_ALIVE, Boolean(enabled));
    this._socket?.setKeepAlive(Boolean(enabled));
  }
  /** Whether SO_KEEPALIVE is set. */
  getTcpKeepAlive(): boolean {
    return (this.#flags & KEEP_ALIVE) !== 0;
  }

  // ---- write flow control (asyncio + Twisted producers) ----------------------------

  /**
   * Set the watermarks: pauseWriting()/producer pause when the buffer goes
   * strictly over `high`, resume when it drains to `low` or below.
   * `high` defaults to 64 KiB (or 4 × low), `low` to high / 4.
   * @throws RangeError unless high >= low >= 0 (TypeError for non-integers).
   */
  setWriteBufferLimits(high?: number, low?: number): void {
    const flow = this._ensureFlow();
    flow.setLimits(high, low);
    if (this.getWriteBufferSize() > flow.high) flow.overHigh();
  }

  /** `[high, low]` watermarks in bytes. */
  getWriteBufferLimits(): [number, number] {
    const flow = this.#rare === null ? null : this.#rare.flow;
    return flow === null ? [DEFAULT_HIGH_WATER, DEFAULT_HIGH_WATER / 4] : [flow.high, flow.low];
  }

  /** Bytes accepted by write() and not yet handed to the kernel. */
  getWriteBufferSize(): number {
    const socket = this._socket;
    return socket === null ? 0 : socket.writableLength;
  }

  /**
   * Register a producer: streaming (push) producers are paused over the
   * high-water mark and resumed at the low one; pull producers are asked
   * for more at once and whenever the buffer drains. On a disconnected
   * transport the producer is stopped at once.
   * @throws RuntimeError if a producer is already registered.
   */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.disconnected && this.producer === null) {
      producer.stopProducing();
      return;
    }
    this._ensureFlow().register(producer, streaming);
    // A transport registered as the producer: when its own connection is
    // lost it unregisters itself from here (Twisted's port forwarder relies
    // on this to close the far side).
    if (producer instanceof Connection && producer !== this) {
      const rare = producer._ensureRare();
      (rare.consumers ?? (rare.consumers = [])).push(this);
    }
  }

  /** Forget the producer; a pending loseConnection/loseWriteConnection proceeds. */
  unregisterProducer(): void {
    const flow = this.#rare === null ? null : this.#rare.flow;
    if (flow === null || flow.producer === null) return;
    const producer = flow.producer;
    flow.unregister();
    if (producer instanceof Connection) producer._forgetConsumer(this);
    const flags = this.#flags;
    if ((flags & (CONNECTED | END_REQUESTED)) === CONNECTED && (flags & (DISCONNECTING | WRITE_DISCONNECTING)) !== 0) {
      this._closeSoon();
    }
  }

  /** The registered producer, if any. */
  get producer(): IPushProducer | IPullProducer | null {
    const flow = this.#rare === null ? null : this.#rare.flow;
    return flow === null ? null : flow.producer;
  }

  // ---- the transport as a push producer ------------------------------------------

  /** Stop reading: stopReading(), which leaves the reactor's reader set. */
  pauseProducing(): void {
    this.reactor.removeReader(this);
  }
  /** Read again (startReading()), unless closing or the read side has ended. */
  resumeProducing(): void {
    if ((this.#flags & (CONNECTED | DISCONNECTING | READ_DISCONNECTED)) === CONNECTED) this.reactor.addReader(this);
  }
  /** loseConnection(). */
  stopProducing(): void {
    this.loseConnection();
  }

  // ---- IHandleDescriptor ------------------------------------------------------------

  /** The OS file descriptor, or -1. */
  fileno(): number {
    const handle = (this._socket as unknown as { _handle?: { fd?: unknown } } | null)?._handle;
    return typeof handle?.fd === 'number' ? handle.fd : -1;
  }
  /**
   * Twisted's `startReading()`: join the reactor's reader set
   * (`reactor.addReader(this)`), which starts reading from the socket.
   * Does nothing once the connection is lost or its read side has ended.
   */
  startReading(): void {
    if ((this.#flags & (CONNECTED | READ_DISCONNECTED)) === CONNECTED) this.reactor.addReader(this);
  }
  /**
   * Twisted's `stopReading()`: leave the reactor's reader set
   * (`reactor.removeReader(this)`), which stops reading from the socket;
   * nothing more is delivered until startReading() or `addReader(this)`.
   */
  stopReading(): void {
    this.reactor.removeReader(this);
  }
  /**
   * Twisted's `startWriting()`: join the reactor's writer set. libuv drives
   * the writes a transport queued, so this is bookkeeping only.
   */
  startWriting(): void {
    if (this.connected) this.reactor.addWriter(this);
  }
  /** Twisted's `stopWriting()`: leave the reactor's writer set (bookkeeping only). */
  stopWriting(): void {
    this.reactor.removeWriter(this);
  }
  /** Reactor hook (addReader): start reading from the socket (uv_read_start). @hidden */
  _startReadingHandle(): void {
    const socket = this._socket;
    if ((this.#flags & (READING | DISCONNECTED)) !== 0 || socket === null) return;
    this.#flags |= READING;
    startSocketReading(socket);
  }
  /** Reactor hook (removeReader): stop reading (uv_read_stop; backpressure). @hidden */
  _stopReadingHandle(): void {
    if ((this.#flags & READING) === 0) return;
    this.#flags &= ~READING;
    this._socket?.pause();
  }
  /** A short name for log lines. */
  abstract logPrefix(): string;

  /**
   * The connection is gone: runs once (later calls do nothing). Stops the
   * producer, closes the socket (RST if aborted) and calls the protocol's
   * connectionLost(reason). The reactor calls it on shutdown.
   */
  connectionLost(reason: Failure): void {
    if ((this.#flags & DISCONNECTED) !== 0) return;
    this.#flags = (this.#flags | DISCONNECTED) & ~CONNECTED;
    this.reactor.removeReader(this);
    this.reactor.removeWriter(this);
    this.reactor._untrackConnection(this);
    const rare = this.#rare;
    if (rare !== null) {
      const producer = rare.flow === null ? null : rare.flow.producer;
      if (producer !== null) {
        (rare.flow as WriteFlow).unregister();
        if (producer instanceof Connection) producer._forgetConsumer(this);
        guardCall(this, 'stopProducing', producer.stopProducing, producer);
      }
      // A producer whose own connection is lost leaves every consumer it was
      // registered on (their pending close proceeds), before the protocol's
      // connectionLost runs.
      const consumers = rare.consumers;
      if (consumers !== null) {
        rare.consumers = null;
        for (const consumer of consumers) if (consumer.producer === this) consumer.unregisterProducer();
      }
    }
    this._closeTransportSocket(reason);
    const protocol = this.protocol;
    if (protocol !== null) guardCall(this, 'connectionLost', protocol.connectionLost, protocol, reason);
  }

  /**
   * A protocol (or producer) callback threw, or the thenable it returned
   * rejected (guard.ts): log it and end the connection with it (nothing more
   * once the connection is already lost).
   * @internal
   */
  _callbackFailed(err: unknown, where: string): void {
    const failure = Failure.from(err);
    log.failure(`Unhandled error in ${where} of ${this.logPrefix()}`, failure);
    this.connectionLost(failure);
  }

  // ---- SocketOwner: events from the socket ---------------------------------------

  /** @internal */
  _onRead(nread: number, buf: Uint8Array): void {
    if ((this.#flags & (CONNECTED | DISCONNECTING | ABORTING)) !== CONNECTED) return;
    this._countRead();
    if ((this.#flags & LENDER) !== 0) {
      const lender = this.protocol as IBufferedProtocol;
      const rare = this.#rare;
      if (rare !== null && buf === rare.lent) {
        rare.lent = null;
        guardCall(this, 'bufferUpdated', lender.bufferUpdated, lender, nread);
      } else {
        this._lendCopy(lender, buf as Buffer, nread);
      }
      return;
    }
    let data: Buffer;
    if (buf === SHARED_READ_BUFFER) {
      data = Buffer.allocUnsafe(nread);
      SHARED_READ_BUFFER.copy(data, 0, 0, nread);
    } else {
      // A fresh buffer handed out for this read: give it away, no copy.
      data = Buffer.from(buf.buffer, buf.byteOffset, nread);
    }
    if (nread >= FRESH_READ_MIN) this.#flags |= FRESH_NEXT;
    else this.#flags &= ~FRESH_NEXT;
    try {
      const r: unknown = (this.protocol as IProtocol).dataReceived(data);
      if (r !== undefined) guardResult(this, 'dataReceived', r);
    } catch (err) {
      this._callbackFailed(err, whereOf(err, 'dataReceived'));
    }
  }

  /**
   * One read delivered: once {@link READ_BUDGET} reads were delivered in
   * this loop pass, stop the handle reading until the pass ends (the reader
   * set is untouched: this is fairness, not backpressure).
   */
  private _countRead(): void {
    let flags = this.#flags;
    if ((flags & IN_PASS) === 0) {
      flags = (flags & ~PASS_READS) | IN_PASS;
      passReaders.push(this);
      if (!passScheduled) {
        passScheduled = true;
        setImmediate(endReadPass);
      }
    }
    const counted = (flags & PASS_READS) >> PASS_READS_SHIFT;
    const reads = counted < PASS_READS_MAX ? counted + 1 : PASS_READS_MAX;
    flags = (flags & ~PASS_READS) | (reads << PASS_READS_SHIFT);
    if (
      reads >= READ_BUDGET &&
      (reads >= SOLO_READ_BUDGET || passReaders.length > 1) &&
      (flags & (READING | THROTTLED)) === READING
    ) {
      this.#flags = flags | THROTTLED;
      this._socket?.pause();
      return;
    }
    this.#flags = flags;
  }

  /** The loop pass ended: renew the read budget, and read again if throttled. @internal */
  _endReadPass(): void {
    const flags = this.#flags;
    this.#flags = flags & ~(IN_PASS | PASS_READS | THROTTLED);
    if ((flags & THROTTLED) === 0 || (flags & (READING | DISCONNECTED)) !== READING) return;
    const socket = this._socket;
    if (socket !== null && !socket.destroyed) startSocketReading(socket);
  }

  /** @internal */
  _nextBuffer(): Uint8Array {
    if ((this.#flags & (LENDER | CONNECTED | DISCONNECTING)) !== (LENDER | CONNECTED)) {
      return (this.#flags & FRESH_NEXT) !== 0 ? Buffer.allocUnsafeSlow(SHARED_READ_BUFFER.length) : SHARED_READ_BUFFER;
    }
    try {
      const buf = (this.protocol as IBufferedProtocol).getBuffer(-1);
      checkLent(buf);
      this._ensureRare().lent = buf;
      return buf;
    } catch (err) {
      if (this.#rare !== null) this.#rare.lent = null;
      this._callbackFailed(err, 'getBuffer');
      return SHARED_READ_BUFFER;
    }
  }

  /** @internal */
  _onEnd(): void {
    if ((this.#flags & (CONNECTED | DISCONNECTING | ABORTING)) !== CONNECTED) return;
    const protocol = this.protocol as IProtocol & { readConnectionLost?: () => void };
    if (typeof protocol.readConnectionLost !== 'function') {
      this.connectionLost(CONNECTION_DONE);
      return;
    }
    this.#flags |= READ_DISCONNECTED;
    this.reactor.removeReader(this);
    guardCall(this, 'readConnectionLost', protocol.readConnectionLost, protocol);
  }

  /** @internal */
  _onFinish(): void {
    const flags = this.#flags;
    if ((flags & DISCONNECTED) !== 0) return;
    this.#flags = flags | WRITE_DISCONNECTED;
    if ((flags & DISCONNECTING) !== 0) {
      this.connectionLost(CONNECTION_DONE);
      return;
    }
    const protocol = this.protocol as (IProtocol & { writeConnectionLost?: () => void }) | null;
    if ((flags & WRITE_DISCONNECTING) !== 0 && protocol !== null && typeof protocol.writeConnectionLost === 'function') {
      guardCall(this, 'writeConnectionLost', protocol.writeConnectionLost, protocol);
    }
  }

  /** @internal */
  _onError(err: Error): void {
    if ((this.#flags & (DISCONNECTED | ABORTING)) !== 0) return;
    if (!this.connected) {
      this._socketFailed(err);
      return;
    }
    this.connectionLost(new Failure(new ConnectionLost(`Connection to the other side was lost: ${err.message}`, { cause: err })));
  }

  /** @internal */
  _onClose(): void {
    if ((this.#flags & (DISCONNECTED | ABORTING)) !== 0) return;
    if (!this.connected) {
      this._socketFailed(null);
      return;
    }
    // Both halves closed cleanly (Node destroys the socket then), or the
    // handle went away under us.
    this.connectionLost(CONNECTION_DONE);
  }

  /**
   * The socket failed (or closed, `err` null) before the connection was
   * established; clients turn this into a failed attempt.
   * @internal
   */
  protected _socketFailed(err: Error | null): void {
    this.connectionLost(new Failure(err === null ? new ConnectionLost() : new ConnectionLost(err.message, { cause: err })));
  }

  /** @internal */
  _onConnect(): void {}

  /** End-of-tick flush (see write-batch). @internal */
  _flush(): void {
    const flags = this.#flags;
    if ((flags & CORKED) === 0) return;
    this.#flags = flags & ~CORKED;
    const socket = this._socket;
    if (socket === null || (flags & END_REQUESTED) !== 0) return;
    if (socket.destroyed) {
      socket.uncork();
      return;
    }
    const flow = this.#rare === null ? null : this.#rare.flow;
    if ((flags & (DISCONNECTING | WRITE_DISCONNECTING)) !== 0 && (flags & ABORTING) === 0 && !this._producerHoldsClose()) {
      // Closing: FIN at once if everything has left, else once this batch
      // has (later writes get their own batch and marker).
      if (socket.writableLength === 0) {
        this._endWrite();
        return;
      }
      socket.write(EMPTY, this._closeCallback());
      socket.uncork();
      return;
    }
    // One empty chunk at the end of a watched batch: its callback runs once
    // the whole batch has left, which is when the drain check is due.
    if (flow !== null && flow.watching) socket.write(EMPTY, flow.onWriteDone);
    socket.uncork();
  }

  /** Whether a registered producer holds a pending close (a pull producer, or a paused streaming one). */
  private _producerHoldsClose(): boolean {
    const flow = this.#rare === null ? null : this.#rare.flow;
    return flow !== null && flow.producer !== null && !(flow.streaming && !flow.producerPaused);
  }

  /** Close (FIN) at the end of this tick, once the buffer has drained. */
  private _closeSoon(): void {
    const flags = this.#flags;
    if ((flags & END_REQUESTED) !== 0) return;
    if ((flags & CORKED) === 0) {
      this.#flags = flags | CORKED;
      (this._socket as TransportSocket).cork();
      scheduleFlush(this);
    }
  }

  /** The drain marker's callback of a closing connection: FIN if nothing is left. */
  private _closeCallback(): (err?: Error | null) => void {
    const rare = this._ensureRare();
    return (
      rare.closeCb ??
      (rare.closeCb = (err) => {
        if (err) return;
        rare.flow?.drained();
        const flags = this.#flags;
        if ((flags & (CONNECTED | END_REQUESTED | CORKED | ABORTING)) !== CONNECTED) return;
        const socket = this._socket;
        if (socket !== null && socket.writableLength === 0 && !this._producerHoldsClose()) this._endWrite();
      })
    );
  }

  /** A paused streaming producer was resumed by a drain: a pending close may go on. @internal */
  _afterDrain(): void {
    if ((this.#flags & (DISCONNECTING | WRITE_DISCONNECTING)) !== 0) this._closeSoon();
  }

  /** `consumer` no longer has this transport as its producer. @internal */
  _forgetConsumer(consumer: Connection<IAddress>): void {
    const consumers = this.#rare === null ? null : this.#rare.consumers;
    if (consumers === null) return;
    const i = consumers.indexOf(consumer);
    if (i >= 0) consumers.splice(i, 1);
  }

  // ---- ITLSTransport / ISSLTransport (tls family) ----------------------------------

  /** True once startTLS() ran. */
  get TLS(): boolean {
    return tlsLayerOf(this) !== null;
  }

  /**
   * Upgrade this live connection to TLS in place (see ITLSTransport):
   * bytes written before leave in plaintext, then the handshake starts, as
   * the client for a connectTCP connection and as the server for an
   * accepted one. The protocol and this transport keep their identity.
   * @throws RuntimeError when called twice or after loseConnection(); TypeError for unusable options.
   */
  startTLS(contextFactory: IOpenSSLClientConnectionCreator | IOpenSSLServerConnectionCreator): void {
    this._setProtocol(startTLS(this as unknown as Connection, Connection.prototype, contextFactory));
  }
  /** The peer's certificate after a startTLS handshake, else null. */
  getPeerCertificate(): Certificate | null {
    return tlsLayerOf(this)?.getPeerCertificate() ?? null;
  }
  /** This side's certificate after startTLS, else null. */
  getHostCertificate(): Certificate | null {
    return tlsLayerOf(this)?.getHostCertificate() ?? null;
  }
  /** The negotiated cipher after a startTLS handshake, else null. */
  getCipher(): { name: string; standardName: string; version: string } | null {
    return tlsLayerOf(this)?.getCipher() ?? null;
  }
  /** The negotiated TLS version after a startTLS handshake, else null. */
  getProtocolVersion(): TLSVersion | null {
    return tlsLayerOf(this)?.getProtocolVersion() ?? null;
  }
  /** The ALPN protocol after a startTLS handshake, else null. */
  get negotiatedProtocol(): string | null {
    return tlsLayerOf(this)?.negotiatedProtocol ?? null;
  }

  // ---- internals ----------------------------------------------------------------
  // TypeScript-private, not #private, methods: a class with #methods stores
  // a brand in every instance (one more slot in every idle connection).

  private _setBit(bit: number, on: boolean): void {
    this.#flags = on ? this.#flags | bit : this.#flags & ~bit;
  }

  private _ensureFlow(): WriteFlow {
    const rare = this._ensureRare();
    return rare.flow ?? (rare.flow = new WriteFlow(this));
  }

  private _ensureRare(): RareState {
    return this.#rare ?? (this.#rare = new RareState());
  }

  private _lendCopy(lender: IBufferedProtocol, src: Buffer, nread: number): void {
    try {
      let off = 0;
      while (off < nread) {
        const dst = lender.getBuffer(nread - off);
        checkLent(dst);
        const n = Math.min(dst.length, nread - off);
        src.copy(dst, 0, off, off + n);
        off += n;
        const r: unknown = lender.bufferUpdated(n);
        if (r !== undefined) guardResult(this, 'bufferUpdated', r);
        if (!this.connected) return;
      }
    } catch (err) {
      this._callbackFailed(err, 'getBuffer/bufferUpdated');
    }
  }

  private _endWrite(): void {
    this.#flags = (this.#flags | END_REQUESTED) & ~CORKED;
    (this._socket as TransportSocket).end();
  }

  private _closeTransportSocket(reason: Failure): void {
    const socket = this._socket;
    if (socket === null) return;
    this._socket = null;
    this.#flags &= ~(READING | CORKED);
    this._releaseSocket(socket);
    if (socket.destroyed) return;
    if (reason.check(ConnectionAborted) !== null && this.protocol !== null) {
      socket.resetAndDestroy();
    } else if ((this.#flags & WRITE_DISCONNECTED) !== 0 && reason === CONNECTION_DONE) {
      linger(socket, LINGER_SECONDS);
    } else {
      socket.destroy();
    }
  }

  /** Detach the socket from this transport. @internal */
  protected _releaseSocket(socket: TransportSocket): void {
    socket.owner = null;
  }
}

function checkLent(buf: unknown): asserts buf is Uint8Array {
  if (!(buf instanceof Uint8Array) || buf.length === 0) {
    throw new RuntimeError(`getBuffer() must return a non-empty Uint8Array, got ${describe(buf)}`);
  }
}
