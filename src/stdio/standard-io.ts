/**
 * `StandardIO`: a stream protocol on this process's own stdin and stdout
 * (Twisted's `twisted.internet.stdio.StandardIO`).
 *
 * fds 0 and 1 are Node's `process.stdin` / `process.stdout` (whatever they
 * are: pipe, socket, TTY or file; Node never closes them, so
 * `loseConnection()` ends the stream but fd 1 stays open until exit).
 * Other fds get their own stream, closed by `loseConnection()`. Reading goes
 * through the reactor's reader set, as every transport's does; writes are
 * gathered per tick and flow-controlled as the TCP transport's.
 * @module
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import * as tty from 'node:tty';
import { ProcessAddress } from '../address';
import { Failure } from '../defer/failure';
import { ConnectionDone, ConnectionLost } from '../errors';
import { guardCall, guardMakeConnection } from '../guard';
import type { IHandleDescriptor, IReactorFDSet } from '../interfaces/fdset';
import type { IPullProducer, IPushProducer } from '../interfaces/producer';
import type { IHalfCloseableProtocol, IProtocol } from '../interfaces/protocol';
import type { IHalfCloseableTransport, ITransport } from '../interfaces/transport';
import { Logger } from '../logger';
import { reactor as globalReactor } from '../reactor';
import { WriteFlow } from '../tcp/flow';
import { type Flushable, scheduleFlush } from '../tcp/write-batch';
import { ArgTypeError, checkBytes, checkCount, describe } from '../validate';

const log = new Logger('torsion.stdio');

/** Options of {@link StandardIO}. */
export interface StandardIOOptions {
  /** The fd to read. Default 0. */
  stdin?: number;
  /** The fd to write. Default 1. */
  stdout?: number;
  /** The reactor whose reader set drives reading (and whose shutdown ends the connection). Default: the global reactor. */
  reactor?: IReactorFDSet & { _trackConnection?(d: unknown): void; _untrackConnection?(d: unknown): void };
}

/** A readable stream on `fd` (pipe/socket, TTY or file). */
function openReader(fd: number): Readable {
  if (fd === 0) return process.stdin;
  if (tty.isatty(fd)) return new tty.ReadStream(fd);
  const st = fs.fstatSync(fd);
  if (st.isFIFO() || st.isSocket()) return new net.Socket({ fd, readable: true, writable: false });
  return fs.createReadStream('', { fd, autoClose: true });
}

/** A writable stream on `fd`. */
function openWriter(fd: number): Writable {
  if (fd === 1) return process.stdout;
  if (fd === 2) return process.stderr;
  if (tty.isatty(fd)) return new tty.WriteStream(fd);
  const st = fs.fstatSync(fd);
  if (st.isFIFO() || st.isSocket()) return new net.Socket({ fd, readable: false, writable: true });
  return fs.createWriteStream('', { fd, autoClose: true });
}

/** The reading side, a handle descriptor in the reactor's reader set. */
class StdinReader implements IHandleDescriptor {
  constructor(
    readonly owner: StandardIO,
    readonly stream: Readable,
    readonly fd: number,
  ) {}
  /** The fd read. */
  fileno(): number {
    return this.fd;
  }
  /** For log lines. */
  logPrefix(): string {
    return `StandardIO(fd ${this.fd})`;
  }
  /** Dropped by the reactor (shutdown): the connection ends with `reason`. */
  connectionLost(reason: Failure): void {
    this.owner._lost(reason);
  }
  /** Reactor hook: resume the stream. */
  _startReadingHandle(): void {
    this.stream.resume();
  }
  /** Reactor hook: pause the stream (backpressure). */
  _stopReadingHandle(): void {
    this.stream.pause();
  }
}

/**
 * A protocol on this process's stdin/stdout. `makeConnection` runs in the
 * constructor; stdin bytes go to `dataReceived`, writes to stdout; stdin's
 * EOF gives `readConnectionLost()` to a half-closeable protocol, and
 * `loseConnection()` (then `connectionLost(ConnectionDone)`) to others.
 *
 * The protocol sees the grammar of {@link torsion/interfaces!IProtocol}
 * (with readConnectionLost/writeConnectionLost for a half-closeable one);
 * the reactor's shutdown ends it with ConnectionLost.
 * @example
 * ```ts
 * class Upper extends Protocol<StandardIO> {
 *   override dataReceived(data: Buffer): void {
 *     this.transport!.write(Buffer.from(data.toString().toUpperCase()));
 *   }
 * }
 * new StandardIO(new Upper());
 * ```
 */
export class StandardIO implements ITransport, IHalfCloseableTransport, IPushProducer, Flushable {
  /** True once loseConnection() was called. */
  disconnecting = false;
  /** True once connectionLost ran. */
  disconnected = false;
  /** The protocol. */
  readonly protocol: IProtocol;
  readonly #reactor: NonNullable<StandardIOOptions['reactor']>;
  readonly #reader: StdinReader;
  readonly #writer: Writable;
  readonly #ownsWriter: boolean;
  #flow: WriteFlow | null = null;
  #corked = false;
  #readDone = false;
  #writeDone = false;
  #writeEnding = false;

  /**
   * Connect `protocol` to stdin/stdout now (makeConnection -> connectionMade).
   * @throws TypeError for a protocol without makeConnection, or bad fds.
   */
  constructor(protocol: IProtocol, opts: StandardIOOptions = {}) {
    if (protocol === null || typeof protocol !== 'object' || typeof protocol.makeConnection !== 'function') {
      throw new ArgTypeError(`protocol must be a Protocol, got ${describe(protocol)}`);
    }
    if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
    const stdin = opts.stdin ?? 0;
    const stdout = opts.stdout ?? 1;
    checkCount('stdin', stdin);
    checkCount('stdout', stdout);
    this.protocol = protocol;
    this.#reactor = opts.reactor ?? globalReactor;
    const input = openReader(stdin);
    this.#writer = openWriter(stdout);
    this.#ownsWriter = stdout > 2;
    this.#reader = new StdinReader(this, input, stdin);
    input.pause();
    input.on('data', (chunk: Buffer | string) => this.#data(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    input.on('end', () => this.#readLost());
    input.on('error', (err: Error) => {
      log.debug(`stdin: ${err.message}`);
      this.#readLost();
    });
    this.#writer.on('error', (err: Error) => this._lost(new Failure(new ConnectionLost(undefined, { cause: err }))));
    this.#reactor._trackConnection?.(this.#reader);
    guardMakeConnection(this, protocol, this);
    if (!this.disconnected && !this.disconnecting) this.#reactor.addReader(this.#reader);
  }

  #data(chunk: Buffer): void {
    if (this.disconnected || this.#readDone) return;
    guardCall(this, 'dataReceived', this.protocol.dataReceived, this.protocol, chunk);
  }

  #readLost(): void {
    if (this.#readDone || this.disconnected) return;
    this.#readDone = true;
    this.#reactor.removeReader(this.#reader);
    const half = this.protocol as Partial<IHalfCloseableProtocol>;
    if (typeof half.readConnectionLost === 'function') {
      guardCall(this, 'readConnectionLost', half.readConnectionLost, half);
      if (this.#writeDone) this._lost(new Failure(new ConnectionDone()));
    } else this.loseConnection();
  }

  /** Write to stdout (gathered per tick). Ignored once the write side is closed. */
  write(data: Buffer | Uint8Array): void {
    checkBytes('data', data);
    if (this.disconnected || this.#writeEnding || data.byteLength === 0) return;
    if (!this.#corked) {
      this.#corked = true;
      this.#writer.cork();
      scheduleFlush(this);
    }
    this.#writer.write(data);
  }

  /** write() each buffer, in order; all are checked first. */
  writeSequence(data: ReadonlyArray<Buffer | Uint8Array>): void {
    if (!Array.isArray(data)) throw new ArgTypeError(`data must be an array of Buffers, got ${describe(data)}`);
    for (let i = 0; i < data.length; i++) checkBytes(`data[${i}]`, data[i]);
    for (const d of data) this.write(d);
  }

  /** @internal */
  _flush(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#writer.uncork();
    const size = this.getWriteBufferSize();
    const flow = this.#flow;
    if (flow === null) {
      if (size > 64 * 1024) this.#ensureFlow().overHigh();
    } else if (size > flow.high) flow.overHigh();
    const f = this.#flow;
    if (f !== null && f.watching && !this.#writeEnding) this.#writer.write(Buffer.alloc(0), f.onWriteDone);
  }

  /** Stop reading, send what is buffered, close stdout; then connectionLost(ConnectionDone). */
  loseConnection(): void {
    if (this.disconnecting || this.disconnected) return;
    this.disconnecting = true;
    this.#reactor.removeReader(this.#reader);
    this.#endWriter(() => this._lost(new Failure(new ConnectionDone())));
  }

  /** Close stdout after what is buffered; the protocol's writeConnectionLost() then runs. */
  loseWriteConnection(): void {
    if (this.#writeEnding || this.disconnected) return;
    this.#endWriter(() => {
      this.#writeDone = true;
      const half = this.protocol as Partial<IHalfCloseableProtocol>;
      if (typeof half.writeConnectionLost === 'function') guardCall(this, 'writeConnectionLost', half.writeConnectionLost, half);
      if (this.#readDone) this._lost(new Failure(new ConnectionDone()));
    });
  }

  #endWriter(then: () => void): void {
    if (this.#writeEnding) return;
    this.#writeEnding = true;
    this._flush();
    const w = this.#writer;
    if (this.#ownsWriter) w.end(then);
    else {
      // process.stdout/stderr cannot be closed: wait until what was written has gone.
      w.write(Buffer.alloc(0), () => then());
    }
  }

  /** The connection is over (once): connectionLost(reason). @internal */
  _lost(reason: Failure): void {
    if (this.disconnected) return;
    this.disconnected = true;
    this.#reactor.removeReader(this.#reader);
    this.#reactor._untrackConnection?.(this.#reader);
    const input = this.#reader.stream;
    input.removeAllListeners('data');
    input.pause();
    if (this.#reader.fd > 0) input.destroy();
    if (this.#ownsWriter && !this.#writer.destroyed) this.#writer.destroy();
    const flow = this.#flow;
    if (flow?.producer != null) {
      const producer = flow.producer;
      flow.unregister();
      guardCall(this, 'stopProducing', producer.stopProducing, producer);
    }
    guardCall(this, 'connectionLost', this.protocol.connectionLost, this.protocol, reason);
  }

  /** A ProcessAddress (Twisted's PipeAddress plays this role). */
  getPeer(): ProcessAddress {
    return new ProcessAddress();
  }
  /** A ProcessAddress. */
  getHost(): ProcessAddress {
    return new ProcessAddress();
  }

  /** Register a producer for the writes. @throws RuntimeError if one is registered. */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.disconnected) {
      producer.stopProducing();
      return;
    }
    this.#ensureFlow().register(producer, streaming);
  }
  /** Forget the producer. */
  unregisterProducer(): void {
    this.#flow?.unregister();
  }
  /** Stop reading stdin. */
  pauseProducing(): void {
    this.#reactor.removeReader(this.#reader);
  }
  /** Read stdin again. */
  resumeProducing(): void {
    if (!this.disconnected && !this.disconnecting && !this.#readDone) this.#reactor.addReader(this.#reader);
  }
  /** loseConnection(). */
  stopProducing(): void {
    this.loseConnection();
  }
  /** asyncio's watermarks for stdout. @throws RangeError unless high >= low >= 0. */
  setWriteBufferLimits(high?: number, low?: number): void {
    this.#ensureFlow().setLimits(high, low);
  }
  /** Bytes written and not yet handed to the kernel. */
  getWriteBufferSize(): number {
    return this.#writer.writableLength;
  }
  /** For log lines. */
  logPrefix(): string {
    return 'StandardIO';
  }
  /** @internal */
  _afterDrain(): void {}
  /** @internal */
  _callbackFailed(err: unknown, where: string): void {
    log.failure(`Unhandled error in ${where} of StandardIO`, Failure.from(err));
    if (where === 'connectionLost') return;
    this._lost(err instanceof Error ? new Failure(err) : new Failure(new ConnectionLost()));
  }

  #ensureFlow(): WriteFlow {
    if (this.#flow === null) this.#flow = new WriteFlow(this);
    return this.#flow;
  }
}
