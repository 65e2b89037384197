/**
 * Small constructors of Deferreds: `succeed`, `fail`, `maybeDeferred`,
 * `ensureDeferred`.
 * @module
 */
import { checkFunction, describe, ArgTypeError } from '../validate';
import { Deferred, isThenable, type Settled } from './deferred';
import { Failure } from './failure';

/**
 * A Deferred that has already fired with `result`.
 * @example
 * ```ts
 * succeed(42).addCallback((n) => n + 1);
 * ```
 */
export function succeed<T>(result: T): Deferred<T> {
  const d = new Deferred<T>();
  d.callback(result);
  return d;
}

/**
 * A Deferred that has already failed with `failure` (a Failure or any
 * thrown value; see {@link Deferred.errback} for what no argument means).
 */
export function fail<T = never>(failure?: unknown): Deferred<T> {
  const d = new Deferred<T>();
  d.errback(failure);
  return d;
}

/**
 * Call `f(...args)` and make a Deferred of whatever happens: a returned
 * Deferred is passed through, a returned Failure or a thrown value becomes
 * `fail()`, a returned Promise (an async function) becomes
 * `Deferred.fromPromise`, anything else `succeed()`.
 * @throws TypeError only if `f` is not a function.
 */
export function maybeDeferred<U, A extends unknown[]>(f: (...args: A) => U, ...args: A): Deferred<Settled<U>> {
  checkFunction('f', f);
  let result: unknown;
  try {
    result = f(...args);
  } catch (e) {
    return fail(Failure.from(e));
  }
  if (result instanceof Deferred) return result as Deferred<Settled<U>>;
  if (result instanceof Failure) return fail(result);
  if (isThenable(result)) return Deferred.fromPromise(result) as Deferred<Settled<U>>;
  return succeed(result as Settled<U>);
}

/**
 * The Deferred of a Promise (typically an async function's: the
 * `inlineCallbacks` of this world); a Deferred is returned as is.
 * @throws TypeError for anything else (Twisted's NotACoroutineError); pass
 *   the *call* `ensureDeferred(main())`, not the function.
 * @example
 * ```ts
 * const d = ensureDeferred((async () => {
 *   const page = await getPage();   // awaits Deferreds and Promises alike
 *   return page.length;
 * })());
 * ```
 */
export function ensureDeferred<T>(coro: PromiseLike<T> | Deferred<T>): Deferred<T> {
  if (coro instanceof Deferred) return coro;
  if (isThenable(coro)) return Deferred.fromPromise(coro);
  const hint = typeof coro === 'function' ? ' (did you pass the async function instead of calling it?)' : '';
  throw new ArgTypeError(`ensureDeferred() expects a Promise or a Deferred, got ${describe(coro)}${hint}`);
}
