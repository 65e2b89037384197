/**
 * The timer queue's storage: FIFO buckets per recurring delay, the heap of
 * one-off calls, the heap over both, cancellation, moves and compaction.
 * `TimerQueue` (timers.ts) adds the clock, the passes and the Node timer.
 * @module
 */
import type { Logger } from '../logger';
import type { DelayedCall, DelayedCallOwner } from './delayed-call';
import { BucketHeap, ChunkPool, TimerBucket, type TimerChunk } from './timer-buckets';
import { SinglesHeap } from './timer-singles';

type Fn = (...args: never[]) => unknown;

const CANCELLED = -2;
// Delays (in microseconds) below this get an integer Map key: it stays a small integer.
const SMALL_KEY_LIMIT = 2 ** 30;
// Recently seen delays that have no bucket yet (a power of two).
const RECENT_SIZE = 256;
const COMPACT_MIN_DEAD = 50;

/**
 * Where pending calls live. Fields are `protected` (not `#`) because the
 * queue's hot paths, in the subclass, use them directly.
 * @internal
 */
export abstract class TimerStore implements DelayedCallOwner {
  protected readonly log: Logger;
  // Buckets by delay: whole-microsecond delays by an integer key (see bucketFor), others by the delay.
  protected readonly smallBuckets = new Map<number, TimerBucket>();
  protected readonly buckets = new Map<number, TimerBucket>();
  protected readonly pool: ChunkPool;
  // One-off calls (see timer-singles.ts), and their node in the bucket heap.
  protected readonly singles: SinglesHeap;
  protected readonly singlesNode: TimerBucket;
  protected readonly recent = new Float64Array(RECENT_SIZE).fill(NaN);
  protected readonly heap = new BucketHeap();
  protected seq = 0;
  // Slots still in buckets or the one-off heap (live, cancelled or null) and how many are dead.
  protected slots = 0;
  protected dead = 0;
  /** True while a pass runs calls (the store must not compact then). */
  protected inPass = false;

  constructor(log: Logger) {
    this.log = log;
    this.pool = new ChunkPool(this);
    this.singles = new SinglesHeap(this);
    this.singlesNode = new TimerBucket(this);
  }

  /** The time calls are scheduled from (the clock of the current turn). */
  abstract now(): number;
  /** A call due at `time` was added or moved. */
  protected abstract noteDue(time: number): void;

  /** How many calls are pending. */
  get size(): number {
    return this.slots - this.dead;
  }

  /**
   * The bucket for a call `delay` seconds out, or null for the heap of
   * one-off calls. Delays below ~18 minutes are found by an integer key
   * (whole microseconds, checked against the exact delay): a Map lookup
   * with a fractional number key allocates a heap number on every
   * callLater. A delay not seen recently (a jittered timeout, a computed
   * deadline) goes to the one-off heap; a delay that recurs gets a FIFO.
   */
  protected bucketFor(delay: number, time: number, seq: number): TimerBucket | null {
    const us = delay * 1e6;
    const key = us | 0;
    if (us < SMALL_KEY_LIMIT) {
      const b = this.smallBuckets.get(key);
      if (b !== undefined && b.delay === delay) return b;
    }
    // (Most delays use the integer-keyed map: skip the other one, and its
    // boxed key, when it is empty.)
    if (this.buckets.size !== 0) {
      const b = this.buckets.get(delay);
      if (b !== undefined) return b;
    }
    const slot = key & (RECENT_SIZE - 1);
    if (this.recent[slot] === delay) return this.newBucket(delay, time, seq);
    this.recent[slot] = delay;
    return null;
  }

  /** Every pending call, earliest first (ties in scheduling order). */
  getDelayedCalls(): DelayedCall[] {
    const found: { c: DelayedCall; t: number; s: number }[] = [];
    for (const b of this.heap.items) {
      if (b === this.singlesNode) continue;
      b.chunks.forEach((ch, k) => {
        for (let o = k === 0 ? b.ho : 0; o < ch.n; o++) {
          const c = ch.items[o];
          if (c !== null && c._off >= 0) found.push({ c, t: ch.ts[2 * o], s: ch.ts[2 * o + 1] });
        }
      });
    }
    const sh = this.singles;
    for (let i = 0; i < sh.n; i++) {
      const c = sh.items[i];
      if (c !== null && c._off >= 0) found.push({ c, t: sh.ts[2 * i], s: sh.ts[2 * i + 1] });
    }
    found.sort((x, y) => x.t - y.t || x.s - y.s);
    return found.map((x) => x.c);
  }

  /** @internal */
  _cancel(call: DelayedCall): void {
    const ch = call._chunk as TimerChunk | SinglesHeap;
    const o = call._off;
    // The slot keeps the call (now marked cancelled) until it is skipped;
    // the function and arguments are dropped at once, as in Twisted.
    ch.fns[o] = null;
    if (ch.argv !== null) ch.argv[o] = null;
    call._chunk = ch.ts[2 * o];
    call._off = CANCELLED;
    this.dead++;
    this.maybeCompact();
  }

  /** @internal */
  _reset(call: DelayedCall, secondsFromNow: number): void {
    const time = this.now() + secondsFromNow;
    const seq = this.seq++;
    this.place(this.bucketFor(secondsFromNow, time, seq), call, time, seq);
    this.noteDue(time);
    this.maybeCompact();
  }

  /** @internal */
  _delay(call: DelayedCall, seconds: number): void {
    const time = call.getTime() + seconds;
    // `time` is not `now + some delay`, so no FIFO is sure to stay sorted
    // with it appended: it joins the one-off heap.
    this.place(null, call, time, this.seq++);
    this.noteDue(time);
    this.maybeCompact();
  }

  /** A new, empty FIFO for `delay`, in the maps and in the heap with key `(time, seq)`. */
  protected newBucket(delay: number, time: number, seq: number): TimerBucket {
    const b = this.pool.takeBucket(delay);
    const us = delay * 1e6;
    if (us < SMALL_KEY_LIMIT && !this.smallBuckets.has(us | 0)) {
      this.smallBuckets.set(us | 0, b);
      b.smallKey = us | 0;
    } else {
      this.buckets.set(delay, b);
    }
    this.pool.take(b, 0);
    b.t = time;
    b.s = seq;
    this.heap.push(b);
    return b;
  }

  /** Forget an empty bucket (already out of the heap): out of the maps, back to the pool. */
  protected dropBucket(b: TimerBucket): void {
    if (b.smallKey >= 0) this.smallBuckets.delete(b.smallKey);
    else this.buckets.delete(b.delay);
    this.pool.giveBucket(b);
  }

  /** Add a call to the one-off heap, keeping the heap node's key a lower bound. */
  protected pushSingle(call: DelayedCall, fn: Fn | null, args: unknown[] | null, time: number, seq: number): void {
    const sh = this.singles;
    sh.push(call, fn, args, time, seq);
    this.slots++;
    if (sh.items[0] === call) {
      const node = this.singlesNode;
      node.t = time;
      node.s = seq;
      if (node.hi < 0) this.heap.push(node);
      else this.heap.siftUp(node.hi);
    }
  }

  /**
   * Move a pending call to the end of bucket `b` (null: the one-off heap)
   * with a new time and sequence number, leaving `null` in its old slot.
   */
  protected place(b: TimerBucket | null, call: DelayedCall, time: number, seq: number): void {
    const from = call._chunk as TimerChunk | SinglesHeap;
    const fo = call._off;
    const fn = from.fns[fo];
    const args = from.argv === null ? null : from.argv[fo];
    from.items[fo] = null;
    from.fns[fo] = null;
    if (from.argv !== null) from.argv[fo] = null;
    this.dead++;
    if (b === null) this.pushSingle(call, fn, args ?? null, time, seq);
    else this.append(b, call, fn, args ?? null, time, seq);
  }

  /** Append `call` to bucket `b`. */
  protected append(b: TimerBucket, call: DelayedCall, fn: Fn | null, args: unknown[] | null, time: number, seq: number): void {
    let ch = b.chunks[b.chunks.length - 1];
    if (ch.n === ch.size) ch = this.pool.take(b, ch.size);
    const o = ch.n++;
    ch.items[o] = call;
    ch.fns[o] = fn;
    if (args !== null) (ch.argv ??= new Array<unknown[] | null>(ch.size).fill(null))[o] = args;
    ch.ts[2 * o] = time;
    ch.ts[2 * o + 1] = seq;
    call._chunk = ch;
    call._off = o;
    this.slots++;
  }

  /**
   * After a bucket's head moved: drop dead head slots (recycling consumed
   * chunks), re-key it from its first live call and restore the heap, or
   * remove it when empty.
   */
  protected settle(b: TimerBucket): void {
    if (b === this.singlesNode) {
      this.settleSingles();
      return;
    }
    const chunks = b.chunks;
    let ch = chunks[0];
    let o = b.ho;
    for (;;) {
      if (o >= ch.n) {
        if (o < ch.size || chunks.length === 1) break;
        chunks.shift();
        this.pool.give(ch);
        ch = chunks[0];
        o = 0;
        continue;
      }
      const c = ch.items[o];
      if (c !== null && c._off >= 0) break;
      o++;
      this.slots--;
      this.dead--;
    }
    b.ho = o;
    if (o >= ch.n) {
      // Empty: leave the heap and the map; chunk and bucket go back to the pool.
      this.heap.remove(b);
      chunks.length = 0;
      this.pool.give(ch);
      this.dropBucket(b);
      return;
    }
    b.t = ch.ts[2 * o];
    b.s = ch.ts[2 * o + 1];
    this.heap.siftDown(b.hi);
  }

  /** #settle for the one-off heap: drop dead tops, re-key its node, or take it out when empty. */
  protected settleSingles(): void {
    const sh = this.singles;
    const node = this.singlesNode;
    while (sh.n > 0) {
      const c = sh.items[0];
      if (c !== null && c._off >= 0) break;
      sh.pop();
      this.slots--;
      this.dead--;
    }
    if (sh.n === 0) {
      this.heap.remove(node);
      sh.reset();
      return;
    }
    node.t = sh.ts[0];
    node.s = sh.ts[1];
    this.heap.siftDown(node.hi);
  }

  // ---- compaction ------------------------------------------------------------

  protected maybeCompact(): void {
    if (this.inPass) return;
    const dead = this.dead;
    if (dead <= COMPACT_MIN_DEAD || dead * 2 <= this.slots) return;
    const kept: TimerBucket[] = [];
    const live = this.slots - dead;
    for (const b of this.heap.items) {
      if (b === this.singlesNode) {
        b.hi = -1;
        if (this.singles.compact() === 0) {
          this.singles.reset();
          continue;
        }
        b.t = this.singles.ts[0];
        b.s = this.singles.ts[1];
        b.hi = kept.length;
        kept.push(b);
        continue;
      }
      const old = b.chunks;
      b.chunks = [];
      this.pool.take(b, 0);
      old.forEach((ch, k) => {
        for (let o = k === 0 ? b.ho : 0; o < ch.n; o++) {
          const c = ch.items[o];
          if (c !== null && c._off >= 0) {
            this.append(b, c, ch.fns[o], ch.argv === null ? null : ch.argv[o], ch.ts[2 * o], ch.ts[2 * o + 1]);
          }
        }
        this.pool.give(ch);
      });
      b.ho = 0;
      b.hi = -1;
      const first = b.chunks[0];
      if (first.n === 0) {
        b.chunks.length = 0;
        this.pool.give(first);
        this.dropBucket(b);
        continue;
      }
      b.t = first.ts[0];
      b.s = first.ts[1];
      b.hi = kept.length;
      kept.push(b);
    }
    this.heap.rebuild(kept);
    // (#append counted every kept bucket call a second time; the one-off
    // heap compacted in place.)
    this.slots = live;
    this.dead = 0;
  }
}
