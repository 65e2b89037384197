import fc from 'fast-check';
import { asBuffer, ByteQueue, framingCounters } from '../../src/framing/byte-queue';
import { arbitraryCuts, cutAt, oneByteChunks } from './chunking';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function queueOf(chunks: readonly Buffer[]): ByteQueue {
  const q = new ByteQueue();
  for (const c of chunks) q.push(c);
  return q;
}

describe('ByteQueue (the framing receive buffer)', () => {
  it('finds a delimiter that spans two, three or more chunks', () => {
    const delim = b('\r\n\r\n');
    expect(queueOf([b('ab\r'), b('\n\r'), b('\nc')]).indexOf(delim)).toBe(2);
    expect(queueOf(oneByteChunks(b('xy\r\n\r\nz'))).indexOf(delim)).toBe(2);
    expect(queueOf([b('\r\n\r'), b('x\r\n\r\n')]).indexOf(delim)).toBe(4);
  });

  it('a failed search resumes where it stopped when more bytes arrive', () => {
    const q = new ByteQueue();
    const delim = b('\r\n');
    q.push(b('abc\r'));
    expect(q.indexOf(delim)).toBe(-1);
    q.push(b('x'));
    expect(q.indexOf(delim)).toBe(-1);
    q.push(b('\r'));
    expect(q.indexOf(delim)).toBe(-1);
    q.push(b('\nrest'));
    expect(q.indexOf(delim)).toBe(5);
    expect(q.take(5, 2).toString()).toBe('abc\rx');
    expect(q.indexOf(delim)).toBe(-1);
    expect(q.takeAll().toString()).toBe('rest');
  });

  it('indexOf agrees with a plain search for any delimiter, data and chunking', () => {
    const alphabet = fc.constantFrom(0x61, 0x62, 0x0d);
    fc.assert(
      fc.property(
        fc.array(alphabet, { minLength: 1, maxLength: 5 }),
        fc.array(alphabet, { maxLength: 60 }).chain((d) => fc.tuple(fc.constant(d), arbitraryCuts(d.length))),
        fc.integer({ min: 1, max: 60 }),
        (delimBytes, [dataBytes, cuts], firstPart) => {
          const delim = Buffer.from(delimBytes);
          const data = Buffer.from(dataBytes);
          const chunks = cutAt(data, cuts);
          // Search once part way (so the resumable state is used), then after the rest arrived.
          const q = new ByteQueue();
          let pushed = 0;
          let i = 0;
          for (; i < chunks.length && pushed < firstPart; i++) {
            q.push(chunks[i]!);
            pushed += chunks[i]!.length;
          }
          const early = q.indexOf(delim);
          const earlyExpected = data.subarray(0, pushed).indexOf(delim);
          expect(early).toBe(earlyExpected);
          if (early >= 0) return;
          for (; i < chunks.length; i++) q.push(chunks[i]!);
          expect(q.indexOf(delim)).toBe(data.indexOf(delim));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('take() hands out a view inside a chunk and copies once across chunks; bytes come out in order', () => {
    const c1 = Buffer.alloc(4, 'a');
    const c2 = Buffer.alloc(4, 'b');
    const q = queueOf([c1, c2]);
    const before = framingCounters.copied;
    const v = q.take(3);
    expect(v.buffer).toBe(c1.buffer);
    expect(framingCounters.copied).toBe(before);
    const spanning = q.take(2);
    expect(spanning.toString()).toBe('ab');
    expect(framingCounters.copied).toBe(before + 2);
    expect(q.size).toBe(3);
    const rest = q.takeAll();
    expect(rest.buffer).toBe(c2.buffer);
    expect(rest.toString()).toBe('bbb');
    expect(q.size).toBe(0);
    expect(q.takeAll().length).toBe(0);
  });

  it('a whole chunk is returned as is, without a new view', () => {
    const c = b('whole');
    expect(queueOf([c]).takeAll()).toBe(c);
  });

  it('readUIntBE and byteAt read across chunk boundaries', () => {
    const q = queueOf(oneByteChunks(Buffer.from([0x01, 0x02, 0x03, 0x04, 0x05])));
    expect(q.readUIntBE(4)).toBe(0x01020304);
    expect(q.byteAt(4)).toBe(0x05);
    q.skip(1);
    expect(q.readUIntBE(2)).toBe(0x0203);
  });

  it('stays correct after many chunks were consumed (slot compaction)', () => {
    const q = new ByteQueue();
    const lines: string[] = [];
    const data = b(Array.from({ length: 3000 }, (_, i) => `l${i}\n`).join(''));
    const delim = b('\n');
    for (const c of oneByteChunks(data)) {
      q.push(c);
      let at: number;
      while ((at = q.indexOf(delim)) >= 0) lines.push(q.take(at, 1).toString());
    }
    expect(lines).toHaveLength(3000);
    expect(lines[2999]).toBe('l2999');
    // Leave thousands of consumed slots behind a partial line, then finish it.
    const q2 = new ByteQueue();
    for (const c of oneByteChunks(b('x'.repeat(5000)))) q2.push(c);
    q2.skip(4000);
    q2.push(b('\n'));
    expect(q2.indexOf(delim)).toBe(1000);
    expect(q2.take(1000, 1).toString()).toBe('x'.repeat(1000));
    expect(q2.size).toBe(0);
  });

  it('clear() forgets everything, including the search state', () => {
    const q = queueOf([b('ab\r')]);
    expect(q.indexOf(b('\r\n'))).toBe(-1);
    q.clear();
    q.push(b('\nx\r\n'));
    expect(q.indexOf(b('\r\n'))).toBe(2);
  });

  it('asBuffer accepts Uint8Array without copying and refuses strings and other values', () => {
    const u = new Uint8Array([1, 2, 3]);
    const v = asBuffer('data', u);
    expect(Buffer.isBuffer(v)).toBe(true);
    expect(v.buffer).toBe(u.buffer);
    expect(() => asBuffer('data', 'text')).toThrow(/encode it first/);
    expect(() => asBuffer('data', null)).toThrow(TypeError);
    expect(() => asBuffer('data', 42)).toThrow(/data must be a Buffer/);
  });
});
