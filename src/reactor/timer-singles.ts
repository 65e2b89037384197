/**
 * The timer queue's heap of one-off calls: calls whose delay has no FIFO
 * bucket (a delay not seen recently, such as a jittered timeout) and calls
 * moved by `delay()`. A plain binary min-heap by `(time, seq)`, stored in
 * parallel arrays like a chunk (the times in a Float64Array), so each call
 * costs no allocation beyond its DelayedCall. A pending call's `_off` is its
 * index here, kept up to date as entries move.
 * @internal
 * @module
 */
import type { DelayedCall, DelayedCallOwner, DelayedCallSlot } from './delayed-call';

type Fn = (...args: never[]) => unknown;

/** @internal */
export class SinglesHeap implements DelayedCallSlot {
  /** The calls; `null` marks a call that moved away, a cancelled call stays until it surfaces. */
  readonly items: (DelayedCall | null)[] = [];
  readonly fns: (Fn | null)[] = [];
  argv: (unknown[] | null)[] | null = null;
  /** `[time0, seq0, time1, seq1, ...]`, heap-ordered. */
  ts = new Float64Array(64);
  /** Entries in the heap. */
  n = 0;
  readonly bucket: { readonly owner: DelayedCallOwner };

  constructor(owner: DelayedCallOwner) {
    this.bucket = { owner };
  }

  /** Add `call` (its `_chunk`/`_off` are set here). */
  push(call: DelayedCall, fn: Fn | null, args: unknown[] | null, time: number, seq: number): void {
    const i = this.n++;
    if (2 * this.n > this.ts.length) {
      const grown = new Float64Array(this.ts.length * 2);
      grown.set(this.ts);
      this.ts = grown;
    }
    this.items[i] = call;
    this.fns[i] = fn;
    if (args !== null) (this.argv ??= new Array<unknown[] | null>(this.items.length).fill(null))[i] = args;
    else if (this.argv !== null) this.argv[i] = null;
    this.ts[2 * i] = time;
    this.ts[2 * i + 1] = seq;
    call._chunk = this;
    call._off = i;
    this.#siftUp(i);
  }

  /** Remove the top entry (the caller has read what it needs from slot 0). */
  pop(): void {
    const last = --this.n;
    if (last > 0) this.#move(last, 0);
    this.items[last] = null;
    this.fns[last] = null;
    if (this.argv !== null) this.argv[last] = null;
    if (last > 1) this.#siftDown(0);
  }

  /** Keep only the live (pending) entries and restore heap order. @returns how many are kept. */
  compact(): number {
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      const c = this.items[i];
      if (c !== null && c._off >= 0) {
        if (k !== i) this.#move(i, k);
        k++;
      }
    }
    for (let i = k; i < this.n; i++) {
      this.items[i] = null;
      this.fns[i] = null;
      if (this.argv !== null) this.argv[i] = null;
    }
    this.n = k;
    for (let i = (k >> 1) - 1; i >= 0; i--) this.#siftDown(i);
    return k;
  }

  /** Drop everything (only when the heap holds nothing live). */
  reset(): void {
    this.items.length = 0;
    this.fns.length = 0;
    this.argv = null;
    this.n = 0;
  }

  #less(a: number, b: number): boolean {
    const ts = this.ts;
    const ta = ts[2 * a];
    const tb = ts[2 * b];
    return ta < tb || (ta === tb && ts[2 * a + 1] < ts[2 * b + 1]);
  }

  /** Copy entry `from` over slot `to`, keeping its call's `_off` right. */
  #move(from: number, to: number): void {
    const c = this.items[from];
    this.items[to] = c;
    this.fns[to] = this.fns[from];
    if (this.argv !== null) this.argv[to] = this.argv[from];
    this.ts[2 * to] = this.ts[2 * from];
    this.ts[2 * to + 1] = this.ts[2 * from + 1];
    if (c !== null && c._off >= 0) c._off = to;
  }

  #swap(a: number, b: number): void {
    const items = this.items;
    const fns = this.fns;
    const ts = this.ts;
    const ca = items[a];
    const cb = items[b];
    items[a] = cb;
    items[b] = ca;
    const fa = fns[a];
    fns[a] = fns[b];
    fns[b] = fa;
    const argv = this.argv;
    if (argv !== null) {
      const aa = argv[a];
      argv[a] = argv[b];
      argv[b] = aa;
    }
    const t = ts[2 * a];
    const s = ts[2 * a + 1];
    ts[2 * a] = ts[2 * b];
    ts[2 * a + 1] = ts[2 * b + 1];
    ts[2 * b] = t;
    ts[2 * b + 1] = s;
    if (ca !== null && ca._off >= 0) ca._off = b;
    if (cb !== null && cb._off >= 0) cb._off = a;
  }

  #siftUp(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(i, p)) break;
      this.#swap(i, p);
      i = p;
    }
  }

  #siftDown(i: number): void {
    const n = this.n;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.#less(r, l) ? r : l;
      if (!this.#less(m, i)) break;
      this.#swap(i, m);
      i = m;
    }
  }
}
