/**
 * The framing primitives the shipped serializers share: a resumable
 * separator search over chunks (copying each byte at most a bounded number
 * of times, scanning each byte once) and its buffered twin over a lent
 * buffer, with EasyNetwork's limit rules.
 * @module
 */
import { LimitOverrunError } from '../../errors';
import { ArgRangeError, ArgTypeError, describe } from '../../validate';

/**
 * Work counters, read by the linearity specs: bytes examined while
 * searching for a separator or a JSON frame end, and bytes copied to join
 * chunks. Never reset by the library.
 * @internal
 */
export const serializerCounters = { scanned: 0, copied: 0 };

/** A zero-copy Buffer view of any Uint8Array. @internal */
export function asBufferView(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * EasyNetwork's `LimitOverrunError` remainder: what follows `consumed` in
 * `held`, past the separator when one starts there, else from the first
 * place where a (possibly partial) separator begins.
 * @internal
 */
export function overrunRemainder(held: Buffer, consumed: number, separator: Buffer): Buffer {
  let rem = held.subarray(Math.min(consumed, held.length));
  const seplen = separator.length;
  if (seplen === 0) return rem;
  if (rem.length >= seplen && rem.subarray(0, seplen).equals(separator)) return rem.subarray(seplen);
  while (rem.length > 0) {
    const n = Math.min(seplen, rem.length);
    if (rem.subarray(0, n).equals(separator.subarray(0, n))) break;
    rem = rem.subarray(1);
  }
  return rem;
}

/** A `LimitOverrunError` with EasyNetwork's `consumed` and remainder. @internal */
export function limitOverrun(message: string, held: Buffer, consumed: number, separator: Buffer): LimitOverrunError {
  return new LimitOverrunError(message, consumed, overrunRemainder(held, consumed, separator));
}

/**
 * Bytes received so far for one packet: the first chunk is held as it is
 * (no copy); a second chunk starts a private, geometrically grown buffer.
 * @internal
 */
export class ChunkAccumulator {
  buf: Buffer;
  len: number;
  private owned = false;

  constructor(first: Buffer) {
    this.buf = first;
    this.len = first.length;
  }

  /** The bytes held, as a view. */
  view(): Buffer {
    return this.len === this.buf.length ? this.buf : this.buf.subarray(0, this.len);
  }

  append(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    const need = this.len + n;
    if (!this.owned || need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.owned ? this.buf.length * 2 : need * 2, 256));
      this.buf.copy(grown, 0, 0, this.len);
      serializerCounters.copied += this.len;
      this.buf = grown;
      this.owned = true;
    }
    chunk.copy(this.buf, this.len);
    serializerCounters.copied += n;
    this.len = need;
  }
}

/** Where a separator search found the end of a packet. @internal */
export interface SeparatorFound {
  /** Every byte held (the packet, its separator and what followed). */
  held: Buffer;
  /** Index of the separator in `held`. */
  sepIdx: number;
}

/** Start a search for `separator` in `hay[from, ...)`, counting the work. */
function search(hay: Buffer, separator: Buffer, from: number): number {
  const idx = separator.length === 1 ? hay.indexOf(separator[0], from) : hay.indexOf(separator, from);
  serializerCounters.scanned += (idx === -1 ? hay.length : idx + separator.length) - from;
  return idx;
}

/**
 * Yield until `separator` is held, as EasyNetwork's
 * `GeneratorStreamReader.read_until`: a packet of at most `limit` bytes
 * (without the separator). Each byte is scanned once.
 * @throws LimitOverrunError when `limit + 1` bytes are held without a
 *   separator (`consumed`: the first index a separator could still start at)
 *   or the separator is found past `limit` (`consumed`: its index).
 * @internal
 */
export function* readUntil(separator: Buffer, limit: number): Generator<void, SeparatorFound, Buffer> {
  const seplen = separator.length;
  let first: Buffer = yield;
  while (first.length === 0) first = yield;
  const acc = new ChunkAccumulator(asBufferView(first));
  let offset = 0;
  for (;;) {
    const len = acc.len;
    if (len - offset >= seplen) {
      const held = acc.view();
      const idx = search(held, separator, offset);
      if (idx !== -1) {
        if (idx > limit) throw limitOverrun('Separator is found, but chunk is longer than limit', held, idx, separator);
        return { held, sepIdx: idx };
      }
      offset = len + 1 - seplen;
      if (offset > limit) throw limitOverrun('Separator is not found, and chunk exceed the limit', held, offset, separator);
    }
    acc.append(asBufferView(yield));
  }
}

/**
 * The buffered twin of {@link readUntil}: bytes are written into `buffer`
 * at the offsets it yields. The same limit rules; a buffer filled without
 * a separator also overruns.
 * @returns the separator's index and how many bytes `buffer` holds.
 * @internal
 */
export function* bufferedReadUntil(
  buffer: Buffer,
  separator: Buffer,
  limit: number,
): Generator<number, { sepIdx: number; buflen: number }, number> {
  const seplen = separator.length;
  let buflen = 0;
  let offset = 0;
  for (;;) {
    const nbytes = yield buflen;
    if (!(nbytes > 0)) continue;
    buflen += nbytes;
    if (buflen - offset < seplen) continue;
    const held = buffer.subarray(0, buflen);
    const idx = search(held, separator, offset);
    if (idx !== -1) {
      if (idx > limit) throw limitOverrun('Separator is found, but chunk is longer than limit', held, idx, separator);
      return { sepIdx: idx, buflen };
    }
    offset = buflen + 1 - seplen;
    if (offset > limit || buflen >= buffer.length) {
      throw limitOverrun('Separator is not found, and chunk exceed the limit', held, offset, separator);
    }
  }
}

/**
 * Marks a serializer whose `deserialize` never keeps a reference to the
 * bytes it is given (it decodes them), so a wrapper may lend it a view of
 * its receive buffer instead of a copy.
 * @internal
 */
export const kDeserializeKeepsNoReference: unique symbol = Symbol('torsion.packets.deserializeKeepsNoReference');

/** The bytes to hand to `inner.deserialize`: `view` itself when it keeps no reference, else a copy. @internal */
export function lendable(inner: object, view: Buffer): Buffer {
  return (inner as { [kDeserializeKeepsNoReference]?: boolean })[kDeserializeKeepsNoReference] === true
    ? view
    : Buffer.from(view);
}

/** Throw TypeError/RangeError unless `limit` is an integer > 0. @internal */
export function checkLimit(name: string, limit: unknown): asserts limit is number {
  if (typeof limit !== 'number') throw new ArgTypeError(`${name} must be a positive integer, got ${describe(limit)}`);
  if (!Number.isInteger(limit) || limit <= 0) throw new ArgRangeError(`${name} must be a positive integer, got ${limit}`);
}
