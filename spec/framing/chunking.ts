/**
 * Ways to cut a byte stream into dataReceived chunks, for the framing specs.
 * Every chunk is a fresh Buffer, as a transport would hand over.
 */
import fc from 'fast-check';

/** Cut `data` at the given positions (sorted, unique, inside 1..length-1). */
export function cutAt(data: Buffer, cuts: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(Buffer.from(data.subarray(prev, c)));
    prev = c;
  }
  out.push(Buffer.from(data.subarray(prev)));
  return out;
}

/** Every split of `data` into two chunks (including an empty first or last chunk). */
export function everySplit(data: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let i = 0; i <= data.length; i++) {
    out.push([Buffer.from(data.subarray(0, i)), Buffer.from(data.subarray(i))]);
  }
  return out;
}

/** One chunk per byte. */
export function oneByteChunks(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i++) out.push(Buffer.from(data.subarray(i, i + 1)));
  return out;
}

/** Chunks of `size` bytes (the last one shorter). */
export function packets(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(Buffer.from(data.subarray(i, i + size)));
  return out;
}

/** All the chunkings the specs try: whole, every two-way split, one byte at a time, packets of 1..9. */
export function standardChunkings(data: Buffer): Buffer[][] {
  const out: Buffer[][] = [[Buffer.from(data)], oneByteChunks(data)];
  out.push(...everySplit(data));
  for (let size = 2; size < 10; size++) out.push(packets(data, size));
  return out;
}

/** A fast-check arbitrary of cut positions for a stream of `length` bytes. */
export function arbitraryCuts(length: number): fc.Arbitrary<number[]> {
  if (length < 2) return fc.constant([]);
  return fc
    .uniqueArray(fc.integer({ min: 1, max: length - 1 }), { maxLength: Math.min(length - 1, 64) })
    .map((cuts) => cuts.sort((a, b) => a - b));
}

/** The concatenation of `parts` with `sep` after each one. */
export function joinWith(parts: readonly Buffer[], sep: Buffer): Buffer {
  return Buffer.concat(parts.flatMap((p) => [p, sep]));
}

/** Buffers as strings, for readable assertions. */
export function strs(bufs: readonly Buffer[]): string[] {
  return bufs.map((b) => b.toString('latin1'));
}
