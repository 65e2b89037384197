/**
 * Storage of the timer queue: buckets made of chunks, the chunk pool and
 * the heap over the buckets' heads.
 *
 * A bucket is a list of fixed-size chunks (8 slots, doubling to 1024):
 * appending never copies, consumed chunks go back to a pool, and each
 * slot's due time and sequence number live in the chunk's Float64Array, so
 * the garbage collector neither scans nor boxes them.
 * @module
 */
import type { DelayedCall, DelayedCallOwner, DelayedCallSlot } from './delayed-call';

const CHUNK_FIRST = 8;
const CHUNK_MAX = 1024;

/** A run of slots of one bucket. @internal */
export class TimerChunk implements DelayedCallSlot {
  /** The calls; `null` marks a call that moved away. */
  readonly items: (DelayedCall | null)[];
  /** `[time0, seq0, time1, seq1, ...]`. */
  readonly ts: Float64Array;
  /** The function of each pending slot. */
  readonly fns: (((...args: never[]) => unknown) | null)[];
  /** The arguments of each pending slot; created when a call with arguments lands here. */
  argv: (unknown[] | null)[] | null = null;
  /** Slots filled so far. */
  n = 0;
  constructor(
    readonly size: number,
    public bucket: TimerBucket,
  ) {
    this.items = new Array<DelayedCall | null>(size).fill(null);
    this.fns = new Array<((...args: never[]) => unknown) | null>(size).fill(null);
    this.ts = new Float64Array(size * 2);
  }
}

/** One FIFO of calls (one per distinct delay, or private to one moved call). @internal */
export class TimerBucket {
  /** Chunks in order; the head slot is `chunks[0]` at offset `ho`. */
  chunks: TimerChunk[] = [];
  ho = 0;
  /** Heap key: a lower bound of the head call's (time, seq). */
  t = 0;
  s = 0;
  /** Position in the heap; -1 when not in it. */
  hi = -1;
  /** Its integer key in the queue's small-delay map, or -1. */
  smallKey = -1;
  /** The delay this bucket is keyed by in the maps (NaN for the one-off heap's node). */
  delay = NaN;
  constructor(readonly owner: DelayedCallOwner) {}
}

/**
 * Spare chunks (by size) and buckets, so timers recycle their storage
 * instead of allocating it: a wave of timers reuses the chunks of the
 * previous wave (in the 1M-timer benchmark this is a quarter of the whole
 * cost). Every spare was once in use, so the pool never holds more than the
 * busiest moment needed (about 32 bytes per timer at that peak); clear()
 * empties it when the reactor stops.
 * @internal
 */
export class ChunkPool {
  readonly #free = new Map<number, TimerChunk[]>();
  #freeBuckets: TimerBucket[] = [];
  readonly #owner: DelayedCallOwner;

  constructor(owner: DelayedCallOwner) {
    this.#owner = owner;
  }

  /** An empty bucket for `delay`, not yet in the heap or a map. */
  takeBucket(delay: number): TimerBucket {
    const b = this.#freeBuckets.pop() ?? new TimerBucket(this.#owner);
    b.delay = delay;
    b.smallKey = -1;
    b.ho = 0;
    return b;
  }

  /** Take back an empty bucket that left the heap and the maps. */
  giveBucket(b: TimerBucket): void {
    this.#freeBuckets.push(b);
  }

  /** A chunk appended to `b`, after one of `prevSize` slots (0 for the first chunk). */
  take(b: TimerBucket, prevSize: number): TimerChunk {
    const size = prevSize === 0 ? CHUNK_FIRST : Math.min(prevSize * 2, CHUNK_MAX);
    const free = this.#free.get(size);
    let ch: TimerChunk;
    if (free !== undefined && free.length > 0) {
      ch = free.pop() as TimerChunk;
      ch.bucket = b;
    } else {
      ch = new TimerChunk(size, b);
    }
    b.chunks.push(ch);
    return ch;
  }

  /** Take back a chunk no bucket uses any more. */
  give(ch: TimerChunk): void {
    ch.items.fill(null, 0, ch.n);
    ch.fns.fill(null, 0, ch.n);
    ch.argv = null;
    ch.n = 0;
    let free = this.#free.get(ch.size);
    if (free === undefined) {
      free = [];
      this.#free.set(ch.size, free);
    }
    free.push(ch);
  }

  /** Drop every spare chunk and bucket. */
  clear(): void {
    this.#free.clear();
    this.#freeBuckets = [];
  }
}

/** Is bucket `a`'s key before `(t, s)`? @internal */
export function keyLess(a: TimerBucket, t: number, s: number): boolean {
  return a.t < t || (a.t === t && a.s < s);
}

/** A binary min-heap of buckets by their `(t, s)` key; each bucket knows its index. @internal */
export class BucketHeap {
  items: TimerBucket[] = [];

  push(b: TimerBucket): void {
    const heap = this.items;
    b.hi = heap.length;
    heap.push(b);
    this.siftUp(b.hi);
  }

  remove(b: TimerBucket): void {
    const heap = this.items;
    const i = b.hi;
    b.hi = -1;
    const last = heap.pop() as TimerBucket;
    if (last === b) return;
    heap[i] = last;
    last.hi = i;
    this.siftDown(i);
    this.siftUp(last.hi);
  }

  /** Replace the contents with `buckets` (whose `hi` must be their index) and restore heap order. */
  rebuild(buckets: TimerBucket[]): void {
    this.items = buckets;
    for (let i = (buckets.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  siftUp(i: number): void {
    const heap = this.items;
    const b = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pb = heap[p];
      if (!keyLess(b, pb.t, pb.s)) break;
      heap[i] = pb;
      pb.hi = i;
      i = p;
    }
    heap[i] = b;
    b.hi = i;
  }

  siftDown(i: number): void {
    const heap = this.items;
    const n = heap.length;
    const b = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let m = l;
      let mb = heap[l];
      const r = l + 1;
      if (r < n) {
        const rb = heap[r];
        if (keyLess(rb, mb.t, mb.s)) {
          m = r;
          mb = rb;
        }
      }
      if (!keyLess(mb, b.t, b.s)) break;
      heap[i] = mb;
      mb.hi = i;
      i = m;
    }
    heap[i] = b;
    b.hi = i;
  }
}
