/**
 * A call scheduled with {@link IReactorTime.callLater}.
 *
 * Lifecycle: pending -> (called | cancelled), exactly once. `called` is set
 * *before* the function runs, so cancelling from inside it throws
 * `AlreadyCalled`.
 */
export interface IDelayedCall {
  /** True once the call has started running. */
  readonly called: boolean;
  /** True once the call was cancelled. */
  readonly cancelled: boolean;
  /** When the call is due, in seconds on its reactor's clock (`seconds()`). */
  getTime(): number;
  /**
   * Cancel the call.
   * @throws AlreadyCalled if it already ran; AlreadyCancelled if cancelled before.
   */
  cancel(): void;
  /**
   * Postpone the call by `seconds` (may be negative to bring it forward).
   * @throws AlreadyCalled / AlreadyCancelled as for cancel().
   */
  delay(seconds: number): void;
  /**
   * Reschedule the call to run `secondsFromNow` seconds from now.
   * @throws AlreadyCalled / AlreadyCancelled as for cancel().
   */
  reset(secondsFromNow: number): void;
  /** True while the call has neither run nor been cancelled. */
  active(): boolean;
}

/**
 * Time-related services: the clock and delayed calls.
 *
 * Time is in seconds (floating point). Calls due at the same time run in the
 * order they were scheduled. A call scheduled while due calls are running
 * waits for the next pass (in the real reactor), even with delay 0.
 */
export interface IReactorTime {
  /** The current time in seconds. Monotonic for the real reactor. */
  seconds(): number;
  /**
   * Call `fn(...args)` after `delay` seconds.
   * @throws RangeError if delay is negative or not finite; TypeError if fn is not a function.
   */
  callLater<A extends unknown[]>(delay: number, fn: (...args: A) => unknown, ...args: A): IDelayedCall;
  /** Every call that is neither called nor cancelled. */
  getDelayedCalls(): IDelayedCall[];
}
