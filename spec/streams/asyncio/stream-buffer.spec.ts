import fc from 'fast-check';
import { StreamBuffer } from '../../../src/streams/asyncio/stream-buffer';
import { arbitraryCuts, cutAt, oneByteChunks } from '../../framing/chunking';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function bufferOf(chunks: readonly Buffer[]): StreamBuffer {
  const q = new StreamBuffer();
  for (const c of chunks) q.push(c);
  return q;
}

describe('StreamBuffer (the StreamReader receive buffer)', () => {
  it('finds a separator that spans two, three or more chunks', () => {
    const sep = b('\r\n\r\n');
    expect(bufferOf([b('ab\r'), b('\n\r'), b('\nc')]).indexOf(sep)).toBe(2);
    expect(bufferOf(oneByteChunks(b('xy\r\n\r\nz'))).indexOf(sep)).toBe(2);
    expect(bufferOf([b('\r\n\r'), b('x\r\n\r\n')]).indexOf(sep)).toBe(4);
    expect(bufferOf([b('abc')]).indexOf(sep)).toBe(-1);
  });

  it('indexOf honours `from` and offsets after partial consumption', () => {
    const q = bufferOf([b('a\nb\n'), b('c\nd')]);
    expect(q.indexOf(0x0a, 0)).toBe(1);
    expect(q.indexOf(0x0a, 2)).toBe(3);
    expect(q.indexOf(0x0a, 4)).toBe(5);
    expect(q.take(2).toString()).toBe('a\n');
    expect(q.indexOf(0x0a, 0)).toBe(1);
    expect(q.indexOf(0x0a, 2)).toBe(3);
    expect(q.take(3).toString()).toBe('b\nc');
    expect(q.indexOf(0x0a)).toBe(0);
    expect(q.length).toBe(2);
  });

  it('take() inside one chunk returns a view, across chunks one copy with the right bytes', () => {
    const c1 = b('hello ');
    const q = bufferOf([c1, b('world')]);
    const first = q.take(5);
    expect(first.buffer).toBe(c1.buffer);
    expect(first.toString()).toBe('hello');
    expect(q.take(100).toString()).toBe(' world');
    expect(q.length).toBe(0);
    expect(q.take(3).length).toBe(0);
  });

  it('peek, byteAt, startsWith, discard and clear agree with the bytes pushed', () => {
    const q = bufferOf([b('ab'), b('cd'), b('ef')]);
    expect(q.peek(5).toString()).toBe('abcde');
    expect(q.byteAt(3)).toBe('d'.charCodeAt(0));
    expect(q.byteAt(6)).toBe(-1);
    expect(q.startsWith(b('cde'), 2)).toBe(true);
    expect(q.startsWith(b('cdx'), 2)).toBe(false);
    q.discard(3);
    expect(q.peek().toString()).toBe('def');
    q.clear();
    expect(q.length).toBe(0);
    expect(q.indexOf(0x61)).toBe(-1);
  });

  it('over any cutting, indexOf and take give what one flat Buffer gives', () => {
    fc.assert(
      fc.property(
        fc
          .uint8Array({ minLength: 1, maxLength: 60 })
          .chain((arr) => fc.tuple(fc.constant(Buffer.from(arr)), arbitraryCuts(arr.length))),
        fc.constantFrom(b('\x01'), b('\x01\x02'), b('\x00\x01\x02')),
        ([data, cuts], sep) => {
          const q = bufferOf(cutAt(data, cuts));
          let flat = data;
          while (q.length > 0) {
            expect(q.indexOf(sep)).toBe(flat.indexOf(sep));
            const n = Math.max(1, Math.min(7, flat.length));
            expect(q.take(n).equals(flat.subarray(0, n))).toBe(true);
            flat = flat.subarray(n);
          }
        },
      ),
    );
  });

  it('a search resumed from where it stopped stays correct as chunks arrive one byte at a time', () => {
    const q = new StreamBuffer();
    const sep = b('\r\n');
    const data = b('x'.repeat(50) + '\r\n');
    let offset = 0;
    let found = -1;
    for (const c of oneByteChunks(data)) {
      q.push(c);
      if (q.length - offset >= sep.length) {
        found = q.indexOf(sep, offset);
        if (found >= 0) break;
        offset = q.length + 1 - sep.length;
      }
    }
    expect(found).toBe(50);
  });
});
