/**
 * Three-phase system events (Twisted's `_ThreePhaseEvent`): the machinery
 * behind `addSystemEventTrigger` / `fireSystemEvent`, and the reactor's own
 * `startup` and `shutdown`.
 * @module
 */
import { ArgRangeError } from '../validate';
import { isThenable } from '../guard';
import { Failure } from '../defer/failure';
import type { EventPhase, TriggerId } from '../interfaces/core';
import type { Logger } from '../logger';

/** The phases, in firing order. @internal */
export const PHASES: readonly EventPhase[] = ['before', 'during', 'after'];

/** A registered trigger; the object itself is the id handed to the caller. @internal */
export class SystemEventTrigger implements TriggerId {
  constructor(
    readonly eventType: string,
    readonly phase: EventPhase,
    /** @internal */
    readonly fn: (...args: never[]) => unknown,
    /** @internal */
    readonly args: readonly unknown[],
  ) {}

  /** A description for debugging. */
  toString(): string {
    return `<SystemEventTrigger ${this.phase} ${this.eventType} ${this.fn.name || '<anonymous>'}>`;
  }
}

/** Is `x` Deferred-like (fires its callbacks synchronously)? */
function isDeferredLike(x: unknown): x is { addCallbacks(cb: (r: unknown) => unknown, eb: (f: Failure) => unknown): unknown } {
  return x !== null && typeof x === 'object' && typeof (x as { addCallbacks?: unknown }).addCallbacks === 'function';
}

/**
 * One event type's triggers. Firing runs the `before` triggers (FIFO,
 * consuming them); if any returned a Deferred or a thenable, the `during`
 * phase waits until all of those settled; then `during` and `after` run.
 * Every trigger runs at most once; exceptions are logged and the rest
 * still run. Triggers added while a phase runs join it; triggers removed
 * before their turn are skipped.
 * @internal
 */
export class ThreePhaseEvent {
  readonly before: SystemEventTrigger[] = [];
  readonly during: SystemEventTrigger[] = [];
  readonly after: SystemEventTrigger[] = [];
  /** 'BEFORE' while before-phase results are awaited, else 'BASE'. */
  state: 'BASE' | 'BEFORE' = 'BASE';
  /** Before triggers already run in the current firing. */
  finishedBefore: SystemEventTrigger[] = [];
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Register a trigger for its phase. */
  add(trigger: SystemEventTrigger): void {
    this[trigger.phase].push(trigger);
  }

  /**
   * Remove a trigger that has not run yet.
   * @throws RangeError when it is not registered (already removed, or already run).
   */
  remove(trigger: SystemEventTrigger): void {
    if (this.state === 'BEFORE' && this.finishedBefore.includes(trigger)) {
      // Twisted only warns here (a trigger of the phase still in progress).
      this.#log.warn(`Removing a system event trigger that already ran does nothing: ${trigger}`);
      return;
    }
    const list = this[trigger.phase];
    const i = list.indexOf(trigger);
    if (i < 0) {
      throw new ArgRangeError(`The ${trigger.phase} ${trigger.eventType} trigger was already removed or has already run`);
    }
    list.splice(i, 1);
  }

  /**
   * Run the three phases. `onDone` is called once the `after` phase ran
   * (synchronously when no `before` trigger returned something to wait for).
   */
  fire(onDone?: () => void): void {
    this.state = 'BEFORE';
    this.finishedBefore = [];
    let pending = 1; // released after the loop, so the phase cannot end early
    const settle = (): void => {
      if (--pending === 0) this.#continue(onDone);
    };
    while (this.before.length > 0) {
      const trigger = this.before.shift() as SystemEventTrigger;
      this.finishedBefore.push(trigger);
      const result = this.#run(trigger);
      if (isDeferredLike(result)) {
        pending++;
        result.addCallbacks(
          (r: unknown) => {
            settle();
            return r;
          },
          (f: Failure) => {
            this.#log.failure(`Error in a deferred ${trigger.phase} ${trigger.eventType} trigger`, f);
            settle();
            return null;
          },
        );
      } else if (isThenable(result)) {
        pending++;
        result.then(settle, (err: unknown) => {
          this.#log.failure(`Error in an asynchronous ${trigger.phase} ${trigger.eventType} trigger`, Failure.from(err));
          settle();
        });
      }
    }
    settle();
  }

  #continue(onDone: (() => void) | undefined): void {
    this.state = 'BASE';
    this.finishedBefore = [];
    for (const list of [this.during, this.after]) {
      while (list.length > 0) {
        const trigger = list.shift() as SystemEventTrigger;
        const result = this.#run(trigger);
        // Only `before` results are waited for (as in Twisted); a rejected
        // promise from a later phase must still not go unhandled.
        if (!isDeferredLike(result) && isThenable(result)) {
          result.then(undefined, (err: unknown) => {
            this.#log.failure(`Error in an asynchronous ${trigger.phase} ${trigger.eventType} trigger`, Failure.from(err));
          });
        }
      }
    }
    onDone?.();
  }

  #run(trigger: SystemEventTrigger): unknown {
    try {
      return (trigger.fn as (...args: unknown[]) => unknown)(...trigger.args);
    } catch (err) {
      this.#log.failure(
        `Error in a ${trigger.phase} ${trigger.eventType} trigger ${trigger.fn.name || '<anonymous>'}`,
        new Failure(err),
      );
      return undefined;
    }
  }
}
