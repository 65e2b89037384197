/**
 * The reactor's timer queue: every `callLater` of one reactor, driven by a
 * single Node timer.
 *
 * Structure (measured fastest, see the performance notes): one FIFO bucket
 * per distinct delay, plus a binary heap over the buckets keyed by each
 * bucket's head `(time, seq)`. Calls appended to one delay's bucket are
 * already in due order (the clock never goes back), so scheduling is an
 * O(1) append; running calls is a k-way merge of the buckets that keeps the
 * exact `(time, seq)` order. Calls that share no delay — a delay not seen
 * recently (a jittered timeout) or a call moved by `delay()` — go to one
 * more source in that merge, a plain binary heap (timer-singles.ts), so
 * all-distinct delays cost what a heap costs.
 *
 * Buckets are lists of chunks (see timer-buckets.ts): appends never copy,
 * and each slot's time and sequence number sit in a Float64Array, out of
 * the garbage collector's way — GC is most of what a million timers cost.
 *
 * Cancellation is lazy: a cancelled call stays in its slot and is skipped
 * when reached; a call moved by `reset()`/`delay()` leaves a `null` behind.
 * When dead slots pass half of all slots (and 50), the queue is compacted.
 * @internal
 * @module
 */
import { Failure } from '../defer/failure';
import type { Logger } from '../logger';
import { checkDelay, checkFunction } from '../validate';
import { DelayedCall, type DelayedCallOwner } from './delayed-call';
import { BucketHeap, ChunkPool, TimerBucket, type TimerChunk, keyLess } from './timer-buckets';
import { SinglesHeap } from './timer-singles';

type Fn = (...args: never[]) => unknown;

// Local copies (a cross-module constant or class read in the hot path can
// compile to a getter call under some CommonJS transpilers).
const CALLED = -1;
const CANCELLED = -2;
const NewDelayedCall = DelayedCall;
const before = keyLess;

// Delays (in microseconds) below this get an integer Map key: it stays a small integer.
const SMALL_KEY_LIMIT = 2 ** 30;
// Recently seen delays that have no bucket yet (a power of two).
const RECENT_SIZE = 256;

const COMPACT_MIN_DEAD = 50;
// Node's setTimeout keeps delays in a 32-bit signed int of milliseconds.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The timer queue. `start()` lets it run due calls (the reactor is in its
 * loop); `stop()` releases every Node handle, leaving the calls pending.
 * @internal
 */
export class TimerQueue implements DelayedCallOwner {
  readonly #log: Logger;
  readonly #read: () => number;
  // Buckets by delay: whole-microsecond delays by an integer key (see #bucketFor), others by the delay.
  readonly #smallBuckets = new Map<number, TimerBucket>();
  readonly #buckets = new Map<number, TimerBucket>();
  readonly #pool: ChunkPool;
  // One-off calls (see timer-singles.ts), and their node in the bucket heap.
  readonly #singles: SinglesHeap;
  readonly #singlesNode: TimerBucket;
  readonly #recent = new Float64Array(RECENT_SIZE).fill(NaN);
  readonly #heap = new BucketHeap();
  #seq = 0;
  // Slots still in buckets (live, cancelled or null) and how many are dead.
  #slots = 0;
  #dead = 0;

  // The clock is read at most once per synchronous turn (each read costs
  // ~80 ns): `#now` caches it until a microtask (outside a pass) or the end
  // of the pass clears it. seconds() always reads afresh and refreshes the
  // cache, so a call scheduled after seconds() is never due earlier than
  // that reading + delay.
  #now = -1;
  #flushQueued = false;
  #inPass = false;

  #started = false;
  // Set by stop() during a pass: the rest of the pass is abandoned.
  #abort = false;
  #handle: NodeJS.Timeout | NodeJS.Immediate | null = null;
  #handleIsImmediate = false;
  #armedAt = Infinity;

  constructor(log: Logger, read: () => number) {
    this.#log = log;
    this.#read = read;
    this.#pool = new ChunkPool(this);
    this.#singles = new SinglesHeap(this);
    this.#singlesNode = new TimerBucket(this);
  }

  // ---- clock -------------------------------------------------------------

  /** A fresh clock reading, which also becomes the cached "now". */
  seconds(): number {
    const t = this.#read();
    this.#setNow(t);
    return t;
  }

  /** The cached time of this turn (reads the clock once per turn). */
  now(): number {
    const t = this.#now;
    if (t >= 0) return t;
    return this.seconds();
  }

  #setNow(t: number): void {
    this.#now = t;
    if (!this.#inPass && !this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    if (this.#inPass) return;
    this.#now = -1;
    this.#arm();
  };

  // ---- scheduling ----------------------------------------------------------

  /** Schedule `fn(...args)` after `delay` seconds (`args` null for none). */
  callLater(delay: number, fn: (...args: never[]) => unknown, args: unknown[] | null): DelayedCall {
    if (typeof delay !== 'number' || !(delay >= 0) || delay === Infinity) checkDelay('delay', delay);
    if (typeof fn !== 'function') checkFunction('fn', fn);
    const time = this.now() + delay;
    const seq = this.#seq++;
    const b = this.#bucketFor(delay, time, seq);
    if (b === null) {
      const single = new NewDelayedCall(this.#singles, 0);
      this.#pushSingle(single, fn, args, time, seq);
      if (time < this.#armedAt) this.#noteDue(time);
      return single;
    }
    let ch = b.chunks[b.chunks.length - 1];
    if (ch.n === ch.size) ch = this.#pool.take(b, ch.size);
    const o = ch.n++;
    const call = new NewDelayedCall(ch, o);
    ch.items[o] = call;
    ch.fns[o] = fn;
    if (args !== null) (ch.argv ??= new Array<unknown[] | null>(ch.size).fill(null))[o] = args;
    ch.ts[2 * o] = time;
    ch.ts[2 * o + 1] = seq;
    this.#slots++;
    if (time < this.#armedAt) this.#noteDue(time);
    return call;
  }

  /**
   * The bucket for a call `delay` seconds out, or null for the heap of
   * one-off calls. Delays below ~18 minutes are found by an integer key
   * (whole microseconds, checked against the exact delay): a Map lookup
   * with a fractional number key allocates a heap number on every
   * callLater. A delay not seen recently (a jittered timeout, a computed
   * deadline) goes to the one-off heap; a delay that recurs gets a FIFO.
   */
  #bucketFor(delay: number, time: number, seq: number): TimerBucket | null {
    const us = delay * 1e6;
    const key = us | 0;
    if (us < SMALL_KEY_LIMIT) {
      const b = this.#smallBuckets.get(key);
      if (b !== undefined && b.delay === delay) return b;
    }
    const b = this.#buckets.get(delay);
    if (b !== undefined) return b;
    const slot = key & (RECENT_SIZE - 1);
    if (this.#recent[slot] === delay) return this.#newBucket(delay, time, seq);
    this.#recent[slot] = delay;
    return null;
  }

  /** Every pending call, earliest first (ties in scheduling order). */
  getDelayedCalls(): DelayedCall[] {
    const found: { c: DelayedCall; t: number; s: number }[] = [];
    for (const b of this.#heap.items) {
      if (b === this.#singlesNode) continue;
      b.chunks.forEach((ch, k) => {
        for (let o = k === 0 ? b.ho : 0; o < ch.n; o++) {
          const c = ch.items[o];
          if (c !== null && c._off >= 0) found.push({ c, t: ch.ts[2 * o], s: ch.ts[2 * o + 1] });
        }
      });
    }
    const sh = this.#singles;
    for (let i = 0; i < sh.n; i++) {
      const c = sh.items[i];
      if (c !== null && c._off >= 0) found.push({ c, t: sh.ts[2 * i], s: sh.ts[2 * i + 1] });
    }
    found.sort((x, y) => x.t - y.t || x.s - y.s);
    return found.map((x) => x.c);
  }

  /** How many calls are pending. */
  get size(): number {
    return this.#slots - this.#dead;
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
    this.#dead++;
    this.#maybeCompact();
  }

  /** @internal */
  _reset(call: DelayedCall, secondsFromNow: number): void {
    const time = this.now() + secondsFromNow;
    const seq = this.#seq++;
    this.#place(this.#bucketFor(secondsFromNow, time, seq), call, time, seq);
    this.#noteDue(time);
    this.#maybeCompact();
  }

  /** @internal */
  _delay(call: DelayedCall, seconds: number): void {
    const time = call.getTime() + seconds;
    // `time` is not `now + some delay`, so no FIFO is sure to stay sorted
    // with it appended: it joins the one-off heap.
    this.#place(null, call, time, this.#seq++);
    this.#noteDue(time);
    this.#maybeCompact();
  }

  /** A new, empty FIFO for `delay`, in the maps and in the heap with key `(time, seq)`. */
  #newBucket(delay: number, time: number, seq: number): TimerBucket {
    const b = this.#pool.takeBucket(delay);
    const us = delay * 1e6;
    if (us < SMALL_KEY_LIMIT && !this.#smallBuckets.has(us | 0)) {
      this.#smallBuckets.set(us | 0, b);
      b.smallKey = us | 0;
    } else {
      this.#buckets.set(delay, b);
    }
    this.#pool.take(b, 0);
    b.t = time;
    b.s = seq;
    this.#heap.push(b);
    return b;
  }

  /** Forget an empty bucket (already out of the heap): out of the maps, back to the pool. */
  #dropBucket(b: TimerBucket): void {
    if (b.smallKey >= 0) this.#smallBuckets.delete(b.smallKey);
    else this.#buckets.delete(b.delay);
    this.#pool.giveBucket(b);
  }

  /** Add a call to the one-off heap, keeping the heap node's key a lower bound. */
  #pushSingle(call: DelayedCall, fn: Fn | null, args: unknown[] | null, time: number, seq: number): void {
    const sh = this.#singles;
    sh.push(call, fn, args, time, seq);
    this.#slots++;
    if (sh.items[0] === call) {
      const node = this.#singlesNode;
      node.t = time;
      node.s = seq;
      if (node.hi < 0) this.#heap.push(node);
      else this.#heap.siftUp(node.hi);
    }
  }

  /**
   * Move a pending call to the end of bucket `b` (null: the one-off heap)
   * with a new time and sequence number, leaving `null` in its old slot.
   */
  #place(b: TimerBucket | null, call: DelayedCall, time: number, seq: number): void {
    const from = call._chunk as TimerChunk | SinglesHeap;
    const fo = call._off;
    const fn = from.fns[fo];
    const args = from.argv === null ? null : from.argv[fo];
    from.items[fo] = null;
    from.fns[fo] = null;
    if (from.argv !== null) from.argv[fo] = null;
    this.#dead++;
    if (b === null) this.#pushSingle(call, fn, args ?? null, time, seq);
    else this.#append(b, call, fn, args ?? null, time, seq);
  }

  /** Append `call` to bucket `b`. */
  #append(
    b: TimerBucket,
    call: DelayedCall,
    fn: Fn | null,
    args: unknown[] | null,
    time: number,
    seq: number,
  ): void {
    let ch = b.chunks[b.chunks.length - 1];
    if (ch.n === ch.size) ch = this.#pool.take(b, ch.size);
    const o = ch.n++;
    ch.items[o] = call;
    ch.fns[o] = fn;
    if (args !== null) (ch.argv ??= new Array<unknown[] | null>(ch.size).fill(null))[o] = args;
    ch.ts[2 * o] = time;
    ch.ts[2 * o + 1] = seq;
    call._chunk = ch;
    call._off = o;
    this.#slots++;
  }

  /** A call due at `time` was added: make sure the Node timer fires by then. */
  #noteDue(time: number): void {
    if (!this.#started || time >= this.#armedAt) return;
    // Arming is deferred to the end of this turn (a microtask, or the end of
    // the pass), so a burst of callLaters re-arms the Node timer once.
    if (!this.#inPass && !this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
  }

  // ---- running ---------------------------------------------------------------

  /** Let due calls run (the reactor entered its loop). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#arm();
  }

  /** Stop running calls, release the Node timer and the spare chunks; pending calls stay. */
  stop(): void {
    this.#started = false;
    if (this.#inPass) this.#abort = true;
    this.#disarm();
    this.#pool.clear();
  }

  /** True between start() and stop(). */
  get started(): boolean {
    return this.#started;
  }

  readonly #onTimer = (): void => {
    this.#handle = null;
    this.#armedAt = Infinity;
    if (!this.#started) return;
    this.#runDue();
    this.#arm();
  };

  /**
   * One pass (Twisted's `runUntilCurrent`): run every call due now, in
   * (time, seq) order. The reactor's Node timer calls this; tests drive it
   * directly with a fake clock.
   * @internal
   */
  runUntilCurrent(): void {
    if (this.#inPass) throw new Error('runUntilCurrent() is not re-entrant');
    this.#runDue();
  }

  /**
   * Calls scheduled (or moved) during the pass have a sequence number >=
   * `limit` and wait for the next pass, even when already due.
   */
  #runDue(): void {
    const now = this.#read();
    this.#now = now;
    this.#inPass = true;
    this.#abort = false;
    const limit = this.#seq;
    const heap = this.#heap.items;
    try {
      outer: while (heap.length > 0 && !this.#abort) {
        const b = heap[0];
        if (b === this.#singlesNode) {
          if (this.#runSingles(now, limit)) continue;
          break;
        }
        let ch = b.chunks[0];
        let items = ch.items;
        let ts = ch.ts;
        let fns = ch.fns;
        let o = b.ho;
        for (;;) {
          if (o >= ch.n) {
            // End of the filled slots: the bucket is drained, unless this
            // chunk is full and another follows.
            if (o < ch.size || b.chunks.length === 1) break;
            b.chunks.shift();
            this.#pool.give(ch);
            ch = b.chunks[0];
            items = ch.items;
            ts = ch.ts;
            fns = ch.fns;
            o = 0;
            b.ho = 0;
            continue;
          }
          const c = items[o];
          if (c === null || c._off < 0) {
            o++;
            this.#slots--;
            this.#dead--;
            continue;
          }
          const t = ts[2 * o];
          const s = ts[2 * o + 1];
          // Another bucket may hold an earlier call: hand over to the heap.
          // (A call run below may also have pushed a bucket above this one.)
          const c1 = heap[1];
          const c2 = heap[2];
          if (heap[0] !== b || (c1 !== undefined && before(c1, t, s)) || (c2 !== undefined && before(c2, t, s))) {
            break;
          }
          // The earliest pending call is not due, or was scheduled during
          // this pass (then every later one was too, or is not due): done.
          if (t > now || s >= limit || this.#abort) {
            b.ho = o;
            this.#settle(b);
            break outer;
          }
          o++;
          b.ho = o;
          this.#slots--;
          // `called` is set before the function runs, as in Twisted.
          c._off = CALLED;
          c._chunk = t;
          const fn = fns[o - 1] as (...args: unknown[]) => unknown;
          fns[o - 1] = null;
          const argv = ch.argv;
          let args: unknown[] | null = null;
          if (argv !== null) {
            args = argv[o - 1];
            argv[o - 1] = null;
          }
          try {
            if (args === null) fn();
            else fn(...args);
          } catch (err) {
            this.#log.failure(`Unhandled error in delayed call ${fn.name || '<anonymous>'}`, new Failure(err));
          }
        }
        b.ho = o;
        this.#settle(b);
      }
    } finally {
      this.#inPass = false;
      this.#now = -1;
    }
    this.#maybeCompact();
  }

  /**
   * After a bucket's head moved: drop dead head slots (recycling consumed
   * chunks), re-key it from its first live call and restore the heap, or
   * remove it when empty.
   */
  #settle(b: TimerBucket): void {
    if (b === this.#singlesNode) {
      this.#settleSingles();
      return;
    }
    const chunks = b.chunks;
    let ch = chunks[0];
    let o = b.ho;
    for (;;) {
      if (o >= ch.n) {
        if (o < ch.size || chunks.length === 1) break;
        chunks.shift();
        this.#pool.give(ch);
        ch = chunks[0];
        o = 0;
        continue;
      }
      const c = ch.items[o];
      if (c !== null && c._off >= 0) break;
      o++;
      this.#slots--;
      this.#dead--;
    }
    b.ho = o;
    if (o >= ch.n) {
      // Empty: leave the heap and the map; chunk and bucket go back to the pool.
      this.#heap.remove(b);
      chunks.length = 0;
      this.#pool.give(ch);
      this.#dropBucket(b);
      return;
    }
    b.t = ch.ts[2 * o];
    b.s = ch.ts[2 * o + 1];
    this.#heap.siftDown(b.hi);
  }

  /**
   * The pass on the one-off heap: run its top while it is the earliest
   * pending call and due. @returns true to go on with the pass (another
   * bucket is earlier now, or the heap is empty), false when it is over.
   */
  #runSingles(now: number, limit: number): boolean {
    const sh = this.#singles;
    const node = this.#singlesNode;
    const heap = this.#heap.items;
    for (;;) {
      if (sh.n === 0) {
        this.#heap.remove(node);
        sh.reset();
        return true;
      }
      const c = sh.items[0];
      if (c === null || c._off < 0) {
        sh.pop();
        this.#slots--;
        this.#dead--;
        continue;
      }
      const t = sh.ts[0];
      const s = sh.ts[1];
      const c1 = heap[1];
      const c2 = heap[2];
      const handOver = heap[0] !== node || (c1 !== undefined && before(c1, t, s)) || (c2 !== undefined && before(c2, t, s));
      if (handOver || t > now || s >= limit || this.#abort) {
        node.t = t;
        node.s = s;
        this.#heap.siftDown(node.hi);
        return handOver;
      }
      const fn = sh.fns[0] as (...args: unknown[]) => unknown;
      const args = sh.argv === null ? null : (sh.argv[0] ?? null);
      sh.pop();
      this.#slots--;
      c._off = CALLED;
      c._chunk = t;
      try {
        if (args === null) fn();
        else fn(...args);
      } catch (err) {
        this.#log.failure(`Unhandled error in delayed call ${fn.name || '<anonymous>'}`, new Failure(err));
      }
    }
  }

  /** #settle for the one-off heap: drop dead tops, re-key its node, or take it out when empty. */
  #settleSingles(): void {
    const sh = this.#singles;
    const node = this.#singlesNode;
    while (sh.n > 0) {
      const c = sh.items[0];
      if (c !== null && c._off >= 0) break;
      sh.pop();
      this.#slots--;
      this.#dead--;
    }
    if (sh.n === 0) {
      this.#heap.remove(node);
      sh.reset();
      return;
    }
    node.t = sh.ts[0];
    node.s = sh.ts[1];
    this.#heap.siftDown(node.hi);
  }

  /** Point the single Node timer at the earliest pending call. */
  #arm(): void {
    if (!this.#started) return;
    const heap = this.#heap.items;
    // Make the root's key exact (its head may have been cancelled or moved).
    const sh = this.#singles;
    while (heap.length > 0) {
      const b = heap[0];
      if (b === this.#singlesNode) {
        const c = sh.items[0];
        if (c !== null && c._off >= 0 && b.t === sh.ts[0] && b.s === sh.ts[1]) break;
      } else {
        const ch = b.chunks[0];
        const c = ch.items[b.ho];
        if (b.ho < ch.n && c !== null && c._off >= 0) break;
      }
      this.#settle(b);
    }
    if (heap.length === 0) {
      this.#disarm();
      return;
    }
    const due = heap[0].t;
    // A timer already set to fire no later than `due` will re-arm when it fires.
    if (this.#handle !== null && this.#armedAt <= due) return;
    this.#disarm();
    const delta = due - this.#read();
    this.#armedAt = due;
    if (delta <= 0) {
      // Already due: no 1 ms setTimeout floor.
      this.#handle = setImmediate(this.#onTimer);
      this.#handleIsImmediate = true;
    } else {
      this.#handle = setTimeout(this.#onTimer, Math.min(Math.ceil(delta * 1000), MAX_TIMEOUT_MS));
      this.#handleIsImmediate = false;
    }
  }

  #disarm(): void {
    const h = this.#handle;
    if (h !== null) {
      if (this.#handleIsImmediate) clearImmediate(h as NodeJS.Immediate);
      else clearTimeout(h as NodeJS.Timeout);
      this.#handle = null;
    }
    this.#armedAt = Infinity;
  }

  // ---- compaction ------------------------------------------------------------

  #maybeCompact(): void {
    if (this.#inPass) return;
    const dead = this.#dead;
    if (dead <= COMPACT_MIN_DEAD || dead * 2 <= this.#slots) return;
    const kept: TimerBucket[] = [];
    const live = this.#slots - dead;
    for (const b of this.#heap.items) {
      if (b === this.#singlesNode) {
        b.hi = -1;
        if (this.#singles.compact() === 0) {
          this.#singles.reset();
          continue;
        }
        b.t = this.#singles.ts[0];
        b.s = this.#singles.ts[1];
        b.hi = kept.length;
        kept.push(b);
        continue;
      }
      const old = b.chunks;
      b.chunks = [];
      this.#pool.take(b, 0);
      old.forEach((ch, k) => {
        for (let o = k === 0 ? b.ho : 0; o < ch.n; o++) {
          const c = ch.items[o];
          if (c !== null && c._off >= 0) {
            this.#append(b, c, ch.fns[o], ch.argv === null ? null : ch.argv[o], ch.ts[2 * o], ch.ts[2 * o + 1]);
          }
        }
        this.#pool.give(ch);
      });
      b.ho = 0;
      b.hi = -1;
      const first = b.chunks[0];
      if (first.n === 0) {
        b.chunks.length = 0;
        this.#pool.give(first);
        this.#dropBucket(b);
        continue;
      }
      b.t = first.ts[0];
      b.s = first.ts[1];
      b.hi = kept.length;
      kept.push(b);
    }
    this.#heap.rebuild(kept);
    // (#append counted every kept bucket call a second time; the one-off
    // heap compacted in place.)
    this.#slots = live;
    this.#dead = 0;
  }
}
