/**
 * EasyNetwork's `StringLineSerializer` (`serializers/line.py`).
 * @module
 */
import { type Codec, checkErrors, decodeText, encodeText, lookupCodec, type UnicodeErrors } from '../../codec';
import { DeserializeError, IncrementalDeserializeError, UnicodeDecodeError } from '../../errors';
import { ArgRangeError, ArgTypeError, checkBytes, describe } from '../../validate';
import type { IBufferedIncrementalPacketSerializer, IPacketSerializer } from '../abc';
import { asBufferView, bufferedReadUntil, checkLimit, readUntil } from './tools';

/** The newline of a line-based serializer: `'\n'`, `'\r'` or `'\r\n'`. */
export type Newline = 'LF' | 'CR' | 'CRLF';

/** EasyNetwork's `DEFAULT_SERIALIZER_LIMIT`: 64 KiB. */
export const DEFAULT_SERIALIZER_LIMIT = 64 * 1024;

const NEWLINES: Record<Newline, Buffer> = {
  LF: Buffer.from('\n'),
  CR: Buffer.from('\r'),
  CRLF: Buffer.from('\r\n'),
};

/** Options of {@link StringLineSerializer}. */
export interface StringLineSerializerOptions {
  /** The text encoding, a Python name (default `'ascii'`). */
  encoding?: string;
  /** The codec error policy (default `'strict'`). */
  unicodeErrors?: UnicodeErrors;
  /** The longest line (without its newline) the stream methods accept, in bytes (default 65536). */
  limit?: number;
  /** Keep the newline at the end of deserialized lines (default false). */
  keepEnd?: boolean;
  /** Put the undecodable bytes in the errors' `errorInfo` (`{ data }`) (default false). */
  debug?: boolean;
}

/** Throw unless `value` is undefined or a boolean. @internal */
export function optBool(name: string, value: unknown, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (typeof value !== 'boolean') throw new ArgTypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

/** Throw unless `opts` is undefined or an object. @internal */
export function optObject<T extends object>(name: string, opts: T | undefined): T {
  if (opts === undefined) return {} as T;
  if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`${name} must be an object, got ${describe(opts)}`);
  return opts;
}

/** Keep one reference-free copy of bad data for `errorInfo`. */
function copyOf(data: Buffer): Buffer {
  return Buffer.from(data);
}

/**
 * Lines of text: each packet is a string, framed by `newline` on the
 * stream. A one-shot `serialize` gives the bytes without the newline;
 * `deserialize` strips trailing newlines (unless `keepEnd`).
 * @example
 * ```ts
 * import { StringLineSerializer } from 'torsion/packets';
 * const s = new StringLineSerializer('CRLF', { encoding: 'utf-8' });
 * Buffer.concat([...s.incrementalSerialize('héllo')]); // <Buffer 68 c3 a9 6c 6c 6f 0d 0a>
 * s.deserialize(Buffer.from('hi\r\n')); // 'hi'
 * ```
 */
export class StringLineSerializer
  implements IPacketSerializer<string>, IBufferedIncrementalPacketSerializer<string, string, Buffer>
{
  readonly #separator: Buffer;
  readonly #codec: Codec;
  readonly #errors: UnicodeErrors;
  readonly #limit: number;
  readonly #keepEnd: boolean;
  readonly #debug: boolean;

  /**
   * @param newline - `'LF'` (default), `'CR'` or `'CRLF'`.
   * @throws TypeError / RangeError for a wrong newline, encoding, policy or limit.
   */
  constructor(newline: Newline = 'LF', opts?: StringLineSerializerOptions) {
    if (typeof newline !== 'string') throw new ArgTypeError(`newline must be 'LF', 'CR' or 'CRLF', got ${describe(newline)}`);
    const separator = Object.hasOwn(NEWLINES, newline) ? NEWLINES[newline] : undefined;
    if (separator === undefined) throw new ArgRangeError(`newline must be 'LF', 'CR' or 'CRLF', got ${JSON.stringify(newline)}`);
    const o = optObject('opts', opts);
    const limit = o.limit ?? DEFAULT_SERIALIZER_LIMIT;
    checkLimit('limit', limit);
    const errors = o.unicodeErrors ?? 'strict';
    checkErrors(errors, 'unicodeErrors');
    this.#separator = separator;
    this.#codec = lookupCodec(o.encoding ?? 'ascii', 'encoding');
    this.#errors = errors;
    this.#limit = limit;
    this.#keepEnd = optBool('keepEnd', o.keepEnd, false);
    this.#debug = optBool('debug', o.debug, false);
  }

  /** The newline bytes. */
  get separator(): Buffer {
    return Buffer.from(this.#separator);
  }
  /** The encoding's Python name. */
  get encoding(): string {
    return this.#codec.name;
  }
  /** The codec error policy. */
  get unicodeErrors(): UnicodeErrors {
    return this.#errors;
  }
  /** The longest line the stream methods accept. EasyNetwork's `buffer_limit`. */
  get bufferLimit(): number {
    return this.#limit;
  }
  /** Whether deserialized lines keep their newline. */
  get keepEnd(): boolean {
    return this.#keepEnd;
  }
  /** Whether errors carry the bad bytes in `errorInfo`. */
  get debug(): boolean {
    return this.#debug;
  }

  /**
   * The encoded string, without a newline.
   * @throws TypeError unless `packet` is a string; `UnicodeEncodeError`
   *   under `'strict'` for a character the encoding lacks.
   */
  serialize(packet: string): Buffer {
    if (typeof packet !== 'string') throw new ArgTypeError(`packet must be a string, got ${describe(packet)}`);
    return encodeText(packet, this.#codec, this.#errors);
  }

  /** The encoded string with the newline appended (unless it ends with one); nothing for `''`. */
  *incrementalSerialize(packet: string): Generator<Buffer, void, void> {
    const data = this.serialize(packet);
    if (data.length === 0) return;
    const sep = this.#separator;
    if (data.length >= sep.length && data.subarray(data.length - sep.length).equals(sep)) {
      yield data;
      return;
    }
    yield Buffer.concat([data, sep], data.length + sep.length);
  }

  /**
   * The decoded line; trailing newlines are removed unless `keepEnd`.
   * @throws DeserializeError when `data` does not decode (`errorInfo`:
   *   `{ data }` with `debug`).
   */
  deserialize(data: Buffer): string {
    checkBytes('data', data);
    let view = asBufferView(data);
    if (!this.#keepEnd) {
      const sep = this.#separator;
      const n = sep.length;
      while (view.length >= n && view.subarray(view.length - n).equals(sep)) view = view.subarray(0, view.length - n);
    }
    try {
      return decodeText(view, this.#codec, this.#errors);
    } catch (err) {
      if (!(err instanceof UnicodeDecodeError)) throw err;
      throw new DeserializeError(err.message, { cause: err, errorInfo: this.#debug ? { data: copyOf(view) } : null });
    }
  }

  #decodeLine(line: Buffer, remainder: Buffer): string {
    try {
      return decodeText(line, this.#codec, this.#errors);
    } catch (err) {
      if (!(err instanceof UnicodeDecodeError)) throw err;
      throw new IncrementalDeserializeError(err.message, remainder, {
        cause: err,
        errorInfo: this.#debug ? { data: copyOf(line) } : null,
      });
    }
  }

  /**
   * Yields until a newline is held, returns the decoded line and what
   * followed it.
   * @throws LimitOverrunError for a line over `limit` bytes;
   *   IncrementalDeserializeError when the line does not decode.
   */
  *incrementalDeserialize(): Generator<void, [string, Buffer], Buffer> {
    const sep = this.#separator;
    const { held, sepIdx } = yield* readUntil(sep, this.#limit);
    const end = sepIdx + sep.length;
    const remainder = held.subarray(end);
    return [this.#decodeLine(held.subarray(0, this.#keepEnd ? end : sepIdx), remainder), remainder];
  }

  /** A buffer of `limit` + the newline's length bytes (`sizeHint` is ignored: the limit rules). */
  createDeserializerBuffer(_sizeHint: number): Buffer {
    return Buffer.alloc(this.#limit + this.#separator.length);
  }

  /** {@link StringLineSerializer.incrementalDeserialize}, reading into `buffer`; the remainder is a view of it. */
  *bufferedIncrementalDeserialize(buffer: Buffer): Generator<number, [string, Buffer], number> {
    checkBytes('buffer', buffer);
    const buf = asBufferView(buffer);
    const sep = this.#separator;
    const { sepIdx, buflen } = yield* bufferedReadUntil(buf, sep, this.#limit);
    const end = sepIdx + sep.length;
    const remainder = buf.subarray(end, buflen);
    return [this.#decodeLine(buf.subarray(0, this.#keepEnd ? end : sepIdx), remainder), remainder];
  }
}
