/**
 * Concurrency primitives built on Deferreds: `DeferredLock`,
 * `DeferredSemaphore`, `DeferredQueue` (Twisted's, same semantics).
 * @module
 */
import { RuntimeError } from '../errors';
import { checkCount, checkFunction } from '../validate';
import { Deferred, type Settled } from './deferred';
import { QueueOverflow, QueueUnderflow } from './errors';
import { maybeDeferred } from './helpers';

/** What DeferredLock and DeferredSemaphore share: FIFO waiters and `run()`. */
abstract class ConcurrencyPrimitive {
  /** Deferreds of `acquire()` calls still waiting, first come first served. */
  protected readonly waiting: Deferred<this>[] = [];
  // Bound once: the canceller of every waiting acquire().
  protected readonly cancelAcquire = (d: Deferred<this>): void => {
    const i = this.waiting.indexOf(d);
    if (i >= 0) this.waiting.splice(i, 1);
  };

  /** A Deferred that fires with this primitive once it is acquired. */
  abstract acquire(): Deferred<this>;
  /** Give back what `acquire()` took; the next waiter, if any, gets it. */
  abstract release(): void;

  /**
   * Acquire, call `f(...args)` (as `maybeDeferred`), and release once its
   * result is in, whether it succeeded or failed.
   * @returns a Deferred of `f`'s result.
   */
  run<U, A extends unknown[]>(f: (...args: A) => U, ...args: A): Deferred<Settled<U>> {
    checkFunction('f', f);
    return this.acquire().addCallback(() =>
      maybeDeferred(f, ...args).addBoth((r) => {
        this.release();
        return r;
      }),
    ) as unknown as Deferred<Settled<U>>;
  }
}

/**
 * A lock for code that runs across several callbacks.
 * @example
 * ```ts
 * const lock = new DeferredLock();
 * lock.run(() => writeRecord(r));   // runs when the lock is free
 * ```
 */
export class DeferredLock extends ConcurrencyPrimitive {
  /** True while some acquirer holds the lock. */
  locked = false;

  /** A Deferred of the lock, fired when this caller holds it. Cancelling a waiting one removes it from the queue. */
  acquire(): Deferred<this> {
    const d = new Deferred<this>(this.cancelAcquire);
    if (this.locked) {
      this.waiting.push(d);
    } else {
      this.locked = true;
      d.callback(this);
    }
    return d;
  }

  /**
   * Release the lock; the first waiter gets it.
   * @throws RuntimeError when the lock is not held.
   */
  release(): void {
    if (!this.locked) throw new RuntimeError('Tried to release an unlocked DeferredLock');
    this.locked = false;
    const next = this.waiting.shift();
    if (next !== undefined) {
      this.locked = true;
      next.callback(this);
    }
  }
}

/** A semaphore: at most `tokens` holders at once. */
export class DeferredSemaphore extends ConcurrencyPrimitive {
  /** Tokens still free. */
  tokens: number;
  /** The number of tokens it was created with. */
  readonly limit: number;

  /** @throws RangeError for tokens below 1 (TypeError for a non-integer). */
  constructor(tokens: number) {
    super();
    checkCount('tokens', tokens, 1);
    this.tokens = tokens;
    this.limit = tokens;
  }

  /** A Deferred that fires with the semaphore once a token is taken. Cancelling a waiting one removes it from the queue. */
  acquire(): Deferred<this> {
    const d = new Deferred<this>(this.cancelAcquire);
    if (this.tokens === 0) {
      this.waiting.push(d);
    } else {
      this.tokens--;
      d.callback(this);
    }
    return d;
  }

  /**
   * Give a token back; the first waiter gets it.
   * @throws RuntimeError when released more often than acquired.
   */
  release(): void {
    if (this.tokens >= this.limit) throw new RuntimeError('DeferredSemaphore released more times than it was acquired');
    const next = this.waiting.shift();
    if (next !== undefined) next.callback(this);
    else this.tokens++;
  }
}

/** Options of {@link DeferredQueue}. */
export interface DeferredQueueOptions {
  /** Most objects held waiting for a `get()`; unlimited when absent. */
  size?: number;
  /** Most `get()`s waiting for an object; unlimited when absent. */
  backlog?: number;
}

/**
 * An event-driven queue: `put()` objects, `get()` Deferreds of them, in
 * order.
 */
export class DeferredQueue<T = unknown> {
  /** Deferreds of `get()` calls waiting for an object. */
  readonly waiting: Deferred<T>[] = [];
  /** Objects waiting for a `get()`. */
  readonly pending: T[] = [];
  /** Most objects kept waiting for a `get()` (undefined: unlimited). */
  readonly size: number | undefined;
  /** Most `get()`s kept waiting for an object (undefined: unlimited). */
  readonly backlog: number | undefined;
  readonly #cancelGet = (d: Deferred<T>): void => {
    const i = this.waiting.indexOf(d);
    if (i >= 0) this.waiting.splice(i, 1);
  };

  /** @throws RangeError/TypeError when size or backlog is not an integer >= 0. */
  constructor(options: DeferredQueueOptions = {}) {
    if (options.size != null) checkCount('size', options.size);
    if (options.backlog != null) checkCount('backlog', options.backlog);
    this.size = options.size ?? undefined;
    this.backlog = options.backlog ?? undefined;
  }

  /**
   * Hand `obj` to the first waiting `get()`, or keep it.
   * @throws QueueOverflow when `size` objects are already kept.
   */
  put(obj: T): void {
    const d = this.waiting.shift();
    if (d !== undefined) d.callback(obj);
    else if (this.size === undefined || this.pending.length < this.size) this.pending.push(obj);
    else throw new QueueOverflow();
  }

  /**
   * A Deferred of the next object. Cancelling it while it waits removes it.
   * @throws QueueUnderflow when `backlog` gets are already waiting.
   */
  get(): Deferred<T> {
    if (this.pending.length > 0) {
      const d = new Deferred<T>();
      d.callback(this.pending.shift() as T);
      return d;
    }
    if (this.backlog === undefined || this.waiting.length < this.backlog) {
      const d = new Deferred<T>(this.#cancelGet);
      this.waiting.push(d);
      return d;
    }
    throw new QueueUnderflow();
  }
}
