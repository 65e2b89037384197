/**
 * An idle timeout for any protocol (Twisted's
 * `twisted.protocols.policies.TimeoutMixin`).
 * @module
 */
import { watchProtocolCallback } from '../guard';
import type { IDelayedCall, IReactorTime } from '../interfaces/time';
import type { ITransport } from '../interfaces/transport';
import { getGlobalReactor } from '../task/default-reactor';
import { checkDelay } from '../validate';

/**
 * What {@link TimeoutMixin} adds to a protocol class: the type of an
 * instance of `TimeoutMixin(Base)` (declared with the same name as the
 * function, so `p: TimeoutMixin` reads naturally).
 */
export interface TimeoutMixin {
  /**
   * The timeout period in seconds, or null for none (Twisted's `timeOut`).
   * A subclass may give it a default; {@link TimeoutMixin.setTimeout}
   * changes it.
   */
  timeOut: number | null;
  /**
   * Where the timeout is scheduled: null (the default) means the global
   * `reactor`. Tests set a `Clock` here.
   */
  clock: IReactorTime | null;
  /**
   * Schedule `fn` after `period` seconds on {@link TimeoutMixin.clock}.
   * Override it to schedule elsewhere (Twisted's hook for tests).
   */
  callLater(period: number, fn: () => void): IDelayedCall;
  /**
   * Change the period: start the countdown afresh from now with the new
   * period, or cancel it with null.
   * @returns the previous period.
   * @throws TypeError/RangeError unless `period` is null or a finite number >= 0.
   */
  setTimeout(period: number | null): number | null;
  /**
   * Restart the countdown from now, typically when meaningful data
   * arrives. Does nothing when no timeout is pending (none set, cancelled,
   * or already timed out).
   */
  resetTimeout(): void;
  /**
   * The countdown expired. Default: `transport.loseConnection()`. Override
   * it to do something else (send a goodbye, abort instead, ...).
   */
  timeoutConnection(): void;
}

/** A class whose instances may have a transport (any Protocol). */
export type ProtocolConstructor = new (...args: any[]) => { transport: ITransport | null };

/**
 * Add an idle timeout to a protocol class: a mixin function, TypeScript's
 * idiom for Twisted's `class P(Protocol, TimeoutMixin)`. Works with any
 * protocol class (`Protocol`, `LineReceiver`, your own).
 *
 * The protocol has a single countdown. Start it with
 * {@link TimeoutMixin.setTimeout} (often in `connectionMade`), push it
 * back with {@link TimeoutMixin.resetTimeout} when data arrives, and stop
 * it with `setTimeout(null)` — do that in `connectionLost`, as in Twisted,
 * or the pending call keeps the protocol alive until it fires. When it
 * runs out, {@link TimeoutMixin.timeoutConnection} is called.
 *
 * @example
 * ```ts
 * class Idle extends TimeoutMixin(LineReceiver) {
 *   override timeOut = 30;
 *   override connectionMade(): void { this.setTimeout(this.timeOut); }
 *   override lineReceived(line: Buffer): void { this.resetTimeout(); this.sendLine(line); }
 *   override connectionLost(): void { this.setTimeout(null); }
 * }
 * // In a test: proto.clock = new Clock();
 * ```
 */
export function TimeoutMixin<TBase extends ProtocolConstructor>(Base: TBase): TBase & (new (...args: any[]) => TimeoutMixin) {
  class WithTimeout extends Base implements TimeoutMixin {
    timeOut: number | null = null;
    clock: IReactorTime | null = null;
    #timeoutCall: IDelayedCall | null = null;
    #onTimeout: (() => void) | null = null;

    callLater(period: number, fn: () => void): IDelayedCall {
      return (this.clock ?? getGlobalReactor()).callLater(period, fn);
    }

    resetTimeout(): void {
      const call = this.#timeoutCall;
      if (call !== null && this.timeOut !== null && call.active()) call.reset(this.timeOut);
    }

    setTimeout(period: number | null): number | null {
      if (period !== null) checkDelay('period', period);
      const prev = this.timeOut;
      this.timeOut = period;
      const call = this.#timeoutCall;
      if (call !== null) {
        if (period === null) {
          // Someone else (a reactor shutting down) may have cancelled it already.
          if (call.active()) call.cancel();
          this.#timeoutCall = null;
        } else if (call.active()) {
          call.reset(period);
        } else {
          this.#timeoutCall = this.#schedule(period);
        }
      } else if (period !== null) {
        this.#timeoutCall = this.#schedule(period);
      }
      return prev;
    }

    timeoutConnection(): void {
      this.transport?.loseConnection();
    }

    #schedule(period: number): IDelayedCall {
      // One closure per protocol instance, made on first use, not per reset.
      this.#onTimeout ??= () => {
        this.#timeoutCall = null;
        watchProtocolCallback(this, 'timeoutConnection', this.timeoutConnection());
      };
      return this.callLater(period, this.#onTimeout);
    }
  }
  return WithTimeout;
}
