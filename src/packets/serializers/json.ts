/**
 * EasyNetwork's `JSONSerializer` (`serializers/json.py`): JSON Lines, or raw
 * JSON documents framed by their own syntax.
 * @module
 */
import { type Codec, checkErrors, decodeText, encodeText, lookupCodec, type UnicodeErrors } from '../../codec';
import { DeserializeError, IncrementalDeserializeError, UnicodeDecodeError } from '../../errors';
import { ArgTypeError, checkBytes, checkFunction, describe } from '../../validate';
import type { IBufferedIncrementalPacketSerializer, IPacketSerializer } from '../abc';
import { formatJSONError, locateJSONError } from './json-error';
import { DEFAULT_SERIALIZER_LIMIT, optBool, optObject } from './line';
import {
  asBufferView,
  bufferedReadUntil,
  ChunkAccumulator,
  checkLimit,
  limitOverrun,
  readUntil,
  serializerCounters,
} from './tools';

/** Options of {@link JSONSerializer}. */
export interface JSONSerializerOptions {
  /**
   * `true` (default): JSON Lines, one document per `'\n'`-terminated line.
   * `false`: documents back to back, each framed by its own syntax (an
   * object, array or string ends with its closing byte; a number or
   * literal with the first byte outside printable ASCII, e.g. `'\n'`).
   */
  useLines?: boolean;
  /** The longest document the stream methods accept, in bytes (default 65536). */
  limit?: number;
  /** The text encoding, a Python name (default `'utf-8'`). */
  encoding?: string;
  /** The codec error policy (default `'strict'`). */
  unicodeErrors?: UnicodeErrors;
  /**
   * Escape every character outside printable ASCII as `\uXXXX`, as Python's
   * `json` does by default (default `true`, EasyNetwork's default).
   */
  ensureAscii?: boolean;
  /** `JSON.stringify`'s replacer. */
  replacer?: (key: string, value: unknown) => unknown;
  /** `JSON.parse`'s reviver. */
  reviver?: (key: string, value: unknown) => unknown;
  /**
   * Put the detail in the errors' `errorInfo` (default false): `{ data }` for
   * bytes that do not decode, `{ document, position, lineno, colno }` for a
   * JSON syntax error (Python's `JSONDecodeError` fields).
   */
  debug?: boolean;
}

const NEWLINE = Buffer.from('\n');
const NON_ASCII = /[\u007f-\uffff]/g;

function escapeNonAscii(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/**
 * The resumable end-of-document search of EasyNetwork's `_JSONParser`, one
 * pass over each byte: `{`, `[` and `"` documents end at the byte that
 * closes the first one (counting nested openers of the same kind, skipping
 * string contents and backslash escapes); anything else ends before the
 * first byte outside printable ASCII.
 * @internal
 */
export class JSONFrameScanner {
  /** Index of the document's first byte in the held bytes. */
  start = 0;
  /** Next index to examine. */
  pos = 0;
  private mode: 0 | 1 | 2 = 0; // 0: leading whitespace, 1: enclosure, 2: plain value
  private open = 0;
  private close = 0;
  private depth = 0;
  private inQuotes = false;
  private escaped = false;

  /** Whether only whitespace has been seen so far. */
  get blank(): boolean {
    return this.mode === 0;
  }

  /**
   * Examine `held[pos, len)`. Returns the end (exclusive) of the document
   * when found, else -1 (call again with more bytes).
   */
  scan(held: Uint8Array, len: number): number {
    let i = this.pos;
    const from = i;
    let end = -1;
    if (this.mode === 0) {
      while (i < len && isWhitespace(held[i])) i++;
      if (i === len) {
        this.pos = i;
        serializerCounters.scanned += i - from;
        return -1;
      }
      this.start = i;
      const b = held[i];
      if (b === OPEN_BRACE || b === OPEN_BRACKET || b === QUOTE) {
        this.mode = 1;
        this.open = b;
        this.close = b === OPEN_BRACE ? 0x7d : b === OPEN_BRACKET ? 0x5d : QUOTE;
        this.depth = 1;
        this.inQuotes = b === QUOTE;
        i += 1;
      } else {
        this.mode = 2;
      }
    }
    if (this.mode === 1) {
      const { open, close } = this;
      let { depth, inQuotes, escaped } = this;
      for (; i < len; i++) {
        const b = held[i];
        if (escaped) {
          escaped = false;
          continue;
        }
        if (b === BACKSLASH) {
          escaped = true;
          continue;
        }
        if (b === QUOTE) inQuotes = !inQuotes;
        else if (inQuotes) continue;
        if (b === close) depth -= 1;
        else if (b === open) depth += 1;
        if (depth === 0) {
          end = i + 1;
          i += 1;
          break;
        }
      }
      this.depth = depth;
      this.inQuotes = inQuotes;
      this.escaped = escaped;
    } else {
      for (; i < len; i++) {
        const b = held[i];
        if (b < 0x20 || b > 0x7e) {
          end = i;
          break;
        }
      }
    }
    serializerCounters.scanned += i - from;
    this.pos = i;
    return end;
  }
}

/** Index of the first non-whitespace byte of `held[from, len)` (or `len`). */
function skipWhitespace(held: Uint8Array, from: number, len: number): number {
  let i = from;
  while (i < len && isWhitespace(held[i])) i++;
  serializerCounters.scanned += i - from;
  return i;
}

/**
 * JSON packets. `serialize` gives compact JSON (`JSON.stringify`, with
 * non-ASCII escaped unless `ensureAscii: false`); the stream methods frame
 * documents as JSON Lines (default) or back to back (`useLines: false`).
 * @example
 * ```ts
 * import { JSONSerializer } from 'torsion/packets';
 * const s = new JSONSerializer();
 * s.serialize({ key: [1, 2, 3], data: null }).toString(); // '{"key":[1,2,3],"data":null}'
 * const gen = new JSONSerializer({ useLines: false }).incrementalDeserialize();
 * gen.next();
 * gen.next(Buffer.from('{"key":[1,2,3]'));
 * gen.next(Buffer.from(',"data":null}{"something":"remaining"}'));
 * // -> done, value [{ key: [1, 2, 3], data: null }, Buffer.from('{"something":"remaining"}')]
 * ```
 */
export class JSONSerializer<S = unknown, R = unknown>
  implements IPacketSerializer<S, R>, IBufferedIncrementalPacketSerializer<S, R, Buffer>
{
  readonly #codec: Codec;
  readonly #errors: UnicodeErrors;
  readonly #limit: number;
  readonly #useLines: boolean;
  readonly #ensureAscii: boolean;
  readonly #replacer: ((key: string, value: unknown) => unknown) | undefined;
  readonly #reviver: ((key: string, value: unknown) => unknown) | undefined;
  readonly #debug: boolean;
  /** 0: encode with Buffer 'utf8'; 1: the text is ASCII, encode with 'latin1'; 2: encodeText. */
  readonly #encodePath: 0 | 1 | 2;

  /** @throws TypeError / RangeError for a wrong option. */
  constructor(opts?: JSONSerializerOptions) {
    const o = optObject('opts', opts);
    const limit = o.limit ?? DEFAULT_SERIALIZER_LIMIT;
    checkLimit('limit', limit);
    const errors = o.unicodeErrors ?? 'strict';
    checkErrors(errors, 'unicodeErrors');
    if (o.replacer !== undefined) checkFunction('replacer', o.replacer);
    if (o.reviver !== undefined) checkFunction('reviver', o.reviver);
    this.#codec = lookupCodec(o.encoding ?? 'utf-8', 'encoding');
    this.#errors = errors;
    this.#limit = limit;
    this.#useLines = optBool('useLines', o.useLines, true);
    this.#ensureAscii = optBool('ensureAscii', o.ensureAscii, true);
    this.#replacer = o.replacer;
    this.#reviver = o.reviver;
    this.#debug = optBool('debug', o.debug, false);
    const kind = this.#codec.kind;
    this.#encodePath = kind === 'utf-8' ? 0 : this.#ensureAscii && (kind === 'ascii' || kind === 'latin-1') ? 1 : 2;
  }

  /** The encoding's Python name. */
  get encoding(): string {
    return this.#codec.name;
  }
  /** The codec error policy. */
  get unicodeErrors(): UnicodeErrors {
    return this.#errors;
  }
  /** The longest document the stream methods accept. EasyNetwork's `buffer_limit`. */
  get bufferLimit(): number {
    return this.#limit;
  }
  /** Whether the stream framing is JSON Lines. */
  get useLines(): boolean {
    return this.#useLines;
  }
  /** Whether non-ASCII characters are escaped. */
  get ensureAscii(): boolean {
    return this.#ensureAscii;
  }
  /** Whether errors carry detail in `errorInfo`. */
  get debug(): boolean {
    return this.#debug;
  }

  #text(packet: S): string {
    const json: string | undefined = JSON.stringify(packet, this.#replacer);
    if (json === undefined) throw new ArgTypeError(`packet is not JSON serializable: ${describe(packet)}`);
    return this.#ensureAscii ? json.replace(NON_ASCII, escapeNonAscii) : json;
  }

  #encode(text: string): Buffer {
    switch (this.#encodePath) {
      case 0:
        // JSON.stringify never yields a lone surrogate: the text is well formed.
        return Buffer.from(text, 'utf8');
      case 1:
        return Buffer.from(text, 'latin1');
      default:
        return encodeText(text, this.#codec, this.#errors);
    }
  }

  /**
   * The compact JSON of `packet`, encoded.
   * @throws TypeError for what JSON cannot represent (`undefined`, a
   *   function, a BigInt, a cycle); `UnicodeEncodeError` under `'strict'`.
   */
  serialize(packet: S): Buffer {
    return this.#encode(this.#text(packet));
  }

  /**
   * The JSON of `packet` and a `'\n'` (always with `useLines`; otherwise
   * only after a number or literal, which need a terminator).
   */
  *incrementalSerialize(packet: S): Generator<Buffer, void, void> {
    const text = this.#text(packet);
    const c = text.charCodeAt(0);
    const enclosed = c === OPEN_BRACE || c === OPEN_BRACKET || c === QUOTE;
    yield this.#encode(this.#useLines || !enclosed ? `${text}\n` : text);
  }

  #parse(data: Buffer, remainder: Buffer | null): R {
    let document: string;
    try {
      document = decodeText(data, this.#codec, this.#errors);
    } catch (err) {
      if (!(err instanceof UnicodeDecodeError)) throw err;
      const msg = `Unicode decode error: ${err.message}`;
      const errorInfo = this.#debug ? { data: Buffer.from(data) } : null;
      if (remainder === null) throw new DeserializeError(msg, { cause: err, errorInfo });
      throw new IncrementalDeserializeError(msg, remainder, { cause: err, errorInfo });
    }
    try {
      return JSON.parse(document, this.#reviver) as R;
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      const loc = locateJSONError(document);
      const msg = `JSON decode error: ${loc === null ? err.message : formatJSONError(loc)}`;
      const errorInfo = this.#debug
        ? { document, position: loc?.position ?? null, lineno: loc?.lineno ?? null, colno: loc?.colno ?? null }
        : null;
      if (remainder === null) throw new DeserializeError(msg, { cause: err, errorInfo });
      throw new IncrementalDeserializeError(msg, remainder, { cause: err, errorInfo });
    }
  }

  /**
   * The value `data` holds.
   * @throws DeserializeError when `data` does not decode or is not one JSON
   *   document (message and `errorInfo` as Python's `JSONDecodeError`).
   */
  deserialize(data: Buffer): R {
    checkBytes('data', data);
    return this.#parse(asBufferView(data), null);
  }

  /**
   * Yields until a whole document is held; returns its value and what
   * followed it (whitespace after a raw document is skipped).
   * @throws LimitOverrunError for a document over `limit` bytes;
   *   IncrementalDeserializeError for one that does not decode or parse.
   */
  *incrementalDeserialize(): Generator<void, [R, Buffer], Buffer> {
    if (this.#useLines) {
      const { held, sepIdx } = yield* readUntil(NEWLINE, this.#limit);
      const remainder = held.subarray(sepIdx + 1);
      return [this.#parse(held.subarray(0, sepIdx), remainder), remainder];
    }
    const limit = this.#limit;
    const scanner = new JSONFrameScanner();
    let acc: ChunkAccumulator | null = null;
    for (;;) {
      const chunk: Buffer = yield;
      if (chunk.length === 0) continue;
      if (acc === null) acc = new ChunkAccumulator(asBufferView(chunk));
      else acc.append(asBufferView(chunk));
      const end = scanner.scan(acc.buf, acc.len);
      if (end !== -1) return this.#finishRaw(acc.view(), scanner, end, limit);
      if (scanner.blank) {
        // Only whitespace so far: drop it, as EasyNetwork does.
        acc = null;
        scanner.pos = 0;
      } else if (acc.len - scanner.start >= (isPlain(acc.buf[scanner.start]) ? limit + 1 : limit)) {
        throw limitOverrun(
          "JSON object's end frame is not found, and chunk exceed the limit",
          acc.view(),
          acc.len,
          Buffer.alloc(0),
        );
      }
    }
  }

  #finishRaw(held: Buffer, scanner: JSONFrameScanner, end: number, limit: number): [R, Buffer] {
    const start = scanner.start;
    const remStart = skipWhitespace(held, end, held.length);
    if (end - start > limit) {
      throw limitOverrun("JSON object's end frame is found, but chunk is longer than limit", held, remStart, Buffer.alloc(0));
    }
    const remainder = held.subarray(remStart);
    if (end === start) {
      // A byte outside printable ASCII where a value should start: all of it is the (bad) document.
      return [this.#parse(held.subarray(start), Buffer.alloc(0)), Buffer.alloc(0)];
    }
    return [this.#parse(held.subarray(start, end), remainder), remainder];
  }

  /**
   * A buffer for one document: `limit` + 1 bytes (`sizeHint` is ignored:
   * the limit rules).
   */
  createDeserializerBuffer(_sizeHint: number): Buffer {
    return Buffer.alloc(this.#limit + 1);
  }

  /** {@link JSONSerializer.incrementalDeserialize}, reading into `buffer`; the remainder is a view of it. */
  *bufferedIncrementalDeserialize(buffer: Buffer): Generator<number, [R, Buffer], number> {
    checkBytes('buffer', buffer);
    const buf = asBufferView(buffer);
    const limit = this.#limit;
    if (this.#useLines) {
      const { sepIdx, buflen } = yield* bufferedReadUntil(buf, NEWLINE, limit);
      const remainder = buf.subarray(sepIdx + 1, buflen);
      return [this.#parse(buf.subarray(0, sepIdx), remainder), remainder];
    }
    const scanner = new JSONFrameScanner();
    let buflen = 0;
    for (;;) {
      const nbytes: number = yield buflen;
      if (!(nbytes > 0)) continue;
      buflen += nbytes;
      const end = scanner.scan(buf, buflen);
      if (end !== -1) return this.#finishRaw(buf.subarray(0, buflen), scanner, end, limit);
      if (scanner.blank) {
        buflen = 0;
        scanner.pos = 0;
        continue;
      }
      if (scanner.start > 0) {
        // Move the document to the start of the buffer, once, so that it can use all of it.
        buf.copyWithin(0, scanner.start, buflen);
        serializerCounters.copied += buflen - scanner.start;
        buflen -= scanner.start;
        scanner.pos -= scanner.start;
        scanner.start = 0;
      }
      const plain = isPlain(buf[0]);
      if (buflen >= limit + (plain ? 1 : 0) || buflen >= buf.length) {
        throw limitOverrun(
          "JSON object's end frame is not found, and chunk exceed the limit",
          buf.subarray(0, buflen),
          buflen,
          Buffer.alloc(0),
        );
      }
    }
  }
}

function isPlain(b: number): boolean {
  return b !== OPEN_BRACE && b !== OPEN_BRACKET && b !== QUOTE;
}
