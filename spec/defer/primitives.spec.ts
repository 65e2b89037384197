import { Deferred } from '../../src/defer/deferred';
import { CancelledError, QueueOverflow, QueueUnderflow } from '../../src/defer/errors';
import { Failure } from '../../src/defer/failure';
import { succeed } from '../../src/defer/helpers';
import { DeferredLock, DeferredQueue, DeferredSemaphore } from '../../src/defer/primitives';
import { RuntimeError } from '../../src/errors';
import { failureResultOf, successResultOf } from './support';

describe('DeferredLock', () => {
  it('acquire fires with the lock when free, and waiters get it in FIFO order on release', () => {
    const lock = new DeferredLock();
    const order: string[] = [];
    const first = lock.acquire();
    expect(successResultOf(first)).toBe(lock);
    expect(lock.locked).toBe(true);
    lock.acquire().addCallback(() => order.push('a'));
    lock.acquire().addCallback(() => order.push('b'));
    expect(order).toEqual([]);
    lock.release();
    expect(order).toEqual(['a']);
    expect(lock.locked).toBe(true);
    lock.release();
    expect(order).toEqual(['a', 'b']);
    lock.release();
    expect(lock.locked).toBe(false);
  });

  it('release when not locked throws RuntimeError', () => {
    expect(() => new DeferredLock().release()).toThrow(RuntimeError);
  });

  it('run() holds the lock until the function’s Deferred fires, then releases it', () => {
    const lock = new DeferredLock();
    const control = new Deferred<string>();
    let arg: unknown;
    const result = lock.run((v: string) => {
      arg = v;
      return control;
    }, 'firstUnique');
    expect(lock.locked).toBe(true);
    expect(arg).toBe('firstUnique');
    let counter = 0;
    lock.acquire().addCallback(() => counter++);
    expect(counter).toBe(0);
    control.callback('secondUnique');
    expect(successResultOf(result)).toBe('secondUnique');
    expect(counter).toBe(1);
    expect(lock.locked).toBe(true);
  });

  it('run() releases the lock when the function throws, and fails with the error', () => {
    const lock = new DeferredLock();
    const err = new RangeError('broken');
    const result = lock.run(() => {
      throw err;
    });
    expect(failureResultOf(result).value).toBe(err);
    expect(lock.locked).toBe(false);
  });

  it('run() waits for the lock when it is held', () => {
    const lock = new DeferredLock();
    lock.acquire();
    let ran = false;
    const result = lock.run(() => {
      ran = true;
      return succeed(2);
    });
    expect(ran).toBe(false);
    lock.release();
    expect(ran).toBe(true);
    expect(successResultOf(result)).toBe(2);
    expect(lock.locked).toBe(false);
  });

  it('run() checks its argument', () => {
    expect(() => new DeferredLock().run(undefined as unknown as () => void)).toThrow(TypeError);
  });

  it('cancelling an acquire that already has the lock does nothing', () => {
    const lock = new DeferredLock();
    const d = lock.acquire();
    const errors: Failure[] = [];
    d.addErrback((f) => {
      errors.push(f);
    });
    d.cancel();
    expect(errors).toEqual([]);
    expect(lock.locked).toBe(true);
  });

  it('cancelling a waiting acquire fails it with CancelledError and removes it from the queue', () => {
    const lock = new DeferredLock();
    lock.acquire();
    const d = lock.acquire();
    const later: string[] = [];
    lock.acquire().addCallback(() => later.push('third'));
    d.cancel();
    failureResultOf(d, CancelledError);
    lock.release();
    expect(later).toEqual(['third']);
  });
});

describe('DeferredSemaphore', () => {
  it('lets `tokens` holders in at once and queues the rest', () => {
    const N = 13;
    const sem = new DeferredSemaphore(N);
    let counter = 0;
    for (let i = 1; i <= N; i++) {
      sem.acquire().addCallback(() => counter++);
      expect(counter).toBe(i);
    }
    expect(sem.tokens).toBe(0);
    const success: boolean[] = [];
    const d = sem.acquire().addCallbacks(
      () => success.push(false),
      () => success.push(true),
    );
    d.cancel();
    expect(success).toEqual([true]);
    sem.acquire().addCallback(() => counter++);
    expect(counter).toBe(N);
    sem.release();
    expect(counter).toBe(N + 1);
    for (let i = 1; i <= N; i++) {
      sem.release();
      expect(counter).toBe(N + 1);
    }
    expect(sem.tokens).toBe(N);
  });

  it('run() acquires, calls maybeDeferred(f) and releases when its result is in', () => {
    const sem = new DeferredSemaphore(1);
    const control = new Deferred<null>();
    let helperArg: unknown;
    const results: unknown[] = [];
    sem
      .run((arg: object) => {
        helperArg = arg;
        return control;
      }, sem)
      .addCallback((r) => {
        results.push(r);
      });
    expect(helperArg).toBe(sem);
    expect(sem.tokens).toBe(0);
    control.callback(null);
    expect(results).toEqual([null]);
    expect(sem.tokens).toBe(1);
  });

  it('tokens below 1 is a RangeError; a non-integer a TypeError or RangeError', () => {
    expect(() => new DeferredSemaphore(0)).toThrow(RangeError);
    expect(() => new DeferredSemaphore(-1)).toThrow(RangeError);
    expect(() => new DeferredSemaphore(1.5)).toThrow(RangeError);
    expect(() => new DeferredSemaphore('2' as unknown as number)).toThrow(TypeError);
  });

  it('releasing more than acquired throws RuntimeError', () => {
    const sem = new DeferredSemaphore(2);
    expect(() => sem.release()).toThrow(RuntimeError);
  });

  it('cancelling an acquire that already has a token does nothing', () => {
    const sem = new DeferredSemaphore(1);
    const d = sem.acquire();
    const errors: Failure[] = [];
    d.addErrback((f) => {
      errors.push(f);
    });
    d.cancel();
    expect(errors).toEqual([]);
  });

  it('cancelling a waiting acquire fails it with CancelledError', () => {
    const sem = new DeferredSemaphore(1);
    sem.acquire();
    const d = sem.acquire();
    d.cancel();
    failureResultOf(d, CancelledError);
    sem.release();
    expect(sem.tokens).toBe(1);
  });
});

describe('DeferredQueue', () => {
  it('hands objects to gets in order, within size and backlog', () => {
    const N = 2;
    const M = 2;
    const queue = new DeferredQueue<number>({ size: N, backlog: M });
    let gotten: number[] = [];
    for (let i = 0; i < M; i++) queue.get().addCallback((v) => void gotten.push(v));
    expect(() => queue.get()).toThrow(QueueUnderflow);
    for (let i = 0; i < M; i++) {
      queue.put(i);
      expect(gotten).toEqual(Array.from({ length: i + 1 }, (_, k) => k));
    }
    for (let i = 0; i < N; i++) {
      queue.put(N + i);
      expect(gotten).toEqual([0, 1]);
    }
    expect(() => queue.put(99)).toThrow(QueueOverflow);
    gotten = [];
    for (let i = 0; i < N; i++) {
      queue.get().addCallback((v) => void gotten.push(v));
      expect(gotten).toEqual(Array.from({ length: i + 1 }, (_, k) => N + k));
    }
  });

  it('is unbounded without size and backlog', () => {
    const queue = new DeferredQueue<number>();
    const gotten: number[] = [];
    for (let i = 0; i < 100; i++) queue.get().addCallback((v) => void gotten.push(v));
    for (let i = 0; i < 100; i++) queue.put(i);
    expect(gotten).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('size 0 refuses every put; backlog 0 refuses every waiting get', () => {
    expect(() => new DeferredQueue({ size: 0 }).put(null)).toThrow(QueueOverflow);
    expect(() => new DeferredQueue({ backlog: 0 }).get()).toThrow(QueueUnderflow);
    expect(new QueueOverflow().code).toBe('ERR_QUEUE_OVERFLOW');
    expect(new QueueUnderflow().code).toBe('ERR_QUEUE_UNDERFLOW');
  });

  it('checks size and backlog', () => {
    expect(() => new DeferredQueue({ size: -1 })).toThrow(RangeError);
    expect(() => new DeferredQueue({ backlog: 1.5 })).toThrow(RangeError);
    expect(() => new DeferredQueue({ size: '3' as unknown as number })).toThrow(TypeError);
  });

  it('cancelling a get that already has its object does nothing', () => {
    const queue = new DeferredQueue<null>();
    const d = queue.get();
    const errors: Failure[] = [];
    d.addErrback((f) => {
      errors.push(f);
    });
    queue.put(null);
    d.cancel();
    expect(errors).toEqual([]);
  });

  it('cancelling a waiting get fails it and the queue no longer tries to fire it', () => {
    const queue = new DeferredQueue<string | null>();
    const d = queue.get();
    d.cancel();
    failureResultOf(d, CancelledError);
    const done: unknown[] = [];
    d.addCallback(() => {
      queue.put('next');
      return queue.get();
    }).addCallback((v) => {
      done.push(v);
    });
    expect(done).toEqual(['next']);
  });
});
