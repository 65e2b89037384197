import { defineStruct, type FieldType, type StructClass } from 'torsion/struct';
import { ArgRangeError, ArgTypeError } from '../../src/validate';
import { UnicodeDecodeError } from '../../src/errors';
import { PYTHON, runPython } from './python';

describe('defineStruct layout (C alignment on a 64-bit ABI, as ctypes)', () => {
  // Each expectation was checked with CPython 3.11's ctypes (sizeof, alignment, Field.offset).
  it('aligns each field to its size and rounds the size up to the largest alignment', () => {
    const S = defineStruct({ a: 'uint8', b: 'uint16', c: 'float32', d: 'int64', e: 'bool' });
    expect(S.fields.map((f) => [f.name, f.offset, f.size])).toEqual([
      ['a', 0, 1],
      ['b', 2, 2],
      ['c', 4, 4],
      ['d', 8, 8],
      ['e', 16, 1],
    ]);
    expect(S.byteLength).toBe(24);
    expect(S.alignment).toBe(8);
    expect(new S().byteLength).toBe(24);
    expect(new S().buffer.length).toBe(24);
  });

  it('aligns arrays to their element and char/bytes to 1', () => {
    const U = defineStruct({ a: 'uint8', b: { array: 'uint16', length: 3 }, c: 'float32' });
    expect(U.fields.map((f) => f.offset)).toEqual([0, 2, 8]);
    expect(U.byteLength).toBe(12);
    const C = defineStruct({ a: 'uint8', name: { char: 5 }, raw: { bytes: 3 }, d: 'float64' });
    expect(C.fields.map((f) => f.offset)).toEqual([0, 1, 6, 16]);
    expect(C.byteLength).toBe(24);
  });

  it('caps alignments at pack (_pack_)', () => {
    const P = defineStruct({ a: 'uint8', b: 'float64' }, { pack: 2 });
    expect(P.fields.map((f) => f.offset)).toEqual([0, 2]);
    expect(P.byteLength).toBe(10);
    expect(P.alignment).toBe(2);
    const P1 = defineStruct({ a: 'uint8', b: 'uint32', c: 'uint16' }, { pack: 1 });
    expect(P1.fields.map((f) => f.offset)).toEqual([0, 1, 5]);
    expect(P1.byteLength).toBe(7);
  });

  it('places a nested struct at its own alignment', () => {
    const P = defineStruct({ a: 'uint8', b: 'float64' }, { pack: 2 });
    const T = defineStruct({ a: 'uint8', s: P, c: 'int64' });
    expect(T.fields.map((f) => f.offset)).toEqual([0, 2, 16]);
    expect(T.byteLength).toBe(24);
    expect(T.alignment).toBe(8);
  });

  it('an empty struct has size 0', () => {
    const E = defineStruct({});
    expect(E.byteLength).toBe(0);
    expect(new E().toJSON()).toEqual({});
  });
});

describe('defineStruct fields', () => {
  const Point = defineStruct({ x: 'int32', y: 'int32' });
  const Rec = defineStruct({
    id: 'uint16',
    stamp: 'float64',
    where: Point,
    name: { char: 8 },
    big: 'int64',
    ubig: 'uint64',
    arr: { array: 'int16', length: 3 },
    raw: { bytes: 4 },
    ok: 'bool',
  });

  it('starts zero-filled and takes initial values', () => {
    const r = new Rec({ id: 7, stamp: 1.5, name: 'abc', big: -5n, arr: [1, 2] });
    expect(r.id).toBe(7);
    expect(r.stamp).toBe(1.5);
    expect(r.name).toBe('abc');
    expect(r.big).toBe(-5n);
    expect(r.ubig).toBe(0n);
    expect(r.arr).toEqual([1, 2, 0]);
    expect(r.ok).toBe(false);
    expect(r.where.x).toBe(0);
  });

  it('writes scalars little-endian at their offsets', () => {
    const r = new Rec();
    r.id = 0x0102;
    r.big = -2n;
    expect(r.buffer.subarray(0, 2)).toEqual(Buffer.from([0x02, 0x01]));
    const bigAt = Rec.fields.find((f) => f.name === 'big')?.offset as number;
    expect(r.buffer.readBigInt64LE(bigAt)).toBe(-2n);
  });

  it('writes big-endian with endian: big', () => {
    const B = defineStruct({ a: 'uint16', b: 'uint32', c: 'float32' }, { endian: 'big' });
    const b = new B({ a: 0x0102, b: 0x03040506, c: 1 });
    expect(b.buffer.toString('hex')).toBe('0102000003040506' + '3f800000');
    expect(B.decode(b.buffer).b).toBe(0x03040506);
  });

  it('a nested struct is a view sharing the outer bytes', () => {
    const r = new Rec();
    r.where.x = 3;
    r.where.y = -1;
    const at = Rec.fields.find((f) => f.name === 'where')?.offset as number;
    expect(r.buffer.readInt32LE(at)).toBe(3);
    expect(r.buffer.readInt32LE(at + 4)).toBe(-1);
    r.where = new Point({ x: 9 });
    expect(r.where.toJSON()).toEqual({ x: 9, y: 0 });
    r.where = { y: 4 } as never; // a plain object assigns too (the static type is the read type)
    expect(r.where.toJSON()).toEqual({ x: 0, y: 4 });
  });

  it('char is cut at the first NUL, NUL-padded on write, UTF-8', () => {
    const r = new Rec({ name: 'abcdefgh' });
    expect(r.name).toBe('abcdefgh');
    r.name = 'é';
    expect(r.name).toBe('é');
    const at = Rec.fields.find((f) => f.name === 'name')?.offset as number;
    expect(r.buffer.subarray(at, at + 8)).toEqual(Buffer.from([0xc3, 0xa9, 0, 0, 0, 0, 0, 0]));
    r.name = Buffer.from('xy') as never;
    expect(r.name).toBe('xy');
  });

  it('char with invalid UTF-8 throws UnicodeDecodeError on read', () => {
    const r = new Rec();
    const at = Rec.fields.find((f) => f.name === 'name')?.offset as number;
    r.buffer[at] = 0xff;
    expect(() => r.name).toThrow(UnicodeDecodeError);
  });

  it('bytes is a view; writing pads with zeros', () => {
    const r = new Rec();
    r.raw = Buffer.from([1, 2]);
    expect(r.raw).toEqual(Buffer.from([1, 2, 0, 0]));
    r.raw[3] = 9;
    expect(r.raw).toEqual(Buffer.from([1, 2, 0, 9]));
    r.raw = new Uint8Array([5, 6, 7, 8]) as never;
    expect(Array.from(r.raw)).toEqual([5, 6, 7, 8]);
  });

  it('arrays are read as fresh arrays and written from up to length values', () => {
    const r = new Rec({ arr: [1, -2, 3] });
    const got = r.arr;
    got[0] = 100;
    expect(r.arr).toEqual([1, -2, 3]);
    r.arr = [4];
    expect(r.arr).toEqual([4, 0, 0]);
    const A = defineStruct({ q: { array: 'uint64', length: 2 }, f: { array: 'bool', length: 2 } });
    const a = new A({ q: [1n, 2n ** 64n - 1n], f: [true] });
    expect(a.q).toEqual([1n, 2n ** 64n - 1n]);
    expect(a.f).toEqual([true, false]);
  });

  it('64-bit integers are bigint and accept safe integers', () => {
    const r = new Rec({ big: 12 as never, ubig: 2n ** 64n - 1n });
    expect(r.big).toBe(12n);
    expect(r.ubig).toBe(18446744073709551615n);
  });

  it('toJSON gives plain values (64-bit as numbers when safe, else strings)', () => {
    const r = new Rec({ id: 1, big: 5n, ubig: 2n ** 63n, raw: Buffer.from([7]), ok: true, name: 'n' });
    expect(r.toJSON()).toEqual({
      id: 1,
      stamp: 0,
      where: { x: 0, y: 0 },
      name: 'n',
      big: 5,
      ubig: '9223372036854775808',
      arr: [0, 0, 0],
      raw: [7, 0, 0, 0],
      ok: true,
    });
    expect(() => JSON.stringify(r)).not.toThrow();
  });

  it('encode/decode round-trip, and construct from a Buffer copies it', () => {
    const r = new Rec({ id: 3, stamp: -0.25, name: 'zz', ubig: 99n, arr: [7, 8, 9], ok: true });
    const bytes = Rec.encode(r);
    expect(bytes).not.toBe(r.buffer);
    expect(bytes.length).toBe(Rec.byteLength);
    const back = Rec.decode(bytes);
    expect(back.toJSON()).toEqual(r.toJSON());
    bytes[0] = 0;
    expect(back.id).toBe(3);
    expect(Rec.encode({ id: 3 } as never).readUInt16LE(0)).toBe(3);
  });

  it('field accessors are enumerable on the prototype, in layout order', () => {
    const names: string[] = [];
    for (const k in new Point()) names.push(k);
    expect(names).toEqual(['x', 'y']);
  });
});

describe('defineStruct errors', () => {
  const S = defineStruct({
    u8: 'uint8',
    i16: 'int16',
    u32: 'uint32',
    i64: 'int64',
    f: 'float32',
    b: 'bool',
    c: { char: 2 },
    a: { array: 'uint8', length: 2 },
    r: { bytes: 2 },
  });

  it.each([
    ['u8', 256],
    ['u8', -1],
    ['u8', 1.5],
    ['i16', 32768],
    ['i16', -32769],
    ['u32', 2 ** 32],
    ['i64', 2n ** 63n],
    ['i64', 2 ** 60],
    ['f', 1e39],
    ['c', 'abc'],
    ['c', 'éé'],
    ['a', [1, 2, 3]],
    ['r', Buffer.alloc(3)],
  ])('a value that does not fit %s (%p) throws RangeError naming the field', (field, value) => {
    const s = new S();
    let caught: unknown;
    try {
      (s as unknown as Record<string, unknown>)[field] = value;
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(RangeError);
    expect((caught as Error).message).toContain(field);
    expect(s.buffer.equals(Buffer.alloc(S.byteLength))).toBe(true);
  });

  it('an array element out of range names the element and changes nothing', () => {
    const s = new S({ a: [1, 2] });
    expect(() => {
      s.a = [3, 300];
    }).toThrow(/a\[1\]/);
    expect(s.a).toEqual([1, 2]);
  });

  it.each([
    ['u8', '1'],
    ['i64', '1'],
    ['f', '1.0'],
    ['b', 1],
    ['c', 5],
    ['r', 'ab'],
    ['a', 'ab'],
  ])('a value of the wrong type for %s (%p) throws TypeError naming the field', (field, value) => {
    const s = new S();
    expect(() => {
      (s as unknown as Record<string, unknown>)[field] = value;
    }).toThrow(ArgTypeError);
    expect(() => {
      (s as unknown as Record<string, unknown>)[field] = value;
    }).toThrow(field);
  });

  it('floats accept infinities and NaN; float32 only rejects finite overflow', () => {
    const s = new S({ f: Number.POSITIVE_INFINITY });
    expect(s.f).toBe(Number.POSITIVE_INFINITY);
    s.f = Number.NaN;
    expect(s.f).toBeNaN();
    s.f = 3.4e38;
    expect(s.f).toBeCloseTo(3.4e38, -32);
  });

  it('unknown init fields and wrong-size Buffers are RangeErrors', () => {
    expect(() => new S({ nope: 1 } as never)).toThrow(ArgRangeError);
    expect(() => new S({ nope: 1 } as never)).toThrow('init.nope');
    expect(() => new S(Buffer.alloc(S.byteLength + 1))).toThrow(ArgRangeError);
    expect(() => S.decode(Buffer.alloc(1))).toThrow(ArgRangeError);
    expect(() => new S('x' as never)).toThrow(ArgTypeError);
  });

  it('bad layouts throw naming the field', () => {
    expect(() => defineStruct({ a: 'int128' as never })).toThrow(/layout\.a/);
    expect(() => defineStruct({ a: { char: -1 } })).toThrow(ArgRangeError);
    expect(() => defineStruct({ a: { char: 1.5 } })).toThrow(/layout\.a\.char/);
    expect(() => defineStruct({ a: { array: 'x' as never, length: 2 } })).toThrow(/layout\.a\.array/);
    expect(() => defineStruct({ a: { length: 2 } as never })).toThrow(ArgTypeError);
    expect(() => defineStruct({ buffer: 'int8' })).toThrow(/reserved/);
    expect(() => defineStruct({ 0: 'int8', b: 'int8' })).toThrow(/integer/);
    expect(() => defineStruct({ a: (() => 0) as never })).toThrow(ArgTypeError);
    expect(() => defineStruct({ a: 'int8' }, { pack: 3 as never })).toThrow(ArgRangeError);
    expect(() => defineStruct({ a: 'int8' }, { endian: 'middle' as never })).toThrow(ArgRangeError);
    expect(() => defineStruct(null as never)).toThrow(ArgTypeError);
  });
});

// ---- the same layouts in CPython's ctypes --------------------------------------------

type PyType = string | { char: number } | { bytes: number } | { array: string; length: number } | { struct: PyLayout };
interface PyLayout {
  fields: [string, PyType][];
  pack: number | null;
  endian: 'little' | 'big';
}

function toPy(cls: StructClass<object>): PyLayout {
  return {
    pack: cls.pack,
    endian: cls.endian,
    fields: cls.fields.map((f) => [f.name, toPyType(f.type)]),
  };
}
function toPyType(t: FieldType): PyType {
  if (typeof t === 'string') return t;
  if (typeof t === 'function') return { struct: toPy(t) };
  return t as PyType;
}

const CTYPES_SCRIPT = `
import ctypes, json, sys
T = dict(int8=ctypes.c_int8, uint8=ctypes.c_uint8, int16=ctypes.c_int16, uint16=ctypes.c_uint16,
         int32=ctypes.c_int32, uint32=ctypes.c_uint32, int64=ctypes.c_int64, uint64=ctypes.c_uint64,
         float32=ctypes.c_float, float64=ctypes.c_double, bool=ctypes.c_bool)
def build(lay):
    base = ctypes.BigEndianStructure if lay['endian'] == 'big' else ctypes.LittleEndianStructure
    fields = []
    for name, t in lay['fields']:
        if isinstance(t, str): ct = T[t]
        elif 'char' in t: ct = ctypes.c_char * t['char']
        elif 'bytes' in t: ct = ctypes.c_uint8 * t['bytes']
        elif 'array' in t: ct = T[t['array']] * t['length']
        else: ct = build(t['struct'])
        fields.append((name, ct))
    ns = {'_fields_': fields}
    if lay['pack'] is not None: ns['_pack_'] = lay['pack']
    return type('S', (base,), ns)
def assign(obj, values):
    for k, v in values.items():
        cur = getattr(obj, k)
        if isinstance(v, dict): assign(cur, v)
        elif isinstance(v, list):
            arr = getattr(obj, k)
            for i, x in enumerate(v): arr[i] = int(x) if isinstance(x, str) else x
        elif isinstance(v, str) and v.startswith('b:'): setattr(obj, k, bytes.fromhex(v[2:]))
        elif isinstance(v, str) and v.startswith('n:'): setattr(obj, k, int(v[2:]))
        else: setattr(obj, k, v)
out = []
for case in json.loads(sys.argv[1]):
    S = build(case['layout'])
    s = S()
    assign(s, case['values'])
    out.append(dict(size=ctypes.sizeof(S), align=ctypes.alignment(S),
                    offsets=[getattr(S, n).offset for n, _ in case['layout']['fields']],
                    hex=bytes(s).hex()))
print(json.dumps(out))
`;

(PYTHON === null ? describe.skip : describe)('defineStruct against CPython ctypes', () => {
  const Inner = defineStruct({ a: 'uint8', b: 'float64' }, { pack: 2 });
  const InnerBig = defineStruct({ h: 'int16', q: 'uint64' }, { endian: 'big' });
  const cases: { cls: StructClass<object>; values: Record<string, unknown>; py: Record<string, unknown> }[] = [
    {
      cls: defineStruct({ a: 'uint8', b: 'uint16', c: 'float32', d: 'int64', e: 'bool' }),
      values: { a: 1, b: 513, c: 0.5, d: -3n, e: true },
      py: { a: 1, b: 513, c: 0.5, d: 'n:-3', e: true },
    },
    {
      cls: defineStruct({ c: { char: 3 }, x: { array: 'uint32', length: 3 }, r: { bytes: 5 }, f: 'float64' }),
      values: { c: 'ab', x: [1, 2, 4294967295], r: Buffer.from([9, 8]), f: -1.25 },
      py: { c: 'b:6162', x: [1, 2, 4294967295], r: [9, 8], f: -1.25 },
    },
    {
      cls: defineStruct({ k: 'int8', inner: Inner, u: 'uint64', z: 'int16' }),
      values: { k: -1, inner: { a: 2, b: 3.5 }, u: 2n ** 64n - 2n, z: -300 },
      py: { k: -1, inner: { a: 2, b: 3.5 }, u: `n:${2n ** 64n - 2n}`, z: -300 },
    },
    {
      cls: defineStruct({ a: 'uint8', b: 'uint32', c: 'uint16', d: 'float64' }, { pack: 1 }),
      values: { a: 1, b: 2, c: 3, d: 4 },
      py: { a: 1, b: 2, c: 3, d: 4 },
    },
    {
      cls: defineStruct({ a: 'uint8', b: 'int64', c: 'uint16' }, { pack: 4 }),
      values: { a: 1, b: 2n, c: 3 },
      py: { a: 1, b: 'n:2', c: 3 },
    },
    {
      cls: defineStruct(
        { a: 'uint16', b: 'uint32', f: 'float32', d: 'float64', n: InnerBig, arr: { array: 'int16', length: 2 } },
        { endian: 'big' },
      ),
      values: { a: 0x0102, b: 0x03040506, f: 1, d: 2, n: { h: -2, q: 7n }, arr: [1, -1] },
      py: { a: 0x0102, b: 0x03040506, f: 1, d: 2, n: { h: -2, q: 'n:7' }, arr: [1, -1] },
    },
  ];

  it('gives the sizes, alignments, offsets and bytes ctypes gives', () => {
    const got = runPython<{ size: number; align: number; offsets: number[]; hex: string }[]>(
      CTYPES_SCRIPT,
      cases.map((c) => ({ layout: toPy(c.cls), values: c.py })),
    );
    cases.forEach((c, i) => {
      const py = got[i] as (typeof got)[number];
      expect({ size: c.cls.byteLength, align: c.cls.alignment, offsets: c.cls.fields.map((f) => f.offset) }).toEqual({
        size: py.size,
        align: py.align,
        offsets: py.offsets,
      });
      expect(c.cls.encode(c.values as never).toString('hex')).toBe(py.hex);
      expect(c.cls.decode(Buffer.from(py.hex, 'hex')).toJSON()).toEqual(new c.cls(c.values as never).toJSON());
    });
  });
});

describe('defineStruct types', () => {
  it('field types follow the layout (checked by tsc)', () => {
    const Inner = defineStruct({ x: 'float32' });
    const S = defineStruct({
      n: 'int32',
      q: 'uint64',
      b: 'bool',
      c: { char: 4 },
      r: { bytes: 2 },
      a: { array: 'int64', length: 2 },
      i: Inner,
    });
    const s = new S({ n: 1 });
    const n: number = s.n;
    const q: bigint = s.q;
    const b: boolean = s.b;
    const c: string = s.c;
    const r: Buffer = s.r;
    const a: bigint[] = s.a;
    const x: number = s.i.x;
    // @ts-expect-error a 32-bit field is a number, not a string
    const wrong: string = s.n;
    // @ts-expect-error no such field
    s.nope = 1;
    expect([n, q, b, c, r.length, a, x, wrong]).toEqual([1, 0n, false, '', 2, [0n, 0n], 0, 1]);
  });
});
