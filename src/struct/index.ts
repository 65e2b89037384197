/**
 * C structs over Buffers, the answer to Python's ctypes `Structure` and
 * `struct` module: {@link defineStruct} lays fields out with C alignment
 * (or `pack`) and either byte order; {@link structFormat} takes Python
 * `struct` format strings. Both are {@link IStructCodec}s, so the same
 * definition serves lsst's `readInto`/`writeFrom` and `StructSerializer`.
 * @module torsion/struct
 */
export { defineStruct } from './define-struct';
export type { ScalarType, ScalarValue } from './scalar';
export { type IStructFormat, type StructFormatValue, structFormat } from './struct-format';
export type { FieldsOf, FieldType, FieldValue, IStruct, IStructCodec, StructClass, StructField, StructOptions } from './types';
