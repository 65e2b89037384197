import { Deferred } from '../../src/defer/deferred';
import { Failure } from '../../src/defer/failure';
import { fail, maybeDeferred, succeed } from '../../src/defer/helpers';
import { GenericError, failureResultOf, successResultOf } from './support';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('succeed / fail', () => {
  it('succeed gives a fired Deferred with the result', () => {
    const seen: string[] = [];
    const d = succeed('success');
    expect(d.called).toBe(true);
    d.addCallback((r) => {
      seen.push(r);
    });
    expect(seen).toEqual(['success']);
  });

  it('fail gives a failed Deferred, wrapping a plain error', () => {
    const seen: Failure[] = [];
    fail(new GenericError('fail')).addErrback((f) => {
      seen.push(f);
    });
    expect(seen[0].getErrorMessage()).toBe('fail');
    expect(seen[0].type).toBe(GenericError);
  });

  it('fail keeps a given Failure', () => {
    const f = new Failure(new Error('x'));
    expect(failureResultOf(fail(f))).toBe(f);
  });
});

describe('maybeDeferred', () => {
  it('wraps a synchronous result in a fired Deferred', () => {
    const result = {};
    expect(successResultOf(maybeDeferred(() => result))).toBe(result);
  });

  it('passes arguments to the function', () => {
    const d = maybeDeferred((x: number, y: string) => `${x + 5}${y}`, 10, '!');
    expect(successResultOf(d)).toBe('15!');
  });

  it('turns a thrown error into a failed Deferred', () => {
    const expected = new RangeError('that value is unacceptable');
    const d = maybeDeferred(() => {
      throw expected;
    });
    expect(failureResultOf(d, RangeError).value).toBe(expected);
  });

  it('turns a returned Failure into a failed Deferred with that very Failure', () => {
    const expected = new Failure(new TypeError('"10" + 5'));
    expect(failureResultOf(maybeDeferred(() => expected))).toBe(expected);
  });

  it('passes a returned Deferred through, result and all', () => {
    const d1 = new Deferred<string>();
    const d2 = maybeDeferred(() => d1);
    expect(d2).toBe(d1);
    d1.callback('Success');
    expect(successResultOf(d2)).toBe('Success');
  });

  it('passes a returned Deferred through, failure and all', () => {
    const d1 = new Deferred<null>();
    const d2 = maybeDeferred(() => d1);
    d1.errback(new Failure(new RangeError('r')));
    failureResultOf(d2, RangeError);
  });

  it("wraps an async function's Promise", async () => {
    const d = maybeDeferred(async () => 7);
    await tick();
    expect(successResultOf(d)).toBe(7);
  });

  it("turns an async function's rejection into a failure", async () => {
    class SomeException extends Error {}
    const d = maybeDeferred(async () => {
      throw new SomeException();
    });
    await tick();
    expect(failureResultOf(d).type).toBe(SomeException);
  });

  it('throws TypeError at once for a non-function', () => {
    expect(() => maybeDeferred(3 as unknown as () => void)).toThrow(TypeError);
  });
});

describe('Deferred typing', () => {
  it('addCallback infers the awaited return type of the callback', () => {
    const d = new Deferred<number>();
    const s: Deferred<string> = d.addCallback((n) => String(n));
    const viaDeferred: Deferred<boolean> = s.addCallback(() => succeed(true));
    const viaPromise: Deferred<number[]> = viaDeferred.addCallback(async () => [1]);
    d.callback(1);
    expect(viaPromise).toBe(d);
  });

  it('a Deferred of a narrower type is usable as a Deferred of a wider one', () => {
    const narrow = succeed(1);
    const wide: Deferred<unknown> = narrow;
    const union: Deferred<number | string> = narrow;
    expect(successResultOf(wide)).toBe(1);
    expect(union).toBe(narrow);
  });

  it('maybeDeferred infers the result type through Promises and Deferreds', () => {
    const a: Deferred<number> = maybeDeferred(() => 1);
    const b: Deferred<number> = maybeDeferred(async () => 1);
    const c: Deferred<number> = maybeDeferred(() => succeed(1));
    expect([a, b, c].every((x) => x instanceof Deferred)).toBe(true);
    void b.then(() => undefined);
  });
});
