/**
 * `LengthPrefixedSerializer`: Twisted's `Int8/16/32StringReceiver` framing
 * around a one-shot serializer (torsion's; EasyNetwork has none).
 * @module
 */
import { DeserializeError, IncrementalDeserializeError, LimitOverrunError } from '../../errors';
import { ArgRangeError, ArgTypeError, checkBytes, checkCount, describe } from '../../validate';
import { type IBufferedIncrementalPacketSerializer, type IPacketSerializer, isPacketSerializer } from '../abc';
import { DEFAULT_SERIALIZER_LIMIT, optObject } from './line';
import { asBufferView, ChunkAccumulator, lendable } from './tools';

/** Options of {@link LengthPrefixedSerializer}. */
export interface LengthPrefixedSerializerOptions {
  /** The size of the big-endian unsigned length prefix: 1, 2 or 4 bytes (default 4). */
  prefixLength?: 1 | 2 | 4;
  /** The longest payload, in bytes (default 65536, and at most what the prefix can say). */
  maxLength?: number;
}

/**
 * Frames a one-shot serializer's bytes with a big-endian unsigned length
 * prefix, as Twisted's `Int8StringReceiver`/`Int16StringReceiver`/
 * `Int32StringReceiver` do: interoperable with them.
 *
 * A received payload over `maxLength` is skipped as it arrives (never
 * buffered), then reported as `LimitOverrunError` (`consumed`: the bad
 * frame's size, prefix included), so the stream stays framed and the next
 * packet parses.
 * @example
 * ```ts
 * import { LengthPrefixedSerializer, StringLineSerializer } from 'torsion/packets';
 * const s = new LengthPrefixedSerializer(new StringLineSerializer('LF', { encoding: 'utf-8' }), { prefixLength: 2 });
 * Buffer.concat([...s.incrementalSerialize('hi')]); // <Buffer 00 02 68 69>
 * ```
 */
export class LengthPrefixedSerializer<S, R = S> implements IBufferedIncrementalPacketSerializer<S, R, Buffer> {
  readonly #inner: IPacketSerializer<S, R>;
  readonly #prefix: 1 | 2 | 4;
  readonly #max: number;

  /**
   * @param serializer - the serializer of the payloads.
   * @throws TypeError / RangeError for a wrong serializer, prefix length or maximum.
   */
  constructor(serializer: IPacketSerializer<S, R>, opts?: LengthPrefixedSerializerOptions) {
    if (!isPacketSerializer(serializer)) {
      throw new ArgTypeError(`serializer must be a serializer (serialize, deserialize), got ${describe(serializer)}`);
    }
    const o = optObject('opts', opts);
    const prefix = o.prefixLength ?? 4;
    if (prefix !== 1 && prefix !== 2 && prefix !== 4) {
      throw new ArgRangeError(`prefixLength must be 1, 2 or 4, got ${describe(prefix)}`);
    }
    const ceiling = 2 ** (8 * prefix) - 1;
    const max = o.maxLength ?? Math.min(DEFAULT_SERIALIZER_LIMIT, ceiling);
    checkCount('maxLength', max);
    if (max > ceiling) throw new ArgRangeError(`maxLength must be at most ${ceiling} with a ${prefix}-byte prefix, got ${max}`);
    this.#inner = serializer;
    this.#prefix = prefix;
    this.#max = max;
  }

  /** The size of the length prefix. */
  get prefixLength(): 1 | 2 | 4 {
    return this.#prefix;
  }
  /** The longest payload. */
  get maxLength(): number {
    return this.#max;
  }

  #readLength(b: Buffer, at: number): number {
    return this.#prefix === 1 ? b[at] : this.#prefix === 2 ? b.readUInt16BE(at) : b.readUInt32BE(at);
  }

  /**
   * The prefix and the payload, as two parts (no copy of the payload).
   * @throws RangeError for a payload over `maxLength`.
   */
  *incrementalSerialize(packet: S): Generator<Buffer, void, void> {
    const data = asBufferView(this.#inner.serialize(packet));
    if (data.length > this.#max) {
      throw new ArgRangeError(`packet: the serialized packet is ${data.length} bytes, over maxLength ${this.#max}`);
    }
    const head = Buffer.allocUnsafe(this.#prefix);
    if (this.#prefix === 1) head[0] = data.length;
    else if (this.#prefix === 2) head.writeUInt16BE(data.length);
    else head.writeUInt32BE(data.length);
    yield head;
    if (data.length > 0) yield data;
  }

  #finish(payload: Buffer, remainder: Buffer): [R, Buffer] {
    try {
      return [this.#inner.deserialize(payload), remainder];
    } catch (err) {
      if (!(err instanceof DeserializeError)) throw err;
      throw new IncrementalDeserializeError(`Error when deserializing data: ${err.message}`, remainder, {
        cause: err,
        errorInfo: err.errorInfo,
      });
    }
  }

  #tooLong(length: number, remainder: Buffer): LimitOverrunError {
    return new LimitOverrunError(`Payload of ${length} bytes is over maxLength ${this.#max}`, this.#prefix + length, remainder);
  }

  /**
   * Yields until the prefix and its payload are held; returns the wrapped
   * serializer's packet and what follows.
   * @throws LimitOverrunError (once the over-long payload has gone by);
   *   IncrementalDeserializeError when the wrapped serializer refuses the payload.
   */
  *incrementalDeserialize(): Generator<void, [R, Buffer], Buffer> {
    const p = this.#prefix;
    let first: Buffer = yield;
    while (first.length === 0) first = yield;
    const acc = new ChunkAccumulator(asBufferView(first));
    while (acc.len < p) acc.append(asBufferView(yield));
    const length = this.#readLength(acc.buf, 0);
    if (length > this.#max) {
      // Skip the payload as it comes, without keeping it.
      const end = p + length;
      if (acc.len >= end) throw this.#tooLong(length, acc.view().subarray(end));
      let skip = end - acc.len;
      for (;;) {
        const c = asBufferView(yield);
        if (c.length >= skip) throw this.#tooLong(length, c.subarray(skip));
        skip -= c.length;
      }
    }
    const end = p + length;
    while (acc.len < end) acc.append(asBufferView(yield));
    const held = acc.view();
    return this.#finish(lendable(this.#inner, held.subarray(p, end)), held.subarray(end));
  }

  /** A buffer for one frame: `prefixLength + maxLength` bytes, or `sizeHint` if larger. */
  createDeserializerBuffer(sizeHint: number): Buffer {
    return Buffer.alloc(Math.max(this.#prefix + this.#max, Number.isInteger(sizeHint) ? sizeHint : 0));
  }

  /** {@link LengthPrefixedSerializer.incrementalDeserialize} reading into `buffer`. */
  *bufferedIncrementalDeserialize(buffer: Buffer): Generator<number, [R, Buffer], number> {
    checkBytes('buffer', buffer);
    const buf = asBufferView(buffer);
    const p = this.#prefix;
    if (buf.length < p + this.#max)
      throw new ArgRangeError(`buffer must hold at least ${p + this.#max} bytes, got ${buf.length}`);
    let nread = 0;
    while (nread < p) {
      const n: number = yield nread;
      if (n > 0) nread += n;
    }
    const length = this.#readLength(buf, 0);
    if (length > this.#max) {
      // Skip the payload as it comes, writing it over and over at the start of the buffer.
      const end = p + length;
      if (nread >= end) throw this.#tooLong(length, buf.subarray(end, nread));
      let skip = end - nread;
      for (;;) {
        const n: number = yield 0;
        if (!(n > 0)) continue;
        if (n >= skip) throw this.#tooLong(length, buf.subarray(skip, n));
        skip -= n;
      }
    }
    const end = p + length;
    while (nread < end) {
      const n: number = yield nread;
      if (n > 0) nread += n;
    }
    return this.#finish(lendable(this.#inner, buf.subarray(p, end)), buf.subarray(end, nread));
  }
}
