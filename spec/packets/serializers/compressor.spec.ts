import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import {
  DeserializeError,
  IncrementalDeserializeError,
  JSONSerializer,
  LimitOverrunError,
  StreamProtocol,
  StreamProtocolParseError,
  StringLineSerializer,
  ZlibCompressorSerializer,
} from 'torsion/packets';
import { SyncInflater, zlibInternals } from '../../../src/packets/serializers/compressor';
import { serializerCounters } from '../../../src/packets/serializers/tools';
import { cutAt, cuts, oneByteChunks, packetsOf, runChunks } from './drive';

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

afterEach(() => {
  zlibInternals.forceFallback = false;
});

describe('ZlibCompressorSerializer: one-shot', () => {
  const s = new ZlibCompressorSerializer(new JSONSerializer());

  it('is zlib (RFC 1950) at level 6 around the wrapped serializer', () => {
    const data = s.serialize({ a: 'b'.repeat(1000) });
    expect(zlib.inflateSync(data).toString()).toBe(`{"a":"${'b'.repeat(1000)}"}`);
    expect(data).toEqual(zlib.deflateSync(Buffer.from(`{"a":"${'b'.repeat(1000)}"}`), { level: 6 }));
    expect(s.deserialize(data)).toEqual({ a: 'b'.repeat(1000) });
    expect(new ZlibCompressorSerializer(new JSONSerializer(), { level: 0 }).serialize([1]).length).toBeGreaterThan(
      s.serialize([1]).length - 1,
    );
  });

  it("refuses truncated, trailing and corrupt data with EasyNetwork's messages", () => {
    const data = s.serialize([1, 2, 3]);
    expect(caught(() => s.deserialize(data.subarray(0, 5))).message).toBe(
      'Compressed data ended before the end-of-stream marker was reached',
    );
    const trailing = caught(() =>
      new ZlibCompressorSerializer(new JSONSerializer(), { debug: true }).deserialize(Buffer.concat([data, Buffer.from('xy')])),
    );
    expect(trailing).toBeInstanceOf(DeserializeError);
    expect(trailing.message).toBe('Trailing data error');
    expect((trailing as DeserializeError).errorInfo).toEqual({
      decompressedData: Buffer.from('[1,2,3]'),
      extra: Buffer.from('xy'),
    });
    expect(caught(() => s.deserialize(Buffer.from('garbage')))).toBeInstanceOf(DeserializeError);
    const bomb = zlib.deflateSync(Buffer.alloc(1 << 20, 0x20));
    expect(caught(() => new ZlibCompressorSerializer(new JSONSerializer(), { limit: 1000 }).deserialize(bomb)).message).toBe(
      'Decompressed data exceeds the limit of 1000 bytes',
    );
  });

  it('checks its arguments', () => {
    expect(() => new ZlibCompressorSerializer({} as never)).toThrow(TypeError);
    expect(() => new ZlibCompressorSerializer(new JSONSerializer(), { level: 10 })).toThrow(RangeError);
    expect(() => new ZlibCompressorSerializer(new JSONSerializer(), { limit: 0 })).toThrow(RangeError);
  });
});

it('uses the synchronous incremental inflater on this Node (not the fallback)', () => {
  expect(SyncInflater.available).toBe(true);
});

for (const fallback of [false, true]) {
  const mode = fallback ? 'inflateSync on what is held (fallback)' : 'the synchronous incremental inflater';
  describe(`ZlibCompressorSerializer: incremental, ${mode}`, () => {
    beforeEach(() => {
      zlibInternals.forceFallback = fallback;
    });

    it('any cutting of several streams gives the same packets and remainder', () => {
      const p = new StreamProtocol<unknown, unknown>(new ZlibCompressorSerializer(new JSONSerializer()));
      fc.assert(
        fc.property(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }), cuts(800), (values, cutPoints) => {
          const expected = values.map((v) => JSON.parse(JSON.stringify(v)));
          const tail = zlib.deflateSync(Buffer.from('[1, 2, 3]')).subarray(0, 6);
          const data = Buffer.concat([...values.flatMap((v) => [...p.generateChunks(v)]), tail]);
          const r = runChunks(p, cutAt(data, cutPoints));
          expect(packetsOf(r)).toEqual(expected);
          expect(r.pending).toEqual(tail);
        }),
        { numRuns: 60 },
      );
    });

    it('one byte at a time gives the same packets, the remainder after the end of each stream', () => {
      const s = new ZlibCompressorSerializer(new StringLineSerializer('LF', { encoding: 'utf-8' }));
      const p = new StreamProtocol<string, string>(s);
      const texts = ['', 'a', 'é'.repeat(500), randomBytes(3000).toString('base64')];
      const data = Buffer.concat(texts.flatMap((t) => [...p.generateChunks(t)]));
      expect(packetsOf(runChunks(p, oneByteChunks(data)))).toEqual(texts);
      const gen = s.incrementalDeserialize();
      gen.next();
      const one = Buffer.concat([...p.generateChunks('x')]);
      expect(gen.next(Buffer.concat([one, Buffer.from('rest')])).value).toEqual(['x', Buffer.from('rest')]);
    });

    it('corrupt data is a recoverable error: the bad chunk is dropped and the next stream parses', () => {
      const p = new StreamProtocol<unknown, unknown>(new ZlibCompressorSerializer(new JSONSerializer(), { debug: true }));
      const good = Buffer.concat([...p.generateChunks({ ok: true })]);
      const r = runChunks(p, [good, Buffer.from('not zlib at all'), good]);
      expect(r.events[0]).toEqual({ packet: { ok: true } });
      const err = (r.events[1] as { error: StreamProtocolParseError }).error;
      expect(err.error).toBeInstanceOf(IncrementalDeserializeError);
      expect(err.error.message).toBe('Decompression error: incorrect header check');
      expect(err.remainingData).toEqual(Buffer.alloc(0));
      expect(r.events[2]).toEqual({ packet: { ok: true } });
      // a stream whose content the wrapped serializer refuses: the remainder is what followed the stream
      const bad = zlib.deflateSync(Buffer.from('{nope'));
      const r2 = runChunks(p, [Buffer.concat([bad, good])]);
      expect((r2.events[0] as { error: StreamProtocolParseError }).error.error.message).toMatch(
        /^Error while deserializing decompressed data: JSON decode error: Expecting property name/,
      );
      expect(r2.events[1]).toEqual({ packet: { ok: true } });
    });

    it('a zip bomb stops at the limit', () => {
      const s = new ZlibCompressorSerializer(new JSONSerializer(), { limit: 10_000 });
      const gen = s.incrementalDeserialize();
      gen.next();
      const bomb = zlib.deflateSync(Buffer.alloc(50 << 20, 0x20));
      const e = caught(() => {
        for (const c of cutAt(bomb, [1000, 2000, 3000])) gen.next(c);
      });
      expect(e).toBeInstanceOf(LimitOverrunError);
    });

    it('endless empty stored blocks stop at the compressed limit', () => {
      const s = new ZlibCompressorSerializer(new JSONSerializer(), { limit: 100 });
      const gen = s.incrementalDeserialize();
      gen.next();
      // zlib header, then non-final empty stored blocks forever
      const block = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
      const e = caught(() => {
        gen.next(Buffer.from([0x78, 0x9c]));
        for (let i = 0; i < 1000; i++) gen.next(block);
      });
      expect(e).toBeInstanceOf(LimitOverrunError);
    });
  });
}

describe('ZlibCompressorSerializer: linear work', () => {
  it('each compressed byte is inflated once, however it is chunked', () => {
    const s = new ZlibCompressorSerializer(new StringLineSerializer(), { limit: 4 << 20 });
    const p = new StreamProtocol<string, string>(s);
    const measure = (n: number) => {
      const text = randomBytes(n).toString('hex');
      const data = Buffer.concat([...p.generateChunks(text)]);
      serializerCounters.scanned = 0;
      serializerCounters.copied = 0;
      expect(packetsOf(runChunks(p, oneByteChunks(data)))).toEqual([text]);
      return { len: data.length, scanned: serializerCounters.scanned, copied: serializerCounters.copied, out: text.length };
    };
    const w = measure(1 << 17);
    expect(w.scanned).toBe(w.len);
    expect(w.copied).toBe(w.out);
  });
});
