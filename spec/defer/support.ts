/**
 * trial's synchronous result helpers (successResultOf / failureResultOf /
 * assertNoResult) for the defer specs. Like trial's, reading a result
 * consumes it (the chain continues with undefined), so a failure read here
 * is never reported as unhandled.
 */
import { Deferred } from '../../src/defer/deferred';
import { Failure, type FailureType } from '../../src/defer/failure';

type Outcome = { kind: 'none' } | { kind: 'ok'; value: unknown } | { kind: 'fail'; failure: Failure };

function outcome(d: Deferred<unknown>): Outcome {
  let out: Outcome = { kind: 'none' };
  d.addBoth((r: unknown) => {
    out = r instanceof Failure ? { kind: 'fail', failure: r } : { kind: 'ok', value: r };
  });
  return out;
}

/** The current result of `d`, which must have succeeded. */
export function successResultOf<T>(d: Deferred<T>): T {
  const out = outcome(d as Deferred<unknown>);
  if (out.kind === 'none') throw new Error(`Expected ${d.toString()} to have a result, it has none`);
  if (out.kind === 'fail') throw new Error(`Expected a success, got a failure:\n${out.failure.getTraceback()}`);
  return out.value as T;
}

/** The current failure of `d`, which must match one of `types` (when given). */
export function failureResultOf(d: Deferred<unknown>, ...types: FailureType[]): Failure {
  const out = outcome(d);
  if (out.kind === 'none') throw new Error(`Expected ${d.toString()} to have a failure, it has no result`);
  if (out.kind === 'ok') throw new Error(`Expected a failure, got the result ${String(out.value)}`);
  if (types.length > 0 && out.failure.check(...types) === null) {
    throw new Error(`Failure of the wrong type:\n${out.failure.getTraceback()}`);
  }
  return out.failure;
}

/** Throw unless `d` has no result yet (checked without consuming anything). */
export function assertNoResult(d: Deferred<unknown>): void {
  let seen = false;
  d.addBoth((r: unknown) => {
    seen = true;
    return r;
  });
  if (seen) throw new Error(`Expected ${d.toString()} to have no result`);
}

/** A fresh error class, as Twisted's tests' GenericError. */
export class GenericError extends Error {
  override name = 'GenericError';
}
