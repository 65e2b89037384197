import fc from 'fast-check';
import { BufferedStreamProtocol, DeserializeError, StructSerializer } from 'torsion/packets';
import { defineStruct } from 'torsion/struct';
import { cutAt, cuts, oneByteChunks, packetsOf, runBuffered, runChunks } from './drive';

describe('StructSerializer', () => {
  it('a format without a byte-order prefix is network order', () => {
    const s = new StructSerializer('hhI');
    expect(s.packetSize).toBe(8);
    expect(s.serialize([1, 2, 3])).toEqual(Buffer.from([0, 1, 0, 2, 0, 0, 0, 3]));
    expect(new StructSerializer('<h').serialize([1])).toEqual(Buffer.from([1, 0]));
    expect(s.deserialize(Buffer.from([0, 1, 0, 2, 0, 0, 0, 3]))).toEqual([1, 2, 3]);
  });

  it('takes a defineStruct codec', () => {
    const Point = defineStruct({ x: 'int16', y: 'int16' }, { endian: 'big' });
    const s = new StructSerializer(Point);
    const bytes = s.serialize(new Point({ x: 1, y: -1 }));
    expect(bytes).toEqual(Buffer.from([0, 1, 0xff, 0xff]));
    const back = s.deserialize(bytes);
    expect([back.x, back.y]).toEqual([1, -1]);
  });

  it('a wrong size is a DeserializeError; on a stream, the packets split at any point', () => {
    const s = new StructSerializer('Hb', { debug: true });
    const e = (() => {
      try {
        s.deserialize(Buffer.alloc(2));
      } catch (err) {
        return err as DeserializeError;
      }
    })();
    expect(e).toBeInstanceOf(DeserializeError);
    expect(e?.errorInfo).toEqual({ data: Buffer.alloc(2) });
    const p = new BufferedStreamProtocol<unknown, unknown, Buffer>(s);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: -128, max: 127 })), { maxLength: 10 }),
        cuts(40),
        (values, cutPoints) => {
          const data = Buffer.concat([...values.map((v) => s.serialize(v)), Buffer.from([7])]);
          for (const chunks of [cutAt(data, cutPoints), oneByteChunks(data)]) {
            for (const r of [runChunks(p, chunks), runBuffered(p, chunks)]) {
              expect(packetsOf(r)).toEqual(values);
              expect(r.pending).toEqual(Buffer.from([7]));
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('several packets in one chunk; bad codecs and formats are refused', () => {
    const s = new StructSerializer('?');
    const p = new BufferedStreamProtocol<unknown, unknown, Buffer>(s);
    const r = runChunks(p, [Buffer.from([1, 0])]);
    expect(packetsOf(r)).toEqual([[true], [false]]);
    expect(() => new StructSerializer({} as never)).toThrow(TypeError);
    expect(() => new StructSerializer('hq!x' as never)).toThrow(RangeError);
  });
});
