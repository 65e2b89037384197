import { Deferred } from '../../src/defer/deferred';
import { AlreadyCalledError, CancelledError, TimeoutError } from '../../src/defer/errors';
import { Failure } from '../../src/defer/failure';
import { TimeoutError as ConnectTimeoutError } from '../../src/errors';
import { Clock } from '../../src/task/clock';
import { GenericError, assertNoResult, failureResultOf, successResultOf } from './support';

describe('Deferred.cancel', () => {
  let cancellerCalls: number;
  let callbackResults: unknown;
  let errbackResults: Failure | null;
  const callback = (r: unknown): unknown => {
    callbackResults = r;
    return r;
  };
  const errback = (f: Failure): void => {
    errbackResults = f;
  };
  const countingCanceller = (): void => {
    cancellerCalls++;
  };

  beforeEach(() => {
    cancellerCalls = 0;
    callbackResults = undefined;
    errbackResults = null;
  });
  afterEach(() => {
    // The canceller runs at most once, whatever the test did.
    expect(cancellerCalls).toBeLessThanOrEqual(1);
  });

  it('without a canceller errbacks with CancelledError and never calls back', () => {
    const d = new Deferred();
    d.addCallbacks(callback, errback);
    d.cancel();
    expect(errbackResults?.type).toBe(CancelledError);
    expect(callbackResults).toBeUndefined();
  });

  it('CancelledError has a stable code', () => {
    expect(new CancelledError().code).toBe('ERR_DEFERRED_CANCELLED');
  });

  it('without a canceller swallows exactly one later callback; the next raises', () => {
    const d = new Deferred<null>();
    d.addCallbacks(callback, errback);
    d.cancel();
    d.callback(null);
    expect(() => d.callback(null)).toThrow(AlreadyCalledError);
    expect(() => d.errback(new Error())).toThrow(AlreadyCalledError);
  });

  it('without a canceller swallows exactly one later errback; the next raises', () => {
    const d = new Deferred<null>();
    d.addCallbacks(callback, errback);
    d.cancel();
    d.errback(new GenericError());
    expect(errbackResults?.type).toBe(CancelledError);
    expect(() => d.callback(null)).toThrow(AlreadyCalledError);
    expect(() => d.errback(new Error())).toThrow(AlreadyCalledError);
  });

  it('cancelling again after cancel-and-callback changes nothing', () => {
    const d = new Deferred<null>();
    d.addCallbacks(callback, errback);
    d.cancel();
    const current = errbackResults;
    d.callback(null);
    d.cancel();
    expect(errbackResults).toBe(current);
  });

  it('cancelling twice without a canceller gives one CancelledError', () => {
    const d = new Deferred();
    d.addCallbacks(callback, errback);
    d.cancel();
    const current = errbackResults;
    d.cancel();
    expect(errbackResults).toBe(current);
  });

  it('a canceller that does not fire is called once, then CancelledError', () => {
    const d = new Deferred(countingCanceller);
    d.addCallbacks(callback, errback);
    d.cancel();
    expect(errbackResults?.type).toBe(CancelledError);
    const current = errbackResults;
    d.cancel();
    expect(errbackResults).toBe(current);
    expect(cancellerCalls).toBe(1);
  });

  it('with a canceller nothing is swallowed', () => {
    const d = new Deferred<null>(countingCanceller);
    d.addCallbacks(callback, errback);
    d.cancel();
    expect(cancellerCalls).toBe(1);
    expect(() => d.callback(null)).toThrow(AlreadyCalledError);
    expect(() => d.errback(new Error())).toThrow(AlreadyCalledError);
  });

  it('the canceller gets the Deferred', () => {
    let arg: unknown;
    const d = new Deferred((x) => {
      arg = x;
    });
    d.addErrback(() => null);
    d.cancel();
    expect(arg).toBe(d);
  });

  it('after a callback, cancel does nothing and the canceller is not called', () => {
    const d = new Deferred<string>((x) => {
      cancellerCalls++;
      x.errback(new GenericError());
    });
    d.addCallbacks(callback, errback);
    d.callback('biff!');
    d.cancel();
    expect(cancellerCalls).toBe(0);
    expect(errbackResults).toBeNull();
    expect(callbackResults).toBe('biff!');
  });

  it('after an errback, cancel does nothing', () => {
    const d = new Deferred((x) => {
      cancellerCalls++;
      x.errback(new Error());
    });
    d.addCallbacks(callback, errback);
    d.errback(new GenericError());
    d.cancel();
    expect(cancellerCalls).toBe(0);
    expect(errbackResults?.type).toBe(GenericError);
  });

  it('a canceller may errback with its own error', () => {
    const d = new Deferred((x) => {
      cancellerCalls++;
      x.errback(new GenericError());
    });
    d.addCallbacks(callback, errback);
    d.cancel();
    expect(errbackResults?.type).toBe(GenericError);
  });

  it('a canceller may call back', () => {
    const d = new Deferred<string>((x) => {
      cancellerCalls++;
      x.callback('hello!');
    });
    d.addCallbacks(callback, errback);
    d.cancel();
    expect(callbackResults).toBe('hello!');
    expect(errbackResults).toBeNull();
  });

  it('a canceller that cancels again re-entrantly still runs once', () => {
    const d: Deferred = new Deferred(() => {
      cancellerCalls++;
      d.cancel();
    });
    d.addCallbacks(callback, errback);
    d.cancel();
    expect(errbackResults?.type).toBe(CancelledError);
  });

  it('a canceller that throws propagates to the caller and is not run again', () => {
    const d = new Deferred(() => {
      cancellerCalls++;
      throw new GenericError('canceller broke');
    });
    d.addCallbacks(callback, errback);
    expect(() => d.cancel()).toThrow(GenericError);
    expect(d.called).toBe(false);
    d.cancel();
    expect(errbackResults?.type).toBe(CancelledError);
  });

  it('cancelling a Deferred waiting on another cancels that one', () => {
    const b = new Deferred(countingCanceller);
    const a = new Deferred(() => {
      throw new Error('must not be called: a has fired');
    });
    a.callback(null);
    a.addCallback(() => b);
    a.cancel();
    a.addCallbacks(callback, errback);
    expect(cancellerCalls).toBe(1);
    expect(errbackResults?.type).toBe(CancelledError);
  });
});

describe('Deferred.addTimeout', () => {
  const override = (): string => 'OVERRIDDEN';

  it('returns the Deferred so the chain goes on', () => {
    const d = new Deferred<null>();
    d.addTimeout(5, new Clock()).addCallback(() => 'done');
    d.callback(null);
    expect(successResultOf(d)).toBe('done');
  });

  it('a result before the timeout clears the timer; nothing is cancelled later', () => {
    const clock = new Clock();
    const d = new Deferred<string>();
    d.addTimeout(10, clock);
    const inner = new Deferred();
    let got: unknown;
    d.addCallback((r) => {
      got = r;
      return inner;
    });
    d.callback('results');
    expect(got).toBe('results');
    expect(clock.getDelayedCalls()).toHaveLength(0);
    clock.advance(15);
    assertNoResult(inner);
  });

  it('a result before the timeout, with a custom handler, is kept', () => {
    const clock = new Clock();
    const d = new Deferred<string>();
    d.addTimeout(10, clock, override);
    d.callback('results');
    clock.advance(15);
    expect(successResultOf(d)).toBe('results');
  });

  it('a failure before the timeout is kept and the timer cleared', () => {
    const clock = new Clock();
    const d = new Deferred();
    d.addTimeout(10, clock);
    const inner = new Deferred();
    const error = new RangeError('fail');
    let seen: Failure | null = null;
    d.addErrback((f) => {
      seen = f;
      return inner;
    });
    d.errback(error);
    expect(seen!.value).toBe(error);
    clock.advance(15);
    assertNoResult(inner);
  });

  it("times out with defer's TimeoutError (not the connect TimeoutError)", () => {
    const clock = new Clock();
    const d = new Deferred();
    d.addTimeout(10, clock);
    clock.advance(9.99);
    assertNoResult(d);
    clock.advance(0.01);
    const f = failureResultOf(d, TimeoutError);
    expect(f.check(ConnectTimeoutError)).toBeNull();
    expect((f.value as TimeoutError).timeout).toBe(10);
    expect((f.value as TimeoutError).code).toBe('ERR_DEFERRED_TIMEOUT');
    expect((f.value as Error).cause).toBeInstanceOf(CancelledError);
  });

  it('a custom onTimeoutCancel decides the result, getting the failure and the timeout', () => {
    const clock = new Clock();
    const d = new Deferred<unknown>();
    const calls: unknown[][] = [];
    d.addTimeout(10, clock, (v, t) => {
      calls.push([v instanceof Failure ? (v.value as Error).constructor : v, t]);
      return 'OVERRIDDEN';
    });
    clock.advance(15);
    expect(successResultOf(d)).toBe('OVERRIDDEN');
    expect(calls).toEqual([[CancelledError, 10]]);
  });

  it("a canceller's success result survives the timeout", () => {
    const clock = new Clock();
    const d = new Deferred<string>((c) => c.callback('I was cancelled!'));
    d.addTimeout(10, clock);
    clock.advance(15);
    expect(successResultOf(d)).toBe('I was cancelled!');
  });

  it("a canceller's own failure survives the timeout", () => {
    const clock = new Clock();
    const error = new RangeError('what!');
    const d = new Deferred((c) => c.errback(error));
    d.addTimeout(10, clock);
    clock.advance(15);
    expect(failureResultOf(d, RangeError).value).toBe(error);
  });

  it('a custom handler also sees a canceller-provided failure', () => {
    const clock = new Clock();
    const d = new Deferred((c) => c.errback(new RangeError('what!')));
    d.addTimeout(10, clock, override);
    clock.advance(15);
    expect(successResultOf(d)).toBe('OVERRIDDEN');
  });

  it('a manual cancel before the timeout keeps CancelledError and the timer never cancels again', () => {
    for (const handler of [undefined, override]) {
      const clock = new Clock();
      const d = new Deferred();
      d.addTimeout(10, clock, handler);
      const inner = new Deferred();
      let seen: Failure | null = null;
      d.addErrback((f) => {
        seen = f;
        return inner;
      });
      d.cancel();
      expect(seen!.type).toBe(CancelledError);
      clock.advance(15);
      assertNoResult(inner);
    }
  });

  it('an errback added before the timeout sees CancelledError; passed on, it becomes TimeoutError', () => {
    const clock = new Clock();
    const d = new Deferred();
    let seen: Failure | null = null;
    d.addErrback((f) => {
      seen = f;
      return f;
    });
    d.addTimeout(10, clock);
    clock.advance(15);
    expect(seen!.value).toBeInstanceOf(CancelledError);
    failureResultOf(d, TimeoutError);
  });

  it('an errback added before the timeout that handles the cancellation makes it succeed', () => {
    const clock = new Clock();
    const d = new Deferred();
    d.addErrback((f) => {
      f.trap(CancelledError);
    });
    d.addTimeout(10, clock);
    clock.advance(15);
    expect(successResultOf(d)).toBeUndefined();
  });

  it('with a custom handler, the handler runs even when an earlier errback handled the cancellation', () => {
    const clock = new Clock();
    const d = new Deferred();
    d.addErrback(() => undefined);
    d.addTimeout(10, clock, override);
    clock.advance(15);
    expect(successResultOf(d)).toBe('OVERRIDDEN');
  });

  it('callbacks added before the timeout run when a canceller resumes the chain', () => {
    const clock = new Clock();
    const d = new Deferred<string>((x) => x.callback('success'));
    let got: unknown;
    d.addCallback((v) => {
      got = v;
      return v;
    });
    d.addTimeout(10, clock);
    clock.advance(15);
    expect(got).toBe('success');
    expect(successResultOf(d)).toBe('success');
  });

  it('checks its arguments', () => {
    const d = new Deferred();
    expect(() => d.addTimeout(-1, new Clock())).toThrow(RangeError);
    expect(() => d.addTimeout(Number.NaN, new Clock())).toThrow(RangeError);
    expect(() => d.addTimeout('1' as unknown as number, new Clock())).toThrow(TypeError);
    expect(() => d.addTimeout(1, {} as Clock)).toThrow(TypeError);
    expect(() => d.addTimeout(1, new Clock(), 5 as unknown as () => void)).toThrow(TypeError);
  });
});
