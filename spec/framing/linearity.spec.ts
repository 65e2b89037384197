/**
 * The framing receivers do work linear in the bytes received, however they
 * are chunked. Proved by counting (bytes searched for delimiters, bytes
 * copied to join frames) rather than by timing: a receiver that re-scanned
 * or re-copied its growing buffer on every chunk (as `buffer += data;
 * buffer.split(delimiter)` does) would count ~N²/2 for an N-byte frame in
 * one-byte chunks, and its counts would quadruple, not double, from N to 2N.
 */
import { Int32StringReceiver, LineOnlyReceiver, LineReceiver, NetstringReceiver } from '../../src/framing';
import { framingCounters } from '../../src/framing/byte-queue';
import type { Protocol } from '../../src/protocol/protocol';
import { StringTransport } from '../../src/testing';

interface Work {
  scanned: number;
  copied: number;
  frames: number;
}

/** Feed `data` one byte at a time (each byte a fresh view) and count the work done. */
function oneByteAtATime(proto: Protocol & { frames: number }, data: Buffer): Work {
  framingCounters.scanned = 0;
  framingCounters.copied = 0;
  proto.makeConnection(new StringTransport());
  for (let i = 0; i < data.length; i++) proto.dataReceived(data.subarray(i, i + 1));
  return { scanned: framingCounters.scanned, copied: framingCounters.copied, frames: proto.frames };
}

class Lines extends LineReceiver {
  override MAX_LENGTH = 1 << 20;
  frames = 0;
  override lineReceived(_line: Buffer): void {
    this.frames += 1;
  }
}
class OnlyLines extends LineOnlyReceiver {
  override MAX_LENGTH = 1 << 20;
  frames = 0;
  override lineReceived(): void {
    this.frames += 1;
  }
}
class Int32s extends Int32StringReceiver {
  override MAX_LENGTH = 1 << 20;
  frames = 0;
  override stringReceived(): void {
    this.frames += 1;
  }
}
class Netstrings extends NetstringReceiver {
  override MAX_LENGTH = 1 << 20;
  frames = 0;
  override stringReceived(): void {
    this.frames += 1;
  }
}

const KB90 = 90 * 1024;

function oneLine(n: number, delimiter: string): Buffer {
  return Buffer.concat([Buffer.alloc(n, 'x'), Buffer.from(delimiter)]);
}
function oneInt32(n: number): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(n);
  return Buffer.concat([head, Buffer.alloc(n, 'y')]);
}
function oneNetstring(n: number): Buffer {
  return Buffer.concat([Buffer.from(`${n}:`), Buffer.alloc(n, 'z'), Buffer.from(',')]);
}

/** Feed `total` bytes of repeated `lineText` in chunks that cut lines at every offset; count the work. */
function streamOfLines(lineText: string, total: number) {
  const pattern = Buffer.from(lineText.repeat(4096));
  // Not a multiple of the line length, so lines straddle chunks at every offset.
  const chunkSize = 65536 - 7;
  const p = new Lines();
  p.makeConnection(new StringTransport());
  const lengths = new Set<number>();
  p.lineReceived = (line: Buffer): void => {
    p.frames += 1;
    lengths.add(line.length);
  };
  framingCounters.scanned = 0;
  framingCounters.copied = 0;
  let sent = 0;
  let offset = 0;
  let chunks = 0;
  while (sent < total) {
    const n = Math.min(chunkSize, total - sent);
    const chunk = Buffer.allocUnsafe(n);
    for (let filled = 0; filled < n; ) {
      const m = Math.min(n - filled, pattern.length - offset);
      pattern.copy(chunk, filled, offset, offset + m);
      filled += m;
      offset = (offset + m) % pattern.length;
    }
    p.dataReceived(chunk);
    sent += n;
    chunks += 1;
  }
  return {
    total,
    chunks,
    frames: p.frames,
    lengths: [...lengths],
    scanned: framingCounters.scanned,
    copied: framingCounters.copied,
  };
}

describe('framing work is linear in the bytes received', () => {
  it.each([
    ['LineReceiver, CRLF', () => new Lines(), (n: number) => oneLine(n, '\r\n')],
    [
      'LineReceiver, 4-byte delimiter',
      () => Object.assign(new Lines(), { delimiter: Buffer.from('\r\n\r\n') }),
      (n: number) => oneLine(n, '\r\n\r\n'),
    ],
    ['LineOnlyReceiver, CRLF', () => new OnlyLines(), (n: number) => oneLine(n, '\r\n')],
  ])('%s: a 90 KB line in one-byte chunks is searched about once and copied exactly once', (_name, make, frame) => {
    const dlen = frame(0).length;
    const small = oneByteAtATime(make(), frame(KB90));
    expect(small.frames).toBe(1);
    expect(small.copied).toBe(KB90);
    // Each byte is searched once, plus a check of the delimiter prefix carried over each chunk boundary.
    expect(small.scanned).toBeLessThanOrEqual((KB90 + dlen) * dlen * 2);
    const large = oneByteAtATime(make(), frame(2 * KB90));
    expect(large.copied).toBe(2 * KB90);
    expect(large.scanned / small.scanned).toBeGreaterThan(1.9);
    expect(large.scanned / small.scanned).toBeLessThan(2.1);
  });

  it.each([
    ['Int32StringReceiver', () => new Int32s(), oneInt32],
    ['NetstringReceiver', () => new Netstrings(), oneNetstring],
  ])('%s: a 90 KB string in one-byte chunks is copied exactly once and never searched', (_name, make, frame) => {
    const small = oneByteAtATime(make(), frame(KB90));
    expect(small).toEqual({ scanned: 0, copied: KB90, frames: 1 });
    const large = oneByteAtATime(make(), frame(2 * KB90));
    expect(large).toEqual({ scanned: 0, copied: 2 * KB90, frames: 1 });
  });

  it('LineReceiver: a long stream of short lines in 64 KiB chunks is searched once; only lines cut by a chunk are copied', () => {
    const lineText = 'GET /index.html HTTP/1.1\r\n'; // 26 bytes
    // 16 MB and 32 MB: enough to show the per-byte bounds hold and the work doubles with the input.
    // (The same path handles 100 MB; jest's sandbox makes Buffer access ~10x slower than plain node.)
    const small = streamOfLines(lineText, 16 * 1024 * 1024);
    const large = streamOfLines(lineText, 32 * 1024 * 1024);
    for (const w of [small, large]) {
      expect(w.frames).toBe(Math.floor(w.total / lineText.length));
      expect(w.lengths).toEqual([lineText.length - 2]);
      // Every byte searched once; each CRLF costs one extra comparison; a few bytes per chunk boundary.
      expect(w.scanned).toBeLessThanOrEqual(w.total + w.frames + 4 * w.chunks);
      // Only a line cut by a chunk boundary is copied, once.
      expect(w.copied).toBeLessThanOrEqual(w.chunks * lineText.length);
    }
    expect(large.scanned / small.scanned).toBeGreaterThan(1.95);
    expect(large.scanned / small.scanned).toBeLessThan(2.05);
  });
});
