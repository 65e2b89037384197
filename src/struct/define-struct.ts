/**
 * `defineStruct`: ctypes' `Structure` for TypeScript. A struct class owns
 * the layout (C alignment on a 64-bit ABI, or `pack`); an instance owns a
 * Buffer and exposes each field as an accessor over it.
 * @module
 */
import { decodeText, encodeText } from '../codec';
import { ArgRangeError, ArgTypeError, describe } from '../validate';
import { isScalarType, SCALARS, type ScalarInfo, type ScalarType } from './scalar';
import type { FieldsOf, FieldType, IStruct, StructClass, StructField, StructOptions } from './types';

/** Marks the classes defineStruct makes, so nested structs are recognised. */
const STRUCT_CLASS = Symbol('torsion.struct.class');
/** The names an instance already uses. */
const RESERVED = new Set(['buffer', 'byteLength', 'toJSON', 'constructor', '__proto__', 'hasOwnProperty', 'toString', 'valueOf']);

interface Accessor {
  get(buf: Buffer, offset: number): unknown;
  set(buf: Buffer, offset: number, value: unknown, where: string): void;
  json(value: unknown): unknown;
}

function jsonScalar(v: unknown): unknown {
  if (typeof v !== 'bigint') return v;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v.toString();
}

/** @internal True if `value` is a class made by {@link defineStruct}. */
export function isStructClass(value: unknown): value is StructClass<object> {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[STRUCT_CLASS] === true;
}

/** An instance of `cls` whose buffer is `buf` itself (no copy): nested fields. */
function viewOf(cls: StructClass<object>, buf: Buffer): IStruct {
  const view = Object.create(cls.prototype as object) as { buffer: Buffer };
  Object.defineProperty(view, 'buffer', { value: buf, enumerable: false });
  return view as unknown as IStruct;
}

function assignFields(target: object, init: Record<string, unknown>, names: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(init)) {
    if (!names.has(key)) throw new ArgRangeError(`${where}.${key} is not a field of this struct`);
    (target as Record<string, unknown>)[key] = init[key];
  }
}

function scalarAccessor(info: ScalarInfo, little: boolean): Accessor {
  return {
    get: (buf, o) => info.read(buf, o, little),
    set: (buf, o, value, where) => info.write(buf, o, info.check(where, value), little),
    json: jsonScalar,
  };
}

function bytesLike(where: string, value: unknown, size: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ArgTypeError(`${where} must be a Buffer or Uint8Array, got ${describe(value)}`);
  if (value.length > size) throw new ArgRangeError(`${where} holds at most ${size} bytes, got ${value.length}`);
  return value;
}

function accessorFor(name: string, type: FieldType, little: boolean): { accessor: Accessor; size: number; align: number } {
  const where = `layout.${name}`;
  if (isScalarType(type)) {
    const info = SCALARS[type];
    return { accessor: scalarAccessor(info, little), size: info.size, align: info.size };
  }
  if (isStructClass(type)) {
    const cls = type;
    const names = new Set(cls.fields.map((f) => f.name));
    const size = cls.byteLength;
    return {
      size,
      align: cls.alignment,
      accessor: {
        get: (buf, o) => viewOf(cls, buf.subarray(o, o + size)),
        set: (buf, o, value, at) => {
          const region = buf.subarray(o, o + size);
          if (value instanceof cls) {
            region.set((value as IStruct).buffer);
            return;
          }
          if (typeof value !== 'object' || value === null || value instanceof Uint8Array || Array.isArray(value)) {
            throw new ArgTypeError(
              `${at} must be an instance of its struct class or a plain object of its fields, got ${describe(value)}`,
            );
          }
          // Assignment replaces the whole nested value, as in ctypes: fields not given become 0.
          const scratch = Buffer.alloc(size);
          assignFields(viewOf(cls, scratch), value as Record<string, unknown>, names, at);
          region.set(scratch);
        },
        json: (value) => (value as IStruct).toJSON(),
      },
    };
  }
  if (typeof type !== 'object' || type === null) {
    throw new ArgTypeError(
      `${where} must be a scalar type name, { char }, { bytes }, { array, length } or a struct class, got ${describe(type)}`,
    );
  }
  const t = type as Record<string, unknown>;
  const lengthOf = (key: string, v: unknown): number => {
    if (typeof v !== 'number') throw new ArgTypeError(`${where}.${key} must be an integer, got ${describe(v)}`);
    if (!Number.isInteger(v) || v < 0) throw new ArgRangeError(`${where}.${key} must be an integer >= 0, got ${v}`);
    return v;
  };
  if ('char' in t) {
    const size = lengthOf('char', t.char);
    return {
      size,
      align: 1,
      accessor: {
        get: (buf, o) => {
          const region = buf.subarray(o, o + size);
          const nul = region.indexOf(0);
          return decodeText(nul < 0 ? region : region.subarray(0, nul), 'utf-8');
        },
        set: (buf, o, value, at) => {
          let data: Uint8Array;
          if (typeof value === 'string') {
            data = encodeText(value, 'utf-8');
            if (data.length > size)
              throw new ArgRangeError(`${at} holds at most ${size} bytes, got ${data.length} (UTF-8 of ${describe(value)})`);
          } else data = bytesLike(at, value, size);
          buf.fill(0, o, o + size);
          buf.set(data, o);
        },
        json: (v) => v,
      },
    };
  }
  if ('bytes' in t) {
    const size = lengthOf('bytes', t.bytes);
    return {
      size,
      align: 1,
      accessor: {
        get: (buf, o) => buf.subarray(o, o + size),
        set: (buf, o, value, at) => {
          const data = bytesLike(at, value, size);
          buf.fill(0, o, o + size);
          buf.set(data, o);
        },
        json: (v) => Array.from(v as Buffer),
      },
    };
  }
  if ('array' in t) {
    if (!isScalarType(t.array)) throw new ArgTypeError(`${where}.array must be a scalar type name, got ${describe(t.array)}`);
    const info = SCALARS[t.array as ScalarType];
    const length = lengthOf('length', t.length);
    const step = info.size;
    return {
      size: step * length,
      align: step,
      accessor: {
        get: (buf, o) => {
          const out = new Array<unknown>(length);
          for (let i = 0; i < length; i++) out[i] = info.read(buf, o + i * step, little);
          return out;
        },
        set: (buf, o, value, at) => {
          if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
            throw new ArgTypeError(`${at} must be an array of at most ${length} values, got ${describe(value)}`);
          }
          const items = value as ArrayLike<unknown>;
          if (items.length > length) throw new ArgRangeError(`${at} holds at most ${length} values, got ${items.length}`);
          // Check everything before writing anything, so a bad element leaves the field unchanged.
          const checked = Array.from(items, (v, i) => info.check(`${at}[${i}]`, v));
          buf.fill(0, o, o + step * length);
          for (let i = 0; i < checked.length; i++) info.write(buf, o + i * step, checked[i] as number | bigint | boolean, little);
        },
        json: (v) => (v as unknown[]).map(jsonScalar),
      },
    };
  }
  throw new ArgTypeError(
    `${where} must be a scalar type name, { char }, { bytes }, { array, length } or a struct class, got ${describe(type)}`,
  );
}

/**
 * Define a struct class from a layout: field names to {@link FieldType}s,
 * in order.
 *
 * Fields are laid out as a C compiler on a 64-bit ABI (x86-64, arm64) lays
 * out the same `struct`, which is what ctypes does: each field at the next
 * offset that is a multiple of its alignment (its size for scalars, its
 * element's for arrays, 1 for `char`/`bytes`, the nested struct's own), and
 * the size rounded up to the struct's alignment. `pack` caps every
 * alignment (ctypes' `_pack_`). Each field becomes a getter/setter on the
 * instances; a value that does not fit throws a RangeError naming the field,
 * a value of the wrong type a TypeError.
 *
 * @example
 * ```ts
 * import { defineStruct } from 'torsion/struct';
 *
 * const Point = defineStruct({ x: 'int32', y: 'int32' });
 * const Header = defineStruct({ id: 'uint16', stamp: 'float64', where: Point, name: { char: 8 } });
 * const h = new Header({ id: 7, stamp: 1.5, name: 'abc' });
 * h.where.x = 3;                       // writes into h.buffer
 * Header.byteLength;                   // 32: id at 0, stamp at 8, where at 16, name at 24
 * Header.decode(Header.encode(h)).id;  // 7
 * ```
 * @throws TypeError / RangeError for a layout that is not one, naming the field (`layout.<name>`).
 */
export function defineStruct<const L extends Record<string, FieldType>>(
  layout: L,
  opts: StructOptions = {},
): StructClass<FieldsOf<L>> {
  if (typeof layout !== 'object' || layout === null || Array.isArray(layout)) {
    throw new ArgTypeError(`layout must be an object of field names to field types, got ${describe(layout)}`);
  }
  if (typeof opts !== 'object' || opts === null) throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
  const endian = opts.endian ?? 'little';
  if (endian !== 'little' && endian !== 'big')
    throw new ArgRangeError(`opts.endian must be 'little' or 'big', got ${describe(endian)}`);
  const pack = opts.pack ?? null;
  if (pack !== null && pack !== 1 && pack !== 2 && pack !== 4 && pack !== 8) {
    throw new ArgRangeError(`opts.pack must be 1, 2, 4, 8 or null, got ${describe(pack)}`);
  }
  const little = endian === 'little';

  const fields: StructField[] = [];
  const accessors: Accessor[] = [];
  let offset = 0;
  let alignment = 1;
  for (const name of Object.keys(layout)) {
    // JavaScript orders integer-like keys before the others, which would silently reorder the layout.
    if (/^(0|[1-9]\d*)$/.test(name))
      throw new ArgRangeError(`layout.${name}: a field name cannot be an integer (objects reorder such keys)`);
    if (RESERVED.has(name))
      throw new ArgRangeError(`layout.${name}: the name ${JSON.stringify(name)} is reserved by struct instances`);
    const type = layout[name] as FieldType;
    const { accessor, size, align: natural } = accessorFor(name, type, little);
    const align = pack === null ? natural : Math.min(natural, pack);
    offset = Math.ceil(offset / align) * align;
    fields.push(Object.freeze({ name, type, offset, size }));
    accessors.push(accessor);
    offset += size;
    alignment = Math.max(alignment, align);
  }
  const byteLength = Math.ceil(offset / alignment) * alignment;
  const names: ReadonlySet<string> = new Set(fields.map((f) => f.name));

  class Struct implements IStruct {
    declare readonly buffer: Buffer;
    constructor(init?: Partial<FieldsOf<L>> | Buffer) {
      let buf: Buffer;
      if (init instanceof Uint8Array) {
        if (init.length !== byteLength) throw new ArgRangeError(`init must be exactly ${byteLength} bytes, got ${init.length}`);
        buf = Buffer.from(init);
      } else buf = Buffer.alloc(byteLength);
      Object.defineProperty(this, 'buffer', { value: buf, enumerable: false });
      if (init === undefined || init instanceof Uint8Array) return;
      if (typeof init !== 'object' || init === null || Array.isArray(init)) {
        throw new ArgTypeError(`init must be an object of field values or a Buffer, got ${describe(init)}`);
      }
      assignFields(this, init as Record<string, unknown>, names, 'init');
    }
    get byteLength(): number {
      return byteLength;
    }
    toJSON(): Record<string, unknown> {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i] as StructField;
        out[f.name] = (accessors[i] as Accessor).json((this as unknown as Record<string, unknown>)[f.name]);
      }
      return out;
    }
    static readonly fields: ReadonlyArray<StructField> = Object.freeze(fields);
    static readonly byteLength = byteLength;
    static readonly alignment = alignment;
    static readonly endian = endian;
    static readonly pack = pack;
    static decode(data: Buffer): Struct {
      if (!(data instanceof Uint8Array)) throw new ArgTypeError(`data must be a Buffer, got ${describe(data)}`);
      return new Struct(data);
    }
    static encode(value: Struct | Partial<FieldsOf<L>>): Buffer {
      if (value instanceof Struct) return Buffer.from(value.buffer);
      return Buffer.from(new Struct(value as Partial<FieldsOf<L>>).buffer);
    }
  }
  for (let i = 0; i < fields.length; i++) {
    const { name, offset: at } = fields[i] as StructField;
    const acc = accessors[i] as Accessor;
    Object.defineProperty(Struct.prototype, name, {
      enumerable: true,
      configurable: false,
      get(this: Struct) {
        return acc.get(this.buffer, at);
      },
      set(this: Struct, value: unknown) {
        acc.set(this.buffer, at, value, name);
      },
    });
  }
  Object.defineProperty(Struct, STRUCT_CLASS, { value: true });
  return Struct as unknown as StructClass<FieldsOf<L>>;
}
