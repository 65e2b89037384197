/**
 * The scalar C types shared by `defineStruct` and `structFormat`: their
 * sizes, and the checked reads and writes over a Buffer. A value that does
 * not fit throws a RangeError naming where it was going, never wraps
 * silently.
 * @module
 */
import { ArgRangeError, ArgTypeError, describe } from '../validate';

/**
 * A scalar C type: fixed-width integers (`int8` … `uint64`, 64-bit ones as
 * `bigint`), IEEE floats (`float32`, `float64`) and C's one-byte `_Bool`.
 */
export type ScalarType =
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'bool';

/** The JavaScript type of a scalar: `bigint` for 64-bit integers, `boolean` for `bool`, else `number`. */
export type ScalarValue<S extends ScalarType> = S extends 'int64' | 'uint64' ? bigint : S extends 'bool' ? boolean : number;

/** @internal How to check, read and write one scalar type. */
export interface ScalarInfo {
  readonly size: number;
  /** Check `value` (for a slot called `where`) and return it as stored. */
  check(where: string, value: unknown): number | bigint | boolean;
  read(buf: Buffer, offset: number, little: boolean): number | bigint | boolean;
  /** Write a value `check` returned. */
  write(buf: Buffer, offset: number, value: number | bigint | boolean, little: boolean): void;
}

function intChecker(bits: number, signed: boolean): (where: string, value: unknown) => number {
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return (where, value) => {
    let n: number;
    if (typeof value === 'number') n = value;
    else if (typeof value === 'bigint') n = Number(value);
    else throw new ArgTypeError(`${where} must be an integer, got ${describe(value)}`);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ArgRangeError(`${where} must be an integer in ${min}..${max}, got ${String(value)}`);
    }
    return n;
  };
}

function bigChecker(signed: boolean): (where: string, value: unknown) => bigint {
  const min = signed ? -(2n ** 63n) : 0n;
  const max = signed ? 2n ** 63n - 1n : 2n ** 64n - 1n;
  return (where, value) => {
    let n: bigint;
    if (typeof value === 'bigint') n = value;
    else if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) {
        throw new ArgRangeError(`${where} must be a bigint or a safe integer, got ${value}`);
      }
      n = BigInt(value);
    } else throw new ArgTypeError(`${where} must be a bigint, got ${describe(value)}`);
    if (n < min || n > max) throw new ArgRangeError(`${where} must be in ${min}..${max}, got ${n}`);
    return n;
  };
}

function checkFloat64(where: string, value: unknown): number {
  if (typeof value !== 'number') throw new ArgTypeError(`${where} must be a number, got ${describe(value)}`);
  return value;
}

function checkFloat32(where: string, value: unknown): number {
  const n = checkFloat64(where, value);
  if (Number.isFinite(n) && !Number.isFinite(Math.fround(n))) {
    throw new ArgRangeError(`${where} is too large for a float32, got ${n}`);
  }
  return n;
}

function checkBool(where: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ArgTypeError(`${where} must be a boolean, got ${describe(value)}`);
  return value;
}

/** @internal The table of scalar types. */
export const SCALARS: Readonly<Record<ScalarType, ScalarInfo>> = {
  int8: {
    size: 1,
    check: intChecker(8, true),
    read: (b, o) => b.readInt8(o),
    write: (b, o, v) => void b.writeInt8(v as number, o),
  },
  uint8: {
    size: 1,
    check: intChecker(8, false),
    read: (b, o) => b[o] as number,
    write: (b, o, v) => void (b[o] = v as number),
  },
  int16: {
    size: 2,
    check: intChecker(16, true),
    read: (b, o, le) => (le ? b.readInt16LE(o) : b.readInt16BE(o)),
    write: (b, o, v, le) => void (le ? b.writeInt16LE(v as number, o) : b.writeInt16BE(v as number, o)),
  },
  uint16: {
    size: 2,
    check: intChecker(16, false),
    read: (b, o, le) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o)),
    write: (b, o, v, le) => void (le ? b.writeUInt16LE(v as number, o) : b.writeUInt16BE(v as number, o)),
  },
  int32: {
    size: 4,
    check: intChecker(32, true),
    read: (b, o, le) => (le ? b.readInt32LE(o) : b.readInt32BE(o)),
    write: (b, o, v, le) => void (le ? b.writeInt32LE(v as number, o) : b.writeInt32BE(v as number, o)),
  },
  uint32: {
    size: 4,
    check: intChecker(32, false),
    read: (b, o, le) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o)),
    write: (b, o, v, le) => void (le ? b.writeUInt32LE(v as number, o) : b.writeUInt32BE(v as number, o)),
  },
  int64: {
    size: 8,
    check: bigChecker(true),
    read: (b, o, le) => (le ? b.readBigInt64LE(o) : b.readBigInt64BE(o)),
    write: (b, o, v, le) => void (le ? b.writeBigInt64LE(v as bigint, o) : b.writeBigInt64BE(v as bigint, o)),
  },
  uint64: {
    size: 8,
    check: bigChecker(false),
    read: (b, o, le) => (le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)),
    write: (b, o, v, le) => void (le ? b.writeBigUInt64LE(v as bigint, o) : b.writeBigUInt64BE(v as bigint, o)),
  },
  float32: {
    size: 4,
    check: checkFloat32,
    read: (b, o, le) => (le ? b.readFloatLE(o) : b.readFloatBE(o)),
    write: (b, o, v, le) => void (le ? b.writeFloatLE(v as number, o) : b.writeFloatBE(v as number, o)),
  },
  float64: {
    size: 8,
    check: checkFloat64,
    read: (b, o, le) => (le ? b.readDoubleLE(o) : b.readDoubleBE(o)),
    write: (b, o, v, le) => void (le ? b.writeDoubleLE(v as number, o) : b.writeDoubleBE(v as number, o)),
  },
  bool: {
    size: 1,
    check: checkBool,
    read: (b, o) => b[o] !== 0,
    write: (b, o, v) => void (b[o] = v ? 1 : 0),
  },
};

/** @internal True if `value` names a scalar type. */
export function isScalarType(value: unknown): value is ScalarType {
  return typeof value === 'string' && Object.hasOwn(SCALARS, value);
}

/** @internal IEEE 754 binary16 bits -> number (Python's 'e' format). */
export function float16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * @internal number -> IEEE 754 binary16 bits, rounding half to even, as
 * Python's struct does; null if the value is too large (Python's OverflowError).
 */
export function numberToFloat16(v: number): number | null {
  if (Number.isNaN(v)) return 0x7e00;
  const signBit = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Number.POSITIVE_INFINITY) return signBit | 0x7c00;
  if (a < 2 ** -14) return signBit | roundHalfEven(a * 2 ** 24); // 1024 is the smallest normal, bits included
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e += 1;
  }
  if (e > 15) return null;
  return signBit | ((e + 15) << 10) | m;
}
