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
 * @module
 */
import { Failure } from '../defer/failure';
import { isThenable } from '../guard';
import type { Logger } from '../logger';
import { checkDelay, checkFunction } from '../validate';
import { DelayedCall } from './delayed-call';
import { keyLess } from './timer-buckets';
import { TimerStore } from './timer-store';

// Local copies (a cross-module constant or class read in the hot path can
// compile to a getter call under some CommonJS transpilers).
const CALLED = -1;
const NewDelayedCall = DelayedCall;
const before = keyLess;

// Node's setTimeout keeps delays in a 32-bit signed int of milliseconds.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The timer queue. `start()` lets it run due calls (the reactor is in its
 * loop); `stop()` releases every Node handle, leaving the calls pending.
 * @internal
 */
export class TimerQueue extends TimerStore {
  readonly #read: () => number;

  // The clock is read at most once per synchronous turn (each read costs
  // ~80 ns): `#now` caches it until a microtask (outside a pass) or the end
  // of the pass clears it. seconds() always reads afresh and refreshes the
  // cache, so a call scheduled after seconds() is never due earlier than
  // that reading + delay.
  #now = -1;
  #flushQueued = false;

  #started = false;
  // Set by stop() during a pass: the rest of the pass is abandoned.
  #abort = false;
  #handle: NodeJS.Timeout | NodeJS.Immediate | null = null;
  #handleIsImmediate = false;
  #armedAt = Infinity;

  constructor(log: Logger, read: () => number) {
    super(log);
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
  override now(): number {
    const t = this.#now;
    if (t >= 0) return t;
    return this.seconds();
  }

  #setNow(t: number): void {
    this.#now = t;
    if (!this.inPass && !this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    if (this.inPass) return;
    this.#now = -1;
    this.#arm();
  };

  // ---- scheduling ----------------------------------------------------------

  /** Schedule `fn(...args)` after `delay` seconds (`args` null for none). */
  callLater(delay: number, fn: (...args: never[]) => unknown, args: unknown[] | null): DelayedCall {
    if (typeof delay !== 'number' || !(delay >= 0) || delay === Infinity) checkDelay('delay', delay);
    if (typeof fn !== 'function') checkFunction('fn', fn);
    const time = this.now() + delay;
    const seq = this.seq++;
    const b = this.bucketFor(delay, time, seq);
    if (b === null) {
      const single = new NewDelayedCall(this.singles, 0);
      this.pushSingle(single, fn, args, time, seq);
      if (time < this.#armedAt) this.noteDue(time);
      return single;
    }
    let ch = b.chunks[b.chunks.length - 1];
    if (ch.n === ch.size) ch = this.pool.take(b, ch.size);
    const o = ch.n++;
    const call = new NewDelayedCall(ch, o);
    ch.items[o] = call;
    ch.fns[o] = fn;
    if (args !== null) (ch.argv ??= new Array<unknown[] | null>(ch.size).fill(null))[o] = args;
    ch.ts[2 * o] = time;
    ch.ts[2 * o + 1] = seq;
    this.slots++;
    if (time < this.#armedAt) this.noteDue(time);
    return call;
  }

  /** A call due at `time` was added: make sure the Node timer fires by then. */
  protected override noteDue(time: number): void {
    if (!this.#started || time >= this.#armedAt) return;
    // Arming is deferred to the end of this turn (a microtask, or the end of
    // the pass), so a burst of callLaters re-arms the Node timer once.
    if (!this.inPass && !this.#flushQueued) {
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
    if (this.inPass) this.#abort = true;
    this.#disarm();
    this.pool.clear();
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

  /** A delayed call threw: log it (the reactor runs on). */
  callFailed(fn: (...args: unknown[]) => unknown, err: unknown): void {
    this.log.failure(`Unhandled error in delayed call ${fn.name || '<anonymous>'}`, Failure.from(err));
  }

  /** A delayed call returned something: a thenable's rejection is logged as a throw is. */
  watchResult(fn: (...args: unknown[]) => unknown, result: unknown): void {
    if (!isThenable(result)) return;
    try {
      result.then(undefined, (err: unknown) => this.callFailed(fn, err));
    } catch (err) {
      this.callFailed(fn, err);
    }
  }

  /**
   * One pass (Twisted's `runUntilCurrent`): run every call due now, in
   * (time, seq) order. The reactor's Node timer calls this; tests drive it
   * directly with a fake clock.
   * @internal
   */
  runUntilCurrent(): void {
    if (this.inPass) throw new Error('runUntilCurrent() is not re-entrant');
    this.#runDue();
  }

  /**
   * Calls scheduled (or moved) during the pass have a sequence number >=
   * `limit` and wait for the next pass, even when already due.
   */
  #runDue(): void {
    const now = this.#read();
    this.#now = now;
    this.inPass = true;
    this.#abort = false;
    const limit = this.seq;
    const heap = this.heap.items;
    try {
      outer: while (heap.length > 0 && !this.#abort) {
        const b = heap[0];
        if (b === this.singlesNode) {
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
            this.pool.give(ch);
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
            this.slots--;
            this.dead--;
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
            this.settle(b);
            break outer;
          }
          o++;
          b.ho = o;
          this.slots--;
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
            const r = args === null ? fn() : fn(...args);
            if (r !== undefined) this.watchResult(fn, r);
          } catch (err) {
            this.callFailed(fn, err);
          }
        }
        b.ho = o;
        this.settle(b);
      }
    } finally {
      this.inPass = false;
      this.#now = -1;
    }
    this.maybeCompact();
  }

  /**
   * The pass on the one-off heap: run its top while it is the earliest
   * pending call and due. @returns true to go on with the pass (another
   * bucket is earlier now, or the heap is empty), false when it is over.
   */
  #runSingles(now: number, limit: number): boolean {
    const sh = this.singles;
    const node = this.singlesNode;
    const heap = this.heap.items;
    for (;;) {
      if (sh.n === 0) {
        this.heap.remove(node);
        sh.reset();
        return true;
      }
      const c = sh.items[0];
      if (c === null || c._off < 0) {
        sh.pop();
        this.slots--;
        this.dead--;
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
        this.heap.siftDown(node.hi);
        return handOver;
      }
      const fn = sh.fns[0] as (...args: unknown[]) => unknown;
      const args = sh.argv === null ? null : (sh.argv[0] ?? null);
      sh.pop();
      this.slots--;
      c._off = CALLED;
      c._chunk = t;
      try {
        const r = args === null ? fn() : fn(...args);
        if (r !== undefined) this.watchResult(fn, r);
      } catch (err) {
        this.callFailed(fn, err);
      }
    }
  }

  /** Point the single Node timer at the earliest pending call. */
  #arm(): void {
    if (!this.#started) return;
    const heap = this.heap.items;
    // Make the root's key exact (its head may have been cancelled or moved).
    const sh = this.singles;
    while (heap.length > 0) {
      const b = heap[0];
      if (b === this.singlesNode) {
        const c = sh.items[0];
        if (c !== null && c._off >= 0 && b.t === sh.ts[0] && b.s === sh.ts[1]) break;
      } else {
        const ch = b.chunks[0];
        const c = ch.items[b.ho];
        if (b.ho < ch.n && c !== null && c._off >= 0) break;
      }
      this.settle(b);
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
}
