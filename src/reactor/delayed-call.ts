/**
 * `DelayedCall`: the handle `Reactor.callLater` returns.
 * @module
 */
import { AlreadyCalled, AlreadyCancelled } from '../errors';
import type { IDelayedCall } from '../interfaces/time';
import { checkDelay, checkFinite } from '../validate';

/**
 * The timer queue a pending {@link DelayedCall} lives in; reached through
 * the call's chunk, so a call carries no back-reference of its own.
 * @internal
 */
export interface DelayedCallOwner {
  /** Mark a pending call cancelled (it stays in place until skipped or compacted). */
  _cancel(call: DelayedCall): void;
  /** Move a pending call to `now + secondsFromNow`. */
  _reset(call: DelayedCall, secondsFromNow: number): void;
  /** Move a pending call by `seconds`. */
  _delay(call: DelayedCall, seconds: number): void;
}

/** The chunk of a bucket a pending call sits in. @internal */
export interface DelayedCallSlot {
  /** `[time0, seq0, time1, seq1, ...]` of the chunk's slots. */
  readonly ts: Float64Array;
  /** The function of each slot. */
  readonly fns: (((...args: never[]) => unknown) | null)[];
  /** The arguments of each slot (null while no call in the chunk has any). */
  readonly argv: (unknown[] | null)[] | null;
  readonly bucket: { readonly owner: DelayedCallOwner };
}

/** `_off` of a call that ran. @internal */
export const CALLED = -1;
/** `_off` of a cancelled call. @internal */
export const CANCELLED = -2;

/**
 * A call scheduled with `reactor.callLater(delay, fn, ...args)`; implements
 * {@link IDelayedCall} with Twisted's `DelayedCall` semantics.
 *
 * - `getTime()` is the absolute due time on the reactor's clock
 *   (`reactor.seconds()`, in seconds).
 * - `called` is set *before* the function runs, so `cancel()` from inside it
 *   throws `AlreadyCalled`.
 * - `cancel()`, `reset()` and `delay()` throw `AlreadyCalled` /
 *   `AlreadyCancelled` once the call is no longer active.
 * - Calls due at the same time run in the order they were scheduled; a
 *   `reset()` or `delay()` counts as scheduling the call again, so it runs
 *   after calls already scheduled for the same instant.
 *
 * Only a reactor creates these.
 *
 * @example
 * ```ts
 * const call = reactor.callLater(30, () => transport.abortConnection());
 * call.reset(30);      // activity seen: push the timeout back
 * if (call.active()) call.cancel();
 * ```
 */
export class DelayedCall implements IDelayedCall {
  // Plain (non-#) fields because the timer queue reads and writes them on
  // its hot path; they are not API. Just two: the garbage collector is most
  // of the cost of a million timers, so a pending call's function,
  // arguments, due time and sequence number live in its chunk (the time in
  // a Float64Array: a double field would be one more heap object per call).
  /** @internal The chunk holding a pending call; its due time once called or cancelled. */
  _chunk: DelayedCallSlot | number;
  /** @internal Slot offset in `_chunk` while pending; CALLED or CANCELLED after. */
  _off: number;

  /** @internal Created by the reactor's timer queue only. */
  constructor(chunk: DelayedCallSlot, off: number) {
    this._chunk = chunk;
    this._off = off;
  }

  /** True once the call has started running. */
  get called(): boolean {
    return this._off === CALLED;
  }

  /** True once the call was cancelled. */
  get cancelled(): boolean {
    return this._off === CANCELLED;
  }

  /** The scheduled function; null once the call ran or was cancelled (as Twisted drops it). */
  get func(): ((...args: never[]) => unknown) | null {
    const chunk = this._chunk;
    return typeof chunk === 'number' ? null : chunk.fns[this._off];
  }

  /** The arguments the function will get; null once the call ran or was cancelled. */
  get args(): readonly unknown[] | null {
    const chunk = this._chunk;
    if (typeof chunk === 'number') return null;
    return chunk.argv?.[this._off] ?? [];
  }

  /** When the call is due, in seconds on the reactor's clock. */
  getTime(): number {
    const chunk = this._chunk;
    return typeof chunk === 'number' ? chunk : chunk.ts[this._off * 2];
  }

  /** True while the call has neither run nor been cancelled. */
  active(): boolean {
    return this._off >= 0;
  }

  /**
   * Cancel the call: it will never run.
   * @throws AlreadyCalled if it already ran; AlreadyCancelled if cancelled before.
   */
  cancel(): void {
    this.#checkActive();
    (this._chunk as DelayedCallSlot).bucket.owner._cancel(this);
  }

  /**
   * Reschedule the call to run `secondsFromNow` seconds from now.
   * @throws AlreadyCalled / AlreadyCancelled as for cancel(); RangeError for a
   * negative or non-finite delay.
   */
  reset(secondsFromNow: number): void {
    this.#checkActive();
    checkDelay('secondsFromNow', secondsFromNow);
    (this._chunk as DelayedCallSlot).bucket.owner._reset(this, secondsFromNow);
  }

  /**
   * Move the call by `seconds` (negative brings it forward).
   * @throws AlreadyCalled / AlreadyCancelled as for cancel(); RangeError if
   * `seconds` is not finite.
   */
  delay(seconds: number): void {
    this.#checkActive();
    checkFinite('seconds', seconds);
    (this._chunk as DelayedCallSlot).bucket.owner._delay(this, seconds);
  }

  /** A description for debugging and log lines. */
  toString(): string {
    const fn = this.func;
    const what = fn === null ? '' : ` ${fn.name || '<anonymous>'}(${(this.args ?? []).map(describeArg).join(', ')})`;
    return `<DelayedCall [${this.getTime()}] called=${this.called ? 1 : 0} cancelled=${this.cancelled ? 1 : 0}${what}>`;
  }

  #checkActive(): void {
    if (this._off === CANCELLED) throw new AlreadyCancelled();
    if (this._off === CALLED) throw new AlreadyCalled();
  }
}

function describeArg(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? value.slice(0, 20) + '…' : value);
  if (typeof value === 'function') return value.name || '<function>';
  if (value !== null && typeof value === 'object') return value.constructor?.name ?? 'Object';
  return String(value);
}
