/**
 * `react`: run the reactor around one main function and exit with its
 * outcome, as Twisted's `task.react`.
 * @module
 */
import { maybeDeferred } from '../defer';
import { Failure } from '../defer/failure';
import { ReactorNotRunning, TorsionError } from '../errors';
import type { IReactorCore } from '../interfaces/core';
import type { Reactor } from '../reactor';
import { Logger } from '../logger';
import { checkFunction } from '../validate';
import { getGlobalReactor } from './default-reactor';

const log = new Logger('torsion.task');

/**
 * Throw (or fail with) this from a `react` main function to exit with a
 * given code without the failure being logged: Python's `SystemExit`.
 * Only SystemExit does this: other errors that happen to carry an
 * `exitCode` (ProcessTerminated, say) are failures like any other.
 */
export class SystemExit extends TorsionError {
  override readonly code: string = 'ERR_SYSTEM_EXIT';
  /**
   * @param exitCode - the process exit code to use.
   */
  constructor(readonly exitCode: number = 0) {
    super(`Exit with code ${exitCode}`);
  }
}

/**
 * Run `main(reactor, ...argv)` under a running reactor, stop the reactor
 * (exactly once) when the Deferred or Promise it returns settles, and set
 * `process.exitCode`: 0 on success; on a {@link SystemExit}, its
 * `exitCode`; on any other failure 1, with the
 * failure logged ("main function encountered error").
 *
 * If something else stops the reactor first, react still waits for run()
 * to finish and uses whatever outcome main had by then (0 if none).
 *
 * JavaScript cannot block, so instead of exiting the process react returns
 * a Promise that resolves with the exit code once the reactor has stopped;
 * the process then exits by itself (the stopped reactor holds no handle).
 *
 * @param main - returns a Deferred or Promise (any other value counts as
 *   immediate success; a synchronous throw as a failure).
 * @param argv - extra arguments for main, after the reactor.
 * @param reactor - the reactor to run instead of the global one (tests).
 * @example
 * ```ts
 * react(async (reactor) => {
 *   await deferLater(reactor, 1);
 *   console.log('one second later');
 * });
 * ```
 */
export async function react<A extends unknown[], R extends IReactorCore = Reactor>(
  main: (reactor: R, ...argv: A) => unknown,
  argv?: A,
  reactor?: R,
): Promise<number> {
  checkFunction('main', main);
  const r = reactor ?? (getGlobalReactor() as unknown as R);
  const args = (argv ?? []) as A;
  let code = 0;
  let stopping = false;
  r.addSystemEventTrigger('before', 'shutdown', () => {
    stopping = true;
  });

  const stop = (result: unknown, stopReactor: boolean): void => {
    if (stopReactor) {
      try {
        r.stop();
      } catch (err) {
        if (!(err instanceof ReactorNotRunning)) throw err;
      }
    }
    if (result instanceof Failure) {
      const exitCode = exitCodeOf(result.value);
      if (exitCode !== null) {
        code = exitCode;
      } else {
        log.failure('main function encountered error', result);
        code = 1;
      }
    }
  };

  maybeDeferred(main, r, ...args).addBoth((result: unknown) => {
    // Once shutdown has begun, stopping again would be an error: only record the outcome.
    if (stopping) stop(result, false);
    else r.callWhenRunning(stop, result, true);
    // Consumed here, so the failure is not reported again as unhandled.
    return null;
  });

  await r.run();
  // An outcome that reached main during shutdown may still be travelling
  // through Promise jobs (an async main awaiting a Deferred fired by a
  // shutdown trigger): let them all run before reading it.
  await new Promise<void>((resolve) => setImmediate(resolve));
  process.exitCode = code;
  return code;
}

function exitCodeOf(value: unknown): number | null {
  return value instanceof SystemExit && Number.isInteger(value.exitCode) ? value.exitCode : null;
}
