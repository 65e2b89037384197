/**
 * asyncio's `StreamReader`, in camelCase: a buffer fed by a protocol
 * (`feedData`, `feedEof`, `setException`) and read by awaiting `read`,
 * `readline`, `readexactly`, `readuntil` or `for await`.
 *
 * Receive-side backpressure is asyncio's: above `2 * limit` buffered bytes
 * the transport is paused (`pauseProducing`), at `limit` or below it is
 * resumed, and a read that waits for more data resumes it.
 * @module
 */
import { Failure } from '../../defer/failure';
import { TimeoutError } from '../../defer/errors';
import { IncompleteReadError, LimitOverrunError, RuntimeError } from '../../errors';
import type { IPushProducer } from '../../interfaces/producer';
import type { IDelayedCall, IReactorTime } from '../../interfaces/time';
import { ArgRangeError, ArgTypeError, checkBytes, checkCount, describe } from '../../validate';
import { type Bytes, type ReadOptions, asBuffer, checkReadOptions, clockOf, handled } from './options';
import { StreamBuffer } from './stream-buffer';

/** asyncio's default `limit`: 64 KiB. */
export const DEFAULT_LIMIT = 65536;

const EMPTY = Buffer.alloc(0);
const NL = 0x0a;
const NL_BUF = Buffer.from('\n');

/** Options of {@link StreamReader}. */
export interface StreamReaderOptions {
  /**
   * The buffer limit (bytes, default 65536): the longest line `readuntil`
   * accepts, and half the buffered size at which the transport is paused.
   */
  limit?: number;
  /** The clock of read timeouts; default the global reactor (looked up only when a timeout is used). */
  reactor?: IReactorTime;
}

/** The one pending wait of a reader (asyncio's `_waiter` future). */
interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
  timer: IDelayedCall | null;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | null;
}

/**
 * The reading end of a byte stream (asyncio's `StreamReader`). A
 * {@link StreamReaderProtocol} feeds it; any code may feed it directly.
 *
 * Rules (asyncio's, with torsion's additions):
 * - One read at a time: a read that has to wait while another read is
 *   waiting rejects with `RuntimeError`.
 * - Every read takes `{ timeout, signal }`; a read that times out
 *   (`torsion/defer`'s `TimeoutError`) or is aborted (`signal.reason`)
 *   consumes nothing.
 * - After `feedEof()`, reads return what is buffered, then EOF results.
 *   After `setException(e)` (an unclean loss), reads return what is
 *   buffered (a complete line, `n` bytes, any bytes), then reject with `e`;
 *   bytes that do not make a complete result stay buffered for `read()`.
 *
 * For subclasses (telnetlib3's `TelnetReader`): the buffer is the protected
 * {@link StreamReader.buffer} (a {@link StreamBuffer}); the protected
 * {@link StreamReader.waitForData} waits for the next feed (resuming a
 * paused transport, honouring the read options and the one-read rule), and
 * the protected {@link StreamReader.wakeup} wakes that wait. A subclass
 * that overrides `feedData` should push to `buffer`, then call `wakeup()`
 * and {@link StreamReader.maybePauseTransport}; one that consumes from
 * `buffer` should call {@link StreamReader.maybeResumeTransport}.
 *
 * @example
 * ```ts
 * const reader = new StreamReader();
 * reader.feedData(Buffer.from('hello\nworld'));
 * reader.feedEof();
 * await reader.readline();   // <Buffer 'hello\n'>
 * await reader.read();       // <Buffer 'world'>
 * reader.atEof();            // true
 * ```
 */
export class StreamReader implements AsyncIterable<Buffer> {
  /** The buffer limit (see {@link StreamReaderOptions.limit}). */
  readonly limit: number;
  /** The unread bytes. Protected for subclasses; see the class comment. */
  protected readonly buffer: StreamBuffer = new StreamBuffer();
  /** True once `feedEof()` was called. */
  protected eof = false;
  /** The error of `setException()`, or null. */
  protected exc: Error | null = null;
  /** The transport paused by backpressure and the producer to resume (asyncio's `_transport`). */
  protected transport: IPushProducer | null = null;
  /** Whether this reader paused its transport. */
  protected paused = false;
  #clock: IReactorTime | null;
  #waiter: Waiter | null = null;

  /**
   * @param opts - `limit` (default 65536) and `reactor` (the clock of read timeouts).
   * @throws RangeError unless `limit` is an integer > 0.
   */
  constructor(opts: StreamReaderOptions = {}) {
    if (opts === null || typeof opts !== 'object') {
      throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
    }
    const limit = opts.limit ?? DEFAULT_LIMIT;
    checkCount('opts.limit', limit, 1);
    this.limit = limit;
    this.#clock = opts.reactor ?? null;
  }

  // ---- the feeding side -------------------------------------------------------

  /**
   * The transport to pause when the buffer goes over `2 * limit` (asyncio's
   * `set_transport`); a `StreamReaderProtocol` sets it.
   * @throws RuntimeError if a transport is already set.
   */
  setTransport(transport: IPushProducer): void {
    if (this.transport !== null) throw new RuntimeError('Transport already set');
    this.transport = transport;
  }

  /**
   * Append `data` to the buffer and wake a waiting read. The Buffer is kept
   * (not copied): the caller must not change it afterwards.
   * @throws TypeError unless `data` is bytes; RuntimeError after `feedEof()`.
   */
  feedData(data: Bytes): void {
    checkBytes('data', data);
    if (this.eof) throw new RuntimeError('feedData() after feedEof()');
    if (data.length === 0) return;
    this.buffer.push(asBuffer(data));
    this.wakeup();
    this.maybePauseTransport();
  }

  /** The stream ended: wake a waiting read; reads then return what is buffered, then EOF results. */
  feedEof(): void {
    this.eof = true;
    this.wakeup();
  }

  /**
   * The stream failed (an unclean loss): reads return what is buffered,
   * then reject with `exc` (a Failure's value, as an Error).
   */
  setException(exc: Error | Failure): void {
    const v = exc instanceof Failure ? exc.value : exc;
    this.exc = v instanceof Error ? v : new Error(String(v));
    this.wakeup();
  }

  /** The error of `setException()`, or null. */
  exception(): Error | null {
    return this.exc;
  }

  /** True once `feedEof()` was called and the buffer is empty. */
  atEof(): boolean {
    return this.eof && this.buffer.length === 0;
  }

  // ---- reads ------------------------------------------------------------------

  /**
   * Read up to `n` bytes. `n < 0` (the default, -1) reads until EOF; `n ==
   * 0` resolves with an empty Buffer at once; otherwise waits for at least
   * one byte and returns up to `n`. At EOF: an empty Buffer.
   */
  read(n = -1, opts?: ReadOptions): Promise<Buffer> {
    try {
      if (typeof n !== 'number' || !Number.isInteger(n)) {
        throw new ArgTypeError(`n must be an integer, got ${describe(n)}`);
      }
      checkReadOptions(opts);
    } catch (err) {
      return handled(Promise.reject(err));
    }
    if (n === 0) return Promise.resolve(EMPTY);
    if (n > 0 && this.buffer.length > 0) return Promise.resolve(this.#take(n));
    return handled(this.#readSlow(n, opts));
  }

  async #readSlow(n: number, opts: ReadOptions | undefined): Promise<Buffer> {
    if (n < 0) {
      while (!this.eof && this.exc === null) await this.waitForData('read', opts);
      if (this.buffer.length === 0 && this.exc !== null) throw this.exc;
      return this.#take(this.buffer.length);
    }
    while (this.buffer.length === 0) {
      if (this.exc !== null) throw this.exc;
      if (this.eof) return EMPTY;
      await this.waitForData('read', opts);
    }
    return this.#take(n);
  }

  /**
   * Read one line, up to and including `\n`. At EOF it resolves with the
   * partial line (an empty Buffer at the end). More than `limit` bytes
   * without `\n`: discards up to and including the next `\n` (or the whole
   * buffer if there is none) and rejects with `LimitOverrunError`.
   */
  readline(opts?: ReadOptions): Promise<Buffer> {
    try {
      checkReadOptions(opts);
    } catch (err) {
      return handled(Promise.reject(err));
    }
    const line = this.#lineNow();
    if (line !== null) return Promise.resolve(line);
    return handled(this.#readlineSlow(opts));
  }

  // A complete line within the limit, consumed, or null.
  #lineNow(): Buffer | null {
    const fast = this.buffer.takeThroughByte(NL, this.limit);
    if (fast !== null) {
      if (this.paused) this.maybeResumeTransport();
      return fast;
    }
    const i = this.buffer.indexOf(NL, 0);
    if (i < 0 || i > this.limit) return null;
    return this.#take(i + 1);
  }

  async #readlineSlow(opts: ReadOptions | undefined): Promise<Buffer> {
    try {
      return await this.#readuntil(NL_BUF, opts);
    } catch (err) {
      if (err instanceof IncompleteReadError) return err.partial;
      if (err instanceof LimitOverrunError) {
        if (this.buffer.startsWith(NL_BUF, err.consumed)) this.buffer.discard(err.consumed + 1);
        else this.buffer.clear();
        this.maybeResumeTransport();
        throw new LimitOverrunError(err.message, err.consumed);
      }
      throw err;
    }
  }

  /**
   * Read until `separator` (default `\n`), resolving with the data
   * including it. EOF first: rejects with `IncompleteReadError(partial =
   * everything buffered, expected = null)` and empties the buffer. More
   * than `limit` bytes without the separator: rejects with
   * `LimitOverrunError(consumed)` and leaves the data buffered.
   * @throws RangeError (as a rejection) for an empty separator.
   */
  readuntil(separator: Bytes = NL_BUF, opts?: ReadOptions): Promise<Buffer> {
    try {
      checkBytes('separator', separator);
      if (separator.length === 0) throw new ArgRangeError('separator must not be empty');
      checkReadOptions(opts);
    } catch (err) {
      return handled(Promise.reject(err));
    }
    const sep = asBuffer(separator);
    const i = this.buffer.indexOf(sep, 0);
    if (i >= 0 && i <= this.limit) return Promise.resolve(this.#take(i + sep.length));
    return handled(this.#readuntil(sep, opts));
  }

  async #readuntil(sep: Buffer, opts: ReadOptions | undefined): Promise<Buffer> {
    const seplen = sep.length;
    // Bytes already searched without a match (asyncio's `offset`): each new
    // feed is scanned from there, never from the start.
    let offset = 0;
    let isep: number;
    for (;;) {
      const buflen = this.buffer.length;
      if (buflen - offset >= seplen) {
        isep = this.buffer.indexOf(sep, offset);
        if (isep !== -1) break;
        offset = buflen + 1 - seplen;
        if (offset > this.limit) {
          throw new LimitOverrunError('Separator is not found, and chunk exceed the limit', offset);
        }
      }
      if (this.exc !== null) throw this.exc;
      if (this.eof) {
        const chunk = this.buffer.takeAll();
        this.maybeResumeTransport();
        throw new IncompleteReadError(chunk, null);
      }
      await this.waitForData('readuntil', opts);
    }
    if (isep > this.limit) {
      throw new LimitOverrunError('Separator is found, but chunk is longer than limit', isep);
    }
    return this.#take(isep + seplen);
  }

  /**
   * Read exactly `n` bytes. EOF first: rejects with
   * `IncompleteReadError(partial, expected = n)`, the partial bytes
   * consumed. `n == 0` resolves with an empty Buffer.
   * @throws RangeError (as a rejection) for a negative `n`.
   */
  readexactly(n: number, opts?: ReadOptions): Promise<Buffer> {
    try {
      if (typeof n !== 'number' || !Number.isInteger(n)) {
        throw new ArgTypeError(`n must be an integer, got ${describe(n)}`);
      }
      if (n < 0) throw new ArgRangeError(`readexactly size can not be less than zero, got ${n}`);
      checkReadOptions(opts);
    } catch (err) {
      return handled(Promise.reject(err));
    }
    if (n === 0) return Promise.resolve(EMPTY);
    if (this.buffer.length >= n) return Promise.resolve(this.#take(n));
    return handled(this.#readexactlySlow(n, opts));
  }

  async #readexactlySlow(n: number, opts: ReadOptions | undefined): Promise<Buffer> {
    while (this.buffer.length < n) {
      if (this.exc !== null) throw this.exc;
      if (this.eof) {
        const partial = this.buffer.takeAll();
        this.maybeResumeTransport();
        throw new IncompleteReadError(partial, n);
      }
      await this.waitForData('readexactly', opts);
    }
    return this.#take(n);
  }

  /**
   * `for await (const line of reader)`: `readline()` until it returns an
   * empty Buffer (EOF). A limit overrun or the loss's error ends the loop
   * with that error.
   */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return {
      next: (): Promise<IteratorResult<Buffer>> => {
        const line = this.#lineNow();
        if (line !== null) return Promise.resolve({ value: line, done: false });
        return handled(
          this.#readlineSlow(undefined).then(
            (l): IteratorResult<Buffer> => (l.length === 0 ? { value: undefined, done: true } : { value: l, done: false }),
          ),
        );
      },
      return: (): Promise<IteratorResult<Buffer>> => Promise.resolve({ value: undefined, done: true }),
    };
  }

  // ---- the waiter and backpressure (protected for subclasses) ------------------

  /**
   * Wait until `feedData`, `feedEof` or `setException` is called (asyncio's
   * `_wait_for_data`). Resumes a transport paused by backpressure first, so
   * that a read needing more than `2 * limit` bytes completes. Rejects with
   * `TimeoutError` after `opts.timeout` seconds, with `opts.signal.reason`
   * on abort (consuming nothing either way), and with `RuntimeError` if
   * another read is already waiting.
   * @param funcName - the read method's name, for the RuntimeError message.
   */
  protected waitForData(funcName: string, opts?: ReadOptions): Promise<void> {
    if (this.#waiter !== null) {
      return Promise.reject(
        new RuntimeError(`${funcName}() called while another coroutine is already waiting for incoming data`),
      );
    }
    if (this.eof) return Promise.reject(new RuntimeError(`${funcName}() called after EOF while waiting for data`));
    const signal = opts?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.paused && this.transport !== null) {
      this.paused = false;
      this.#resume();
    }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: null, signal, onAbort: null };
      const timeout = opts?.timeout;
      if (timeout !== undefined && timeout !== null) {
        w.timer = clockOf(this.#clock).callLater(timeout, () => {
          w.timer = null;
          this.#settle(w, new TimeoutError(timeout, `${funcName}() timed out after ${timeout} seconds`));
        });
      }
      if (signal !== undefined) {
        w.onAbort = () => this.#settle(w, signal.reason);
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.#waiter = w;
    });
  }

  /** Wake the waiting read, if any (asyncio's `_wakeup_waiter`). */
  protected wakeup(): void {
    const w = this.#waiter;
    if (w !== null) this.#settle(w, undefined, true);
  }

  /** Whether a read is waiting for data. */
  protected get waiting(): boolean {
    return this.#waiter !== null;
  }

  /** Pause the transport if the buffer is over `2 * limit` (called after each feed). */
  protected maybePauseTransport(): void {
    if (this.transport !== null && !this.paused && this.buffer.length > 2 * this.limit) {
      try {
        this.transport.pauseProducing();
        this.paused = true;
      } catch {
        // A transport that cannot pause (a closing StringTransport) keeps
        // delivering: asyncio sets _transport = None on NotImplementedError.
        this.transport = null;
      }
    }
  }

  /** Resume a paused transport once the buffer is at `limit` or below (called after each consumption). */
  protected maybeResumeTransport(): void {
    if (this.paused && this.buffer.length <= this.limit) {
      this.paused = false;
      this.#resume();
    }
  }

  #resume(): void {
    try {
      this.transport?.resumeProducing();
    } catch {
      // Resuming a transport that is going away: nothing more will come.
    }
  }

  #settle(w: Waiter, err: unknown, ok = false): void {
    if (this.#waiter !== w) return;
    this.#waiter = null;
    if (w.timer !== null) {
      const t = w.timer;
      w.timer = null;
      if (t.active()) t.cancel();
    }
    if (w.onAbort !== null) w.signal?.removeEventListener('abort', w.onAbort);
    if (ok) w.resolve();
    else w.reject(err);
  }

  #take(n: number): Buffer {
    const out = this.buffer.take(n);
    if (this.paused) this.maybeResumeTransport();
    return out;
  }

  /** A description for debugging. */
  toString(): string {
    const info = [`${this.buffer.length} bytes`];
    if (this.eof) info.push('eof');
    if (this.limit !== DEFAULT_LIMIT) info.push(`limit=${this.limit}`);
    if (this.#waiter !== null) info.push('waiter');
    if (this.exc !== null) info.push(`exception=${this.exc.name}`);
    if (this.paused) info.push('paused');
    return `<StreamReader ${info.join(' ')}>`;
  }
}
