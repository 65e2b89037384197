import { Deferred } from '../../src/defer/deferred';
import { CancelledError } from '../../src/defer/errors';
import { Failure } from '../../src/defer/failure';
import { ensureDeferred, fail, succeed } from '../../src/defer/helpers';
import { Clock } from '../../src/task/clock';
import { GenericError, assertNoResult, failureResultOf, successResultOf } from './support';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('await / then', () => {
  it('await gives the result of a fired Deferred', async () => {
    expect(await succeed('foo')).toBe('foo');
  });

  it('await waits for a Deferred fired later', async () => {
    const d = new Deferred<number>();
    setImmediate(() => d.callback(5));
    expect(await d).toBe(5);
  });

  it('await rejects with the failure value (the original error object)', async () => {
    const err = new GenericError('bad');
    await expect(fail(err)).rejects.toBe(err);
  });

  it('await rejects with non-Error values as they are', async () => {
    await expect(fail('text')).rejects.toBe('text');
  });

  it('then observes the result without changing the chain', async () => {
    const d = succeed(3);
    await d.then((v) => v * 100);
    expect(successResultOf(d)).toBe(3);
  });

  it('then observes a failure without consuming it', async () => {
    const err = new GenericError('kept');
    const d = fail(err);
    await expect(d).rejects.toBe(err);
    expect(failureResultOf(d).value).toBe(err);
  });

  it('then observes the point of the chain where it was added', async () => {
    const d = new Deferred<number>();
    const p = d.then((v) => v);
    d.addCallback((v) => v + 1);
    d.callback(1);
    expect(await p).toBe(1);
    expect(successResultOf(d)).toBe(2);
  });

  it('then calls its handlers asynchronously, as Promises do', async () => {
    const order: string[] = [];
    const d = succeed(1);
    const p = d.then(() => {
      order.push('then');
    });
    order.push('sync');
    await p;
    expect(order).toEqual(['sync', 'then']);
  });

  it('then(onFulfilled, onRejected) chains like a Promise', async () => {
    const out = await fail<number>(new Error('x')).then(
      () => 'ok',
      (e: unknown) => `caught ${(e as Error).message}`,
    );
    expect(out).toBe('caught x');
  });

  it('Promise.all and async functions accept Deferreds', async () => {
    const d = new Deferred<string>();
    const all = Promise.all([succeed(1), d]);
    d.callback('two');
    expect(await all).toEqual([1, 'two']);
    const asyncFn = async (): Promise<number> => (await succeed(20)) + 1;
    expect(await asyncFn()).toBe(21);
  });
});

describe('asPromise', () => {
  it('resolves with the result', async () => {
    const d = new Deferred<number>();
    const p = d.asPromise();
    expect(p).toBeInstanceOf(Promise);
    d.callback(13);
    expect(await p).toBe(13);
    expect(successResultOf(d)).toBe(13);
  });

  it('rejects with the failure value', async () => {
    const err = new RangeError('zero');
    const d = new Deferred();
    const p = d.asPromise();
    d.errback(new Failure(err));
    await expect(p).rejects.toBe(err);
  });
});

describe('Deferred.fromPromise', () => {
  it('fires with the resolved value', async () => {
    const d = Deferred.fromPromise(Promise.resolve(7));
    assertNoResult(d);
    await tick();
    expect(successResultOf(d)).toBe(7);
  });

  it('fails with the rejection reason', async () => {
    const err = new GenericError('rejected');
    const d = Deferred.fromPromise(Promise.reject(err));
    await tick();
    expect(failureResultOf(d, GenericError).value).toBe(err);
  });

  it('keeps a rejection that is a Failure as that Failure', async () => {
    const f = new Failure(new Error('f'));
    const d = Deferred.fromPromise(Promise.reject(f));
    await tick();
    expect(failureResultOf(d)).toBe(f);
  });

  it('accepts any thenable', async () => {
    const thenable: PromiseLike<string> = {
      then<A, B>(ok?: ((v: string) => A | PromiseLike<A>) | null): PromiseLike<A | B> {
        ok?.('from thenable');
        return Promise.resolve() as unknown as PromiseLike<A | B>;
      },
    };
    expect(successResultOf(Deferred.fromPromise(thenable))).toBe('from thenable');
  });

  it('returns a Deferred as is', () => {
    const d = new Deferred();
    expect(Deferred.fromPromise(d)).toBe(d);
  });

  it('refuses non-thenables', () => {
    expect(() => Deferred.fromPromise(5 as unknown as Promise<number>)).toThrow(TypeError);
  });

  it('cancelling fails with CancelledError and drops the later outcome silently', async () => {
    let resolve!: (v: number) => void;
    const p = new Promise<number>((r) => {
      resolve = r;
    });
    const d = Deferred.fromPromise(p);
    d.cancel();
    failureResultOf(d, CancelledError);
    resolve(1);
    await tick();
    expect(successResultOf(d)).toBeUndefined();
  });
});

describe('ensureDeferred', () => {
  it('passes a Deferred through unchanged', () => {
    const d = new Deferred();
    expect(ensureDeferred(d)).toBe(d);
  });

  it('turns an async function call into a Deferred with its result', async () => {
    const run = async (): Promise<string> => {
      const res = await succeed('foo');
      return res;
    };
    const d = ensureDeferred(run());
    expect(d).toBeInstanceOf(Deferred);
    await tick();
    expect(successResultOf(d)).toBe('foo');
  });

  it('an async function awaiting Deferreds driven by a Clock completes as the clock advances', async () => {
    const clock = new Clock();
    const sleep = (s: number): Deferred<null> => {
      const d = new Deferred<null>();
      clock.callLater(s, () => d.callback(null));
      return d;
    };
    const steps: number[] = [];
    const d = ensureDeferred(
      (async () => {
        await sleep(1);
        steps.push(clock.seconds());
        await sleep(2);
        steps.push(clock.seconds());
        return 'done';
      })(),
    );
    clock.advance(1);
    await tick();
    clock.advance(2);
    await tick();
    expect(steps).toEqual([1, 3]);
    expect(successResultOf(d)).toBe('done');
  });

  it('a failed awaited Deferred is a catchable exception inside the async function', async () => {
    const d = ensureDeferred(
      (async () => {
        try {
          await fail(new GenericError('inner'));
          return 'not reached';
        } catch (e) {
          return `caught ${(e as Error).message}`;
        }
      })(),
    );
    await tick();
    expect(successResultOf(d)).toBe('caught inner');
  });

  it('refuses anything else with a TypeError (Twisted: NotACoroutineError)', () => {
    for (const thing of [(x: unknown) => x, 1, true, null, undefined, 'something', {}]) {
      expect(() => ensureDeferred(thing as unknown as Promise<unknown>)).toThrow(TypeError);
    }
    expect(() => ensureDeferred((async () => 1) as unknown as Promise<number>)).toThrow(/instead of calling it/);
  });
});
