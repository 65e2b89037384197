/**
 * The types of `torsion/struct`: field types, the struct and codec
 * interfaces.
 * @module
 */
import type { ScalarType, ScalarValue } from './scalar';

/**
 * The type of one field of {@link defineStruct}:
 * - a {@link ScalarType} (`'int32'`, `'uint64'`, `'float64'`, `'bool'` …);
 * - `{ char: n }`: ctypes' `c_char * n`, read as a string cut at the first
 *   NUL, written UTF-8 encoded (at most `n` bytes) and NUL-padded;
 * - `{ bytes: n }`: `c_uint8 * n`, read as a Buffer *view* of the struct's
 *   bytes, written from at most `n` bytes, zero-padded;
 * - `{ array: scalar, length: n }`: `scalar * n`, read as a fresh JavaScript
 *   array, written from at most `n` values, zero-padded;
 * - another struct class: a nested struct, read as a view sharing the outer
 *   struct's bytes (as in ctypes).
 */
export type FieldType =
  | ScalarType
  | { readonly char: number }
  | { readonly bytes: number }
  | { readonly array: ScalarType; readonly length: number }
  | StructClass<object>;

/** How {@link defineStruct} lays fields out. */
export interface StructOptions {
  /** Byte order of every multi-byte scalar: `'little'` (default) or `'big'` (ctypes' `BigEndianStructure`). */
  endian?: 'little' | 'big';
  /**
   * ctypes' `_pack_`: the largest alignment any field gets. `null` (default)
   * is C alignment (each field aligned to its natural alignment, the size
   * rounded up to the largest one); `1` packs fields with no padding.
   */
  pack?: 1 | 2 | 4 | 8 | null;
}

/** Turns one fixed-size value into exactly `byteLength` bytes and back. */
export interface IStructCodec<T> {
  /** The size of every encoding, in bytes. */
  readonly byteLength: number;
  /**
   * The value held in `data`.
   * @throws RangeError unless `data` has exactly `byteLength` bytes.
   */
  decode(data: Buffer): T;
  /**
   * A new Buffer of `byteLength` bytes holding `value`.
   * @throws RangeError (naming the field or position) for a value that does not fit; TypeError for a wrong type.
   */
  encode(value: T): Buffer;
}

/** An instance of a struct class made by {@link defineStruct}. */
export interface IStruct {
  /** The struct's own bytes; the field accessors read and write them. */
  readonly buffer: Buffer;
  /** `buffer.length`: the size of the struct, padding included. */
  readonly byteLength: number;
  /**
   * The fields as a plain object: 64-bit integers as numbers when safe,
   * else decimal strings; `bytes` fields as arrays of numbers; nested
   * structs as their own `toJSON()`.
   */
  toJSON(): Record<string, unknown>;
}

/** One laid-out field of a struct class. */
export interface StructField {
  /** The field's name (its accessor on instances). */
  readonly name: string;
  /** The type given in the layout. */
  readonly type: FieldType;
  /** Offset from the start of the struct, in bytes. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
}

/** A struct class made by {@link defineStruct}; it is also an {@link IStructCodec} of its instances. */
export interface StructClass<T> extends IStructCodec<IStruct & T> {
  /**
   * A zero-filled instance, then `init`'s fields assigned (unknown names
   * throw RangeError); or, from a Buffer of exactly `byteLength` bytes, an
   * instance holding a copy of it.
   */
  new (init?: Partial<T> | Buffer): IStruct & T;
  /** The fields in order, with their offsets and sizes. */
  readonly fields: ReadonlyArray<StructField>;
  /** The struct's alignment (the largest field alignment, capped by `pack`). */
  readonly alignment: number;
  /** The byte order of its scalars. */
  readonly endian: 'little' | 'big';
  /** Its `pack`, or null for C alignment. */
  readonly pack: 1 | 2 | 4 | 8 | null;
}

/** The JavaScript type of a field of type `F`. */
export type FieldValue<F> = F extends ScalarType
  ? ScalarValue<F>
  : F extends { readonly char: number }
    ? string
    : F extends { readonly bytes: number }
      ? Buffer
      : F extends { readonly array: infer E extends ScalarType; readonly length: number }
        ? ScalarValue<E>[]
        : F extends StructClass<infer T>
          ? IStruct & T
          : never;

/** The fields of a struct whose layout is `L`, as accessors. */
export type FieldsOf<L> = { -readonly [K in keyof L]: FieldValue<L[K]> };
