import { Deferred } from '../../src/defer/deferred';
import { AlreadyCalledError } from '../../src/defer/errors';
import { Failure } from '../../src/defer/failure';
import { fail, succeed } from '../../src/defer/helpers';
import { RuntimeError } from '../../src/errors';
import { GenericError, assertNoResult, failureResultOf, successResultOf } from './support';

describe('Deferred callbacks', () => {
  it('a callback gets the result, synchronously', () => {
    const d = new Deferred<string>();
    const seen: unknown[][] = [];
    d.addCallback((...args: unknown[]) => seen.push(args));
    expect(seen).toEqual([]);
    d.callback('hello');
    expect(seen).toEqual([['hello']]);
  });

  it('addCallback passes extra arguments after the result', () => {
    const d = new Deferred<string>();
    const seen: unknown[][] = [];
    d.addCallback((r: string, a: string, b: number) => seen.push([r, a, b]), 'world', 2);
    d.callback('hello');
    expect(seen).toEqual([['hello', 'world', 2]]);
  });

  it("each callback's return value is the next one's input", () => {
    const d = new Deferred<number>();
    const out = d.addCallback((n) => n + 1).addCallback((n) => String(n * 2));
    d.callback(1);
    expect(successResultOf(out)).toBe('4');
  });

  it('callbacks added after firing run at once', () => {
    const seen: string[] = [];
    succeed('now').addCallback((r) => {
      seen.push(r);
    });
    expect(seen).toEqual(['now']);
  });

  it('add* return the same Deferred', () => {
    const d = new Deferred<number>();
    expect(d.addCallback((x) => x)).toBe(d);
    expect(d.addErrback((f) => f)).toBe(d);
    expect(d.addBoth((x) => x)).toBe(d);
    expect(d.addCallbacks((x) => x, null)).toBe(d);
  });

  it('addCallbacks with no errback lets a failure pass through', () => {
    const d = new Deferred<number>();
    const called: unknown[] = [];
    d.addCallbacks((r) => called.push(r), null);
    const err = new GenericError('oopsie');
    d.errback(err);
    expect(called).toEqual([]);
    expect(failureResultOf(d).value).toBe(err);
  });

  it('addCallbacks passes callbackArgs and errbackArgs', () => {
    const seen: unknown[][] = [];
    const record = (...a: unknown[]): null => {
      seen.push(a);
      return null;
    };
    const ok = new Deferred<string>();
    ok.addCallbacks(record, record, { callbackArgs: ['c1', 'c2'], errbackArgs: ['e1'] });
    ok.callback('r');
    const bad = new Deferred<string>();
    bad.addCallbacks(record, record, { callbackArgs: ['c1'], errbackArgs: ['e1'] });
    const f = new Failure(new Error('x'));
    bad.errback(f);
    expect(seen).toEqual([
      ['r', 'c1', 'c2'],
      [f, 'e1'],
    ]);
  });

  it('addBoth passes the same extra arguments on both paths', () => {
    const seen: unknown[][] = [];
    succeed(1).addBoth((r, tag: string) => seen.push([r, tag]), 'T');
    const f = new Failure(new Error('e'));
    fail(f).addBoth((r, tag: string) => seen.push([r, tag]), 'T');
    expect(seen).toEqual([
      [1, 'T'],
      [f, 'T'],
    ]);
  });

  it('refuses non-function callbacks and non-array args at once', () => {
    const d = new Deferred();
    expect(() => d.addCallback(42 as unknown as () => void)).toThrow(TypeError);
    expect(() => d.addErrback(null as unknown as () => void)).toThrow(TypeError);
    expect(() => d.addCallbacks((x) => x, 'no' as unknown as () => void)).toThrow(TypeError);
    expect(() => d.addCallbacks((x) => x, null, { callbackArgs: 'a' as unknown as [] })).toThrow(TypeError);
  });

  it('callback() refuses a Deferred as result', () => {
    const d = new Deferred<unknown>();
    expect(() => d.callback(new Deferred())).toThrow(TypeError);
    expect(d.called).toBe(false);
  });
});

describe('Deferred errback path', () => {
  it('a thrown error switches to the errback path', () => {
    const d = new Deferred<number>();
    const errors: Failure[] = [];
    d.addCallback(() => {
      throw new RangeError('div by zero');
    }).addErrback((f) => {
      errors.push(f);
    });
    d.callback(1);
    expect(errors[0].value).toBeInstanceOf(RangeError);
  });

  it('a returned Failure switches to the errback path, and the same Failure arrives', () => {
    const rte = new RuntimeError('x');
    const f = new Failure(rte);
    const d = succeed(6).addCallback(() => f);
    const got = failureResultOf(d, RuntimeError);
    expect(got).toBe(f);
    expect(got.value).toBe(rte);
  });

  it('a failure skips callbacks until an errback', () => {
    const log: string[] = [];
    const d = new Deferred<number>();
    d.addCallback(() => log.push('cb1'))
      .addErrback(() => log.push('eb1'))
      .addCallback(() => log.push('cb2'));
    d.errback(new Error('bad'));
    expect(log).toEqual(['eb1', 'cb2']);
  });

  it('an errback returning a plain value switches back to the callback path', () => {
    const d = fail<number>(new Error('x')).addErrback(() => 5);
    expect(successResultOf(d)).toBe(5);
  });

  it('an errback that throws stays on the errback path with the new error', () => {
    const second = new GenericError('second');
    const d = fail(new Error('first')).addErrback(() => {
      throw second;
    });
    expect(failureResultOf(d).value).toBe(second);
  });

  it('an errback can trap: other types keep failing with the original error', () => {
    const original = new TypeError('t');
    const d = fail(original).addErrback((f) => {
      f.trap(RangeError);
      return 'handled';
    });
    expect(failureResultOf(d).value).toBe(original);
    expect(successResultOf(fail(new RangeError('r')).addErrback((f) => f.trap(RangeError) && 'handled'))).toBe('handled');
  });

  it('errback() wraps a plain error, and keeps a given Failure as is', () => {
    const err = new GenericError('g');
    const d1 = new Deferred();
    d1.errback(err);
    const f1 = failureResultOf(d1);
    expect(f1).toBeInstanceOf(Failure);
    expect(f1.value).toBe(err);
    const f = new Failure(err);
    const d2 = new Deferred();
    d2.errback(f);
    expect(failureResultOf(d2)).toBe(f);
  });

  it('errback() with no argument fails with an Error saying so (JS has no current exception)', () => {
    const d = new Deferred();
    d.errback();
    const f = failureResultOf(d, Error);
    expect(f.getErrorMessage()).toBe('errback() called with no failure');
  });

  it('errback() accepts non-Error thrown values', () => {
    const d = new Deferred();
    d.errback('a string');
    expect(failureResultOf(d, String).value).toBe('a string');
  });

  it('a thrown non-Error value becomes the Failure value', () => {
    const d = succeed(1).addCallback(() => {
      throw 17;
    });
    expect(failureResultOf(d).value).toBe(17);
  });
});

describe('Deferred firing once', () => {
  const fire = {
    callback: (d: Deferred<unknown>): void => d.callback('again'),
    errback: (d: Deferred<unknown>): void => d.errback(new Error('again')),
  };
  for (const first of ['callback', 'errback'] as const) {
    for (const second of ['callback', 'errback'] as const) {
      it(`${second}() after ${first}() throws AlreadyCalledError`, () => {
        const d = new Deferred<unknown>();
        d.addErrback(() => null);
        fire[first](d);
        expect(() => fire[second](d)).toThrow(AlreadyCalledError);
      });
    }
  }

  it('AlreadyCalledError has a stable code and is a TorsionError', () => {
    const d = succeed(1);
    let caught: unknown;
    try {
      d.callback(2);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AlreadyCalledError);
    expect((caught as AlreadyCalledError).code).toBe('ERR_DEFERRED_ALREADY_CALLED');
    expect((caught as Error).name).toBe('AlreadyCalledError');
  });

  it('called turns true on firing', () => {
    const d = new Deferred<number>();
    expect(d.called).toBe(false);
    d.callback(1);
    expect(d.called).toBe(true);
  });
});

describe('Deferred re-entrancy', () => {
  it('a callback added by a running callback goes to the end of the chain', () => {
    const d = new Deferred<null>();
    const called: number[] = [];
    d.addCallback(() => {
      called.push(1);
      d.addCallback(() => called.push(3));
    });
    d.addCallback(() => called.push(2));
    d.callback(null);
    expect(called).toEqual([1, 2, 3]);
  });

  it('a callback added by a running callback does not run until that callback returns', () => {
    const d = new Deferred<null>();
    const called: number[] = [];
    let duringFirst: number[] = [];
    d.addCallback(() => {
      called.push(1);
      d.addCallback(() => called.push(2));
      duringFirst = called.slice();
    });
    d.callback(null);
    expect(duringFirst).toEqual([1]);
    expect(called).toEqual([1, 2]);
  });

  it('a re-entrantly added callback that throws fails the Deferred', () => {
    const d = new Deferred<null>();
    d.addCallback(() => {
      d.addCallback(() => {
        throw new Error('callback raised exception');
      });
    });
    d.callback(null);
    expect(failureResultOf(d).getErrorMessage()).toBe('callback raised exception');
  });
});

describe('Deferred pause/unpause', () => {
  it('a paused failure is delivered on unpause', () => {
    const d = fail(new GenericError('fail'));
    d.pause();
    const seen: Failure[] = [];
    d.addErrback((f) => {
      seen.push(f);
    });
    expect(seen).toEqual([]);
    d.unpause();
    expect(seen[0].getErrorMessage()).toBe('fail');
  });

  it('pauses nest as a counter', () => {
    const d = new Deferred<number>();
    const seen: number[] = [];
    d.pause();
    d.pause();
    expect(d.paused).toBe(2);
    d.addCallback((r) => {
      seen.push(r);
    });
    d.callback(1);
    d.unpause();
    expect(seen).toEqual([]);
    d.unpause();
    expect(seen).toEqual([1]);
    expect(d.paused).toBe(0);
  });

  it('unpausing before any result runs nothing', () => {
    const d = new Deferred<number>();
    const seen: number[] = [];
    d.pause();
    d.addCallback((r) => seen.push(r));
    d.unpause();
    expect(seen).toEqual([]);
    d.callback(3);
    expect(seen).toEqual([3]);
  });

  it('unpause() on a Deferred that is not paused throws RuntimeError', () => {
    expect(() => new Deferred().unpause()).toThrow(RuntimeError);
  });
});

describe('Deferred misc', () => {
  it('a callback returning the Deferred it is attached to fails it with TypeError', () => {
    const d = new Deferred<string>();
    d.addCallback(() => d);
    d.callback('foo');
    expect(failureResultOf(d, TypeError).getErrorMessage()).toMatch(/returned the Deferred it was added to/);
  });

  it('toString says whether it is pending, waiting or has a result', () => {
    const d = new Deferred<string>();
    expect(d.toString()).toBe('<Deferred pending>');
    d.callback('orange');
    expect(d.toString()).toContain('current result: string "orange"');
    const a = new Deferred();
    a.addCallback(() => new Deferred());
    a.callback(null);
    expect(a.toString()).toBe('<Deferred waiting on another Deferred>');
  });

  it('assertNoResult helper sees no result on an unfired Deferred', () => {
    expect(() => assertNoResult(new Deferred())).not.toThrow();
    expect(() => assertNoResult(succeed(1))).toThrow();
  });
});
