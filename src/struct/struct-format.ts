/**
 * `structFormat`: Python's `struct` module format strings (`'!HHI'`,
 * `'<2sd'`) as an {@link IStructCodec} of value arrays.
 * @module
 */
import { endianness } from 'node:os';
import { ArgRangeError, ArgTypeError, describe } from '../validate';
import { float16ToNumber, numberToFloat16, SCALARS, type ScalarType } from './scalar';
import type { IStructCodec } from './types';

/** One value Python's struct packs or unpacks: integers (64-bit ones as bigint), floats, booleans, bytes. */
export type StructFormatValue = number | bigint | boolean | Buffer;

/** The codec {@link structFormat} returns. */
export interface IStructFormat extends IStructCodec<Array<StructFormatValue>> {
  /** The format string, as given. */
  readonly format: string;
  /** How many values `encode` takes and `decode` returns (Python's `len(unpack(...))`). */
  readonly count: number;
}

type Item =
  | { kind: 'scalar'; code: string; offset: number; type: ScalarType }
  | { kind: 'float16'; code: 'e'; offset: number }
  | { kind: 'char'; code: 'c'; offset: number }
  | { kind: 'bytes'; code: 's' | 'p'; offset: number; length: number };

/** Standard sizes (`=`, `<`, `>`, `!`) of the integer and float codes. */
const STANDARD: Record<string, ScalarType> = {
  b: 'int8',
  B: 'uint8',
  '?': 'bool',
  h: 'int16',
  H: 'uint16',
  i: 'int32',
  I: 'uint32',
  l: 'int32',
  L: 'uint32',
  q: 'int64',
  Q: 'uint64',
  f: 'float32',
  d: 'float64',
};
/** Native (`@`) sizes where they differ from the standard ones, for a 64-bit (LP64) platform. */
const NATIVE: Record<string, ScalarType> = { ...STANDARD, l: 'int64', L: 'uint64', n: 'int64', N: 'uint64', P: 'uint64' };

const TOKEN = /\s*(\d*)([xcbB?hHiIlLqQnNPefdsp])/y;

/**
 * A codec for a Python `struct` format string: `decode(buf)` is
 * `struct.unpack(format, buf)`, `encode(values)` is `struct.pack(format,
 * *values)`, `byteLength` is `struct.calcsize(format)`.
 *
 * The syntax is Python's: an optional first character for byte order, size
 * and alignment — `@` (default: native order, native sizes, native
 * alignment), `=` (native order, standard sizes, no alignment), `<`
 * (little-endian), `>` or `!` (big-endian, network) — then format codes,
 * each with an optional count: `x` pad byte, `c` a 1-byte Buffer, `b B` 8-bit,
 * `?` bool, `h H` 16-bit, `i I` 32-bit, `l L` 32-bit (64-bit with `@`),
 * `q Q` 64-bit, `n N P` (only with `@`) 64-bit, `e f d` 16/32/64-bit floats,
 * `s` a Buffer of `count` bytes (truncated or NUL-padded when packing), `p` a
 * Pascal string. `'3H'` is three values, `'2s'` one 2-byte value. Whitespace
 * between codes is ignored. With `@`, each value is aligned to its size, and
 * a count of 0 (`'ci0q'`) aligns without a value, as in C and Python.
 *
 * Integers unpack as numbers, except 8-byte ones as bigint; packing accepts
 * a number or a bigint for any integer code. Out-of-range values throw
 * RangeError naming the position (`values[2]`), as Python's `struct.error`.
 *
 * @example
 * ```ts
 * import { structFormat } from 'torsion/struct';
 *
 * const header = structFormat('!HHI');
 * header.byteLength;                           // 8
 * header.encode([1, 2, 3]);                    // <Buffer 00 01 00 02 00 00 00 03>
 * structFormat('<2sd').decode(Buffer.alloc(10)); // [<Buffer 00 00>, 0]
 * ```
 * @throws TypeError unless `format` is a string; RangeError for a format Python would reject.
 */
export function structFormat(format: string): IStructFormat {
  if (typeof format !== 'string') throw new ArgTypeError(`format must be a string, got ${describe(format)}`);
  let pos = 0;
  let native = true;
  let little = endianness() === 'LE';
  const first = format[0];
  if (first === '@' || first === '=' || first === '<' || first === '>' || first === '!') {
    pos = 1;
    native = first === '@';
    if (first === '<') little = true;
    else if (first === '>' || first === '!') little = false;
  }
  const table = native ? NATIVE : STANDARD;
  const items: Item[] = [];
  let offset = 0;
  while (pos < format.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(format);
    if (m === null) {
      if (/^\s*$/.test(format.slice(pos))) break;
      throw new ArgRangeError(`format ${JSON.stringify(format)}: bad char in struct format at position ${pos}`);
    }
    pos = TOKEN.lastIndex;
    const countText = m[1] as string;
    const code = m[2] as string;
    const count = countText === '' ? 1 : Number(countText);
    if (!Number.isSafeInteger(count))
      throw new ArgRangeError(`format ${JSON.stringify(format)}: count ${countText} is too large`);
    if (code === 'x') {
      offset += count;
      continue;
    }
    if (code === 's' || code === 'p') {
      items.push({ kind: 'bytes', code, offset, length: count });
      offset += count;
      continue;
    }
    if (code === 'c') {
      for (let i = 0; i < count; i++) items.push({ kind: 'char', code, offset: offset + i });
      offset += count;
      continue;
    }
    if (code === 'e') {
      if (native) offset = Math.ceil(offset / 2) * 2;
      for (let i = 0; i < count; i++) items.push({ kind: 'float16', code, offset: offset + 2 * i });
      offset += 2 * count;
      continue;
    }
    const type = table[code];
    if (type === undefined) {
      throw new ArgRangeError(`format ${JSON.stringify(format)}: '${code}' is only available in native mode ('@', the default)`);
    }
    const size = SCALARS[type].size;
    if (native) offset = Math.ceil(offset / size) * size;
    for (let i = 0; i < count; i++) items.push({ kind: 'scalar', code, offset: offset + size * i, type });
    offset += size * count;
  }
  const byteLength = offset;
  const count = items.length;

  const decode = (data: Buffer | Uint8Array): StructFormatValue[] => {
    if (!(data instanceof Uint8Array)) throw new ArgTypeError(`data must be a Buffer, got ${describe(data)}`);
    if (data.length !== byteLength)
      throw new ArgRangeError(`unpack requires a buffer of ${byteLength} bytes, got ${data.length}`);
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
    const out = new Array<StructFormatValue>(count);
    for (let i = 0; i < count; i++) {
      const it = items[i] as Item;
      switch (it.kind) {
        case 'scalar':
          out[i] = SCALARS[it.type].read(buf, it.offset, little);
          break;
        case 'float16':
          out[i] = float16ToNumber(little ? buf.readUInt16LE(it.offset) : buf.readUInt16BE(it.offset));
          break;
        case 'char':
          out[i] = Buffer.from(buf.subarray(it.offset, it.offset + 1));
          break;
        case 'bytes':
          if (it.code === 's') out[i] = Buffer.from(buf.subarray(it.offset, it.offset + it.length));
          else {
            const n = it.length === 0 ? 0 : Math.min(buf[it.offset] as number, it.length - 1);
            out[i] = Buffer.from(buf.subarray(it.offset + 1, it.offset + 1 + n));
          }
          break;
      }
    }
    return out;
  };

  const encode = (values: Array<StructFormatValue>): Buffer => {
    if (!Array.isArray(values)) throw new ArgTypeError(`values must be an array, got ${describe(values)}`);
    if (values.length !== count) throw new ArgRangeError(`pack expected ${count} items for packing (got ${values.length})`);
    const buf = Buffer.alloc(byteLength);
    for (let i = 0; i < count; i++) {
      const it = items[i] as Item;
      const v: unknown = values[i];
      const where = `values[${i}] ('${it.code}' format)`;
      switch (it.kind) {
        case 'scalar': {
          const info = SCALARS[it.type];
          info.write(buf, it.offset, info.check(where, v), little);
          break;
        }
        case 'float16': {
          if (typeof v !== 'number') throw new ArgTypeError(`${where} must be a number, got ${describe(v)}`);
          const bits = numberToFloat16(v);
          if (bits === null) throw new ArgRangeError(`${where}: float too large to pack with e format, got ${v}`);
          if (little) buf.writeUInt16LE(bits, it.offset);
          else buf.writeUInt16BE(bits, it.offset);
          break;
        }
        case 'char':
          if (!(v instanceof Uint8Array)) throw new ArgTypeError(`${where} must be a Buffer of length 1, got ${describe(v)}`);
          if (v.length !== 1) throw new ArgRangeError(`${where} must be a Buffer of length 1, got ${v.length} bytes`);
          buf[it.offset] = v[0] as number;
          break;
        case 'bytes': {
          if (!(v instanceof Uint8Array)) throw new ArgTypeError(`${where} must be a Buffer, got ${describe(v)}`);
          if (it.code === 's') buf.set(v.subarray(0, it.length), it.offset);
          else if (it.length > 0) {
            // Python copies up to count - 1 bytes but its length byte saturates at 255.
            const n = Math.min(v.length, it.length - 1);
            buf[it.offset] = Math.min(n, 255);
            buf.set(v.subarray(0, n), it.offset + 1);
          }
          break;
        }
      }
    }
    return buf;
  };

  return Object.freeze({ format, count, byteLength, decode, encode });
}
