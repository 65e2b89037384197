/**
 * The receive buffer of a {@link StreamReader}: a queue of the chunks the
 * transport delivered, read from an offset into the first one. Nothing is
 * copied when data arrives; a read that falls inside one chunk returns a
 * view of it (`subarray`), and only a read that spans chunks copies, once.
 * Searching for a separator walks the chunks from a remembered cursor, so a
 * reader that rescans from the offset it reached last (as asyncio's
 * `readuntil` does) stays linear in the bytes received.
 * @module
 */

const EMPTY = Buffer.alloc(0);

/**
 * A queue of bytes made of the chunks fed to it (asyncio's `bytearray`
 * buffer, without the copies). Logical offset 0 is the first unread byte.
 *
 * Subclasses of {@link StreamReader} (telnetlib3's TelnetReader) reach it
 * as the reader's protected `buffer` and may read, search and consume it
 * with these methods.
 */
export class StreamBuffer {
  #chunks: Buffer[] = [];
  #head = 0;
  #off = 0;
  #length = 0;
  // Search cursor: the index of a chunk and the logical offset of that
  // chunk's byte 0 (negative for the head chunk once part of it is read).
  #ci = 0;
  #cstart = 0;

  /** How many unread bytes the buffer holds. */
  get length(): number {
    return this.#length;
  }

  /** Append `data` (kept, not copied: the caller gives it up). An empty chunk is ignored. */
  push(data: Buffer): void {
    if (data.length === 0) return;
    this.#chunks.push(data);
    this.#length += data.length;
  }

  /** The byte at logical offset `i` (0 ≤ i < length), or -1 outside. */
  byteAt(i: number): number {
    if (i < 0 || i >= this.#length) return -1;
    const [ci, cstart] = this.#locate(i);
    return this.#chunks[ci]![i - cstart]!;
  }

  /**
   * The logical offset of the first occurrence of `sep` at or after
   * `from`, or -1. Matches spanning chunk boundaries are found.
   */
  indexOf(sep: Buffer | number, from = 0): number {
    const seplen = typeof sep === 'number' ? 1 : sep.length;
    if (from < 0) from = 0;
    if (seplen === 0) return from <= this.#length ? from : -1;
    if (this.#length - from < seplen) return -1;
    let [i, s] = this.#locate(from);
    const chunks = this.#chunks;
    const n = chunks.length;
    while (i < n) {
      const c = chunks[i]!;
      const lo = i === this.#head ? this.#off : 0;
      const local = Math.max(from - s, lo);
      const k = c.indexOf(sep, local);
      if (k >= 0) return s + k;
      if (seplen > 1 && i + 1 < n) {
        for (let p = Math.max(local, c.length - seplen + 1); p < c.length; p++) {
          if (this.#matchAcross(i, p, sep as Buffer)) return s + p;
        }
      }
      s += c.length;
      i++;
    }
    return -1;
  }

  /**
   * Remove and return the bytes up to and including the first `byte`, if
   * it lies in the first chunk within `maxLen` bytes of the start (the hot
   * path of readline); else null, nothing consumed.
   */
  takeThroughByte(byte: number, maxLen: number): Buffer | null {
    if (this.#length === 0) return null;
    const c = this.#chunks[this.#head]!;
    const off = this.#off;
    const k = c.indexOf(byte, off);
    if (k < 0 || k - off > maxLen) return null;
    const end = k + 1;
    const out = c.subarray(off, end);
    this.#length -= end - off;
    if (end === c.length) {
      this.#off = end;
      this.#advance(0);
    } else {
      this.#off = end;
      this.#ci = this.#head;
      this.#cstart = -end;
    }
    return out;
  }

  /** Whether the bytes at logical offset `at` are `sep`. */
  startsWith(sep: Buffer, at = 0): boolean {
    if (at < 0 || at + sep.length > this.#length) return false;
    if (sep.length === 0) return true;
    const [ci, cstart] = this.#locate(at);
    return this.#matchAcross(ci, at - cstart, sep);
  }

  /**
   * Remove and return the first `n` bytes (at most `length`). A view of the
   * chunk when they lie in one chunk, else one copy.
   */
  take(n: number): Buffer {
    if (n > this.#length) n = this.#length;
    if (n <= 0) return EMPTY;
    const c = this.#chunks[this.#head]!;
    const avail = c.length - this.#off;
    let out: Buffer;
    if (n <= avail) {
      out = this.#off === 0 && n === c.length ? c : c.subarray(this.#off, this.#off + n);
      this.#advance(n);
    } else {
      out = Buffer.allocUnsafe(n);
      this.#copyOut(out, n);
    }
    return out;
  }

  /** The first `n` bytes (at most `length`) without removing them (a copy if they span chunks). */
  peek(n: number = this.#length): Buffer {
    if (n > this.#length) n = this.#length;
    if (n <= 0) return EMPTY;
    const c = this.#chunks[this.#head]!;
    if (n <= c.length - this.#off) return c.subarray(this.#off, this.#off + n);
    const out = Buffer.allocUnsafe(n);
    let pos = 0;
    for (let i = this.#head; pos < n; i++) {
      const ch = this.#chunks[i]!;
      const start = i === this.#head ? this.#off : 0;
      const m = Math.min(ch.length - start, n - pos);
      ch.copy(out, pos, start, start + m);
      pos += m;
    }
    return out;
  }

  /** Remove and return everything. */
  takeAll(): Buffer {
    return this.take(this.#length);
  }

  /** Drop the first `n` bytes (at most `length`). */
  discard(n: number): void {
    if (n > this.#length) n = this.#length;
    while (n > 0) {
      const c = this.#chunks[this.#head]!;
      const m = Math.min(c.length - this.#off, n);
      this.#advance(m);
      n -= m;
    }
  }

  /** Drop everything. */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#off = 0;
    this.#length = 0;
    this.#ci = 0;
    this.#cstart = 0;
  }

  // The chunk holding logical offset `pos` (or the last one, for pos === length).
  #locate(pos: number): [number, number] {
    let i: number;
    let s: number;
    if (this.#ci >= this.#head && this.#ci < this.#chunks.length && this.#cstart <= pos) {
      i = this.#ci;
      s = this.#cstart;
    } else {
      i = this.#head;
      s = -this.#off;
    }
    const chunks = this.#chunks;
    while (i < chunks.length - 1 && s + chunks[i]!.length <= pos) {
      s += chunks[i]!.length;
      i++;
    }
    this.#ci = i;
    this.#cstart = s;
    return [i, s];
  }

  #matchAcross(ci: number, p: number, sep: Buffer): boolean {
    const chunks = this.#chunks;
    let c = chunks[ci]!;
    for (let j = 0; j < sep.length; j++, p++) {
      while (p >= c.length) {
        ci++;
        if (ci >= chunks.length) return false;
        c = chunks[ci]!;
        p = 0;
      }
      if (c[p] !== sep[j]) return false;
    }
    return true;
  }

  #copyOut(out: Buffer, n: number): void {
    let pos = 0;
    while (pos < n) {
      const c = this.#chunks[this.#head]!;
      const m = Math.min(c.length - this.#off, n - pos);
      c.copy(out, pos, this.#off, this.#off + m);
      pos += m;
      this.#advance(m);
    }
  }

  // Consume m bytes of the head chunk (m ≤ what it has left).
  #advance(m: number): void {
    this.#length -= m;
    this.#off += m;
    const c = this.#chunks[this.#head]!;
    if (this.#off === c.length) {
      this.#chunks[this.#head] = EMPTY;
      this.#head++;
      this.#off = 0;
      if (this.#head === this.#chunks.length) {
        this.#chunks = [];
        this.#head = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= this.#chunks.length) {
        this.#chunks = this.#chunks.slice(this.#head);
        this.#head = 0;
      }
    }
    // Offsets shift on consumption: restart the cursor at the head.
    this.#ci = this.#head;
    this.#cstart = -this.#off;
  }
}
