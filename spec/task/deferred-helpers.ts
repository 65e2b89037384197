import { Deferred } from '../../src/defer';
import { Failure } from '../../src/defer/failure';

/** What a Deferred has settled with so far (Twisted's successResultOf/failureResultOf/assertNoResult). */
export type Outcome<T> = { state: 'pending' } | { state: 'success'; value: T } | { state: 'failure'; failure: Failure };

/**
 * Observe a Deferred without changing its chain's outcome for later
 * observers: a failure is recorded and consumed here (tests assert on it).
 */
export function watch<T>(d: Deferred<T>): { readonly outcome: Outcome<T> } {
  const box: { outcome: Outcome<T> } = { outcome: { state: 'pending' } };
  d.addCallbacks(
    (value: T) => {
      box.outcome = { state: 'success', value };
      return value;
    },
    (failure: Failure) => {
      box.outcome = { state: 'failure', failure };
      return null;
    },
  );
  return box;
}

export function successResultOf<T>(d: Deferred<T>): T {
  const o = watch(d).outcome;
  if (o.state !== 'success') throw new Error(`expected a success result, got ${o.state}`);
  return o.value;
}

export function failureResultOf<T>(d: Deferred<T>): Failure {
  const o = watch(d).outcome;
  if (o.state !== 'failure') throw new Error(`expected a failure result, got ${o.state}`);
  return o.failure;
}

export function assertNoResult<T>(d: Deferred<T>): void {
  // Only looks: adding callbacks here would change what later observers see.
  if (d.called) throw new Error('expected no result, but the Deferred has fired');
}
