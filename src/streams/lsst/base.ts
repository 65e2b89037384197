/**
 * lsst.ts.tcpip's `BaseClientOrServer`: the read/write methods, the
 * connection monitor and the connect callback that `Client` and
 * `OneClientServer` share, over an asyncio {@link StreamReader} /
 * {@link StreamWriter} pair.
 * @module
 */
import { lookupCodec, decodeText, encodeText, type Codec } from '../../codec';
import type { Failure } from '../../defer/failure';
import { ConnectionError, IncompleteReadError, RuntimeError } from '../../errors';
import { type GuardOwner, guardCall, isThenable } from '../../guard';
import type { IReactorTCP } from '../../interfaces/tcp';
import type { IReactorTime } from '../../interfaces/time';
import type { IReactorSSL } from '../../interfaces/tls';
import { Logger } from '../../logger';
import type { IStruct } from '../../struct';
import { LoopingCall } from '../../task/looping-call';
import { ArgRangeError, ArgTypeError, checkBytes, checkFinite, checkString, describe } from '../../validate';
import { type Bytes, type ReadOptions, handled } from '../asyncio/options';
import { DEFAULT_LIMIT, StreamReader } from '../asyncio/stream-reader';
import { StreamReaderProtocol } from '../asyncio/stream-reader-protocol';
import type { StreamWriter } from '../asyncio/stream-writer';
import { DEFAULT_ENCODING, DEFAULT_MONITOR_CONNECTION_INTERVAL, DEFAULT_TERMINATOR } from './constants';

/**
 * What `connectCallback` is: called with the client or server whenever its
 * `connected` state changes. It may be `async` (it is awaited); what it
 * throws or rejects is logged, never raised.
 */
export type ConnectCallback<T> = (self: T) => void | Promise<void>;

/**
 * The reactor an lsst client or server needs: TCP and a clock (the
 * monitor, heartbeats, timeouts), and TLS when `ssl` is used. A real
 * `Reactor` and a `MemoryReactorClock` both are.
 */
export type LsstReactor = IReactorTCP & IReactorTime & Partial<IReactorSSL>;

/** Options shared by {@link Client} and {@link OneClientServer}. */
export interface BaseClientOrServerOptions<T> {
  /** The reactor to connect or listen on, and whose clock runs the monitor and heartbeats; default the global reactor. */
  reactor?: LsstReactor;
  /** Where log lines go; default `new Logger('torsion.streams')`. */
  log?: Logger;
  /** Called (awaited) when `connected` changes; null for none. */
  connectCallback?: ConnectCallback<T> | null;
  /** Seconds between connection checks (default 0.1); `<= 0` disables the monitor. */
  monitorConnectionInterval?: number;
  /** A name for log messages (default ''). */
  name?: string;
  /** The encoding of `readStr`/`writeStr`/`readJson`/`writeJson`, as Python names it (default 'utf-8'). */
  encoding?: string;
  /** The terminator of `readStr`/`writeStr` (default `\r\n`). */
  terminator?: Bytes;
  /** The stream reader's limit: the longest line, in bytes (default 65536). */
  limit?: number;
}

/**
 * The reader of an lsst connection: a {@link StreamReader} that also says
 * how much it holds, so reads after a loss can drain it first. @internal
 */
export class LsstStreamReader extends StreamReader {
  /** Bytes buffered and not yet read. */
  get bufferedLength(): number {
    return this.buffer.length;
  }
}

/**
 * The protocol of an lsst connection: asyncio's {@link StreamReaderProtocol},
 * which also reports the peer's EOF and the loss at once, so the connect
 * callback does not wait for the monitor. @internal
 */
export class LsstStreamProtocol extends StreamReaderProtocol {
  /** Called after readConnectionLost and connectionLost. */
  onStateChange: (() => void) | null = null;

  /** {@inheritDoc torsion/interfaces!IHalfCloseableProtocol.readConnectionLost} */
  override readConnectionLost(): void {
    super.readConnectionLost();
    this.onStateChange?.();
  }

  /** {@inheritDoc torsion/interfaces!IProtocol.connectionLost} */
  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    this.onStateChange?.();
  }
}

/** A promise and how to settle it. @internal */
export interface Settable {
  readonly promise: Promise<void>;
  readonly settled: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

/** A handled promise that can be settled from outside, once. @internal */
export function settable(): Settable {
  let res!: () => void;
  let rej!: (err: unknown) => void;
  let settled = false;
  const promise = handled(
    new Promise<void>((resolve, reject) => {
      res = resolve;
      rej = reject;
    }),
  );
  return {
    promise,
    get settled() {
      return settled;
    },
    resolve() {
      if (settled) return;
      settled = true;
      res();
    },
    reject(err: unknown) {
      if (settled) return;
      settled = true;
      rej(err);
    },
  };
}

/** Check the options every lsst class takes. @internal */
export function checkBaseOptions(opts: BaseClientOrServerOptions<never>): void {
  if (typeof opts !== 'object' || opts === null) throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
  if (opts.connectCallback !== undefined && opts.connectCallback !== null && typeof opts.connectCallback !== 'function') {
    throw new ArgTypeError(`connectCallback must be a function or null, got ${describe(opts.connectCallback)}`);
  }
  if (opts.monitorConnectionInterval !== undefined) checkFinite('monitorConnectionInterval', opts.monitorConnectionInterval);
  if (opts.name !== undefined) checkString('name', opts.name);
  if (opts.encoding !== undefined) lookupCodec(opts.encoding, 'encoding');
  if (opts.terminator !== undefined) {
    checkBytes('terminator', opts.terminator);
    if (opts.terminator.length === 0) throw new ArgRangeError('terminator must not be empty');
  }
  if (opts.limit !== undefined) {
    if (typeof opts.limit !== 'number') throw new ArgTypeError(`limit must be an integer, got ${describe(opts.limit)}`);
    if (!Number.isInteger(opts.limit) || opts.limit < 1)
      throw new ArgRangeError(`limit must be an integer >= 1, got ${opts.limit}`);
  }
  if (opts.log !== undefined && (opts.log === null || typeof (opts.log as Partial<Logger>).debug !== 'function')) {
    throw new ArgTypeError(`log must be a Logger, got ${describe(opts.log)}`);
  }
  if (opts.reactor !== undefined) {
    const r = opts.reactor as Partial<LsstReactor> | null;
    if (r === null || typeof r !== 'object' || typeof r.callLater !== 'function' || typeof r.seconds !== 'function') {
      throw new ArgTypeError(`reactor must provide IReactorTCP and IReactorTime, got ${describe(opts.reactor)}`);
    }
  }
}

function isStruct(value: unknown): value is IStruct {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Partial<IStruct>).buffer instanceof Uint8Array &&
    (value as IStruct).buffer.length === (value as IStruct).byteLength
  );
}

const NOT_CONNECTED = 'Not connected';

/**
 * What {@link Client} and {@link OneClientServer} share (lsst.ts.tcpip's
 * `BaseClientOrServer`): the read and write methods, `connected`, the
 * connect callback and the connection monitor.
 *
 * - Reads and writes throw `ConnectionError('Not connected')` when not
 *   connected; after a loss, reads first return what is still buffered
 *   (nothing received is lost), then throw.
 * - A read ending in `IncompleteReadError` or a `ConnectionError` closes
 *   the connection (`basicClose()`, then the callback) and rethrows;
 *   `LimitOverrunError`, `UnicodeDecodeError`, a timeout or an abort
 *   rethrow and keep it.
 * - Every read takes `{ timeout, signal }` (see `ReadOptions`); one read at
 *   a time (a second concurrent read rejects with `RuntimeError`).
 */
export abstract class BaseClientOrServer implements AsyncDisposable, AsyncIterable<string> {
  /** Where log lines go. */
  readonly log: Logger;
  /** The name used in log messages. */
  readonly name: string;
  /** The encoding of the text methods (as given, e.g. 'utf-8'). */
  readonly encoding: string;
  /** The terminator of `readStr`/`writeStr`. */
  readonly terminator: Buffer;
  /** Seconds between connection checks; `<= 0`: no monitor. Read when the monitor starts. */
  monitorConnectionInterval: number;
  /**
   * True while the connection should be up: set once connected, cleared by
   * `close()` (not by an unexpected loss). `connected` false while this is
   * true means the connection was lost unexpectedly.
   */
  shouldBeConnected = false;

  /** The reactor (connecting/listening, and the clock). @internal */
  protected readonly _reactorOption: LsstReactor | undefined;
  /** The reader limit. @internal */
  protected readonly _limit: number;

  readonly #codec: Codec;
  readonly #connectCallback: ConnectCallback<this> | null;
  #startTask: Promise<void> = Promise.resolve();
  readonly #done: Settable = settable();
  #reader: LsstStreamReader | null = null;
  #writer: StreamWriter | null = null;
  #protocol: LsstStreamProtocol | null = null;
  /** The connection is being (or was) closed by us. */
  #closing = false;
  #lastConnected = false;
  #callbackChain: Promise<void> = Promise.resolve();
  #monitor: LoopingCall | null = null;
  readonly #callbackOwner: GuardOwner;

  /**
   * @param opts - the shared options (validated).
   * @throws TypeError/RangeError for a bad option, naming it.
   */
  protected constructor(opts: BaseClientOrServerOptions<never>) {
    checkBaseOptions(opts);
    this.log = opts.log ?? new Logger('torsion.streams');
    this.name = opts.name ?? '';
    this.encoding = opts.encoding ?? DEFAULT_ENCODING;
    this.#codec = lookupCodec(this.encoding, 'encoding');
    this.terminator = opts.terminator === undefined ? DEFAULT_TERMINATOR : Buffer.from(opts.terminator);
    this.monitorConnectionInterval = opts.monitorConnectionInterval ?? DEFAULT_MONITOR_CONNECTION_INTERVAL;
    this._limit = opts.limit ?? DEFAULT_LIMIT;
    this._reactorOption = opts.reactor;
    this.#connectCallback = (opts.connectCallback ?? null) as ConnectCallback<this> | null;
    const log = this.log;
    this.#callbackOwner = {
      _callbackFailed: (err: unknown) => {
        log.error(`${this.#label()}connectCallback failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, {
          error: err,
        });
      },
    };
  }

  /** Resolves once started (connected, or listening); rejects with the error of starting. */
  get startTask(): Promise<void> {
    return this.#startTask;
  }

  /** Resolves once closed for good, or when `startTask` rejects (the instance can never be used then). */
  get doneTask(): Promise<void> {
    return this.#done.promise;
  }

  /**
   * True while the connection is up: made, not lost, not at EOF (with
   * nothing left to read), not closing.
   */
  get connected(): boolean {
    const r = this.#reader;
    const w = this.#writer;
    return r !== null && w !== null && !this.#closing && !r.atEof() && !w.isClosing();
  }

  /** Run `start()` and keep its promise as `startTask` (constructors call this last). @internal */
  protected _begin(): void {
    let p: Promise<void>;
    try {
      p = this.start();
    } catch (err) {
      p = Promise.reject(err);
    }
    this.#startTask = handled(
      p.then(undefined, (err: unknown) => {
        this.#done.resolve();
        throw err;
      }),
    );
  }

  /** Mark the instance done (`doneTask` resolves). @internal */
  protected _setDone(): void {
    this.#done.resolve();
  }

  /** A reader for a new connection. @internal */
  protected _newProtocol(): LsstStreamProtocol {
    return new LsstStreamProtocol(new LsstStreamReader({ limit: this._limit, reactor: this._clock() }), null, {
      reactor: this._clock(),
    });
  }

  /** The clock of timers. @internal */
  protected abstract _clock(): IReactorTime;

  /** The protocol of a new connection is connected: read and write through it from now on. @internal */
  protected _attach(protocol: LsstStreamProtocol): void {
    const writer = protocol.writer;
    if (writer === null) throw new RuntimeError('The protocol is not connected');
    this.#protocol = protocol;
    this.#reader = protocol.reader as LsstStreamReader;
    this.#writer = writer;
    this.#closing = false;
    protocol.onStateChange = () => this._checkConnection();
  }

  /** The transport of the current connection, or null. @internal */
  protected _transport(): unknown {
    return this.#writer?.transport ?? null;
  }

  /** Whether a connection is attached (connected or not). @internal */
  protected _hasConnection(): boolean {
    return this.#writer !== null;
  }

  /**
   * The connection went down by itself (EOF, loss, failed read): close it
   * (Client: `basicClose()`; server: `basicCloseClient()`). @internal
   */
  protected abstract _handleLoss(): Promise<void>;

  /** If we were connected and no longer are, close (once). @internal */
  protected _checkConnection(): void {
    if (this.#writer === null || this.#closing || this.connected) return;
    handled(this._handleLoss()).catch((err: unknown) =>
      this.log.debug(`${this.#label()}closing after a loss failed: ${String(err)}`),
    );
  }

  /**
   * Close the current connection's writer (flushing what is buffered) and
   * wait until the connection is gone; errors of the loss are ignored.
   * Idempotent. The reader is kept, so what it buffered can still be read.
   * @internal
   */
  protected async _closeStreams(): Promise<void> {
    const w = this.#writer;
    this.#closing = true;
    if (w === null) return;
    try {
      w.close();
    } catch (err) {
      this.log.debug(`${this.#label()}close failed: ${String(err)}`);
    }
    try {
      await w.waitClosed();
    } catch {
      // the loss's error: the connection is gone either way
    }
  }

  /** Forget the reader/writer of a finished connection (servers, before the next client). @internal */
  protected _detach(): void {
    if (this.#protocol !== null) this.#protocol.onStateChange = null;
    this.#protocol = null;
    this.#reader = null;
    this.#writer = null;
    this.#closing = false;
  }

  /** Start the monitor, if enabled. @internal */
  protected _startMonitor(): void {
    this._stopMonitor();
    const interval = this.monitorConnectionInterval;
    if (!(interval > 0)) return;
    const lc = new LoopingCall(() => {
      if (this.connected) return;
      this._stopMonitor();
      this._checkConnection();
    });
    lc.clock = this._clock();
    this.#monitor = lc;
    lc.start(interval, false).addErrback((f: Failure) => {
      this.log.failure(`${this.#label()}connection monitor failed`, f);
    });
  }

  /** Stop the monitor, if running. @internal */
  protected _stopMonitor(): void {
    const lc = this.#monitor;
    this.#monitor = null;
    if (lc?.running) lc.stop();
  }

  /** Whether the monitor runs. @internal */
  protected _monitorRunning(): boolean {
    return this.#monitor?.running ?? false;
  }

  /** `"<name>: "` for log lines, or ''. */
  #label(): string {
    return this.name === '' ? '' : `${this.name}: `;
  }

  /**
   * Call `connectCallback(this)` if `connected` changed since the last call
   * (always safe to call). Calls are serialised; what the callback throws
   * or rejects is logged.
   */
  callConnectCallback(): Promise<void> {
    const next = this.#callbackChain.then(() => this.#callConnectCallbackNow());
    this.#callbackChain = next;
    return next;
  }

  async #callConnectCallbackNow(): Promise<void> {
    const cb = this.#connectCallback;
    const connected = this.connected;
    if (connected === this.#lastConnected) return;
    this.#lastConnected = connected;
    if (cb === null) return;
    const result = guardCall(this.#callbackOwner, 'connectCallback', cb, null, this);
    if (isThenable(result)) {
      try {
        await result;
      } catch {
        // logged by the guard
      }
    }
  }

  // ---- reads ----------------------------------------------------------------------

  /** The reader to read from now, or throw 'Not connected'. */
  #readerForRead(): LsstStreamReader {
    const r = this.#reader;
    if (r === null) throw new ConnectionError(NOT_CONNECTED);
    // After a loss, what is buffered (or the loss's error) is still delivered.
    if (!this.connected && r.bufferedLength === 0 && r.exception() === null) throw new ConnectionError(NOT_CONNECTED);
    return r;
  }

  /** Run a read; an IncompleteReadError or ConnectionError closes the connection, then is rethrown. */
  #read<T>(op: (r: LsstStreamReader) => Promise<T>): Promise<T> {
    let r: LsstStreamReader;
    let p: Promise<T>;
    try {
      r = this.#readerForRead();
      p = op(r);
    } catch (err) {
      return handled(Promise.reject(err));
    }
    return handled(
      p.then(
        (value) => {
          if (!this.connected) this._checkConnection();
          return value;
        },
        async (err: unknown) => {
          if (err instanceof IncompleteReadError || err instanceof ConnectionError) {
            this.#closing = true;
            try {
              await this._handleLoss();
            } catch (closeErr) {
              this.log.debug(`${this.#label()}closing after a failed read failed: ${String(closeErr)}`);
            }
          }
          throw err;
        },
      ),
    );
  }

  /**
   * Read up to `n` bytes (`-1`: until the peer closes its writer). At EOF an empty Buffer.
   * @throws ConnectionError if not connected or the connection is lost while reading.
   */
  read(n: number, opts?: ReadOptions): Promise<Buffer> {
    return this.#read((r) => r.read(n, opts));
  }

  /**
   * Read exactly `n` bytes.
   * @throws ConnectionError as {@link BaseClientOrServer.read}; IncompleteReadError (with `partial`) if EOF comes first.
   */
  readexactly(n: number, opts?: ReadOptions): Promise<Buffer> {
    return this.#read((r) => r.readexactly(n, opts));
  }

  /**
   * Read a line ending with `\n`; at EOF the partial line.
   * @throws ConnectionError as {@link BaseClientOrServer.read}.
   */
  readline(opts?: ReadOptions): Promise<Buffer> {
    return this.#read((r) => r.readline(opts));
  }

  /**
   * Read until `separator` (default `\n`, not `terminator`), including it.
   * @throws ConnectionError as {@link BaseClientOrServer.read}; IncompleteReadError if EOF comes first;
   * LimitOverrunError past `limit` bytes (the data stays buffered).
   */
  readuntil(separator: Bytes = Buffer.from('\n'), opts?: ReadOptions): Promise<Buffer> {
    return this.#read((r) => r.readuntil(separator, opts));
  }

  /**
   * Read exactly `struct.byteLength` bytes into `struct.buffer` (ctypes'
   * `read_into`) and resolve with the same struct.
   * @throws TypeError unless `struct` is a `torsion/struct` instance; otherwise as {@link BaseClientOrServer.readexactly}.
   */
  readInto<S extends IStruct>(struct: S, opts?: ReadOptions): Promise<S> {
    if (!isStruct(struct))
      return handled(Promise.reject(new ArgTypeError(`struct must be a torsion/struct instance, got ${describe(struct)}`)));
    return this.readexactly(struct.byteLength, opts).then((data) => {
      data.copy(struct.buffer);
      return struct;
    });
  }

  /**
   * Read until `terminator`, strip it, and decode with `encoding`, strictly.
   * @throws ConnectionError as {@link BaseClientOrServer.read}; IncompleteReadError if EOF comes
   * inside a line; LimitOverrunError (data stays buffered); UnicodeDecodeError (the line is
   * consumed, the connection kept).
   */
  readStr(opts?: ReadOptions): Promise<string> {
    const term = this.terminator;
    const codec = this.#codec;
    return this.#read((r) => r.readuntil(term, opts)).then((line) =>
      decodeText(line.subarray(0, line.length - term.length), codec, 'strict'),
    );
  }

  /**
   * Read a line with {@link BaseClientOrServer.readStr} and parse it as JSON.
   * @throws as readStr; SyntaxError (showing the text) for invalid JSON, the connection kept.
   */
  readJson<T = unknown>(opts?: ReadOptions): Promise<T> {
    return this.readStr(opts).then((text) => {
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
        throw new SyntaxError(`${(err as Error).message}; the data read: ${JSON.stringify(shown)}`, { cause: err });
      }
    });
  }

  // ---- writes ---------------------------------------------------------------------

  /** The writer, or throw 'Not connected'. */
  #writerForWrite(): StreamWriter {
    if (!this.connected) throw new ConnectionError(NOT_CONNECTED);
    return this.#writer as StreamWriter;
  }

  /**
   * Write `data` and wait for `drain()`.
   * @throws ConnectionError if not connected (or lost while draining); TypeError unless bytes.
   */
  write(data: Bytes): Promise<void> {
    try {
      checkBytes('data', data);
      const w = this.#writerForWrite();
      w.write(data);
      return w.drain();
    } catch (err) {
      return handled(Promise.reject(err));
    }
  }

  /**
   * Write each buffer of `lines`, then wait for `drain()`.
   * @throws as {@link BaseClientOrServer.write}.
   */
  writelines(lines: Iterable<Bytes>): Promise<void> {
    try {
      const w = this.#writerForWrite();
      w.writelines(lines);
      return w.drain();
    } catch (err) {
      return handled(Promise.reject(err));
    }
  }

  /**
   * Write the bytes of each struct, in order (ctypes' `write_from`).
   * @throws TypeError unless every argument is a `torsion/struct` instance; otherwise as write.
   */
  writeFrom(...structs: IStruct[]): Promise<void> {
    for (let i = 0; i < structs.length; i++) {
      if (!isStruct(structs[i])) {
        return handled(
          Promise.reject(new ArgTypeError(`structs[${i}] must be a torsion/struct instance, got ${describe(structs[i])}`)),
        );
      }
    }
    return this.writelines(structs.map((s) => s.buffer));
  }

  /**
   * Encode `line` with `encoding` (strictly), add `terminator`, write it.
   * @throws TypeError unless a string; UnicodeEncodeError; ConnectionError as write.
   */
  writeStr(line: string): Promise<void> {
    try {
      checkString('line', line);
      const data = encodeText(line, this.#codec, 'strict');
      const w = this.#writerForWrite();
      w.writelines([data, this.terminator]);
      return w.drain();
    } catch (err) {
      return handled(Promise.reject(err));
    }
  }

  /**
   * `writeStr(JSON.stringify(data))`.
   * @throws TypeError for what JSON cannot hold (a bigint, a cycle, undefined, a function); otherwise as writeStr.
   */
  writeJson(data: unknown): Promise<void> {
    let text: string | undefined;
    try {
      text = JSON.stringify(data);
    } catch (err) {
      return handled(Promise.reject(err instanceof TypeError ? err : new TypeError(String(err), { cause: err })));
    }
    if (text === undefined) return handled(Promise.reject(new ArgTypeError(`data cannot be encoded as JSON: ${describe(data)}`)));
    return this.writeStr(text);
  }

  // ---- lifecycle -----------------------------------------------------------------

  /** Connect (Client) or listen (server); called by the constructor. */
  abstract start(): Promise<void>;

  /** Close for good, then `doneTask` resolves; idempotent. */
  abstract close(): Promise<void>;

  /** `close()`: for `await using client = new Client(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * `for await (const line of client)`: `readStr()` until the peer closes at
   * a line boundary; throws `IncompleteReadError` if it closes inside a
   * line, and any other read error.
   */
  [Symbol.asyncIterator](): AsyncIterator<string> {
    return {
      next: async (): Promise<IteratorResult<string>> => {
        if (this.#writer === null && this.#reader === null) return { value: undefined, done: true };
        try {
          return { value: await this.readStr(), done: false };
        } catch (err) {
          if (err instanceof IncompleteReadError && err.partial.length === 0) return { value: undefined, done: true };
          if (err instanceof ConnectionError && err.message === NOT_CONNECTED && this.#reader?.exception() == null) {
            return { value: undefined, done: true };
          }
          throw err;
        }
      },
      return: async (): Promise<IteratorResult<string>> => ({ value: undefined, done: true }),
    };
  }
}
