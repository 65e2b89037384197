/**
 * EasyNetwork's stream serializer bases (`serializers/base_stream.py`):
 * packets ended by a separator, and packets of a fixed size.
 * @module
 */
import { DeserializeError, IncrementalDeserializeError } from '../../errors';
import { ArgRangeError, ArgTypeError, checkBytes, checkCount, describe } from '../../validate';
import type { IBufferedIncrementalPacketSerializer, IPacketSerializer } from '../abc';
import { DEFAULT_SERIALIZER_LIMIT, optBool, optObject } from './line';
import { asBufferView, bufferedReadUntil, ChunkAccumulator, checkLimit, lendable, readUntil } from './tools';

/** Options of {@link AutoSeparatedPacketSerializer}. */
export interface AutoSeparatedPacketSerializerOptions {
  /**
   * Check that `serialize` output holds no separator, and strip trailing
   * ones before appending one (default true). With false, output ending
   * with the separator is sent as it is.
   */
  incrementalSerializeCheckSeparator?: boolean;
  /** The longest packet (without its separator) the stream methods accept, in bytes (default 65536). */
  limit?: number;
  /** Let subclasses put detail in their errors' `errorInfo` (default false). */
  debug?: boolean;
}

function endsWith(data: Buffer, sep: Buffer): boolean {
  return data.length >= sep.length && data.subarray(data.length - sep.length).equals(sep);
}

/**
 * The base of stream serializers whose packets end with a separator.
 * Subclasses write the one-shot `serialize` (without the separator) and
 * `deserialize` (given the packet without its separator); the stream
 * methods frame them. EasyNetwork's `AutoSeparatedPacketSerializer`.
 * @example
 * ```ts
 * import { AutoSeparatedPacketSerializer, DeserializeError } from 'torsion/packets';
 * class Numbers extends AutoSeparatedPacketSerializer<number> {
 *   constructor() { super(Buffer.from(';')); }
 *   serialize(n: number): Buffer { return Buffer.from(String(n)); }
 *   deserialize(data: Buffer): number {
 *     const n = Number(data.toString('latin1'));
 *     if (!Number.isFinite(n)) throw new DeserializeError(`not a number: ${data}`);
 *     return n;
 *   }
 * }
 * ```
 */
export abstract class AutoSeparatedPacketSerializer<S, R = S>
  implements IPacketSerializer<S, R>, IBufferedIncrementalPacketSerializer<S, R, Buffer>
{
  readonly #separator: Buffer;
  readonly #limit: number;
  readonly #check: boolean;
  readonly #debug: boolean;

  /**
   * @param separator - the bytes that end each packet (not empty).
   * @throws TypeError / RangeError for an empty separator or a wrong option.
   */
  constructor(separator: Buffer | Uint8Array, opts?: AutoSeparatedPacketSerializerOptions) {
    checkBytes('separator', separator);
    if (separator.length < 1) throw new ArgRangeError('separator must not be empty');
    const o = optObject('opts', opts);
    const limit = o.limit ?? DEFAULT_SERIALIZER_LIMIT;
    checkLimit('limit', limit);
    this.#separator = Buffer.from(separator);
    this.#limit = limit;
    this.#check = optBool('incrementalSerializeCheckSeparator', o.incrementalSerializeCheckSeparator, true);
    this.#debug = optBool('debug', o.debug, false);
  }

  /** The separator. */
  get separator(): Buffer {
    return Buffer.from(this.#separator);
  }
  /** The longest packet the stream methods accept. EasyNetwork's `buffer_limit`. */
  get bufferLimit(): number {
    return this.#limit;
  }
  /** Whether errors carry detail in `errorInfo`. */
  get debug(): boolean {
    return this.#debug;
  }

  /** The bytes of `packet`, without the separator. */
  abstract serialize(packet: S): Buffer;
  /**
   * The packet `data` (without its separator) holds.
   * @throws DeserializeError for bad data.
   */
  abstract deserialize(data: Buffer): R;

  /**
   * `serialize`'s bytes and the separator (nothing for empty bytes).
   * @throws RangeError when checking and the bytes hold the separator
   *   elsewhere than at their end.
   */
  *incrementalSerialize(packet: S): Generator<Buffer, void, void> {
    let data = asBufferView(this.serialize(packet));
    const sep = this.#separator;
    if (this.#check) {
      while (endsWith(data, sep)) data = data.subarray(0, data.length - sep.length);
      if (data.indexOf(sep) !== -1) {
        throw new ArgRangeError(
          `${JSON.stringify(sep.toString('latin1'))} separator found in serialized packet which was not at the end`,
        );
      }
    } else if (endsWith(data, sep)) {
      yield data;
      return;
    }
    if (data.length === 0) return;
    yield Buffer.concat([data, sep], data.length + sep.length);
  }

  #deserializeFramed(data: Buffer, remainder: Buffer): R {
    try {
      return this.deserialize(data);
    } catch (err) {
      if (!(err instanceof DeserializeError)) throw err;
      throw new IncrementalDeserializeError(`Error when deserializing data: ${err.message}`, remainder, {
        cause: err,
        errorInfo: err.errorInfo,
      });
    }
  }

  /**
   * Yields until the separator is held; returns `deserialize` of what
   * precedes it, and what follows it.
   * @throws LimitOverrunError for a packet over `limit`;
   *   IncrementalDeserializeError when `deserialize` throws DeserializeError.
   */
  *incrementalDeserialize(): Generator<void, [R, Buffer], Buffer> {
    const sep = this.#separator;
    const { held, sepIdx } = yield* readUntil(sep, this.#limit);
    const remainder = held.subarray(sepIdx + sep.length);
    return [this.#deserializeFramed(lendable(this, held.subarray(0, sepIdx)), remainder), remainder];
  }

  /** A buffer of `limit` + the separator's length bytes (`sizeHint` is ignored). */
  createDeserializerBuffer(_sizeHint: number): Buffer {
    return Buffer.alloc(this.#limit + this.#separator.length);
  }

  /**
   * {@link AutoSeparatedPacketSerializer.incrementalDeserialize} reading into
   * `buffer`; `deserialize` gets a copy of the packet (it may keep it), the
   * remainder is a view of `buffer`.
   */
  *bufferedIncrementalDeserialize(buffer: Buffer): Generator<number, [R, Buffer], number> {
    checkBytes('buffer', buffer);
    const buf = asBufferView(buffer);
    const sep = this.#separator;
    const { sepIdx, buflen } = yield* bufferedReadUntil(buf, sep, this.#limit);
    const remainder = buf.subarray(sepIdx + sep.length, buflen);
    return [this.#deserializeFramed(lendable(this, buf.subarray(0, sepIdx)), remainder), remainder];
  }
}

/** Options of {@link FixedSizePacketSerializer}. */
export interface FixedSizePacketSerializerOptions {
  /** Let subclasses put detail in their errors' `errorInfo` (default false). */
  debug?: boolean;
}

/**
 * The base of stream serializers whose packets all have the same size.
 * EasyNetwork's `FixedSizePacketSerializer`.
 */
export abstract class FixedSizePacketSerializer<S, R = S>
  implements IPacketSerializer<S, R>, IBufferedIncrementalPacketSerializer<S, R, Buffer>
{
  readonly #size: number;
  readonly #debug: boolean;

  /**
   * @param size - the size of every packet, in bytes (> 0).
   * @throws TypeError / RangeError unless `size` is an integer > 0.
   */
  constructor(size: number, opts?: FixedSizePacketSerializerOptions) {
    checkCount('size', size, 1);
    const o = optObject('opts', opts);
    this.#size = size;
    this.#debug = optBool('debug', o.debug, false);
  }

  /** The size of every packet. */
  get packetSize(): number {
    return this.#size;
  }
  /** Whether errors carry detail in `errorInfo`. */
  get debug(): boolean {
    return this.#debug;
  }

  /** The `packetSize` bytes of `packet`. */
  abstract serialize(packet: S): Buffer;
  /**
   * The packet the `packetSize` bytes of `data` hold.
   * @throws DeserializeError for bad data.
   */
  abstract deserialize(data: Buffer): R;

  /**
   * `serialize`'s bytes.
   * @throws RangeError unless they are `packetSize` bytes long.
   */
  *incrementalSerialize(packet: S): Generator<Buffer, void, void> {
    const data = this.serialize(packet);
    if (!(data instanceof Uint8Array)) throw new ArgTypeError(`serialize() must return a Buffer, got ${describe(data)}`);
    if (data.length !== this.#size) {
      throw new ArgRangeError(`serialized data size does not meet expectation: ${data.length} bytes, not ${this.#size}`);
    }
    yield asBufferView(data);
  }

  #deserializeSized(data: Buffer, remainder: Buffer): R {
    try {
      return this.deserialize(data);
    } catch (err) {
      if (!(err instanceof DeserializeError)) throw err;
      throw new IncrementalDeserializeError(`Error when deserializing data: ${err.message}`, remainder, {
        cause: err,
        errorInfo: err.errorInfo,
      });
    }
  }

  /**
   * Yields until `packetSize` bytes are held; returns `deserialize` of them
   * and what follows.
   * @throws IncrementalDeserializeError when `deserialize` throws DeserializeError.
   */
  *incrementalDeserialize(): Generator<void, [R, Buffer], Buffer> {
    const size = this.#size;
    let first: Buffer = yield;
    while (first.length === 0) first = yield;
    const acc = new ChunkAccumulator(asBufferView(first));
    while (acc.len < size) acc.append(asBufferView(yield));
    const held = acc.view();
    const remainder = held.subarray(size);
    return [this.#deserializeSized(lendable(this, held.subarray(0, size)), remainder), remainder];
  }

  /** A buffer of `max(packetSize, sizeHint)` bytes. */
  createDeserializerBuffer(sizeHint: number): Buffer {
    return Buffer.alloc(Math.max(this.#size, Number.isInteger(sizeHint) ? sizeHint : 0));
  }

  /** {@link FixedSizePacketSerializer.incrementalDeserialize} reading into `buffer` (at least `packetSize` bytes). */
  *bufferedIncrementalDeserialize(buffer: Buffer): Generator<number, [R, Buffer], number> {
    checkBytes('buffer', buffer);
    const buf = asBufferView(buffer);
    const size = this.#size;
    if (buf.length < size) throw new ArgRangeError(`buffer must hold at least ${size} bytes, got ${buf.length}`);
    let nread = 0;
    while (nread < size) {
      const n: number = yield nread;
      if (n > 0) nread += n;
    }
    const remainder = buf.subarray(size, nread);
    return [this.#deserializeSized(lendable(this, buf.subarray(0, size)), remainder), remainder];
  }
}
