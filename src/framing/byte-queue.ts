/**
 * The receive buffer shared by the framing protocols: a queue of the
 * Buffers handed to `dataReceived`, read from the front.
 *
 * Why not one growing Buffer (as Twisted's `self._buffer += data`)? Appending
 * to a single buffer copies everything buffered so far on every chunk, and
 * re-splitting it re-scans it: a long frame arriving in small chunks costs
 * O(n²). Here a chunk is stored as it arrived (the protocol owns the
 * Buffers it is given, so keeping them is safe), a frame that lies inside
 * one chunk is handed out as a `subarray` view (no copy), a frame that spans
 * chunks is copied exactly once when it is complete, and the delimiter
 * search resumes where the previous one stopped.
 * @module
 */
import { ArgTypeError } from '../validate';

const EMPTY = Buffer.alloc(0);

/**
 * Work counters for the framing hot path, so specs can prove linearity by
 * counting instead of timing. `scanned`: bytes examined while searching
 * for delimiters; `copied`: bytes copied to join frames that span chunks.
 * @internal
 */
export const framingCounters = { scanned: 0, copied: 0 };

/** Accept a Uint8Array as a Buffer view (no copy); refuse anything else. @internal */
export function asBuffer(name: string, data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') {
    throw new ArgTypeError(
      `${name} must be a Buffer or Uint8Array, not a string: encode it first, e.g. Buffer.from(text, 'utf8')`,
    );
  }
  throw new ArgTypeError(`${name} must be a Buffer or Uint8Array, got ${data === null ? 'null' : typeof data}`);
}

/**
 * The first offset >= `from` in `c` where `delim` (non-empty) starts, or -1.
 * memchr for the first byte, then a check of the rest: much cheaper per call
 * than Buffer#indexOf with a Buffer needle, and still linear (each candidate
 * costs at most delim.length comparisons).
 */
function findIn(c: Buffer, from: number, delim: Uint8Array): number {
  const first = delim[0]!;
  const dlen = delim.length;
  const last = c.length - dlen;
  let i = from;
  for (;;) {
    i = c.indexOf(first, i);
    if (i < 0 || i > last) {
      framingCounters.scanned += c.length - from;
      return -1;
    }
    let j = 1;
    while (j < dlen && c[i + j] === delim[j]) j++;
    if (j === dlen) {
      framingCounters.scanned += i + dlen - from;
      return i;
    }
    framingCounters.scanned += j;
    i += 1;
  }
}

/**
 * A FIFO of byte chunks with view-or-copy-once reads and a resumable
 * delimiter search.
 * @internal
 */
export class ByteQueue {
  // Live chunks are #chunks[#head..]; the first #off bytes of #chunks[#head] are consumed.
  #chunks: Buffer[] = [];
  #head = 0;
  #off = 0;
  #size = 0;

  // Resumable delimiter search: everything before (#scanIdx, #scanOff) was
  // searched (#scanned bytes from the front) and holds no whole delimiter;
  // its last bytes (at most delimiter.length - 1) are copied to #scratch
  // [0, #tailLen) because a delimiter may start there and end in a later chunk.
  #scanIdx = 0;
  #scanOff = 0;
  #scanned = 0;
  #tailLen = 0;
  #scratch: Buffer = EMPTY;
  #scanDelim: Uint8Array | null = null;

  /** Bytes buffered. */
  get size(): number {
    return this.#size;
  }

  /** Append a chunk (kept as is, not copied). */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  /**
   * The offset (from the front) of the first occurrence of `delim`, or -1.
   * A failed search remembers where it stopped, so calling this again after
   * more chunks arrived only looks at the new bytes (plus the last
   * `delim.length - 1` old ones). The state is reset by every read.
   */
  indexOf(delim: Uint8Array): number {
    const dlen = delim.length;
    if (dlen === 0) return -1;
    if (delim !== this.#scanDelim) {
      // A different delimiter (the protocol may change it between lines): search again from the front.
      this.#resetScan();
      this.#scanDelim = delim;
      if (this.#scratch.length < dlen - 1) this.#scratch = Buffer.allocUnsafe(dlen - 1);
    }
    const chunks = this.#chunks;
    while (this.#scanIdx < chunks.length) {
      const c = chunks[this.#scanIdx]!;
      const start = this.#scanOff;
      if (this.#tailLen > 0) {
        const p = this.#spanningMatch(c, start, delim);
        if (p >= 0) return this.#scanned - this.#tailLen + p;
      }
      const k = findIn(c, start, delim);
      if (k >= 0) return this.#scanned + (k - start);
      const n = c.length - start;
      this.#keepTail(c, start, dlen - 1);
      this.#scanned += n;
      this.#scanIdx += 1;
      this.#scanOff = 0;
    }
    return -1;
  }

  // The first position in the tail where a delimiter starts that ends in c[start..], or -1.
  #spanningMatch(c: Buffer, start: number, delim: Uint8Array): number {
    const tail = this.#scratch;
    const tailLen = this.#tailLen;
    const dlen = delim.length;
    const avail = c.length - start;
    for (let p = 0; p < tailLen; p++) {
      const inTail = tailLen - p;
      // Too few bytes in this chunk to finish a delimiter starting at p: a later chunk will, via the tail.
      if (dlen - inTail > avail) continue;
      let j = 0;
      while (j < inTail && tail[p + j] === delim[j]) j++;
      framingCounters.scanned += j + 1;
      if (j < inTail) continue;
      while (j < dlen && c[start + j - inTail] === delim[j]) j++;
      framingCounters.scanned += j - inTail;
      if (j === dlen) return p;
    }
    return -1;
  }

  /**
   * Remove and return the first `n` bytes (a view if they lie in one chunk,
   * else one copy), then drop `drop` more (a delimiter). n + drop <= size.
   */
  take(n: number, drop = 0): Buffer {
    let out: Buffer = EMPTY;
    if (n > 0) {
      const c = this.#chunks[this.#head]!;
      const off = this.#off;
      if (n <= c.length - off) {
        out = off === 0 && n === c.length ? c : c.subarray(off, off + n);
        this.#advance(n);
      } else {
        out = Buffer.allocUnsafe(n);
        framingCounters.copied += n;
        let filled = 0;
        while (filled < n) {
          const h = this.#chunks[this.#head]!;
          const m = Math.min(n - filled, h.length - this.#off);
          h.copy(out, filled, this.#off, this.#off + m);
          filled += m;
          this.#advance(m);
        }
      }
    }
    if (drop > 0) this.#drop(drop);
    this.#afterRead();
    return out;
  }

  /** Remove and return everything buffered. */
  takeAll(): Buffer {
    return this.take(this.#size);
  }

  /** Drop the first `n` bytes (n <= size). */
  skip(n: number): void {
    this.#drop(n);
    this.#afterRead();
  }

  /** The byte at offset `i` from the front (i < size). */
  byteAt(i: number): number {
    let idx = this.#head;
    let pos = this.#off + i;
    for (;;) {
      const c = this.#chunks[idx]!;
      if (pos < c.length) return c[pos]!;
      pos -= c.length;
      idx += 1;
    }
  }

  /** The unsigned big-endian integer in the first `width` bytes (width <= 6, width <= size). */
  readUIntBE(width: number): number {
    const c = this.#chunks[this.#head]!;
    if (c.length - this.#off >= width) return c.readUIntBE(this.#off, width);
    let v = 0;
    for (let i = 0; i < width; i++) v = v * 256 + this.byteAt(i);
    return v;
  }

  /** Forget everything. */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#off = 0;
    this.#size = 0;
    this.#resetScan();
  }

  #drop(n: number): void {
    let left = n;
    while (left > 0) {
      const avail = this.#chunks[this.#head]!.byteLength - this.#off;
      const m = Math.min(left, avail);
      this.#advance(m);
      left -= m;
    }
  }

  #advance(m: number): void {
    this.#off += m;
    this.#size -= m;
    if (this.#off === this.#chunks[this.#head]!.length) {
      (this.#chunks as Array<Buffer | undefined>)[this.#head] = undefined; // let the GC have it
      this.#head += 1;
      this.#off = 0;
    }
  }

  #afterRead(): void {
    if (this.#size === 0) {
      this.#chunks = [];
      this.#head = 0;
      this.#off = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#chunks.length) {
      // Drop the consumed slots now and then: amortised O(1) per chunk.
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    this.#resetScan();
  }

  #resetScan(): void {
    this.#scanIdx = this.#head;
    this.#scanOff = this.#off;
    this.#scanned = 0;
    this.#tailLen = 0;
  }

  // Keep the last `keep` searched bytes: the old tail followed by c[start..].
  // Byte loops: `keep` is delimiter.length - 1, tiny next to a native call's cost.
  #keepTail(c: Buffer, start: number, keep: number): void {
    if (keep === 0) return;
    const t = this.#scratch;
    const n = c.length - start;
    if (n >= keep) {
      const from = c.length - keep;
      for (let i = 0; i < keep; i++) t[i] = c[from + i]!;
      this.#tailLen = keep;
      return;
    }
    const fromOld = Math.min(this.#tailLen, keep - n);
    const shift = this.#tailLen - fromOld;
    for (let i = 0; i < fromOld; i++) t[i] = t[shift + i]!;
    for (let i = 0; i < n; i++) t[fromOld + i] = c[start + i]!;
    this.#tailLen = fromOld + n;
  }
}
