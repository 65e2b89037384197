/**
 * TelnetReaderUnicode: the text side of a telnet connection. It keeps the
 * telnet data bytes it is fed and decodes them when read, with the
 * encoding its protocol reports at that moment (`encoding({ incoming:
 * true })`), so bytes received before CHARSET/BINARY settled are decoded as
 * what was negotiated, as telnetlib3's reader does.
 * @module
 */
import { IncrementalDecoder, type UnicodeErrors, checkErrors } from '../../codec';
import { IncompleteReadError, LimitOverrunError, UnicodeDecodeError } from '../../errors';
import type { IReactorTime } from '../../interfaces/time';
import { getGlobalReactor } from '../../task/default-reactor';
import { ArgTypeError, checkCount } from '../../validate';
import { type ReadOptions, checkReadOptions, handled } from '../../streams/asyncio/options';
import { Deadline, Waiters } from './waiting';

/** What a reader pauses and resumes when too much is queued. */
export interface PausableTransport {
  pauseProducing(): void;
  resumeProducing(): void;
}

/** Options of {@link TelnetReaderUnicode}. */
export interface TelnetReaderUnicodeOptions {
  /** The incoming encoding, asked at each read (telnetlib3's `fn_encoding`). Default `'utf-8'`. */
  fnEncoding?: () => string;
  /** Decoding error policy. Default `'strict'`. */
  encodingErrors?: UnicodeErrors;
  /** Longest line/pattern search, in characters; the transport is paused above twice this many queued bytes. Default 65536. */
  limit?: number;
  /** Clock of read timeouts. Default the global reactor. */
  reactor?: IReactorTime;
}

/**
 * The decoded reader of telnetlib3 (`TelnetReaderUnicode`): `read`,
 * `readline`, `readexactly` and `readuntilPattern` return strings. Every
 * read takes `{ timeout, signal }`; a read that times out or is aborted
 * consumes nothing. After an unclean loss, what is buffered is returned
 * first, then reads reject with the loss.
 * @example
 * const reader = new TelnetReaderUnicode();
 * reader.feedData(Buffer.from('hello\r\n'));
 * await reader.readline(); // 'hello\r\n'
 */
export class TelnetReaderUnicode implements AsyncIterable<string> {
  /** The limit, in characters. */
  readonly limit: number;
  readonly #fnEncoding: () => string;
  readonly #errors: UnicodeErrors;
  readonly #clock: IReactorTime | null;
  #raw: Buffer[] = [];
  #rawSize = 0;
  #text = '';
  #decoder: IncrementalDecoder | null = null;
  #decoderName = '';
  #eof = false;
  #exception: Error | null = null;
  #skipLfOrNul = false;
  #waiters = new Waiters();
  #transport: PausableTransport | null = null;
  #paused = false;

  constructor(opts: TelnetReaderUnicodeOptions = {}) {
    if (typeof opts !== 'object' || opts === null) throw new ArgTypeError('opts must be an object');
    const limit = opts.limit ?? 65536;
    checkCount('limit', limit, 1);
    this.limit = limit;
    if (opts.fnEncoding !== undefined && typeof opts.fnEncoding !== 'function')
      throw new ArgTypeError('fnEncoding must be a function');
    this.#fnEncoding = opts.fnEncoding ?? (() => 'utf-8');
    const errors = opts.encodingErrors ?? 'strict';
    checkErrors(errors, 'encodingErrors');
    this.#errors = errors;
    this.#clock = opts.reactor ?? null;
  }

  /** The transport to pause above `2 * limit` queued bytes (set by the protocol). */
  setTransport(transport: PausableTransport | null): void {
    this.#transport = transport;
  }

  /** Queue telnet data bytes (already stripped of commands). */
  feedData(data: Buffer): void {
    if (this.#eof) return;
    if (data.length === 0) return;
    this.#raw.push(data);
    this.#rawSize += data.length;
    this.#maybePause();
    this.#waiters.wake();
  }

  /** The peer will send no more. */
  feedEof(): void {
    this.#eof = true;
    this.#waiters.wake();
  }

  /** Reads reject with `exc` once what is buffered is consumed. */
  setException(exc: Error): void {
    this.#exception = exc;
    this.#waiters.wake();
  }

  /** The exception set by setException, or null. */
  exception(): Error | null {
    return this.#exception;
  }

  /** True once EOF was fed and everything was read. */
  atEof(): boolean {
    return this.#eof && this.#rawSize === 0 && this.#text.length === 0;
  }

  // ---- decoding ------------------------------------------------------------

  #decodePending(final: boolean): void {
    if (this.#rawSize === 0 && !final) return;
    const name = this.#fnEncoding();
    if (this.#decoder === null || name !== this.#decoderName) {
      if (this.#decoder !== null) this.#append(this.#safeDecode(this.#decoder, Buffer.alloc(0), true));
      this.#decoder = new IncrementalDecoder(name, this.#errors);
      this.#decoderName = name;
    }
    const chunks = this.#raw;
    this.#raw = [];
    this.#rawSize = 0;
    const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    this.#append(this.#safeDecode(this.#decoder, data, final));
  }

  #safeDecode(decoder: IncrementalDecoder, data: Buffer, final: boolean): string {
    try {
      return decoder.decode(data, final);
    } catch (err) {
      // A strict decode error is given to the read that met it, with every
      // byte of the chunk it was decoding (`data`), so nothing received is
      // lost; the decoder starts afresh for what follows.
      this.#decoder = null;
      if (err instanceof UnicodeDecodeError && data.length > 0) {
        throw new UnicodeDecodeError(err.encoding, Buffer.from(data), { message: err.message, cause: err });
      }
      throw err;
    }
  }

  #append(text: string): void {
    if (text === '') return;
    if (this.#skipLfOrNul) {
      this.#skipLfOrNul = false;
      if (text[0] === '\n' || text[0] === '\0') text = text.slice(1);
    }
    this.#text += text;
  }

  #consume(n: number): string {
    const out = this.#text.slice(0, n);
    this.#text = this.#text.slice(n);
    this.#maybeResume();
    return out;
  }

  #maybePause(): void {
    if (!this.#paused && this.#transport !== null && this.#rawSize + this.#text.length > 2 * this.limit) {
      this.#paused = true;
      this.#transport.pauseProducing();
    }
  }

  #maybeResume(): void {
    if (this.#paused && this.#rawSize + this.#text.length <= this.limit) {
      this.#paused = false;
      this.#transport?.resumeProducing();
    }
  }

  /**
   * Run `attempt` until it returns a value, waiting for data in between.
   * `attempt` gets whether no more data can come (EOF or exception).
   */
  async #loop<T>(opts: ReadOptions | undefined, attempt: (ended: boolean) => T | undefined): Promise<T> {
    checkReadOptions(opts);
    const deadline = new Deadline(this.#clock ?? getGlobalReactor(), opts);
    try {
      for (;;) {
        deadline.check();
        const ended = this.#eof || this.#exception !== null;
        this.#decodePending(ended);
        if (this.#exception !== null && this.#text.length === 0) throw this.#exception;
        const got = attempt(ended);
        if (got !== undefined) return got;
        if (this.#exception !== null) throw this.#exception;
        await deadline.wait(this.#waiters);
      }
    } finally {
      deadline.done();
    }
  }

  /**
   * Up to `n` characters (at least one unless at EOF); `n` = -1 reads until
   * EOF. `''` at EOF.
   */
  read(n = -1, opts?: ReadOptions): Promise<string> {
    return handled(
      (async () => {
        if (!Number.isInteger(n) || n < -1) throw new ArgTypeError(`n must be an integer >= -1, got ${String(n)}`);
        if (n === 0) return '';
        return this.#loop(opts, (ended) => {
          if (n === -1) return ended ? this.#consume(this.#text.length) : undefined;
          if (this.#text.length > 0) return this.#consume(n);
          return ended ? '' : undefined;
        });
      })(),
    );
  }

  /**
   * One line, with its ending: `'\r\n'`, `'\n'`, `'\r\0'` or a lone `'\r'`
   * (a `'\n'` or `'\0'` arriving right after a line ended by `'\r'` is
   * dropped). At EOF, what is left (maybe `''`).
   * @throws LimitOverrunError when no line ends within `limit` characters (the data stays buffered).
   */
  readline(opts?: ReadOptions): Promise<string> {
    return handled(
      this.#loop(opts, (ended) => {
        const t = this.#text;
        const m = /[\r\n]/.exec(t);
        if (m !== null) {
          const i = m.index;
          if (t[i] === '\n') return this.#consume(i + 1);
          if (i + 1 < t.length) return this.#consume(t[i + 1] === '\n' || t[i + 1] === '\0' ? i + 2 : i + 1);
          if (!ended) this.#skipLfOrNul = true;
          return this.#consume(i + 1);
        }
        if (t.length > this.limit) throw new LimitOverrunError(`no line ending within ${this.limit} characters`, t.length);
        return ended ? this.#consume(t.length) : undefined;
      }),
    );
  }

  /**
   * Exactly `n` characters.
   * @throws IncompleteReadError at EOF before `n` (`partial` holds what was left, UTF-8 encoded).
   */
  readexactly(n: number, opts?: ReadOptions): Promise<string> {
    return handled(
      (async () => {
        checkCount('n', n);
        return this.#loop(opts, (ended) => {
          if (this.#text.length >= n) return this.#consume(n);
          if (ended && this.#exception === null) throw new IncompleteReadError(Buffer.from(this.#consume(this.#text.length)), n);
          return undefined;
        });
      })(),
    );
  }

  /**
   * Everything up to and including the first match of `pattern`.
   * @throws IncompleteReadError at EOF without a match; LimitOverrunError
   *   when no match within `limit` characters (the data stays buffered).
   */
  readuntilPattern(pattern: RegExp, opts?: ReadOptions): Promise<string> {
    return handled(
      (async () => {
        if (!(pattern instanceof RegExp)) throw new ArgTypeError('pattern must be a RegExp');
        const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
        return this.#loop(opts, (ended) => {
          const m = re.exec(this.#text);
          if (m !== null && m[0].length > 0) return this.#consume(m.index + m[0].length);
          if (this.#text.length > this.limit)
            throw new LimitOverrunError(`pattern not found within ${this.limit} characters`, this.#text.length);
          if (ended && this.#exception === null)
            throw new IncompleteReadError(Buffer.from(this.#consume(this.#text.length)), null);
          return undefined;
        });
      })(),
    );
  }

  /** readline() until EOF. */
  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      const line = await this.readline();
      if (line === '') return;
      yield line;
    }
  }
}
