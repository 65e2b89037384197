/**
 * `Deferred`: a result that is not available yet, with Twisted's
 * synchronous callback-chain semantics.
 * @module
 */
import type { IReactorTime } from '../interfaces/time';
import { RuntimeError } from '../errors';
import { Logger } from '../logger/index';
import { checkDelay, checkFunction, describe, ArgTypeError } from '../validate';
import { DebugInfo, captureStack, getDebugging, markHandled, watchForUnhandled } from './debug';
import { AlreadyCalledError, CancelledError, TimeoutError } from './errors';
import { Failure } from './failure';

/** A function called by `cancel()` on an unfired Deferred, to stop the work behind it. */
export type Canceller<T> = (d: Deferred<T>) => void;

/** Extra positional arguments for {@link Deferred.addCallbacks}. */
export interface AddCallbacksOptions<A extends unknown[], B extends unknown[]> {
  /** Passed to the callback after the result. */
  callbackArgs?: A;
  /** Passed to the errback after the failure. */
  errbackArgs?: B;
}

/** What a callback returning `U` makes of the chain: awaited, and never a Failure. */
export type Settled<U> = Exclude<Awaited<U>, Failure>;

type Fn = (result: unknown, ...args: unknown[]) => unknown;

// Markers in the callback list (never user functions). CONTINUE hands the
// result to a Deferred waiting on this one (a callback returned this one);
// CHAIN fires another Deferred with it (chainDeferred). Both are handled in
// the loop itself so long chains use no extra stack.
const CONTINUE = { marker: 'continue' };
const CHAIN = { marker: 'chain' };
// The canceller slot after the canceller ran: it runs at most once.
const CANCELLER_USED = (): void => {};

const log = new Logger('torsion.defer');

/**
 * A result that will be available later, and the chain of callbacks that
 * process it (Twisted's `Deferred`).
 *
 * - Callbacks run synchronously, in order, as soon as the Deferred fires
 *   (`callback(result)` or `errback(failure)`, at most once) or, when it has
 *   already fired, as soon as they are added.
 * - A callback that throws or returns a {@link Failure} switches the chain
 *   to the errback path; an errback that returns anything else switches back.
 * - A callback that returns a Deferred (or a Promise) pauses the chain until
 *   that one has a result, which then continues down this chain. Chains are
 *   processed iteratively: any depth of nesting uses bounded stack.
 * - `await d` works (`then`): it observes the result at that point of the
 *   chain without changing it, and rejects with the failure's `value`.
 *
 * @typeParam T - the type of the result the next added callback receives.
 * @example
 * ```ts
 * const d = new Deferred<number>();
 * d.addCallback((n) => n * 2).addCallback((n) => console.log(n));
 * d.callback(21); // logs 42, synchronously
 * ```
 */
export class Deferred<T = unknown> implements PromiseLike<T> {
  // Flat list of [callback, callbackArgs, errback, errbackArgs] quadruples;
  // `null` means "pass the result through". #head is the next unread slot:
  // consuming from the front without shifting keeps long chains linear.
  #cbs: unknown[] = [];
  #head = 0;
  #called = false;
  #paused = 0;
  #result: unknown = undefined;
  #running = false;
  #suppressAlreadyCalled = false;
  #canceller: ((d: never) => void) | null;
  #debug: DebugInfo | null = null;

  /**
   * @param canceller - called by `cancel()` while the Deferred is unfired,
   *   with the Deferred; it should stop the pending work and may fire the
   *   Deferred itself. If it does not, `cancel()` errbacks with
   *   {@link CancelledError}.
   */
  constructor(canceller?: Canceller<T> | null) {
    if (canceller != null) checkFunction('canceller', canceller);
    this.#canceller = canceller ?? null;
    if (getDebugging()) {
      this.#debug = new DebugInfo();
      this.#debug.creator = captureStack(Deferred);
    }
  }

  /** True once `callback()` or `errback()` was called. */
  get called(): boolean {
    return this.#called;
  }

  /** How many unmatched `pause()` calls there are (waiting on a returned Deferred counts as one). */
  get paused(): number {
    return this.#paused;
  }

  /**
   * Add a callback and an errback at the same point of the chain.
   * @param callback - called with the result (and `options.callbackArgs`).
   * @param errback - called with the Failure (and `options.errbackArgs`); when
   *   absent the failure passes through.
   * @returns this Deferred.
   */
  addCallbacks<U, V = never, A extends unknown[] = [], B extends unknown[] = []>(
    callback: (result: T, ...args: A) => U,
    errback?: ((failure: Failure, ...args: B) => V) | null,
    options?: AddCallbacksOptions<A, B>,
  ): Deferred<Settled<U> | Settled<V>> {
    checkFunction('callback', callback);
    if (errback != null) checkFunction('errback', errback);
    const cbArgs = argList('options.callbackArgs', options?.callbackArgs);
    const ebArgs = argList('options.errbackArgs', options?.errbackArgs);
    return this.#add(callback, cbArgs, errback ?? null, ebArgs);
  }

  /** Add a callback (the failure passes it by). @returns this Deferred. */
  addCallback<U, A extends unknown[] = []>(callback: (result: T, ...args: A) => U, ...args: A): Deferred<Settled<U>> {
    checkFunction('callback', callback);
    return this.#add(callback, args.length > 0 ? args : undefined, null, undefined);
  }

  /** Add an errback (a result passes it by). @returns this Deferred. */
  addErrback<U, A extends unknown[] = []>(errback: (failure: Failure, ...args: A) => U, ...args: A): Deferred<T | Settled<U>> {
    checkFunction('errback', errback);
    return this.#add(null, undefined, errback, args.length > 0 ? args : undefined);
  }

  /** Add one function as both callback and errback. @returns this Deferred. */
  addBoth<U, A extends unknown[] = []>(fn: (resultOrFailure: T | Failure, ...args: A) => U, ...args: A): Deferred<Settled<U>> {
    checkFunction('callback', fn);
    const a = args.length > 0 ? args : undefined;
    return this.#add(fn, a, fn, a);
  }

  #add<R>(cb: unknown, cbArgs: unknown[] | undefined, eb: unknown, ebArgs: unknown[] | undefined): Deferred<R> {
    this.#cbs.push(cb, cbArgs, eb, ebArgs);
    if (this.#called) this.#runCallbacks();
    return this as unknown as Deferred<R>;
  }

  /**
   * Fire the chain with a result.
   * @throws AlreadyCalledError if already fired (except the one call
   *   swallowed after a canceller-less `cancel()`); TypeError for a Deferred.
   */
  callback(result: T): void {
    if (result instanceof Deferred) {
      throw new ArgTypeError('callback() cannot take a Deferred: return it from a callback, or use chainDeferred()');
    }
    this.#start(result, Deferred.prototype.callback);
  }

  /**
   * Fire the errback chain. `fail` may be a {@link Failure} or any thrown
   * value (wrapped with `Failure.from`). JavaScript has no "current
   * exception", so with no argument (or `undefined`) the failure is an
   * `Error('errback() called with no failure')`.
   * @throws AlreadyCalledError as for `callback()`.
   */
  errback(fail?: unknown): void {
    const f = fail === undefined ? new Failure(new Error('errback() called with no failure')) : Failure.from(fail);
    this.#start(f, Deferred.prototype.errback);
  }

  #start(result: unknown, caller: (...args: never[]) => unknown): void {
    if (this.#called) {
      if (this.#suppressAlreadyCalled) {
        this.#suppressAlreadyCalled = false;
        return;
      }
      throw this.#alreadyCalled();
    }
    if (getDebugging()) (this.#debug ??= new DebugInfo()).invoker = captureStack(caller);
    this.#called = true;
    // A fired Deferred never calls its canceller: drop it, so a canceller
    // that refers back to the Deferred does not keep a cycle alive.
    this.#canceller = null;
    this.#result = result;
    this.#runCallbacks();
  }

  #alreadyCalled(): AlreadyCalledError {
    const extra = this.#debug?.debugText();
    return extra ? new AlreadyCalledError(`The Deferred has already been fired\n${extra}`) : new AlreadyCalledError();
  }

  /** Stop running callbacks until the matching `unpause()`. Nests as a counter. */
  pause(): void {
    this.#paused++;
  }

  /**
   * Undo one `pause()`; at zero, a fired Deferred runs its pending callbacks.
   * @throws RuntimeError when not paused.
   */
  unpause(): void {
    if (this.#paused === 0) throw new RuntimeError('unpause() called on a Deferred that is not paused');
    if (--this.#paused === 0 && this.#called) this.#runCallbacks();
  }

  /**
   * Cancel the Deferred.
   *
   * Unfired: call the canceller (at most once ever); if that did not fire the
   * Deferred, errback with {@link CancelledError}. Without a canceller, the
   * one `callback()`/`errback()` the original producer will still make is
   * silently swallowed (only one: a second raises AlreadyCalledError).
   * Fired but waiting on a Deferred returned by a callback: cancel that one.
   * Otherwise: nothing.
   */
  cancel(): void {
    if (!this.#called) {
      const canceller = this.#canceller;
      if (canceller === null) {
        this.#suppressAlreadyCalled = true;
      } else if (canceller !== CANCELLER_USED) {
        this.#canceller = CANCELLER_USED;
        canceller(this as never);
      }
      if (!this.#called) this.errback(new Failure(new CancelledError()));
    } else if (this.#result instanceof Deferred) {
      this.#result.cancel();
    }
  }

  /**
   * Cancel this Deferred if it has not fired after `seconds` on `clock`.
   * If the timeout did the cancelling, the CancelledError becomes defer's
   * {@link TimeoutError} (or whatever `onTimeoutCancel(result, seconds)`
   * returns). The timer is cleared when the Deferred fires. The timeout
   * covers only the callbacks added before this call.
   * @returns this Deferred.
   */
  addTimeout(
    seconds: number,
    clock: IReactorTime,
    onTimeoutCancel?: ((result: unknown, timeout: number) => unknown) | null,
  ): Deferred<T> {
    checkDelay('seconds', seconds);
    if (clock == null || typeof clock.callLater !== 'function') {
      throw new ArgTypeError(`clock must be an IReactorTime (with callLater), got ${describe(clock)}`);
    }
    if (onTimeoutCancel != null) checkFunction('onTimeoutCancel', onTimeoutCancel);
    let timedOut = false;
    const call = clock.callLater(seconds, () => {
      timedOut = true;
      this.cancel();
    });
    const onFire = (value: unknown): unknown => {
      if (call.active()) call.cancel();
      return timedOut ? (onTimeoutCancel ?? cancelledToTimedOutError)(value, seconds) : value;
    };
    return this.#add(onFire, undefined, onFire, undefined);
  }

  /**
   * Make `d` fire with this Deferred's result or failure at this point of
   * the chain (Twisted's `addCallbacks(d.callback, d.errback)`); this chain
   * continues with `undefined`. Runs iteratively, like returned Deferreds.
   * @returns this Deferred.
   */
  chainDeferred(d: Deferred<T>): Deferred<void> {
    if (!(d instanceof Deferred)) throw new ArgTypeError(`d must be a Deferred, got ${describe(d)}`);
    if (d === (this as unknown)) throw new ArgTypeError('A Deferred cannot be chained to itself');
    return this.#add(CHAIN, d as unknown as unknown[], CHAIN, d as unknown as unknown[]);
  }

  /**
   * Run as many callbacks as can run now. Each Deferred waiting on another
   * (a callback returned it) is pushed on a local stack instead of recursing.
   */
  #runCallbacks(): void {
    if (this.#running) return;
    let current: Deferred<unknown> = this as Deferred<unknown>;
    let stack: Deferred<unknown>[] | null = null;
    for (;;) {
      let next: Deferred<unknown> | null = null;
      // A paused Deferred produces nothing for now; the ones below it on the
      // stack go on with their own remaining callbacks.
      const active = current.#paused === 0;
      if (active) {
        const cbs = current.#cbs;
        while (current.#head < cbs.length) {
          const h = current.#head;
          current.#head = h + 4;
          const result = current.#result;
          const i = result instanceof Failure ? h + 2 : h;
          const fn = cbs[i];
          if (fn === null) continue;
          const args = cbs[i + 1];
          if (fn === CONTINUE) {
            // Give the waiting Deferred our result and forget it ourselves.
            const chainee = args as Deferred<unknown>;
            chainee.#result = result;
            current.#result = undefined;
            if (current.#debug !== null) current.#debug.failResult = null;
            chainee.#paused--;
            next = chainee;
            break;
          }
          if (fn === CHAIN) {
            const target = args as Deferred<unknown>;
            current.#result = undefined;
            if (target.#called) {
              if (target.#suppressAlreadyCalled) target.#suppressAlreadyCalled = false;
              else current.#result = new Failure(target.#alreadyCalled());
              continue;
            }
            if (getDebugging()) (target.#debug ??= new DebugInfo()).invoker = captureStack();
            target.#called = true;
            target.#canceller = null;
            target.#result = result;
            next = target;
            break;
          }
          let out: unknown;
          current.#running = true;
          try {
            out = args === undefined ? (fn as Fn)(result) : (fn as Fn)(result, ...(args as unknown[]));
            if (!(out instanceof Deferred) && isThenable(out)) out = Deferred.fromPromise(out);
          } catch (e) {
            out = Failure.from(e);
          }
          current.#running = false;
          if (out instanceof Deferred) {
            if (out === current) {
              current.#result = new Failure(
                new ArgTypeError('A callback returned the Deferred it was added to; that would wait forever'),
              );
              continue;
            }
            if (!out.#called || out.#paused > 0 || out.#result instanceof Deferred) {
              // No result yet: wait for it. `out` is not running its
              // callbacks (it has no result), so append directly.
              current.#paused++;
              current.#result = out;
              out.#cbs.push(CONTINUE, current, CONTINUE, current);
              break;
            }
            // It has a result already: take it; its own result becomes undefined.
            current.#result = out.#result;
            out.#result = undefined;
            if (out.#debug !== null) out.#debug.failResult = null;
            continue;
          }
          current.#result = out;
        }
      }
      if (next !== null) {
        (stack ??= []).push(current);
        current = next;
        continue;
      }
      if (active) current.#settle();
      if (stack === null || stack.length === 0) return;
      current = stack.pop()!;
    }
  }

  // Bookkeeping once a Deferred ran what it could: drop consumed slots, and
  // note whether its chain now ends in a Failure (for the unhandled report).
  #settle(): void {
    if (this.#head === this.#cbs.length) {
      this.#cbs.length = 0;
      this.#head = 0;
    }
    const r = this.#result;
    if (r instanceof Failure) {
      // The Failure is about to be held by the unhandled-error registry:
      // it must not keep this Deferred reachable through its stack frames.
      r.cleanFailure();
      const info = (this.#debug ??= new DebugInfo());
      info.failResult = r;
      watchForUnhandled(this, info);
    } else if (this.#debug !== null) {
      this.#debug.failResult = null;
    }
  }

  /**
   * A Promise of the result at this point of the chain. The chain itself is
   * unchanged; a failure rejects the Promise with `failure.value` and counts
   * as handled (the Promise now carries it).
   */
  asPromise(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onResult = (r: unknown): unknown => {
        resolve(r as T);
        return r;
      };
      const onFailure = (f: unknown): unknown => {
        markHandled(f as Failure);
        reject((f as Failure).value);
        return f;
      };
      this.#add(onResult, undefined, onFailure, undefined);
    });
  }

  /** Promise interop: `await d` (see {@link Deferred.asPromise}). */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.asPromise().then(onfulfilled, onrejected);
  }

  /**
   * A Deferred that fires with the Promise's value or fails with its
   * rejection reason (a Deferred is returned as is). Promises cannot be
   * cancelled: cancelling the Deferred fails it with CancelledError and
   * the Promise's eventual outcome is dropped.
   */
  static fromPromise<T>(promise: PromiseLike<T>): Deferred<T> {
    if (promise instanceof Deferred) return promise;
    if (!isThenable(promise)) throw new ArgTypeError(`promise must be a Promise or thenable, got ${describe(promise)}`);
    const d = new Deferred<T>();
    promise.then(
      (value) => settleFromPromise(d, false, value),
      (reason: unknown) => settleFromPromise(d, true, reason),
    );
    return d;
  }

  /** A short description, as Twisted's repr. */
  toString(): string {
    if (!this.#called) return `<${this.constructor.name} pending>`;
    if (this.#result instanceof Deferred) return `<${this.constructor.name} waiting on another Deferred>`;
    return `<${this.constructor.name} current result: ${this.#result instanceof Failure ? this.#result.toString() : describe(this.#result)}>`;
  }
}

function settleFromPromise<T>(d: Deferred<T>, failed: boolean, value: unknown): void {
  try {
    if (failed) d.errback(Failure.from(value));
    else d.callback(value as T);
  } catch (e) {
    // Only reachable when someone else fired the Deferred first; a Promise
    // handler has nobody to throw to, so log instead.
    log.failure('Error firing a Deferred from its Promise', Failure.from(e));
  }
}

function argList(name: string, args: unknown): unknown[] | undefined {
  if (args == null) return undefined;
  if (!Array.isArray(args)) throw new ArgTypeError(`${name} must be an array, got ${describe(args)}`);
  return args.length > 0 ? args : undefined;
}

/** True for anything with a callable `then` (a Promise or other thenable). @internal */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && (typeof x === 'object' || typeof x === 'function') && typeof (x as { then?: unknown }).then === 'function';
}

function cancelledToTimedOutError(value: unknown, timeout: number): unknown {
  if (value instanceof Failure) {
    value.trap(CancelledError);
    throw new TimeoutError(timeout, undefined, { cause: value.value });
  }
  return value;
}
