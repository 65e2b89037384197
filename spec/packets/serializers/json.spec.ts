import fc from 'fast-check';
import {
  BufferedStreamProtocol,
  DeserializeError,
  IncrementalDeserializeError,
  JSONSerializer,
  LimitOverrunError,
  StreamProtocolParseError,
} from 'torsion/packets';
import { serializerCounters } from '../../../src/packets/serializers/tools';
import { cutAt, cuts, oneByteChunks, packetsOf, runBuffered, runChunks } from './drive';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

function encodeAll(s: JSONSerializer, values: unknown[]): Buffer {
  return Buffer.concat(values.flatMap((v) => [...s.incrementalSerialize(v)]));
}

/** What a value is after a JSON round trip (-0 is 0 ...). */
const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('JSONSerializer: one-shot', () => {
  it('serializes compact JSON, non-ASCII escaped as Python does by default', () => {
    const s = new JSONSerializer();
    expect(s.serialize({ key: [1, 2, 3], data: null }).toString()).toBe('{"key":[1,2,3],"data":null}');
    expect(s.serialize('é€😀\u007f').toString()).toBe('"\\u00e9\\u20ac\\ud83d\\ude00\\u007f"');
    expect(new JSONSerializer({ ensureAscii: false }).serialize('é')).toEqual(b('"é"'));
    expect(new JSONSerializer({ ensureAscii: false, encoding: 'latin-1' }).serialize('é')).toEqual(
      Buffer.from([0x22, 0xe9, 0x22]),
    );
    expect(() => new JSONSerializer({ ensureAscii: false, encoding: 'ascii' }).serialize('é')).toThrow(
      expect.objectContaining({ code: 'ERR_UNICODE_ENCODE' }),
    );
    expect(new JSONSerializer({ encoding: 'ascii' }).serialize('é').toString()).toBe('"\\u00e9"');
    expect(s.deserialize(b('"\\u00e9\\ud83d\\ude00"'))).toBe('é😀');
  });

  it('uses the replacer and the reviver', () => {
    const s = new JSONSerializer({
      replacer: (_k, v) => (v instanceof Set ? { $set: [...v] } : v),
      reviver: (_k, v) => (v !== null && typeof v === 'object' && '$set' in v ? new Set((v as { $set: unknown[] }).$set) : v),
    });
    const data = s.serialize({ s: new Set([1, 2]) });
    expect(data.toString()).toBe('{"s":{"$set":[1,2]}}');
    expect(s.deserialize(data)).toEqual({ s: new Set([1, 2]) });
  });

  it('refuses what JSON cannot represent', () => {
    const s = new JSONSerializer();
    expect(() => s.serialize(undefined)).toThrow(TypeError);
    expect(() => s.serialize(() => 1)).toThrow(TypeError);
    expect(() => s.serialize(10n)).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => s.serialize(cyclic)).toThrow(TypeError);
  });

  it("reports syntax errors in Python's words, with the position in errorInfo under debug", () => {
    const cases: [string, string, number, number, number][] = [
      ['{"a":}', 'Expecting value', 5, 1, 6],
      ['', 'Expecting value', 0, 1, 1],
      ['[1,2,]', 'Illegal trailing comma before end of array', 4, 1, 5],
      ['{"a":1,}', 'Illegal trailing comma before end of object', 6, 1, 7],
      ['{"a":1}x', 'Extra data', 7, 1, 8],
      ['{\n "a" 1}', "Expecting ':' delimiter", 7, 2, 6],
      ['[1 2]', "Expecting ',' delimiter", 3, 1, 4],
      ['{1:2}', 'Expecting property name enclosed in double quotes', 1, 1, 2],
      ['"abc', 'Unterminated string starting at', 0, 1, 1],
      ['"a\\x"', 'Invalid \\escape', 2, 1, 3],
      ['tru', 'Expecting value', 0, 1, 1],
    ];
    for (const [doc, msg, position, lineno, colno] of cases) {
      const e = caught(() => new JSONSerializer({ debug: true }).deserialize(b(doc)));
      expect(e).toBeInstanceOf(DeserializeError);
      expect(e.message).toBe(`JSON decode error: ${msg}: line ${lineno} column ${colno} (char ${position})`);
      expect((e as DeserializeError).errorInfo).toEqual({ document: doc, position, lineno, colno });
      expect((caught(() => new JSONSerializer().deserialize(b(doc))) as DeserializeError).errorInfo).toBeNull();
    }
  });

  it('reports undecodable bytes', () => {
    const e = caught(() => new JSONSerializer({ debug: true }).deserialize(Buffer.from([0x22, 0xff, 0x22])));
    expect(e).toBeInstanceOf(DeserializeError);
    expect(e.message).toMatch(/^Unicode decode error: 'utf-8' codec can't decode byte 0xff/);
    expect((e as DeserializeError).errorInfo).toEqual({ data: Buffer.from([0x22, 0xff, 0x22]) });
    expect(new JSONSerializer({ unicodeErrors: 'replace' }).deserialize(Buffer.from([0x22, 0xff, 0x22]))).toBe('\ufffd');
  });

  it('checks its options', () => {
    expect(() => new JSONSerializer({ limit: -1 })).toThrow(RangeError);
    expect(() => new JSONSerializer({ encoding: 'klingon' })).toThrow(RangeError);
    expect(() => new JSONSerializer({ useLines: 'yes' as never })).toThrow(TypeError);
    expect(() => new JSONSerializer({ replacer: 3 as never })).toThrow(TypeError);
    expect(() => new JSONSerializer(null as never)).toThrow(TypeError);
  });
});

const jsonValue = fc.jsonValue({ maxDepth: 3 }).map(roundTrip);

for (const useLines of [true, false]) {
  const name = useLines ? 'JSON Lines' : 'raw documents';
  describe(`JSONSerializer: incremental, ${name}`, () => {
    it('frames as EasyNetwork does', () => {
      const s = new JSONSerializer({ useLines });
      expect(Buffer.concat([...s.incrementalSerialize({ a: 1 })]).toString()).toBe(useLines ? '{"a":1}\n' : '{"a":1}');
      expect(Buffer.concat([...s.incrementalSerialize(4)]).toString()).toBe('4\n');
      expect(Buffer.concat([...s.incrementalSerialize('x')]).toString()).toBe(useLines ? '"x"\n' : '"x"');
    });

    for (const buffered of [false, true]) {
      const mode = buffered ? 'buffered' : 'chunks';
      const run = (s: JSONSerializer, chunks: Buffer[], inPlace = false) => {
        const p = new BufferedStreamProtocol<unknown, unknown, Buffer>(s);
        return buffered ? runBuffered(p, chunks, { inPlace }) : runChunks(p, chunks);
      };

      it(`${mode}: any cutting of several documents gives the same values and remainder`, () => {
        fc.assert(
          fc.property(
            fc.array(jsonValue, { maxLength: 6 }),
            fc.boolean(),
            fc.boolean(),
            cuts(600),
            (values, ensureAscii, inPlace, cutPoints) => {
              const s = new JSONSerializer({ useLines, ensureAscii });
              const tail = useLines ? b('{"partial":') : b('{"partial":"\\"');
              const data = Buffer.concat([encodeAll(s, values), tail]);
              const r = run(s, cutAt(data, cutPoints), inPlace);
              expect(packetsOf(r)).toEqual(values);
              expect(r.pending).toEqual(tail);
            },
          ),
          { numRuns: 150 },
        );
      });

      it(`${mode}: one byte at a time, and every cut in two, give the same values`, () => {
        const s = new JSONSerializer({ useLines });
        const values = [{ a: 'x\\"}]', b: [1, { c: '\\\\' }] }, [[], {}], 'st"r\\', 12.5e3, true, null, -7, 'é'];
        const data = encodeAll(s, values);
        expect(packetsOf(run(s, oneByteChunks(data)))).toEqual(values);
        for (let i = 0; i <= data.length; i++) {
          const r = run(s, [data.subarray(0, i), data.subarray(i)]);
          expect(packetsOf(r)).toEqual(values);
          expect(r.pending).toEqual(Buffer.alloc(0));
        }
      });

      it(`${mode}: a bad document is recoverable, the next one parses`, () => {
        const s = new JSONSerializer({ useLines, debug: true });
        const data = b(useLines ? '[1]\n{"a":}\n{"b":2}\n' : '[1]{"a":}{"b":2}');
        for (const chunks of [[data], oneByteChunks(data)]) {
          const r = run(s, chunks);
          expect(r.events[0]).toEqual({ packet: [1] });
          const err = (r.events[1] as { error: StreamProtocolParseError }).error;
          expect(err).toBeInstanceOf(StreamProtocolParseError);
          expect(err.error).toBeInstanceOf(IncrementalDeserializeError);
          expect(err.error.message).toBe('JSON decode error: Expecting value: line 1 column 6 (char 5)');
          expect(err.error.errorInfo).toEqual({ document: '{"a":}', position: 5, lineno: 1, colno: 6 });
          expect(r.events[2]).toEqual({ packet: { b: 2 } });
          expect(r.events.length).toBe(3);
        }
      });
    }
  });
}

describe('JSONSerializer: raw documents, as EasyNetwork frames them', () => {
  it("returns the remainder after the document (EasyNetwork's example)", () => {
    const gen = new JSONSerializer({ useLines: false }).incrementalDeserialize();
    gen.next();
    expect(gen.next(b('{"key":[1,2,3]')).done).toBe(false);
    expect(gen.next(b(',"data":null}{"something":"remaining"}')).value).toEqual([
      { key: [1, 2, 3], data: null },
      b('{"something":"remaining"}'),
    ]);
  });

  it('skips whitespace before and after a document', () => {
    const gen = new JSONSerializer({ useLines: false }).incrementalDeserialize();
    gen.next();
    expect(gen.next(b('  \n')).done).toBe(false);
    expect(gen.next(b(' \t[1, [2]] \r\n ')).value).toEqual([[1, [2]], Buffer.alloc(0)]);
    const plain = new JSONSerializer({ useLines: false }).incrementalDeserialize();
    plain.next();
    expect(plain.next(b('  42')).done).toBe(false);
    expect(plain.next(b('\n  7\n')).value).toEqual([42, b('7\n')]);
  });

  it('a value starting with a byte outside printable ASCII swallows what is held, as EasyNetwork', () => {
    const gen = new JSONSerializer({ useLines: false }).incrementalDeserialize();
    gen.next();
    const e = caught(() => gen.next(Buffer.from([0x01, 0x5b, 0x5d])));
    expect(e).toBeInstanceOf(IncrementalDeserializeError);
    expect((e as IncrementalDeserializeError).remainingData).toEqual(Buffer.alloc(0));
  });
});

describe('JSONSerializer: limit', () => {
  function first(s: JSONSerializer, chunks: Buffer[]): unknown {
    const gen = s.incrementalDeserialize();
    gen.next();
    for (const c of chunks) {
      const r = gen.next(c);
      if (r.done) return r.value;
    }
    return 'pending';
  }

  it('JSON Lines: the line limit of StringLineSerializer', () => {
    const s = new JSONSerializer({ limit: 7 });
    expect(first(s, [b('"abcde"\n')])).toEqual(['abcde', Buffer.alloc(0)]);
    const e = caught(() => first(s, [b('"abcdef"\n[1]\n')]));
    expect(e).toBeInstanceOf(LimitOverrunError);
    expect((e as LimitOverrunError).consumed).toBe(8);
    expect((e as LimitOverrunError).remainingData).toEqual(b('[1]\n'));
  });

  for (const buffered of [false, true]) {
    it(`raw documents (${buffered ? 'buffered' : 'chunks'}): a document of exactly limit bytes passes, one more overruns`, () => {
      const s = new JSONSerializer({ useLines: false, limit: 7 });
      const p = new BufferedStreamProtocol<unknown, unknown, Buffer>(s);
      const go = (chunks: Buffer[]) => (buffered ? runBuffered(p, chunks) : runChunks(p, chunks));
      const label = (r: ReturnType<typeof go>) =>
        r.events.map((e) => ('packet' in e ? e.packet : (e.error as StreamProtocolParseError).error.code));
      for (const chunks of [[b('"abcde"[1]')], oneByteChunks(b('"abcde"[1]'))]) {
        expect(label(go(chunks))).toEqual(['abcde', [1]]);
      }
      for (const chunks of [[b('1234567\n[1]')], oneByteChunks(b('1234567\n[1]'))]) {
        expect(label(go(chunks))).toEqual([1234567, [1]]);
      }
      // found past the limit: the remainder is what follows it
      expect(label(runChunks(p, [b('"abcdef" [1]')]))).toEqual(['ERR_LIMIT_OVERRUN', [1]]);
      const e = caught(() => first(s, [b('"abcdef" [1]')]));
      expect((e as LimitOverrunError).consumed).toBe(9);
      expect((e as LimitOverrunError).remainingData).toEqual(b('[1]'));
      // not found within the limit: what is held is dropped
      const far = caught(() => first(s, oneByteChunks(b('"abcdefgh"'))));
      expect(far).toBeInstanceOf(LimitOverrunError);
      expect((far as LimitOverrunError).consumed).toBe(7);
      expect((far as LimitOverrunError).remainingData).toEqual(Buffer.alloc(0));
    });
  }
});

describe('JSONSerializer: linear work', () => {
  for (const useLines of [true, false]) {
    for (const buffered of [false, true]) {
      it(`${useLines ? 'lines' : 'raw'}/${buffered ? 'buffered' : 'chunks'}: a 1 MB document in 1-byte chunks is O(n)`, () => {
        const s = new JSONSerializer({ useLines, limit: 4 << 20 });
        const p = new BufferedStreamProtocol<unknown, unknown, Buffer>(s);
        const measure = (n: number) => {
          const doc = encodeAll(s, [{ k: 'v\\"'.repeat(n / 4) }]);
          serializerCounters.scanned = 0;
          serializerCounters.copied = 0;
          const r = buffered ? runBuffered(p, oneByteChunks(doc), { inPlace: true }) : runChunks(p, oneByteChunks(doc));
          expect(r.events.length).toBe(1);
          return { len: doc.length, scanned: serializerCounters.scanned, copied: serializerCounters.copied };
        };
        const big = measure(1 << 20);
        expect(big.len).toBeGreaterThan(1 << 20);
        expect(big.scanned).toBeLessThanOrEqual(2 * big.len);
        expect(big.copied).toBeLessThanOrEqual(3 * big.len);
        const half = measure(1 << 19);
        expect(big.scanned / half.scanned).toBeLessThan(2.2);
      });
    }
  }

  it('JSON Lines in one big chunk: each byte scanned once, nothing copied', () => {
    const s = new JSONSerializer();
    const data = encodeAll(
      s,
      Array.from({ length: 5000 }, (_, i) => ({ i, name: `n${i}` })),
    );
    serializerCounters.scanned = 0;
    serializerCounters.copied = 0;
    const r = runChunks(new BufferedStreamProtocol<unknown, unknown, Buffer>(s), [data]);
    expect(r.events.length).toBe(5000);
    expect(serializerCounters.scanned).toBe(data.length);
    expect(serializerCounters.copied).toBe(0);
  });
});
