/**
 * `deferLater`: a Deferred that fires after a delay, as Twisted's
 * `task.deferLater`.
 * @module
 */
import { Deferred } from '../defer';
import type { IDelayedCall, IReactorTime } from '../interfaces/time';
import { checkDelay, checkFunction } from '../validate';

/**
 * Call `fn(...args)` after `delay` seconds on `clock`, and fire the returned
 * Deferred with its result (waiting for it if it is a Deferred or Promise);
 * without `fn`, fire with `undefined`. A throw or failure errbacks it.
 *
 * Cancelling the Deferred before the delay has passed cancels the timer
 * (nothing is left scheduled on the clock) and fails it with
 * `CancelledError`; `fn` never runs.
 *
 * @example
 * ```ts
 * const d = deferLater(reactor, 1.5, (name: string) => `hello ${name}`, 'world');
 * d.addCallback((greeting) => console.log(greeting));
 * ```
 * @throws RangeError/TypeError for a bad delay; TypeError if fn is given and is not a function.
 */
export function deferLater(clock: IReactorTime, delay: number): Deferred<undefined>;
export function deferLater<A extends unknown[], R>(
  clock: IReactorTime,
  delay: number,
  fn: (...args: A) => R | PromiseLike<R> | Deferred<R>,
  ...args: A
): Deferred<R>;
export function deferLater(
  clock: IReactorTime,
  delay: number,
  fn?: (...args: never[]) => unknown,
  ...args: unknown[]
  // `any`: the implementation serves both overloads' return types.
): Deferred<any> {
  checkDelay('delay', delay);
  if (fn !== undefined) checkFunction('fn', fn);
  // The canceller only runs after the timer exists (cancel() comes after we return).
  let timer: IDelayedCall | null = null;
  const d = new Deferred<unknown>(() => {
    if (timer !== null && timer.active()) timer.cancel();
  });
  if (fn !== undefined) d.addCallback(() => (fn as (...a: unknown[]) => unknown)(...args));
  timer = clock.callLater(delay, () => d.callback(undefined));
  return d;
}
