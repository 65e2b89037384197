/**
 * The reactor's timer queue: every `callLater` of one reactor, driven by a
 * single Node timer.
 *
 * Structure (measured fastest, see the performance notes): one FIFO bucket
 * per distinct delay, plus a binary heap over the buckets keyed by each
 * bucket's head `(time, seq)`. Calls appended to one delay's bucket are
 * already in due order (the clock never goes back), so scheduling is an
 * O(1) append; running calls is a k-way merge of the buckets that keeps the
 * exact `(time, seq)` order. Calls whose time is not `now + delay` (moved by
 * `delay()`) get a private one-call bucket, which degrades gracefully to a
 * plain heap.
 *
 * Cancellation is lazy: a cancelled call stays in its bucket and is skipped
 * when reached; a call moved by `reset()`/`delay()` leaves a `null` behind.
 * When dead slots pass half of all slots (and 50), the queue is compacted.
 * @internal
 * @module
 */
import { Failure } from '../defer/failure';
import type { Logger } from '../logger';
import { checkDelay, checkFunction } from '../validate';
import { CALLED, CANCELLED, DelayedCall, type DelayedCallOwner, type DelayedCallSlot } from './delayed-call';

/** One FIFO of calls (one per distinct delay, or private to one moved call). @internal */
export class TimerBucket implements DelayedCallSlot {
  /** Slots from `head` on; `null` marks a call that moved away. */
  items: (DelayedCall | null)[] = [];
  /** Due time of each slot (a number array keeps doubles unboxed). */
  times: number[] = [];
  /** Sequence number of each slot. */
  seqs: number[] = [];
  /** Index in `items` of the first slot not yet consumed. */
  head = 0;
  /** Absolute index of `items[0]` (calls remember absolute indices). */
  base = 0;
  /** Heap key: a lower bound of the head call's (time, seq). */
  t = 0;
  s = 0;
  /** Position in the heap; -1 when not in it. */
  hi = -1;
  constructor(
    readonly owner: TimerQueue,
    /** The delay this bucket is keyed by in the map (unused when private). */
    readonly delay: number,
    /** True for a one-call bucket of a call moved by delay(). */
    readonly isPrivate: boolean,
  ) {}
}

const COMPACT_MIN_DEAD = 50;
// Trim a long-lived bucket's consumed prefix once it is this long and most of the array.
const TRIM_MIN = 1024;
// Node's setTimeout keeps delays in a 32-bit signed int of milliseconds.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function keyLess(a: TimerBucket, t: number, s: number): boolean {
  return a.t < t || (a.t === t && a.s < s);
}

/**
 * The timer queue. `start()` lets it run due calls (the reactor is in its
 * loop); `stop()` releases every Node handle, leaving the calls pending.
 * @internal
 */
export class TimerQueue implements DelayedCallOwner {
  readonly #log: Logger;
  readonly #read: () => number;
  readonly #buckets = new Map<number, TimerBucket>();
  #heap: TimerBucket[] = [];
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
  #handle: NodeJS.Timeout | NodeJS.Immediate | null = null;
  #handleIsImmediate = false;
  #armedAt = Infinity;

  constructor(log: Logger, read: () => number) {
    this.#log = log;
    this.#read = read;
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
    let b = this.#buckets.get(delay);
    if (b === undefined) b = this.#newBucket(delay, time);
    const items = b.items;
    const call = new DelayedCall(b, b.base + items.length, fn, args);
    items.push(call);
    b.times.push(time);
    b.seqs.push(this.#seq++);
    this.#slots++;
    if (time < this.#armedAt) this.#noteDue(time);
    return call;
  }

  /** Every pending call, earliest first (ties in scheduling order). */
  getDelayedCalls(): DelayedCall[] {
    const found: { c: DelayedCall; t: number; s: number }[] = [];
    for (const b of this.#heap) {
      const items = b.items;
      for (let i = b.head; i < items.length; i++) {
        const c = items[i];
        if (c !== null && c._idx >= 0) found.push({ c, t: b.times[i], s: b.seqs[i] });
      }
    }
    found.sort((x, y) => x.t - y.t || x.s - y.s);
    return found.map((x) => x.c);
  }

  /** How many calls are pending. */
  get size(): number {
    return this.#slots - this.#dead;
  }

  /** @internal */
  _timeOf(call: DelayedCall): number {
    const b = call._bucket as TimerBucket;
    return b.times[call._idx - b.base];
  }

  /** @internal */
  _cancel(call: DelayedCall): void {
    const b = call._bucket as TimerBucket;
    // The slot keeps the call (now marked cancelled) until it is skipped.
    call._t = b.times[call._idx - b.base];
    call._idx = CANCELLED;
    call._bucket = null;
    call._fn = null;
    call._args = null;
    this.#dead++;
    this.#maybeCompact();
  }

  /** @internal */
  _reset(call: DelayedCall, secondsFromNow: number): void {
    this.#vacate(call);
    const time = this.now() + secondsFromNow;
    let b = this.#buckets.get(secondsFromNow);
    if (b === undefined) b = this.#newBucket(secondsFromNow, time);
    this.#place(b, call, time);
    this.#maybeCompact();
  }

  /** @internal */
  _delay(call: DelayedCall, seconds: number): void {
    const time = this._timeOf(call) + seconds;
    this.#vacate(call);
    // `time` is not `now + some delay`, so no shared FIFO is sure to stay
    // sorted with it appended: the call gets a bucket of its own.
    this.#place(this.#newBucket(NaN, time), call, time);
    this.#maybeCompact();
  }

  #newBucket(delay: number, time: number): TimerBucket {
    const isPrivate = delay !== delay;
    const b = new TimerBucket(this, delay, isPrivate);
    if (!isPrivate) this.#buckets.set(delay, b);
    b.t = time;
    b.s = this.#seq;
    this.#heapPush(b);
    return b;
  }

  #vacate(call: DelayedCall): void {
    const b = call._bucket as TimerBucket;
    b.items[call._idx - b.base] = null;
    this.#dead++;
  }

  #place(b: TimerBucket, call: DelayedCall, time: number): void {
    const items = b.items;
    call._bucket = b;
    call._idx = b.base + items.length;
    items.push(call);
    b.times.push(time);
    b.seqs.push(this.#seq++);
    this.#slots++;
    if (time < this.#armedAt) this.#noteDue(time);
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

  /** Stop running calls and release the Node timer; pending calls stay. */
  stop(): void {
    this.#started = false;
    this.#disarm();
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
   * One pass: run every call due now, in (time, seq) order. Calls scheduled
   * (or moved) during the pass have a sequence number >= `limit` and wait
   * for the next pass, even when already due.
   */
  #runDue(): void {
    const now = this.#read();
    this.#now = now;
    this.#inPass = true;
    const limit = this.#seq;
    const heap = this.#heap;
    try {
      outer: while (heap.length > 0 && this.#started) {
        const b = heap[0];
        const items = b.items;
        const times = b.times;
        const seqs = b.seqs;
        let i = b.head;
        for (;;) {
          if (i >= items.length) break;
          const c = items[i];
          if (c === null || c._idx < 0) {
            i++;
            this.#slots--;
            this.#dead--;
            continue;
          }
          const t = times[i];
          const s = seqs[i];
          if (t > now || s >= limit || !this.#started) {
            b.head = i;
            this.#settle(b);
            break outer;
          }
          // Another bucket may hold an earlier call: hand over to the heap.
          // (A call run below may also have pushed a bucket above this one.)
          const c1 = heap[1];
          const c2 = heap[2];
          if (heap[0] !== b || (c1 !== undefined && keyLess(c1, t, s)) || (c2 !== undefined && keyLess(c2, t, s))) {
            break;
          }
          i++;
          b.head = i;
          this.#slots--;
          // `called` is set before the function runs, as in Twisted.
          c._idx = CALLED;
          c._t = t;
          c._bucket = null;
          const fn = c._fn as (...args: unknown[]) => unknown;
          const args = c._args;
          c._fn = null;
          c._args = null;
          try {
            if (args === null) fn();
            else fn(...args);
          } catch (err) {
            this.#log.failure(`Unhandled error in delayed call ${fn.name || '<anonymous>'}`, new Failure(err));
          }
        }
        b.head = i;
        this.#settle(b);
      }
    } finally {
      this.#inPass = false;
      this.#now = -1;
    }
    this.#maybeCompact();
  }

  /**
   * After a bucket's head moved: drop dead head slots, re-key it from its
   * first live call and restore the heap, or remove it when empty.
   */
  #settle(b: TimerBucket): void {
    const items = b.items;
    let i = b.head;
    while (i < items.length) {
      const c = items[i];
      if (c !== null && c._idx >= 0) break;
      i++;
      this.#slots--;
      this.#dead--;
    }
    if (i >= items.length) {
      b.head = i;
      this.#heapRemove(b);
      if (!b.isPrivate) this.#buckets.delete(b.delay);
      return;
    }
    if (i >= TRIM_MIN && i * 2 > items.length) {
      // Long-lived bucket (a steady stream of same-delay calls): drop the
      // consumed prefix so the arrays do not grow forever.
      items.copyWithin(0, i);
      items.length -= i;
      b.times.copyWithin(0, i);
      b.times.length -= i;
      b.seqs.copyWithin(0, i);
      b.seqs.length -= i;
      b.base += i;
      i = 0;
    }
    b.head = i;
    b.t = b.times[i];
    b.s = b.seqs[i];
    this.#siftDown(b.hi);
  }

  /** Point the single Node timer at the earliest pending call. */
  #arm(): void {
    if (!this.#started) return;
    const heap = this.#heap;
    // Make the root's key exact (its head may have been cancelled or moved).
    while (heap.length > 0) {
      const b = heap[0];
      const c = b.items[b.head];
      if (c !== null && c !== undefined && c._idx >= 0) break;
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
    let slots = 0;
    for (const b of this.#heap) {
      const items: DelayedCall[] = [];
      const times: number[] = [];
      const seqs: number[] = [];
      for (let i = b.head; i < b.items.length; i++) {
        const c = b.items[i];
        if (c !== null && c._idx >= 0) {
          c._idx = items.length;
          items.push(c);
          times.push(b.times[i]);
          seqs.push(b.seqs[i]);
        }
      }
      b.hi = -1;
      if (items.length === 0) {
        if (!b.isPrivate) this.#buckets.delete(b.delay);
        continue;
      }
      b.items = items;
      b.times = times;
      b.seqs = seqs;
      b.head = 0;
      b.base = 0;
      b.t = times[0];
      b.s = seqs[0];
      b.hi = kept.length;
      kept.push(b);
      slots += items.length;
    }
    this.#heap = kept;
    for (let i = (kept.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
    this.#slots = slots;
    this.#dead = 0;
  }
  // ---- the heap of buckets -------------------------------------------------

  #heapPush(b: TimerBucket): void {
    const heap = this.#heap;
    b.hi = heap.length;
    heap.push(b);
    this.#siftUp(b.hi);
  }

  #heapRemove(b: TimerBucket): void {
    const heap = this.#heap;
    const i = b.hi;
    b.hi = -1;
    const last = heap.pop() as TimerBucket;
    if (last === b) return;
    heap[i] = last;
    last.hi = i;
    this.#siftDown(i);
    this.#siftUp(last.hi);
  }

  #siftUp(i: number): void {
    const heap = this.#heap;
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

  #siftDown(i: number): void {
    const heap = this.#heap;
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
