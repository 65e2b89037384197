/**
 * The timer queue's heap of one-off calls: calls whose delay has no FIFO
 * bucket (a delay not seen recently, such as a jittered timeout) and calls
 * moved by `delay()`. A plain binary min-heap by `(time, seq)`, stored in
 * parallel arrays like a chunk (the times in a Float64Array), so each call
 * costs no allocation beyond its DelayedCall. A pending call's `_off` is its
 * index here, kept up to date as entries move.
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
    if (args !== null) this.argv ??= new Array<unknown[] | null>(this.items.length).fill(null);
    call._chunk = this;
    this.#place(this.#holeUp(i, time, seq), call, fn, args, time, seq);
  }

  /** Remove the top entry (the caller has read what it needs from slot 0). */
  pop(): void {
    const last = --this.n;
    const items = this.items;
    const c = items[last];
    const fn = this.fns[last];
    const args = this.argv === null ? null : (this.argv[last] ?? null);
    const t = this.ts[2 * last];
    const s = this.ts[2 * last + 1];
    items[last] = null;
    this.fns[last] = null;
    if (this.argv !== null) this.argv[last] = null;
    if (last > 0) this.#place(this.#holeDown(0, t, s), c, fn, args, t, s);
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

  /** Write an entry at slot `i`, keeping its call's `_off` right. */
  #place(i: number, c: DelayedCall | null, fn: Fn | null, args: unknown[] | null, t: number, s: number): void {
    this.items[i] = c;
    this.fns[i] = fn;
    if (this.argv !== null) this.argv[i] = args;
    this.ts[2 * i] = t;
    this.ts[2 * i + 1] = s;
    if (c !== null && c._off >= 0) c._off = i;
  }

  /** Copy entry `from` over slot `to`, keeping its call's `_off` right. */
  #move(from: number, to: number): void {
    const argv = this.argv;
    this.#place(
      to,
      this.items[from],
      this.fns[from],
      argv === null ? null : (argv[from] ?? null),
      this.ts[2 * from],
      this.ts[2 * from + 1],
    );
  }

  /**
   * Move the hole at `i` up past every parent after `(t, s)`, shifting them
   * down; @returns where the hole ended (one write per level, not a swap).
   */
  #holeUp(i: number, t: number, s: number): number {
    const ts = this.ts;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = ts[2 * p];
      if (pt < t || (pt === t && ts[2 * p + 1] < s)) break;
      this.#move(p, i);
      i = p;
    }
    return i;
  }

  /** Move the hole at `i` down past every child before `(t, s)`; @returns where it ended. */
  #holeDown(i: number, t: number, s: number): number {
    const ts = this.ts;
    const n = this.n;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let m = l;
      let mt = ts[2 * l];
      let ms = ts[2 * l + 1];
      const r = l + 1;
      if (r < n) {
        const rt = ts[2 * r];
        const rs = ts[2 * r + 1];
        if (rt < mt || (rt === mt && rs < ms)) {
          m = r;
          mt = rt;
          ms = rs;
        }
      }
      if (!(mt < t || (mt === t && ms < s))) break;
      this.#move(m, i);
      i = m;
    }
    return i;
  }

  #siftDown(i: number): void {
    const argv = this.argv;
    const c = this.items[i];
    const fn = this.fns[i];
    const args = argv === null ? null : (argv[i] ?? null);
    const t = this.ts[2 * i];
    const s = this.ts[2 * i + 1];
    this.#place(this.#holeDown(i, t, s), c, fn, args, t, s);
  }
}
