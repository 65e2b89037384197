import { Deferred } from '../../src/defer/deferred';
import { AlreadyCalledError, CancelledError } from '../../src/defer/errors';
import { Failure } from '../../src/defer/failure';
import { fail, succeed } from '../../src/defer/helpers';
import { gatherResults } from '../../src/defer/deferred-list';
import { assertNoResult, failureResultOf, successResultOf } from './support';

describe('a callback returning a Deferred', () => {
  it('pauses the chain until that Deferred fires (and is unpaused)', () => {
    const d1 = new Deferred<number>();
    const d2 = new Deferred<number>();
    d2.pause();
    const seen: number[] = [];
    d1.addCallback(() => d2).addCallback((r) => {
      seen.push(r);
    });
    d1.callback(1);
    expect(seen).toEqual([]);
    d2.callback(2);
    expect(seen).toEqual([]);
    d2.unpause();
    expect(seen).toEqual([2]);
  });

  it('works from an errback too', () => {
    const d = new Deferred<number>();
    const d2 = new Deferred<string>();
    const seen: unknown[] = [];
    d.addErrback(() => d2).addCallback((r) => {
      seen.push(r);
    });
    d.errback(new Error('v'));
    assertNoResult(d);
    d2.callback('result');
    expect(seen).toEqual(['result']);
  });

  it('that already has a result: its result is taken and its own result becomes undefined', () => {
    const value = { v: 1 };
    const first = succeed(value);
    const second = new Deferred<null>();
    second.addCallback(() => first);
    second.callback(null);
    expect(successResultOf(first)).toBeUndefined();
    expect(successResultOf(second)).toBe(value);
  });

  it('that has no result yet: takes it when it comes, and its own result becomes undefined', () => {
    const first = new Deferred<object>();
    const second = new Deferred<null>();
    second.addCallback(() => first);
    second.callback(null);
    const firstResult: unknown[] = [];
    const secondResult: unknown[] = [];
    first.addCallback((r) => {
      firstResult.push(r);
    });
    second.addCallback((r) => {
      secondResult.push(r);
    });
    expect([firstResult, secondResult]).toEqual([[], []]);
    const value = {};
    first.callback(value);
    expect(firstResult).toEqual([undefined]);
    expect(secondResult[0]).toBe(value);
  });

  it('that already failed: the failure moves to the outer Deferred', () => {
    const first = fail(new RangeError("First Deferred's Failure"));
    const second = new Deferred<null>();
    second.addCallback(() => first);
    second.callback(null);
    expect(successResultOf(first)).toBeUndefined();
    failureResultOf(second, RangeError);
  });

  it('that fails later: the failure moves to the outer Deferred', () => {
    const first = new Deferred<null>();
    const second = new Deferred<null>();
    second.addCallback(() => first);
    second.callback(null);
    const secondErrors: Failure[] = [];
    second.addErrback((f) => {
      secondErrors.push(f);
    });
    const firstResult: unknown[] = [];
    first.addCallback((r) => {
      firstResult.push(r);
    });
    first.errback(new RangeError('later'));
    expect(secondErrors[0].check(RangeError)).toBe(RangeError);
    expect(firstResult).toEqual([undefined]);
  });

  it('a paused Deferred with a result makes the outer one wait for the unpause', () => {
    const expected = {};
    const paused = succeed(expected);
    paused.pause();
    const chained = new Deferred<null>();
    chained.addCallback(() => paused);
    chained.callback(null);
    const result: unknown[] = [];
    chained.addCallback((r) => {
      result.push(r);
    });
    expect(result).toEqual([]);
    paused.unpause();
    expect(result).toEqual([expected]);
  });

  it('a paused outer Deferred does not stop the inner one from running its own later callbacks', () => {
    const first = new Deferred<null>();
    const second = new Deferred<null>();
    first.addCallback(() => second);
    first.callback(null);
    first.pause();
    second.callback(null);
    const result: unknown[] = [];
    second.addCallback((r) => {
      result.push(r);
    });
    expect(result).toEqual([undefined]);
  });

  it('is transitive: C returned on B returned on A fires A when C fires', () => {
    const first = new Deferred<object>();
    const second = new Deferred<null>();
    second.addCallback(() => first);
    const third = new Deferred<null>();
    third.addCallback(() => second);
    const thirdResult: unknown[] = [];
    third.addCallback((r) => {
      thirdResult.push(r);
    });
    second.callback(null);
    third.callback(null);
    expect(thirdResult).toEqual([]);
    const value = {};
    first.callback(value);
    expect(thirdResult[0]).toBe(value);
  });

  it("runs the middle Deferred's callbacks after the innermost fires, before the outer continues", () => {
    const results: unknown[] = [];
    const inner = new Deferred<string>();
    const cb = (result: string): Deferred<string> => {
      results.push(['start-of-cb', result]);
      return succeed('inner')
        .addCallback(() => {
          results.push(['firstCallback', 'inner']);
          return inner;
        })
        .addCallback((r) => {
          results.push(['secondCallback', r]);
          return r + r;
        });
    };
    const outer = succeed('outer').addCallback(cb);
    outer.addCallback((r) => {
      results.push(r);
    });
    expect(results).toEqual([
      ['start-of-cb', 'outer'],
      ['firstCallback', 'inner'],
    ]);
    inner.callback('orange');
    expect(results).toEqual([['start-of-cb', 'outer'], ['firstCallback', 'inner'], ['secondCallback', 'orange'], 'orangeorange']);
  });

  it('keeps callbacks added to the inner Deferred before it was returned', () => {
    const results: unknown[] = [];
    const inner = new Deferred<string>();
    const outer = succeed('outer').addCallback(() =>
      succeed('inner')
        .addCallback(() => inner.addCallback((r) => [r]))
        .addCallback((r) => {
          results.push(['secondCallback', r]);
          return [...r, ...r];
        }),
    );
    outer.addCallback((r) => {
      results.push(r);
    });
    inner.callback('withers');
    expect(results).toEqual([
      ['secondCallback', ['withers']],
      ['withers', 'withers'],
    ]);
  });

  it('a callback added after the chaining runs after the other Deferred is done', () => {
    const results: unknown[] = [];
    const a = new Deferred<string>();
    const outer = new Deferred<string>();
    outer.addCallback((result) => {
      results.push(['cb', result]);
      const d = new Deferred<null>();
      const returner = d
        .addCallback((r) => {
          results.push(['firstCallback', r]);
          return gatherResults([a]);
        })
        .addCallback((r) => {
          results.push(['secondCallback', r]);
        });
      d.callback(null);
      return returner;
    });
    outer.addCallback(() => {
      results.push(['final', null]);
    });
    outer.callback('outer');
    expect(results).toEqual([
      ['cb', 'outer'],
      ['firstCallback', null],
    ]);
    a.callback('withers');
    expect(results).toEqual([
      ['cb', 'outer'],
      ['firstCallback', null],
      ['secondCallback', ['withers']],
      ['final', null],
    ]);
  });

  it('callbacks added later to a middle Deferred run once the last one fires', () => {
    const first = new Deferred<null>();
    const second = new Deferred<null>();
    const third = new Deferred<null>();
    first.addCallback(() => second);
    second.addCallback(() => third);
    second.callback(null);
    first.callback(null);
    third.callback(null);
    const results: unknown[] = [];
    second.addCallback((r) => {
      results.push(r);
    });
    expect(results).toEqual([undefined]);
  });

  it('a callback returning a Promise waits for it (async callbacks)', async () => {
    const d = new Deferred<number>();
    const out = d.addCallback(async (n) => n * 10).addCallback((n) => n + 1);
    d.callback(4);
    assertNoResult(out);
    await new Promise((r) => setImmediate(r));
    expect(successResultOf(out)).toBe(41);
  });

  it('a callback returning a rejecting Promise switches to the errback path', async () => {
    const err = new RangeError('async fail');
    const d = succeed(1).addCallback(async () => {
      throw err;
    });
    await new Promise((r) => setImmediate(r));
    expect(failureResultOf(d).value).toBe(err);
  });
});

describe('bounded stack depth', () => {
  function chainDeferreds(howMany: number): number {
    const depths: number[] = [];
    const top = new Deferred<null>();
    const inners = Array.from({ length: howMany }, () => new Deferred<null>());
    const last = new Deferred<null>();
    top.addCallback(() => inners[0]);
    top.addCallback(() => {
      depths.push(stackDepth());
    });
    for (let i = 0; i < howMany - 1; i++) inners[i].addCallback(() => inners[i + 1]);
    inners[howMany - 1].addCallback(() => last);
    top.callback(null);
    for (const d of inners) d.callback(null);
    expect(depths).toEqual([]);
    last.callback(null);
    return depths[0];
  }

  function stackDepth(): number {
    const saved = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    const depth = (new Error().stack ?? '').split('\n').length;
    Error.stackTraceLimit = saved;
    return depth;
  }

  it('callbacks run at the same stack depth however many Deferreds are chained', () => {
    expect(chainDeferreds(1)).toBe(chainDeferreds(2));
    expect(chainDeferreds(1)).toBe(chainDeferreds(50));
  });

  it('10,000 nested Deferreds fire without overflowing the stack', () => {
    const n = 10_000;
    const ds = Array.from({ length: n }, () => new Deferred<number>());
    const outer = new Deferred<number>();
    outer.addCallback(() => ds[0]);
    for (let i = 0; i < n - 1; i++) ds[i].addCallback(() => ds[i + 1]);
    let got: unknown;
    outer.addCallback((v) => {
      got = v;
    });
    outer.callback(0);
    for (let i = 0; i < n - 1; i++) ds[i].callback(i);
    ds[n - 1].callback(42);
    expect(got).toBe(42);
  });

  it('a 100,000-callback chain with alternating failures completes', () => {
    const d = new Deferred<number>();
    for (let i = 0; i < 100_000; i++) {
      if (i % 2 === 0) d.addCallback(() => new Failure(new Error(String(i))));
      else d.addErrback(() => i);
    }
    d.callback(0);
    expect(successResultOf(d)).toBe(99_999);
  });

  it('10,000 Deferreds linked with chainDeferred fire without overflowing the stack', () => {
    const n = 10_000;
    const ds = Array.from({ length: n }, () => new Deferred<number>());
    for (let i = 0; i < n - 1; i++) ds[i].chainDeferred(ds[i + 1]);
    let got: unknown;
    ds[n - 1].addCallback((v) => {
      got = v;
    });
    ds[0].callback(7);
    expect(got).toBe(7);
  });
});

describe('chainDeferred', () => {
  it("fires the other Deferred with this one's result; this one continues with undefined", () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    a.chainDeferred(b);
    a.callback(5);
    expect(successResultOf(b)).toBe(5);
    expect(successResultOf(a)).toBeUndefined();
  });

  it('passes failures on as failures', () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    a.chainDeferred(b);
    const err = new RangeError('r');
    a.errback(err);
    expect(failureResultOf(b).value).toBe(err);
    expect(successResultOf(a)).toBeUndefined();
  });

  it("runs the other Deferred's callbacks before this chain continues", () => {
    const order: string[] = [];
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    b.addCallback(() => order.push('b'));
    a.chainDeferred(b).addCallback(() => order.push('a after'));
    a.callback(1);
    expect(order).toEqual(['b', 'a after']);
  });

  it('an already-fired target makes this chain fail with AlreadyCalledError', () => {
    const a = new Deferred<number>();
    const b = succeed(1);
    a.chainDeferred(b);
    a.callback(2);
    failureResultOf(a, AlreadyCalledError);
  });

  it('a cancelled target without canceller swallows the chained result', () => {
    const a = new Deferred<number>();
    const b = new Deferred<number>();
    b.cancel();
    a.chainDeferred(b);
    a.callback(2);
    expect(successResultOf(a)).toBeUndefined();
    failureResultOf(b, CancelledError);
  });

  it('refuses itself and non-Deferreds', () => {
    const a = new Deferred<number>();
    expect(() => a.chainDeferred(a)).toThrow(TypeError);
    expect(() => a.chainDeferred({} as Deferred<number>)).toThrow(TypeError);
  });
});
