import fc from 'fast-check';
import { Deferred } from '../../src/defer/deferred';
import { DeferredList, gatherResults, race, type DeferredListEntry } from '../../src/defer/deferred-list';
import { CancelledError, FailureGroup, FirstError } from '../../src/defer/errors';
import { Failure } from '../../src/defer/failure';
import { fail, succeed } from '../../src/defer/helpers';
import { captureLogEvents } from '../../src/logger/index';
import { GenericError, assertNoResult, failureResultOf, successResultOf } from './support';

const callbackCanceller = (d: Deferred<string>): void => d.callback('Callback Result');

describe('DeferredList', () => {
  it('fires with [ok, value] entries in input order once all members fired', () => {
    const [d1, d2, d3] = [new Deferred<string>(), new Deferred<string>(), new Deferred<string>()];
    const dl = new DeferredList([d1, d2, d3]);
    const results: DeferredListEntry<string>[] = [];
    dl.addCallback((list) => {
      results.push(...list);
    });
    d1.callback('1');
    d2.addErrback(() => null);
    d2.errback(new GenericError('2'));
    expect(results).toEqual([]);
    d3.callback('3');
    expect(results[0]).toEqual([true, '1']);
    expect(results[1][0]).toBe(false);
    expect((results[1][1] as Failure).getErrorMessage()).toBe('2');
    expect(results[2]).toEqual([true, '3']);
  });

  it('an empty list fires [] at once', () => {
    expect(successResultOf(new DeferredList([]))).toEqual([]);
  });

  it('an empty list with fireOnOneCallback never fires (as in Twisted)', () => {
    assertNoResult(new DeferredList([], { fireOnOneCallback: true }));
  });

  it('fireOnOneCallback fires with [value, index] of the first success', () => {
    const [d1, d2] = [new Deferred<string>(), new Deferred<string>()];
    const dl = new DeferredList<string, [string, number]>([d1, d2], { fireOnOneCallback: true });
    d2.callback('second');
    expect(successResultOf(dl)).toEqual(['second', 1]);
    d1.callback('first');
  });

  it('fireOnOneErrback fails with FirstError(subFailure, index) at the first failure', () => {
    const [d1, d2, d3] = [new Deferred<string>(), new Deferred<string>(), new Deferred<string>()];
    const dl = new DeferredList([d1, d2, d3], { fireOnOneErrback: true });
    const result: Failure[] = [];
    dl.addErrback((f) => {
      result.push(f);
    });
    d2.addErrback(() => null);
    d1.callback('1');
    expect(result).toEqual([]);
    d2.errback(new GenericError('from def2'));
    expect(result).toHaveLength(1);
    expect(result[0].type).toBe(FirstError);
    const firstError = result[0].value as FirstError;
    expect(firstError.subFailure.type).toBe(GenericError);
    expect(firstError.subFailure.getErrorMessage()).toBe('from def2');
    expect(firstError.index).toBe(1);
    expect(firstError.code).toBe('ERR_FIRST_ERROR');
  });

  it('fireOnOneErrback with an already-failed member fails at once', () => {
    const d1 = fail(new GenericError('Bang'));
    const dl = new DeferredList([d1, new Deferred()], { fireOnOneErrback: true });
    failureResultOf(dl, FirstError);
    d1.addErrback(() => null);
  });

  it('members that already fired count', () => {
    const d1 = fail<number>(new GenericError('Bang'));
    const d2 = succeed(2);
    const dl = new DeferredList([d1, d2]);
    expect(successResultOf(dl)[1]).toEqual([true, 2]);
    d1.addErrback(() => null);
  });

  it('without consumeErrors, a failure continues down the member chain', () => {
    const d1 = new Deferred<null>();
    const dl = new DeferredList([d1]);
    const trapped: Failure[] = [];
    d1.addErrback((f) => {
      trapped.push(f);
    });
    d1.errback(new GenericError('Bang'));
    expect(trapped[0].getErrorMessage()).toBe('Bang');
    expect((successResultOf(dl)[0][1] as Failure).getErrorMessage()).toBe('Bang');
  });

  it('with consumeErrors, the failure stops in the list (member continues with undefined)', () => {
    const d1 = new Deferred<null>();
    const dl = new DeferredList([d1], { consumeErrors: true });
    const trapped: Failure[] = [];
    d1.addErrback((f) => {
      trapped.push(f);
    });
    d1.errback(new GenericError('Bang'));
    expect(trapped).toEqual([]);
    expect((successResultOf(dl)[0][1] as Failure).getErrorMessage()).toBe('Bang');
  });

  it('accepts Promises as members', async () => {
    const dl = new DeferredList<number>([Promise.resolve(1), succeed(2)]);
    await new Promise((r) => setImmediate(r));
    expect(successResultOf(dl)).toEqual([
      [true, 1],
      [true, 2],
    ]);
  });

  it('refuses members that are neither Deferreds nor Promises', () => {
    expect(() => new DeferredList([1 as unknown as Deferred<number>])).toThrow(TypeError);
    expect(() => new DeferredList(5 as unknown as Deferred<number>[])).toThrow(TypeError);
  });

  describe('cancel', () => {
    it('cancels every member of an unfired list', () => {
      const [d1, d2] = [new Deferred(), new Deferred()];
      new DeferredList([d1, d2]).cancel();
      failureResultOf(d1, CancelledError);
      failureResultOf(d2, CancelledError);
    });

    it('the list then fires with the members’ outcomes', () => {
      const d1 = new Deferred<string>(callbackCanceller);
      const d2 = new Deferred<string>();
      const dl = new DeferredList([d1, d2]);
      dl.cancel();
      failureResultOf(d2, CancelledError);
      const result = successResultOf(dl);
      expect(result[0]).toEqual([true, 'Callback Result']);
      expect(result[1][0]).toBe(false);
      expect((result[1][1] as Failure).check(CancelledError)).toBe(CancelledError);
    });

    it('with fireOnOneCallback, a canceller that calls back makes the list fire with it', () => {
      const d1 = new Deferred<string>(callbackCanceller);
      const d2 = new Deferred<string>();
      const dl = new DeferredList([d1, d2], { fireOnOneCallback: true });
      dl.cancel();
      failureResultOf(d2, CancelledError);
      expect(successResultOf(dl)).toEqual(['Callback Result', 0]);
    });

    it('with fireOnOneErrback, the list fails with FirstError of CancelledError', () => {
      const [d1, d2] = [new Deferred(), new Deferred()];
      const dl = new DeferredList([d1, d2], { fireOnOneErrback: true });
      dl.cancel();
      failureResultOf(d1, CancelledError);
      failureResultOf(d2, CancelledError);
      const f = failureResultOf(dl, FirstError);
      expect((f.value as FirstError).subFailure.check(CancelledError)).toBe(CancelledError);
    });

    it('with fireOnOneErrback and all cancellers calling back, the list succeeds', () => {
      const dl = new DeferredList([new Deferred<string>(callbackCanceller), new Deferred<string>(callbackCanceller)], {
        fireOnOneErrback: true,
      });
      dl.cancel();
      expect(successResultOf(dl)).toEqual([
        [true, 'Callback Result'],
        [true, 'Callback Result'],
      ]);
    });

    it('cancels the members given, not ones added to the input array later', () => {
      const [d1, d2, d3] = [new Deferred(), new Deferred(), new Deferred()];
      const args = [d1, d2];
      const dl = new DeferredList(args);
      args.push(d3);
      dl.cancel();
      failureResultOf(d1, CancelledError);
      failureResultOf(d2, CancelledError);
      assertNoResult(d3);
    });

    it('a canceller that throws is logged and the others are still cancelled', () => {
      const [events, stop] = captureLogEvents();
      try {
        const d1 = new Deferred(() => {
          throw new GenericError('test');
        });
        const d2 = new Deferred();
        new DeferredList([d1, d2]).cancel();
        failureResultOf(d2, CancelledError);
        const logged = events.filter((e) => e.failure?.check(GenericError));
        expect(logged).toHaveLength(1);
        expect(logged[0].namespace).toBe('torsion.defer');
      } finally {
        stop();
      }
    });

    it('does nothing once the list fired (fireOnOneCallback)', () => {
      const [d1, d2] = [new Deferred(), new Deferred()];
      const dl = new DeferredList([d1, d2], { fireOnOneCallback: true });
      d1.callback(null);
      dl.cancel();
      assertNoResult(d2);
    });

    it('does nothing once the list fired (fireOnOneErrback)', () => {
      const [d1, d2] = [new Deferred(), new Deferred()];
      const dl = new DeferredList([d1, d2], { fireOnOneErrback: true });
      d1.errback(new GenericError('test'));
      dl.cancel();
      assertNoResult(d2);
      failureResultOf(d1, GenericError);
      failureResultOf(dl, FirstError);
    });
  });
});

describe('gatherResults', () => {
  it('fires with the values in order', () => {
    expect(successResultOf(gatherResults([succeed(1), succeed(2)]))).toEqual([1, 2]);
  });

  it('fails with FirstError on the first failure', () => {
    const dl = [succeed(1), fail<number>(new RangeError('v'))];
    const f = failureResultOf(gatherResults(dl), FirstError);
    expect((f.value as FirstError).subFailure.type).toBe(RangeError);
    dl[1].addErrback(() => 1);
  });

  it('with consumeErrors the member failure goes no further', () => {
    const dbad = fail<number>(new RangeError('oh noes'));
    const d = gatherResults([succeed(1), dbad], true);
    const unconsumed: Failure[] = [];
    dbad.addErrback((f) => {
      unconsumed.push(f);
    });
    expect(unconsumed).toEqual([]);
    const first = failureResultOf(d, FirstError).value as FirstError;
    expect(first.subFailure.value).toBeInstanceOf(RangeError);
  });

  it('cancelling cancels every member and fails with FirstError of CancelledError', () => {
    const [d1, d2] = [new Deferred(), new Deferred()];
    const result = gatherResults([d1, d2]);
    result.cancel();
    failureResultOf(d1, CancelledError);
    failureResultOf(d2, CancelledError);
    expect((failureResultOf(result, FirstError).value as FirstError).subFailure.check(CancelledError)).toBe(CancelledError);
  });

  it('cancelling when every canceller calls back gives the values', () => {
    const result = gatherResults([new Deferred<string>(callbackCanceller), new Deferred<string>(callbackCanceller)]);
    result.cancel();
    expect(successResultOf(result)).toEqual(['Callback Result', 'Callback Result']);
  });

  it('an empty list gives []', () => {
    expect(successResultOf(gatherResults([]))).toEqual([]);
  });
});

function raceState(n: number): [number[], Deferred<unknown>[]] {
  const cancelled = new Array<number>(n).fill(0);
  const ds = Array.from({ length: n }, (_, i) => new Deferred<unknown>(() => void cancelled[i]++));
  return [cancelled, ds];
}

describe('race', () => {
  it('fires with [index, value] of the first success and cancels all the others once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), (before, after) => {
        const [cancelled, ds] = raceState(before + 1 + after);
        const result = race(ds);
        const expected = {};
        ds[before].callback(expected);
        const [index, value] = successResultOf(result);
        expect(index).toBe(before);
        expect(value).toBe(expected);
        expect(cancelled).toEqual([...new Array(before).fill(1), 0, ...new Array(after).fill(1)]);
      }),
    );
  });

  it('fails with FailureGroup holding every failure in input order when all fail', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), (n) => {
        const [cancelled, ds] = raceState(n);
        const result = race(ds);
        const failures = ds.map((_, i) => new Failure(new Error(`f${i}`)));
        for (let i = n - 1; i >= 0; i--) ds[i].errback(failures[i]);
        const group = failureResultOf(result, FailureGroup).value as FailureGroup;
        expect(group.failures).toEqual(failures);
        expect(group.code).toBe('ERR_FAILURE_GROUP');
        expect(cancelled).toEqual(new Array(n).fill(0));
      }),
    );
  });

  it('a result arriving after the cancel goes nowhere and logs nothing', () => {
    const [events, stop] = captureLogEvents();
    try {
      const ds = [new Deferred(), new Deferred(), new Deferred()];
      const result = race(ds);
      ds[0].callback(null);
      ds[1].callback(null);
      expect(successResultOf(result)).toEqual([0, null]);
      expect(events).toEqual([]);
    } finally {
      stop();
    }
  });

  it('a loser whose canceller succeeds does not change the winner', () => {
    const winner = new Deferred<unknown>();
    const expected = {};
    const result = race([winner, new Deferred<unknown>((d) => d.callback({}))]);
    winner.callback(expected);
    expect(successResultOf(result)).toEqual([0, expected]);
  });

  it('cancelling the race cancels every member and fails with FailureGroup', () => {
    for (let n = 1; n <= 3; n++) {
      const [cancelled, ds] = raceState(n);
      const result = race(ds);
      result.cancel();
      expect(cancelled).toEqual(new Array(n).fill(1));
      failureResultOf(result, FailureGroup);
    }
  });
});
