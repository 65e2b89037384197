/**
 * Small Promise helpers of the telnet streams: marking a Promise handled,
 * and waiting for "something changed" under `{ timeout, signal }`.
 * @module
 */
import { TimeoutError } from '../../defer/errors';
import type { IReactorTime } from '../../interfaces/time';
import type { ReadOptions } from '../../streams/asyncio/options';

export type { ReadOptions } from '../../streams/asyncio/options';

/**
 * One deadline for a whole read: `wait()` resolves on the next `wake()`, or
 * rejects when the timeout expires or the signal aborts. `done()` clears
 * the timer. Used as `const d = new Deadline(...); try { while (!ok) await d.wait(waiters) } finally { d.done() }`.
 */
export class Deadline {
  #timer: { cancel(): void; active(): boolean } | null = null;
  #failed: unknown = null;
  #pending: Array<(err: unknown) => void> = [];
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: () => void;

  constructor(clock: IReactorTime, opts: ReadOptions | undefined) {
    this.#signal = opts?.signal;
    this.#onAbort = () => this.#fail(this.#signal!.reason);
    if (this.#signal?.aborted) this.#failed = this.#signal.reason ?? new Error('aborted');
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    const t = opts?.timeout;
    if (t !== undefined && t !== null && this.#failed === null) {
      this.#timer = clock.callLater(t, () => {
        this.#timer = null;
        this.#fail(new TimeoutError(t, `read timed out after ${t} seconds`));
      });
    }
  }

  #fail(err: unknown): void {
    if (this.#failed !== null) return;
    this.#failed = err ?? new Error('aborted');
    for (const reject of this.#pending.splice(0)) reject(this.#failed);
  }

  /** Throws the timeout/abort error if it already happened. */
  check(): void {
    if (this.#failed !== null) throw this.#failed;
  }

  /** Wait for the next wake-up from `waiters`, or the deadline. */
  wait(waiters: Waiters): Promise<void> {
    this.check();
    return new Promise<void>((resolve, reject) => {
      const entry = (err: unknown) => reject(err);
      this.#pending.push(entry);
      waiters.add(() => {
        const i = this.#pending.indexOf(entry);
        if (i >= 0) this.#pending.splice(i, 1);
        resolve();
      });
    });
  }

  /** Clear the timer and the signal listener. */
  done(): void {
    if (this.#timer !== null && this.#timer.active()) this.#timer.cancel();
    this.#timer = null;
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/** A list of one-shot wake-up callbacks. */
export class Waiters {
  #list: Array<() => void> = [];
  /** Add a callback run at the next wake(). */
  add(fn: () => void): void {
    this.#list.push(fn);
  }
  /** Run (and forget) every callback. */
  wake(): void {
    if (this.#list.length === 0) return;
    for (const fn of this.#list.splice(0)) fn();
  }
}
