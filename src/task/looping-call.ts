/**
 * `LoopingCall`: call a function every `interval` seconds, as Twisted's
 * `task.LoopingCall`.
 * @module
 */
import { Deferred, maybeDeferred } from '../defer';
import type { Failure } from '../defer/failure';
import { RuntimeError } from '../errors';
import type { IDelayedCall, IReactorTime } from '../interfaces/time';
import { checkDelay, checkFunction } from '../validate';
import { getGlobalReactor } from './default-reactor';

/**
 * Calls `fn(...args)` repeatedly, every {@link LoopingCall.interval} seconds.
 *
 * - If `fn` returns a Deferred or a Promise, the next call is scheduled only
 *   once it has settled (its value is ignored).
 * - Calls happen on interval boundaries counted from the start time. When a
 *   call (or the wait for its result, or a busy reactor) overruns one or
 *   more boundaries, they are skipped: the next call goes on the next
 *   boundary strictly in the future. {@link LoopingCall.withCount} tells the
 *   function how many boundaries passed.
 * - An interval of 0 reschedules with `callLater(0)`: as often as the
 *   reactor turns.
 * - The Deferred from {@link LoopingCall.start} fires with the LoopingCall
 *   on {@link LoopingCall.stop}, and fails (stopping the loop) when `fn`
 *   throws or its Deferred/Promise fails.
 *
 * @example
 * ```ts
 * const lc = new LoopingCall(() => console.log('tick'));
 * lc.start(1.0).addErrback((f) => console.error(f.getErrorMessage()));
 * // ... later
 * lc.stop();
 * ```
 */
export class LoopingCall<A extends unknown[] = []> {
  /** The function to call. */
  readonly f: (...args: A) => unknown;
  /** The arguments to pass it. */
  readonly args: A;
  /** Seconds between calls; null until {@link start}. May be changed while running (takes effect at the next scheduling). */
  interval: number | null = null;
  /** `clock.seconds()` when the loop (re)started counting boundaries; null until {@link start}. */
  starttime: number | null = null;
  /** The scheduled next call, or null while `fn` runs or its result is pending. */
  call: IDelayedCall | null = null;

  #clock: IReactorTime | null = null;
  #running = false;
  #deferred: Deferred<this> | null = null;
  #runAtStart = false;
  /** When withCount's counter last invoked the function (null: not yet). */
  #realLastTime: number | null = null;

  /**
   * @param f - the function to call; its Deferred/Promise result is waited for.
   * @param args - arguments for every call.
   * @throws TypeError if f is not a function.
   */
  constructor(f: (...args: A) => unknown, ...args: A) {
    checkFunction('f', f);
    this.f = f;
    this.args = args;
  }

  /**
   * The IReactorTime the calls are scheduled on. Defaults to the global
   * reactor (looked up on first use); set it, e.g. to a {@link Clock},
   * before {@link start}.
   */
  get clock(): IReactorTime {
    if (this.#clock === null) this.#clock = getGlobalReactor();
    return this.#clock;
  }
  set clock(clock: IReactorTime) {
    this.#clock = clock;
  }

  /**
   * True from {@link start} until {@link stop} or a failure of `fn`; false by
   * the time the Deferred returned by start() fires.
   */
  get running(): boolean {
    return this.#running;
  }

  /**
   * A LoopingCall that passes `countCallable` the number of interval
   * boundaries that passed since it was last called: normally 1, more when
   * calls were skipped (never 0; always 1 when the interval is 0).
   */
  static withCount(countCallable: (count: number) => unknown): LoopingCall<[]> {
    checkFunction('countCallable', countCallable);
    // `lc` is assigned before the counter can run (only start() calls it).
    let lc: LoopingCall<[]>;
    const counter = (): unknown => lc.#count(countCallable);
    lc = new LoopingCall(counter);
    return lc;
  }

  /**
   * Start calling every `interval` seconds.
   * @param interval - seconds between calls (>= 0; fractions allowed).
   * @param now - call right away (synchronously) rather than after the first interval.
   * @returns a Deferred that fires with this LoopingCall when {@link stop} is
   *   called, or fails with the failure of `fn`.
   * @throws RuntimeError if already running; RangeError/TypeError for a bad interval.
   */
  start(interval: number, now = true): Deferred<this> {
    if (this.#running) throw new RuntimeError('Tried to start an already running LoopingCall');
    checkDelay('interval', interval);
    this.#running = true;
    // Kept in a local: a synchronous failure of the first call clears #deferred.
    const deferred = new Deferred<this>();
    this.#deferred = deferred;
    this.starttime = this.clock.seconds();
    this.interval = interval;
    this.#runAtStart = now;
    this.#realLastTime = null;
    if (now) this.#invoke();
    else this.#scheduleFrom(this.starttime);
    return deferred;
  }

  /**
   * Stop calling. The start() Deferred fires now, or, if `fn`'s
   * Deferred/Promise is still pending, as soon as that settles.
   * @throws RuntimeError if not running.
   */
  stop(): void {
    if (!this.#running) throw new RuntimeError('Tried to stop a LoopingCall that was not running');
    this.#running = false;
    if (this.call !== null) {
      this.call.cancel();
      this.call = null;
      this.#fire();
    }
  }

  /**
   * Skip the next call and restart the interval count from now.
   * @throws RuntimeError if not running.
   */
  reset(): void {
    if (!this.#running) throw new RuntimeError('Tried to reset a LoopingCall that was not running');
    if (this.call !== null) {
      this.call.cancel();
      this.call = null;
      this.starttime = this.clock.seconds();
      this.#scheduleFrom(this.starttime);
    }
  }

  /** A description for debugging: `LoopingCall<interval>(name, ...args)`. */
  toString(): string {
    return `LoopingCall<${this.interval}>(${this.f.name || '<anonymous>'}, ${JSON.stringify(this.args) ?? ''})`;
  }

  #invoke(): void {
    this.call = null;
    maybeDeferred(this.f, ...this.args).addCallbacks(
      () => {
        if (this.#running) this.#scheduleFrom(this.clock.seconds());
        else this.#fire();
        return null;
      },
      (failure: Failure) => {
        this.#running = false;
        const d = this.#deferred;
        this.#deferred = null;
        d?.errback(failure);
        return null;
      },
    );
  }

  #fire(): void {
    const d = this.#deferred;
    this.#deferred = null;
    d?.callback(this);
  }

  #scheduleFrom(when: number): void {
    this.call = this.clock.callLater(this.#howLong(when), () => this.#invoke());
  }

  // Time until the next interval boundary strictly after `when`.
  #howLong(when: number): number {
    const interval = this.interval as number;
    if (interval === 0) return 0;
    const runningFor = when - (this.starttime as number);
    const untilNextInterval = interval - (runningFor % interval);
    // A remainder too small to move `when` (floating point) means we are on a
    // boundary now: the next one is a whole interval away.
    if (when === when + untilNextInterval) return interval;
    return untilNextInterval;
  }

  #count(countCallable: (count: number) => unknown): unknown {
    const now = this.clock.seconds();
    const interval = this.interval as number;
    if (interval === 0) {
      this.#realLastTime = now;
      return countCallable(1);
    }
    let lastTime = this.#realLastTime;
    if (lastTime === null) {
      lastTime = this.starttime as number;
      if (this.#runAtStart) lastTime -= interval;
    }
    const count = this.#intervalOf(now) - this.#intervalOf(lastTime);
    if (count > 0) {
      this.#realLastTime = now;
      return countCallable(count);
    }
    return undefined;
  }

  #intervalOf(t: number): number {
    return Math.trunc((t - (this.starttime as number)) / (this.interval as number));
  }
}
