import fc from 'fast-check';
import {
  BufferedStreamProtocol,
  DeserializeError,
  IncrementalDeserializeError,
  LimitOverrunError,
  StreamProtocolParseError,
  StringLineSerializer,
} from 'torsion/packets';
import { serializerCounters } from '../../../src/packets/serializers/tools';
import { cutAt, cuts, oneByteChunks, packetsOf, runBuffered, runChunks } from './drive';

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

function encodeAll(s: StringLineSerializer, lines: string[]): Buffer {
  return Buffer.concat(lines.flatMap((l) => [...s.incrementalSerialize(l)]));
}

describe('StringLineSerializer: one-shot', () => {
  it('serializes without the newline and deserializes stripping trailing newlines', () => {
    const s = new StringLineSerializer();
    expect(s.serialize('character string')).toEqual(enc('character string'));
    expect(s.deserialize(enc('character string'))).toBe('character string');
    expect(s.deserialize(enc('abc\n\n\n'))).toBe('abc');
    expect(new StringLineSerializer('LF', { keepEnd: true }).deserialize(enc('abc\n'))).toBe('abc\n');
    expect(new StringLineSerializer('CRLF').deserialize(enc('abc\r\n\r\n'))).toBe('abc');
    expect(new StringLineSerializer('CRLF').deserialize(enc('abc\n'))).toBe('abc\n');
  });

  it('uses the encoding and its error policy (ascii by default)', () => {
    expect(() => new StringLineSerializer().serialize('é')).toThrow(expect.objectContaining({ code: 'ERR_UNICODE_ENCODE' }));
    expect(new StringLineSerializer('LF', { unicodeErrors: 'replace' }).serialize('é')).toEqual(enc('?'));
    expect(new StringLineSerializer('LF', { encoding: 'utf-8' }).serialize('é')).toEqual(Buffer.from('é'));
    expect(new StringLineSerializer('LF', { encoding: 'latin-1' }).deserialize(Buffer.from([0xe9]))).toBe('é');
    expect(new StringLineSerializer('LF', { encoding: 'cp437' }).deserialize(Buffer.from([0x82]))).toBe('é');
    const bad = Buffer.from([0x61, 0xff]);
    let err: unknown;
    try {
      new StringLineSerializer().deserialize(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeserializeError);
    expect((err as DeserializeError).errorInfo).toBeNull();
    expect((err as Error).message).toMatch(/codec can't decode byte 0xff/);
    expect(() => new StringLineSerializer('LF', { debug: true }).deserialize(bad)).toThrow(
      expect.objectContaining({ errorInfo: { data: bad } }),
    );
    expect(new StringLineSerializer('LF', { unicodeErrors: 'ignore' }).deserialize(bad)).toBe('a');
    expect(new StringLineSerializer('LF', { unicodeErrors: 'replace' }).deserialize(bad)).toBe('a\ufffd');
  });

  it('checks its arguments', () => {
    expect(() => new StringLineSerializer('LFCR' as never)).toThrow(RangeError);
    expect(() => new StringLineSerializer(1 as never)).toThrow(TypeError);
    expect(() => new StringLineSerializer('LF', { limit: 0 })).toThrow(RangeError);
    expect(() => new StringLineSerializer('LF', { limit: 1.5 })).toThrow(RangeError);
    expect(() => new StringLineSerializer('LF', { encoding: 'nope' })).toThrow(RangeError);
    expect(() => new StringLineSerializer('LF', { unicodeErrors: 'loud' as never })).toThrow(RangeError);
    expect(() => new StringLineSerializer('LF', { keepEnd: 1 as never })).toThrow(TypeError);
    expect(() => new StringLineSerializer().serialize(5 as never)).toThrow(TypeError);
    expect(() => new StringLineSerializer().deserialize('x' as never)).toThrow(TypeError);
  });
});

describe('StringLineSerializer: incremental', () => {
  it('appends the newline unless present, and sends nothing for an empty string', () => {
    const s = new StringLineSerializer('CRLF');
    expect([...s.incrementalSerialize('abc')]).toEqual([enc('abc\r\n')]);
    expect([...s.incrementalSerialize('abc\r\n')]).toEqual([enc('abc\r\n')]);
    expect([...s.incrementalSerialize('')]).toEqual([]);
  });

  it('returns the line and the remainder, as EasyNetwork', () => {
    const s = new StringLineSerializer();
    const gen = s.incrementalDeserialize();
    expect(gen.next().done).toBe(false);
    expect(gen.next(enc('hel')).done).toBe(false);
    const r = gen.next(enc('lo\nwor'));
    expect(r).toEqual({ done: true, value: ['hello', enc('wor')] });
    const kept = new StringLineSerializer('CRLF', { keepEnd: true }).incrementalDeserialize();
    kept.next();
    expect(kept.next(enc('a\r\nb')).value).toEqual(['a\r\n', enc('b')]);
  });

  it('finds a CRLF split across chunks', () => {
    const s = new StringLineSerializer('CRLF');
    const gen = s.incrementalDeserialize();
    gen.next();
    expect(gen.next(enc('a\r')).done).toBe(false);
    expect(gen.next(enc('\nb')).value).toEqual(['a', enc('b')]);
  });

  for (const newline of ['LF', 'CR', 'CRLF'] as const) {
    for (const buffered of [false, true]) {
      const mode = buffered ? 'buffered' : 'chunks';
      const sep = { LF: '\n', CR: '\r', CRLF: '\r\n' }[newline];
      const line = fc
        .string({ unit: fc.constantFrom('a', 'b', '\n', '\r', ' ', 'é'), maxLength: 30 })
        .filter((t) => !t.includes(sep));
      const run = (s: StringLineSerializer, chunks: Buffer[], inPlace = false) => {
        const p = new BufferedStreamProtocol<string, string, Buffer>(s);
        return buffered ? runBuffered(p, chunks, { inPlace }) : runChunks(p, chunks);
      };

      it(`${newline}/${mode}: any cutting of several lines gives the same lines and remainder`, () => {
        fc.assert(
          fc.property(fc.array(line, { maxLength: 8 }), line, cuts(400), fc.boolean(), (lines, tail, cutPoints, inPlace) => {
            const s = new StringLineSerializer(newline, { encoding: 'latin-1' });
            const nonEmpty = lines.filter((l) => l !== '');
            const data = Buffer.concat([encodeAll(s, nonEmpty), enc(tail)]);
            const r = run(s, cutAt(data, cutPoints), inPlace);
            expect(packetsOf(r)).toEqual(nonEmpty);
            expect(r.pending).toEqual(enc(tail));
          }),
          { numRuns: 150 },
        );
      });

      it(`${newline}/${mode}: one byte at a time gives the same lines and remainder`, () => {
        const s = new StringLineSerializer(newline, { encoding: 'latin-1' });
        const lines = ['first', 'a', 'x'.repeat(300), 'é é', 'last'];
        const tail = newline === 'CRLF' ? 'tail\r' : 'tail';
        const data = Buffer.concat([encodeAll(s, lines), enc(tail)]);
        const r = run(s, oneByteChunks(data));
        expect(packetsOf(r)).toEqual(lines);
        expect(r.pending).toEqual(enc(tail));
        // every cut into two chunks
        for (let i = 0; i <= data.length; i++) {
          const two = run(s, [data.subarray(0, i), data.subarray(i)]);
          expect(packetsOf(two)).toEqual(lines);
          expect(two.pending).toEqual(enc(tail));
        }
      });
    }
  }

  it('a decode error is recoverable: the rest of the stream is given back and parses', () => {
    for (const buffered of [false, true]) {
      const s = new StringLineSerializer('LF', { debug: true });
      const p = new BufferedStreamProtocol<string, string, Buffer>(s);
      const data = Buffer.concat([enc('ok\n'), Buffer.from([0x62, 0xff, 0x0a]), enc('next\nrest')]);
      for (const chunks of [[data], oneByteChunks(data)]) {
        const r = buffered ? runBuffered(p, chunks) : runChunks(p, chunks);
        expect(r.events.length).toBe(3);
        expect(r.events[0]).toEqual({ packet: 'ok' });
        const err = (r.events[1] as { error: Error }).error;
        expect(err).toBeInstanceOf(StreamProtocolParseError);
        const inner = (err as StreamProtocolParseError).error;
        expect(inner).toBeInstanceOf(IncrementalDeserializeError);
        expect(inner.errorInfo).toEqual({ data: Buffer.from([0x62, 0xff]) });
        expect(r.events[2]).toEqual({ packet: 'next' });
        expect(r.pending).toEqual(enc('rest'));
      }
    }
    // The error's remainingData is what followed the bad line.
    const gen = new StringLineSerializer().incrementalDeserialize();
    gen.next();
    let caught: unknown;
    try {
      gen.next(Buffer.from([0xff, 0x0a, 0x41, 0x0a]));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(IncrementalDeserializeError);
    expect((caught as IncrementalDeserializeError).remainingData).toEqual(enc('A\n'));
    expect((caught as IncrementalDeserializeError).errorInfo).toBeNull();
  });
});

describe('StringLineSerializer: limit', () => {
  function overrun(s: StringLineSerializer, chunks: Buffer[]): LimitOverrunError {
    const gen = s.incrementalDeserialize();
    gen.next();
    for (const c of chunks) {
      try {
        const r = gen.next(c);
        if (r.done) throw new Error(`parsed ${JSON.stringify(r.value)}`);
      } catch (e) {
        if (e instanceof LimitOverrunError) return e;
        throw e;
      }
    }
    throw new Error('no overrun');
  }

  it('a line of exactly `limit` bytes passes; one more overruns', () => {
    const s = new StringLineSerializer('LF', { limit: 5 });
    const gen = s.incrementalDeserialize();
    gen.next();
    expect(gen.next(enc('abcde\n')).value).toEqual(['abcde', Buffer.alloc(0)]);
    const e = overrun(s, [enc('abcdef\nnext\n')]);
    expect(e.message).toBe('Separator is found, but chunk is longer than limit');
    expect(e.consumed).toBe(6); // the index of the separator
    expect(e.remainingData).toEqual(enc('next\n')); // past the separator
  });

  it('without a separator in sight: consumed is where the overrun starts, everything is dropped', () => {
    const s = new StringLineSerializer('LF', { limit: 5 });
    const e = overrun(s, [enc('abc'), enc('def')]);
    expect(e.message).toBe('Separator is not found, and chunk exceed the limit');
    expect(e.consumed).toBe(6);
    expect(e.remainingData).toEqual(Buffer.alloc(0));
    // CRLF: a trailing CR (a separator's beginning) is kept, as EasyNetwork keeps it.
    const c = overrun(new StringLineSerializer('CRLF', { limit: 4 }), [enc('abcdef\r')]);
    expect(c.consumed).toBe(6);
    expect(c.remainingData).toEqual(enc('\r'));
  });

  it('after an overrun the later bytes of the long line parse as a new packet, as EasyNetwork', () => {
    for (const buffered of [false, true]) {
      const s = new StringLineSerializer('LF', { limit: 4 });
      const p = new BufferedStreamProtocol<string, string, Buffer>(s);
      const data = enc('abcdefgh\nok\n');
      const r = buffered ? runBuffered(p, oneByteChunks(data)) : runChunks(p, oneByteChunks(data));
      expect(r.events.map((e) => ('packet' in e ? e.packet : (e.error as StreamProtocolParseError).error.code))).toEqual([
        'ERR_LIMIT_OVERRUN',
        'fgh',
        'ok',
      ]);
      // In one chunk the separator is in sight: the whole long line goes. A lent
      // buffer holds only limit + 1 bytes, so there the overrun comes first.
      const one = buffered ? runBuffered(p, [data]) : runChunks(p, [data]);
      expect(one.events.map((e) => ('packet' in e ? e.packet : 'overrun'))).toEqual(
        buffered ? ['overrun', 'fgh', 'ok'] : ['overrun', 'ok'],
      );
    }
  });
});

describe('StringLineSerializer: linear work', () => {
  function work(chunks: Buffer[], buffered: boolean): { scanned: number; copied: number; n: number } {
    const s = new StringLineSerializer('CRLF', { limit: 4 << 20 });
    const p = new BufferedStreamProtocol<string, string, Buffer>(s);
    serializerCounters.scanned = 0;
    serializerCounters.copied = 0;
    const r = buffered ? runBuffered(p, chunks, { inPlace: true }) : runChunks(p, chunks);
    return { scanned: serializerCounters.scanned, copied: serializerCounters.copied, n: r.events.length };
  }

  for (const buffered of [false, true]) {
    it(`${buffered ? 'buffered' : 'chunks'}: a 1 MB line in 1-byte chunks scans and copies O(n)`, () => {
      const n = 1 << 20;
      const line = Buffer.concat([Buffer.alloc(n, 'x'), enc('\r\n')]);
      const w = work(oneByteChunks(line), buffered);
      expect(w.n).toBe(1);
      expect(w.scanned).toBeLessThanOrEqual(2 * (n + 2));
      expect(w.copied).toBeLessThanOrEqual(3 * (n + 2));
      const half = work(oneByteChunks(line.subarray(n / 2)), buffered);
      // doubling the input doubles the work (quadratic would quadruple it)
      expect(w.scanned / half.scanned).toBeLessThan(2.2);
    });
  }

  it('many short lines in one chunk: each byte scanned once, nothing copied', () => {
    const data = Buffer.from('hello world\r\n'.repeat(10000));
    const w = work([data], false);
    expect(w.n).toBe(10000);
    expect(w.scanned).toBe(data.length);
    expect(w.copied).toBe(0);
  });
});
