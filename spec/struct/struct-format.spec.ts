import { structFormat, type StructFormatValue } from 'torsion/struct';
import { ArgRangeError, ArgTypeError } from '../../src/validate';
import { PYTHON, runPython } from './python';

describe('structFormat sizes (struct.calcsize)', () => {
  // Checked with CPython 3.11 on x86-64 Linux.
  it.each([
    ['!HHI', 8],
    ['<2sd', 10],
    ['@ci', 8],
    ['ci', 8],
    ['@ic', 5],
    ['@ci0q', 8],
    ['=ci', 5],
    ['@bhiqd', 24],
    ['>3H', 6],
    ['@?xh', 4],
    ['<e', 2],
    ['@5p', 5],
    ['@hel', 16],
    ['@lnNP', 32],
    ['<4x2H', 8],
    ['< i h', 6],
    ['', 0],
    ['<0s', 0],
  ])('%p is %d bytes', (format, size) => {
    expect(structFormat(format).byteLength).toBe(size);
  });

  it('counts values as Python does: 3H is three, 2s is one, x none', () => {
    expect(structFormat('3H').count).toBe(3);
    expect(structFormat('2s').count).toBe(1);
    expect(structFormat('4x2H?').count).toBe(3);
    expect(structFormat('3c').count).toBe(3);
  });
});

describe('structFormat pack/unpack', () => {
  it('packs network order', () => {
    expect(structFormat('!HHI').encode([1, 2, 3]).toString('hex')).toBe('0001000200000003');
    expect(structFormat('!HHI').decode(Buffer.from('0001000200000003', 'hex'))).toEqual([1, 2, 3]);
  });

  it('packs native alignment with zero-count alignment', () => {
    expect(
      structFormat('@ci0q')
        .encode([Buffer.from('z'), -2])
        .toString('hex'),
    ).toBe('7a000000feffffff');
  });

  it('s is truncated or NUL-padded; p is a Pascal string', () => {
    const f = structFormat('<3s5p');
    const b = f.encode([Buffer.from('abcdef'), Buffer.from('abcdefg')]);
    expect(b.toString('hex')).toBe('616263' + '0461626364');
    expect(f.decode(b)).toEqual([Buffer.from('abc'), Buffer.from('abcd')]);
    expect(structFormat('<4s').encode([Buffer.from('a')])).toEqual(Buffer.from([0x61, 0, 0, 0]));
  });

  it('64-bit integers unpack as bigint, smaller ones as numbers; either packs', () => {
    const f = structFormat('<qQiB');
    const b = f.encode([-1, 2n ** 64n - 1n, 5n, 255]);
    expect(f.decode(b)).toEqual([-1n, 18446744073709551615n, 5, 255]);
    expect(structFormat('@l').decode(Buffer.alloc(8))).toEqual([0n]);
    expect(structFormat('<l').decode(Buffer.alloc(4))).toEqual([0]);
  });

  it('half floats round half to even and refuse overflow', () => {
    const e = structFormat('<e');
    expect(e.encode([1.5]).toString('hex')).toBe('003e');
    expect(structFormat('>e').encode([-65504]).toString('hex')).toBe('fbff');
    expect(e.encode([6e-8]).toString('hex')).toBe('0100');
    expect(e.encode([2 ** -25]).toString('hex')).toBe('0000');
    expect(e.encode([1.5 * 2 ** -24]).toString('hex')).toBe('0200');
    expect(e.encode([65519]).toString('hex')).toBe('ff7b');
    expect(() => e.encode([65520])).toThrow(ArgRangeError);
    expect(e.decode(Buffer.from('003e', 'hex'))).toEqual([1.5]);
    expect(e.decode(Buffer.from('007c', 'hex'))).toEqual([Number.POSITIVE_INFINITY]);
    expect(e.decode(Buffer.from('007e', 'hex'))[0]).toBeNaN();
  });

  it('? unpacks any nonzero byte as true', () => {
    expect(structFormat('??').decode(Buffer.from([0, 7]))).toEqual([false, true]);
    expect(structFormat('??').encode([true, false])).toEqual(Buffer.from([1, 0]));
  });
});

describe('structFormat errors', () => {
  it.each(['Z', '<3', '2 H', '@<H', '!n', '=P', '<N'])('rejects the format %p with a RangeError', (format) => {
    expect(() => structFormat(format)).toThrow(ArgRangeError);
  });

  it('a non-string format is a TypeError', () => {
    expect(() => structFormat(3 as never)).toThrow(ArgTypeError);
  });

  it('wrong counts and sizes are RangeErrors', () => {
    expect(() => structFormat('<HH').encode([1])).toThrow('pack expected 2 items for packing (got 1)');
    expect(() => structFormat('<HH').decode(Buffer.alloc(3))).toThrow('unpack requires a buffer of 4 bytes');
  });

  it.each<[string, StructFormatValue[], string]>([
    ['<h', [32768], 'values[0]'],
    ['<B', [-1], 'values[0]'],
    ['<xI', [2 ** 32], 'values[0]'],
    ['<Hq', [1, 2n ** 63n], 'values[1]'],
    ['<f', [1e39], 'values[0]'],
    ['<c', [Buffer.from('ab')], 'values[0]'],
    ['<i', [1.5], 'values[0]'],
  ])('%p with %p throws RangeError naming %s', (format, values, where) => {
    expect(() => structFormat(format).encode(values)).toThrow(ArgRangeError);
    expect(() => structFormat(format).encode(values)).toThrow(where);
  });

  it('wrong value types are TypeErrors', () => {
    expect(() => structFormat('<h').encode(['1' as never])).toThrow(ArgTypeError);
    expect(() => structFormat('<?').encode([1 as never])).toThrow(ArgTypeError);
    expect(() => structFormat('<s').encode(['a' as never])).toThrow(ArgTypeError);
  });
});

const STRUCT_SCRIPT = `
import json, struct, sys
out = []
for fmt, values in json.loads(sys.argv[1]):
    vals = [bytes.fromhex(v[2:]) if isinstance(v, str) and v.startswith('b:') else int(v[2:]) if isinstance(v, str) and v.startswith('n:') else v for v in values]
    packed = struct.pack(fmt, *vals)
    back = [('b:' + v.hex()) if isinstance(v, bytes) else v for v in struct.unpack(fmt, packed)]
    out.append(dict(size=struct.calcsize(fmt), hex=packed.hex(), back=[str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in back]))
print(json.dumps(out))
`;

(PYTHON === null ? describe.skip : describe)('structFormat against CPython struct', () => {
  const cases: [string, StructFormatValue[]][] = [
    ['@bhiqd', [-1, -300, 70000, -(2n ** 40n), 0.1]],
    ['=bhiqd', [1, 2, 3, 4n, -0.5]],
    ['>?xHlL', [true, 65535, -2147483648, 4294967295]],
    ['!3H2s', [1, 2, 3, Buffer.from('hi')]],
    ['<e f d', [0.333, 1.1, -2.2]],
    ['@ci0q', [Buffer.from('a'), 7n]],
    ['@hPnN', [5, 2n ** 64n - 1n, -3n, 4n]],
    ['@5p3c', [Buffer.from('xy'), Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]],
    ['<qQ', [-(2n ** 63n), 2n ** 64n - 1n]],
    ['@ibxxhe', [1, 2, 3, 1e-5]],
  ];
  const enc = (v: StructFormatValue): unknown =>
    Buffer.isBuffer(v) ? `b:${v.toString('hex')}` : typeof v === 'bigint' ? `n:${v}` : v;
  const dec = (v: StructFormatValue): unknown =>
    Buffer.isBuffer(v)
      ? `b:${v.toString('hex')}`
      : typeof v === 'boolean'
        ? v
        : Number.isInteger(v) || typeof v === 'bigint'
          ? String(v)
          : v;

  it('gives the sizes, bytes and unpacked values CPython gives', () => {
    const got = runPython<{ size: number; hex: string; back: unknown[] }[]>(
      STRUCT_SCRIPT,
      cases.map(([f, vals]) => [f, vals.map(enc)]),
    );
    cases.forEach(([format, values], i) => {
      const py = got[i] as (typeof got)[number];
      const codec = structFormat(format);
      expect([format, codec.byteLength]).toEqual([format, py.size]);
      const packed = codec.encode(values);
      expect([format, packed.toString('hex')]).toEqual([format, py.hex]);
      expect([format, codec.decode(packed).map(dec)]).toEqual([format, py.back]);
    });
  });
});
