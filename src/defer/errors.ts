/**
 * The errors of `torsion/defer`, as in Twisted's `twisted.internet.defer`.
 * Each has a `name` and a stable `code`.
 * @module
 */
import { TorsionError, type TorsionErrorOptions } from '../errors';
import type { Failure } from './failure';

/** A Deferred was cancelled (the default result of `cancel()`). */
export class CancelledError extends TorsionError {
  override readonly code: string = 'ERR_DEFERRED_CANCELLED';
  constructor(message = 'The Deferred was cancelled', options?: TorsionErrorOptions) {
    super(message, options);
  }
}

/** `callback()`/`errback()` on a Deferred that already fired. */
export class AlreadyCalledError extends TorsionError {
  override readonly code: string = 'ERR_DEFERRED_ALREADY_CALLED';
  constructor(
    message = 'The Deferred has already been fired; callback()/errback() may be called only once',
    options?: TorsionErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A Deferred timed out (`addTimeout`). This is defer's own TimeoutError,
 * distinct from the connect-time `TimeoutError` of `torsion/error`, as in
 * Twisted.
 */
export class TimeoutError extends TorsionError {
  override readonly code: string = 'ERR_DEFERRED_TIMEOUT';
  /** The timeout that expired, in seconds (undefined when not known). */
  readonly timeout: number | undefined;
  constructor(timeout?: number, message?: string, options?: TorsionErrorOptions) {
    super(
      message ?? (timeout === undefined ? 'The Deferred timed out' : `The Deferred timed out after ${timeout} seconds`),
      options,
    );
    this.timeout = timeout;
  }
}

/**
 * The first failure of a `DeferredList` with `fireOnOneErrback` (and so of
 * `gatherResults`): which member failed, and how.
 */
export class FirstError extends TorsionError {
  override readonly code: string = 'ERR_FIRST_ERROR';
  /** The member's failure. */
  readonly subFailure: Failure;
  /** The member's position in the input list. */
  readonly index: number;
  constructor(subFailure: Failure, index: number) {
    super(`FirstError[#${index}, ${subFailure.toString()}]`, { cause: subFailure.value });
    this.subFailure = subFailure;
    this.index = index;
  }
}

/** Every member of a `race()` failed; `failures` holds them in input order. */
export class FailureGroup extends TorsionError {
  override readonly code: string = 'ERR_FAILURE_GROUP';
  /** One failure per raced Deferred, in input order. */
  readonly failures: Failure[];
  constructor(failures: Failure[]) {
    super(`All ${failures.length} raced Deferreds failed: ${failures.map((f) => f.getErrorMessage()).join('; ')}`);
    this.failures = failures;
  }
}

/** `DeferredQueue.put()` on a queue already holding `size` items. */
export class QueueOverflow extends TorsionError {
  override readonly code: string = 'ERR_QUEUE_OVERFLOW';
  constructor(message = 'The queue is full; wait for a get() before putting more', options?: TorsionErrorOptions) {
    super(message, options);
  }
}

/** `DeferredQueue.get()` with `backlog` gets already waiting. */
export class QueueUnderflow extends TorsionError {
  override readonly code: string = 'ERR_QUEUE_UNDERFLOW';
  constructor(message = 'Too many get() calls are already waiting on this queue', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
