import { CancelledError, Deferred } from '../../src/defer';
import { Clock } from '../../src/task/clock';
import { deferLater } from '../../src/task/defer-later';
import { assertNoResult, failureResultOf, successResultOf, watch } from './deferred-helpers';

class TestException extends Error {}

describe('deferLater', () => {
  it('fires with the result of the function after the delay, calling it with its arguments', () => {
    const results: [string, string][] = [];
    const flag = { flag: true };
    const clock = new Clock();
    const d = deferLater(
      clock,
      3,
      (foo: string, bar: string) => {
        results.push([foo, bar]);
        return flag;
      },
      'foo',
      'bar',
    );
    clock.advance(2);
    expect(results).toEqual([]);
    assertNoResult(d);
    clock.advance(1);
    expect(results).toEqual([['foo', 'bar']]);
    expect(successResultOf(d)).toBe(flag);
  });

  it('fails with what the function throws', () => {
    const clock = new Clock();
    const d = deferLater(clock, 1, () => {
      throw new TestException();
    });
    clock.advance(1);
    expect(failureResultOf(d).check(TestException)).toBe(TestException);
  });

  it('cancelling cancels the timer, never calls the function, and fails with CancelledError', () => {
    const called: unknown[] = [];
    const clock = new Clock();
    const d = deferLater(clock, 1, (x: null) => called.push(x), null);
    d.cancel();
    expect(failureResultOf(d).check(CancelledError)).toBe(CancelledError);
    expect(clock.getDelayedCalls()).toEqual([]);
    clock.advance(5);
    expect(called).toEqual([]);
  });

  it('without a function fires with undefined', () => {
    const clock = new Clock();
    const d = deferLater(clock, 2.0);
    assertNoResult(d);
    clock.advance(2.0);
    expect(successResultOf(d)).toBeUndefined();
  });

  it('waits for a Deferred the function returns', () => {
    const clock = new Clock();
    const inner = new Deferred<number>();
    const d = deferLater(clock, 1, () => inner);
    clock.advance(1);
    const w = watch(d);
    expect(w.outcome.state).toBe('pending');
    inner.callback(7);
    expect(w.outcome).toEqual({ state: 'success', value: 7 });
  });

  it('waits for a Promise the function returns', async () => {
    const clock = new Clock();
    const d = deferLater(clock, 1, async (n: number) => n * 2, 21);
    clock.advance(1);
    await expect(d.asPromise()).resolves.toBe(42);
  });

  it('cancelling after it fired changes nothing', () => {
    const clock = new Clock();
    const d = deferLater(clock, 1, () => 'done');
    clock.advance(1);
    d.cancel();
    expect(successResultOf(d)).toBe('done');
  });

  it('a negative delay is a RangeError and a non-function is a TypeError, before scheduling', () => {
    const clock = new Clock();
    expect(() => deferLater(clock, -1)).toThrow(RangeError);
    expect(() => deferLater(clock, 1, 'nope' as unknown as () => void)).toThrow(TypeError);
    expect(clock.calls).toHaveLength(0);
  });
});
