/**
 * `Clock`: a deterministic {@link IReactorTime} for tests. Time only moves
 * when the test calls {@link Clock.advance}; nothing touches the wall clock.
 * @module
 */
import { AlreadyCalled, AlreadyCancelled } from '../errors';
import type { IDelayedCall, IReactorTime } from '../interfaces/time';
import { checkDelay, checkFinite, checkFunction } from '../validate';

/**
 * A call scheduled on a {@link Clock}. Implements {@link IDelayedCall} with
 * Twisted's `DelayedCall` semantics: `reset()` to a later time and `delay()`
 * move the call through an extra "delayed time", `reset()` to an earlier
 * time moves it directly; all of them throw `AlreadyCalled` /
 * `AlreadyCancelled` once the call is no longer active.
 */
export class ClockDelayedCall implements IDelayedCall {
  #time: number;
  #delayedTime = 0;
  #called = false;
  #cancelled = false;
  #func: ((...args: never[]) => unknown) | null;
  #args: readonly unknown[] | null;
  readonly #clock: Clock;

  /** @internal Created by {@link Clock.callLater} only. */
  constructor(clock: Clock, time: number, func: (...args: never[]) => unknown, args: readonly unknown[]) {
    this.#clock = clock;
    this.#time = time;
    this.#func = func;
    this.#args = args;
  }

  /** True once the call has started running. */
  get called(): boolean {
    return this.#called;
  }
  /** True once the call was cancelled. */
  get cancelled(): boolean {
    return this.#cancelled;
  }
  /** The scheduled function; null once the call ran or was cancelled (as Twisted drops it). */
  get func(): ((...args: never[]) => unknown) | null {
    return this.#func;
  }
  /** The arguments the function will get; null once the call ran or was cancelled. */
  get args(): readonly unknown[] | null {
    return this.#args;
  }

  /** {@inheritDoc torsion/interfaces!IDelayedCall.getTime} */
  getTime(): number {
    return this.#time + this.#delayedTime;
  }

  /** {@inheritDoc torsion/interfaces!IDelayedCall.active} */
  active(): boolean {
    return !(this.#called || this.#cancelled);
  }

  /** {@inheritDoc torsion/interfaces!IDelayedCall.cancel} */
  cancel(): void {
    this.#checkActive();
    this.#cancelled = true;
    this.#func = null;
    this.#args = null;
    // As in Twisted's Clock, a cancelled call leaves `calls` at once.
    this.#clock._remove(this);
  }

  /** {@inheritDoc torsion/interfaces!IDelayedCall.reset} */
  reset(secondsFromNow: number): void {
    this.#checkActive();
    checkDelay('secondsFromNow', secondsFromNow);
    const newTime = this.#clock.seconds() + secondsFromNow;
    if (newTime < this.#time) {
      this.#time = newTime;
      this.#delayedTime = 0;
    } else {
      this.#delayedTime = newTime - this.#time;
    }
    this.#clock._resort();
  }

  /** {@inheritDoc torsion/interfaces!IDelayedCall.delay} */
  delay(seconds: number): void {
    this.#checkActive();
    checkFinite('seconds', seconds);
    this.#delayedTime += seconds;
    if (this.#delayedTime < 0) {
      // Bringing the call forward past its original time folds the delay in.
      this.#time += this.#delayedTime;
      this.#delayedTime = 0;
    }
    this.#clock._resort();
  }

  /** @internal Mark called and run; exceptions propagate to advance(). */
  _run(): void {
    const func = this.#func as (...args: unknown[]) => unknown;
    const args = this.#args as unknown[];
    // `called` is set before the function runs, so cancel() inside it throws AlreadyCalled.
    this.#called = true;
    this.#func = null;
    this.#args = null;
    func(...args);
  }

  #checkActive(): void {
    if (this.#cancelled) throw new AlreadyCancelled();
    if (this.#called) throw new AlreadyCalled();
  }

  /** A description for debugging. */
  toString(): string {
    const state = this.#called ? 'called' : this.#cancelled ? 'cancelled' : `due at ${this.getTime()}`;
    return `<ClockDelayedCall ${state}>`;
  }
}

/**
 * A deterministic, test-controlled implementation of {@link IReactorTime}.
 *
 * `seconds()` starts at 0 and moves only through {@link Clock.advance} (or
 * {@link Clock.pump}). Pending calls are kept in {@link Clock.calls},
 * stably sorted by due time, so calls due at the same time run in the
 * order they were scheduled. Unlike the real reactor, `advance()` also runs
 * calls that become due *during* the advance (a `callLater(0)` made by a
 * running call runs within the same advance), exactly as Twisted's
 * `task.Clock` does. An exception thrown by a call propagates out of
 * `advance()` (the remaining due calls stay pending), so tests see it.
 *
 * @example
 * ```ts
 * const clock = new Clock();
 * const seen: number[] = [];
 * clock.callLater(2, () => seen.push(clock.seconds()));
 * clock.advance(1); // nothing yet
 * clock.advance(1); // seen = [2]
 * ```
 */
export class Clock implements IReactorTime {
  #now = 0;
  readonly #calls: ClockDelayedCall[] = [];

  /** The current time (Twisted's `rightNow`): 0 at creation, moved only by advance(). */
  get rightNow(): number {
    return this.#now;
  }

  /** The pending calls, earliest first (ties in scheduling order). A live view: do not mutate. */
  get calls(): readonly ClockDelayedCall[] {
    return this.#calls;
  }

  /** {@inheritDoc torsion/interfaces!IReactorTime.seconds} */
  seconds(): number {
    return this.#now;
  }

  /** {@inheritDoc torsion/interfaces!IReactorTime.callLater} */
  callLater<A extends unknown[]>(delay: number, fn: (...args: A) => unknown, ...args: A): ClockDelayedCall {
    checkDelay('delay', delay);
    checkFunction('fn', fn);
    const call = new ClockDelayedCall(this, this.#now + delay, fn as (...args: never[]) => unknown, args);
    this.#insert(call);
    return call;
  }

  /** {@inheritDoc torsion/interfaces!IReactorTime.getDelayedCalls} */
  getDelayedCalls(): ClockDelayedCall[] {
    return this.#calls.slice();
  }

  /**
   * Move time forward by `amount` seconds and run every call now due, in
   * order, including due calls scheduled by those calls.
   * @throws RangeError if amount is negative or not finite.
   */
  advance(amount: number): void {
    checkDelay('amount', amount);
    this.#now += amount;
    const calls = this.#calls;
    while (calls.length > 0 && calls[0].getTime() <= this.#now) {
      const call = calls.shift() as ClockDelayedCall;
      call._run();
    }
  }

  /**
   * Advance by each amount in turn (one advance() per step).
   * @throws RangeError if a step is negative or not finite (steps before it have run).
   */
  pump(timings: Iterable<number>): void {
    for (const amount of timings) this.advance(amount);
  }

  /** @internal Remove a cancelled call. */
  _remove(call: ClockDelayedCall): void {
    const i = this.#calls.indexOf(call);
    if (i >= 0) this.#calls.splice(i, 1);
  }

  /** @internal Restore order after reset()/delay() changed a call's time. */
  _resort(): void {
    // Array.prototype.sort is stable (ES2019), so equal times keep their relative order.
    this.#calls.sort((a, b) => a.getTime() - b.getTime());
  }

  #insert(call: ClockDelayedCall): void {
    // Binary search for the first call due strictly later: a new call goes after
    // every call due at the same time (FIFO ties).
    const calls = this.#calls;
    const t = call.getTime();
    let lo = 0;
    let hi = calls.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (calls[mid].getTime() <= t) lo = mid + 1;
      else hi = mid;
    }
    calls.splice(lo, 0, call);
  }
}
