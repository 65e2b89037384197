import { Deferred, DeferredList, fail } from '../../src/defer';
import { Failure } from '../../src/defer/failure';
import { TorsionError } from '../../src/errors';
import { Clock } from '../../src/task/clock';
import { reactor } from '../../src/reactor';
import { Cooperator, CooperativeTask, coiterate, cooperate, globalCooperator } from '../../src/task/cooperator';
import { NotPaused, SchedulerStopped, TaskDone, TaskFailed, TaskFinished, TaskStopped } from '../../src/task/errors';
import { watch } from './deferred-helpers';

/** A scheduled unit of work that can be cancelled. */
class FakeDelayedCall {
  cancelled = false;
  constructor(readonly func: () => void) {}
  cancel(): void {
    this.cancelled = true;
  }
}

/** A scheduler whose work runs only when the test pumps it. */
class FakeScheduler {
  work: FakeDelayedCall[] = [];
  readonly schedule = (thunk: () => void): FakeDelayedCall => {
    const unit = new FakeDelayedCall(thunk);
    this.work.push(unit);
    return unit;
  };
  pump(): void {
    const work = this.work;
    this.work = [];
    for (const unit of work) if (!unit.cancelled) unit.func();
  }
}

class UnhandledException extends Error {}

/** One unit of work per tick. */
const oneAtATime = () => () => true;

describe('Cooperator', () => {
  it('refuses new tasks once stopped: their Deferred fails with SchedulerStopped', () => {
    const c = new Cooperator({ clock: new Clock() });
    c.stop();
    const w = watch(c.coiterate([][Symbol.iterator]()));
    expect(w.outcome.state).toBe('failure');
    if (w.outcome.state === 'failure') expect(w.outcome.failure.check(SchedulerStopped)).toBe(SchedulerStopped);
    const given = new Deferred<Iterator<never>>();
    const returned = c.coiterate([][Symbol.iterator](), given);
    expect(returned).toBe(given);
    expect(watch(given).outcome.state).toBe('failure');
  });

  it('stopping it keeps a running iterator from completing', () => {
    const clock = new Clock();
    const c = new Cooperator({ clock });
    const seen: number[] = [];
    function* myiter() {
      for (let i = 0; i < 3; i++) {
        seen.push(i);
        yield i;
      }
    }
    const w = watch(c.coiterate(myiter()));
    c.stop();
    clock.advance(1);
    expect(w.outcome.state).toBe('failure');
    expect(seen).toEqual([]);
    expect(clock.calls).toHaveLength(0);
  });

  it('a task waiting on a yielded Deferred fails with SchedulerStopped once that fires after stop()', () => {
    const clock = new Clock();
    const c = new Cooperator({ clock });
    const outstanding = new Deferred<string>();
    let resumed = false;
    function* myiter() {
      yield outstanding;
      resumed = true;
    }
    const w = watch(c.coiterate(myiter()));
    clock.advance(1);
    c.stop();
    outstanding.callback('arglebargle');
    expect(resumed).toBe(false);
    expect(w.outcome.state).toBe('failure');
    if (w.outcome.state === 'failure') expect(w.outcome.failure.check(SchedulerStopped)).toBe(SchedulerStopped);
  });

  it("an iterator that throws fails coiterate's Deferred with that error", () => {
    const clock = new Clock();
    const c = new Cooperator({ clock });
    // biome-ignore lint/correctness/useYield: an iterator whose first next() throws, as in Twisted's test
    function* myiter(): Generator<never> {
      throw new UnhandledException('boom');
    }
    const w = watch(c.coiterate(myiter()));
    clock.advance(1);
    expect(w.outcome.state === 'failure' && w.outcome.failure.check(UnhandledException)).toBe(UnhandledException);
  });

  it('a yielded Deferred that fails later fails the task', () => {
    const clock = new Clock();
    const c = new Cooperator({ clock });
    function* myiter() {
      const d = new Deferred<void>();
      clock.callLater(0, () => d.errback(new UnhandledException()));
      yield d;
    }
    const w = watch(c.coiterate(myiter()));
    clock.pump([1, 1]);
    expect(w.outcome.state === 'failure' && w.outcome.failure.check(UnhandledException)).toBe(UnhandledException);
  });

  it('a yielded Deferred that has already failed fails the task', () => {
    const clock = new Clock();
    const c = new Cooperator({ clock });
    function* myiter() {
      yield fail(new UnhandledException());
    }
    const w = watch(c.coiterate(myiter()));
    clock.advance(1);
    expect(w.outcome.state === 'failure' && w.outcome.failure.check(UnhandledException)).toBe(UnhandledException);
  });

  it('a yielded Promise pauses the task until it settles', async () => {
    const clock = new Clock();
    const c = new Cooperator({ clock, terminationPredicateFactory: oneAtATime });
    const steps: string[] = [];
    let release!: () => void;
    function* myiter() {
      steps.push('before');
      yield new Promise<void>((r) => (release = r));
      steps.push('after');
    }
    const w = watch(c.coiterate(myiter()));
    clock.pump([1, 1, 1]);
    expect(steps).toEqual(['before']);
    release();
    await new Promise((r) => setImmediate(r));
    clock.pump([1, 1]);
    expect(steps).toEqual(['before', 'after']);
    expect(w.outcome.state).toBe('success');
  });

  it('interleaves its tasks round-robin', () => {
    const clock = new Clock();
    const c = new Cooperator({ clock });
    const out: unknown[] = [];
    function* myiter(things: Iterable<unknown>) {
      for (const th of things) {
        out.push(th);
        yield null;
      }
    }
    const groups: unknown[][] = [
      ['a', 'b', 'c'],
      [1, 2, 3],
      ['d', 'e', 'f'],
      [4, 5, 6],
    ];
    const all = new DeferredList(groups.map((g) => c.coiterate(myiter(g))));
    const w = watch(all);
    for (let i = 0; i < 10 && w.outcome.state === 'pending'; i++) clock.advance(1);
    expect(w.outcome.state).toBe('success');
    expect(out).toEqual(['a', 1, 'd', 4, 'b', 2, 'e', 5, 'c', 3, 'f', 6]);
  });

  it('a tick ends when the termination predicate says so, and the next tick carries on', () => {
    const clock = new Clock();
    let stopNow = false;
    const c = new Cooperator({ clock, terminationPredicateFactory: () => () => stopNow });
    const output: number[] = [];
    function* myiter() {
      for (let i = 0; i < 100; i++) {
        output.push(i);
        if (i === 9) stopNow = true;
        yield i;
      }
    }
    c.coiterate(myiter()).addErrback(() => null);
    clock.advance(1);
    expect(output).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(clock.calls).toHaveLength(1); // the next tick is scheduled
    c.stop();
  });

  it('keeps the round-robin position across ticks', () => {
    const clock = new Clock();
    const c = new Cooperator({ clock, terminationPredicateFactory: oneAtATime });
    const out: string[] = [];
    function* named(name: string) {
      for (;;) {
        out.push(name);
        yield;
      }
    }
    c.cooperate(named('a'));
    c.cooperate(named('b'));
    c.cooperate(named('c'));
    clock.pump([1, 1, 1, 1, 1]);
    expect(out).toEqual(['a', 'b', 'c', 'a', 'b']);
    c.stop();
  });

  it('schedules its ticks on the clock just after the current time', () => {
    const clock = new Clock();
    const c = new Cooperator({ clock });
    c.cooperate([1, 2, 3]);
    expect(clock.calls).toHaveLength(1);
    expect(clock.calls[0].getTime()).toBeGreaterThan(0);
    expect(clock.calls[0].getTime()).toBeLessThan(1e-6);
    c.stop();
    expect(clock.calls).toHaveLength(0);
  });

  it('a callback that coiterates again from a finished task schedules only once', () => {
    const calls: FakeDelayedCall[] = [];
    const sched = (f: () => void) => {
      expect(calls).toHaveLength(0);
      const call = new FakeDelayedCall(f);
      calls.push(call);
      return call;
    };
    const c = new Cooperator({ scheduler: sched, terminationPredicateFactory: () => () => true });
    const done: unknown[] = [];
    c.coiterate([][Symbol.iterator]()).addCallback(() => {
      c.coiterate([][Symbol.iterator]()).addBoth((r) => done.push(r));
    });
    let work = 0;
    while (done.length === 0) {
      work += 1;
      while (calls.length > 0) {
        (calls.shift() as FakeDelayedCall).func();
        work += 1;
      }
      if (work > 50) throw new Error('Cooperator took too long');
    }
  });

  it('removing the last task cancels the scheduled tick; adding one schedules it again', () => {
    let last: FakeDelayedCall | null = null;
    const c = new Cooperator({
      scheduler: (f) => (last = new FakeDelayedCall(f)),
    });
    const task1 = c.cooperate([1, 2]);
    const task2 = c.cooperate([1, 2]);
    const first = last as unknown as FakeDelayedCall;
    expect(first).not.toBeNull();
    task1.stop();
    expect(first.cancelled).toBe(false);
    task2.stop();
    expect(first.cancelled).toBe(true);
    c.cooperate([1, 2]);
    expect(last).not.toBe(first);
    expect((last as unknown as FakeDelayedCall).cancelled).toBe(false);
    c.stop();
  });

  it('running: true when started on creation, false until start(), false after stop()', () => {
    expect(new Cooperator({ clock: new Clock() }).running).toBe(true);
    const c = new Cooperator({ clock: new Clock(), started: false });
    expect(c.running).toBe(false);
    c.start();
    expect(c.running).toBe(true);
    c.stop();
    expect(c.running).toBe(false);
  });

  it('a Cooperator created stopped runs nothing until start()', () => {
    const clock = new Clock();
    const c = new Cooperator({ clock, started: false });
    const w = watch(c.coiterate([1, 2, 3]));
    clock.advance(1);
    expect(clock.calls).toHaveLength(0);
    expect(w.outcome.state).toBe('pending');
    c.start();
    clock.advance(1);
    expect(w.outcome.state).toBe('success');
  });

  it('accepts an iterable (an array) as well as an iterator', () => {
    const clock = new Clock();
    const c = new Cooperator({ clock });
    const arr = [1, 2, 3];
    const w = watch(c.coiterate(arr));
    clock.advance(1);
    expect(w.outcome).toEqual({ state: 'success', value: arr });
    expect(() => c.cooperate(42 as unknown as number[])).toThrow(TypeError);
  });

  it("the errors are TorsionErrors in Twisted's hierarchy", () => {
    expect(new TaskDone()).toBeInstanceOf(TaskFinished);
    expect(new TaskStopped()).toBeInstanceOf(TaskFinished);
    expect(new TaskFailed()).toBeInstanceOf(TaskFinished);
    expect(new SchedulerStopped()).toBeInstanceOf(TorsionError);
    expect(new NotPaused()).toBeInstanceOf(TorsionError);
    expect(new TaskStopped().code).toBe('ERR_TASK_STOPPED');
  });
});

describe('CooperativeTask run states', () => {
  let doDeferNext: boolean;
  let doStopNext: boolean;
  let doDieNext: boolean;
  let work: unknown[];
  let scheduler: FakeScheduler;
  let cooperator: Cooperator;
  let iterator: Generator<unknown>;
  let task: CooperativeTask<Generator<unknown>>;

  function* worker(): Generator<unknown> {
    let i = 0;
    for (;;) {
      i += 1;
      if (doDeferNext) {
        doDeferNext = false;
        const d = new Deferred<unknown>();
        work.push(d);
        yield d;
      } else if (doStopNext) {
        return;
      } else if (doDieNext) {
        throw new UnhandledException();
      } else {
        work.push(i);
        yield i;
      }
    }
  }

  beforeEach(() => {
    doDeferNext = doStopNext = doDieNext = false;
    work = [];
    scheduler = new FakeScheduler();
    cooperator = new Cooperator({ scheduler: scheduler.schedule, terminationPredicateFactory: oneAtATime });
    iterator = worker();
    task = cooperator.cooperate(iterator);
    cooperator.start();
  });

  it('a paused task does no work until resumed, and resuming itself does none', () => {
    scheduler.pump();
    expect(work).toEqual([1]);
    scheduler.pump();
    expect(work).toEqual([1, 2]);
    task.pause();
    scheduler.pump();
    expect(work).toEqual([1, 2]);
    task.resume();
    expect(work).toEqual([1, 2]);
    scheduler.pump();
    expect(work).toEqual([1, 2, 3]);
  });

  it('resume() on a task that is not paused throws NotPaused', () => {
    expect(() => task.resume()).toThrow(NotPaused);
    task.pause();
    task.resume();
    expect(() => task.resume()).toThrow(NotPaused);
  });

  it('pauses nest: paused twice needs two resumes', () => {
    task.pause();
    scheduler.pump();
    task.pause();
    scheduler.pump();
    task.resume();
    scheduler.pump();
    expect(work).toEqual([]);
    task.resume();
    scheduler.pump();
    expect(work).toEqual([1]);
  });

  it('a task paused while waiting on a Deferred needs both the Deferred and resume() to continue', () => {
    doDeferNext = true;
    scheduler.pump();
    expect(work).toHaveLength(1);
    expect(work[0]).toBeInstanceOf(Deferred);
    scheduler.pump();
    expect(work).toHaveLength(1);
    task.pause();
    scheduler.pump();
    task.resume();
    scheduler.pump();
    expect(work).toHaveLength(1);
    (work[0] as Deferred<string>).callback('STUFF!');
    scheduler.pump();
    expect(work).toEqual([work[0], 2]);
  });

  it('whenDone gives independent Deferreds that fire with the iterator when it is exhausted', () => {
    const results1: unknown[] = [];
    const results2: unknown[] = [];
    const final1: unknown[] = [];
    const final2: unknown[] = [];
    task
      .whenDone()
      .addCallback((r) => {
        results1.push(r);
        return 1;
      })
      .addCallback((r) => final1.push(r));
    task
      .whenDone()
      .addCallback((r) => {
        results2.push(r);
        return 2;
      })
      .addCallback((r) => final2.push(r));
    doStopNext = true;
    scheduler.pump();
    expect(results1).toEqual([iterator]);
    expect(results2).toEqual([iterator]);
    expect(results1[0]).toBe(iterator);
    expect(final1).toEqual([1]);
    expect(final2).toEqual([2]);
  });

  it('whenDone fails with the error the iterator threw', () => {
    const errors: Failure[] = [];
    task.whenDone().addErrback((f) => {
      errors.push(f);
    });
    doDieNext = true;
    scheduler.pump();
    expect(errors).toHaveLength(1);
    expect(errors[0].check(UnhandledException)).toBe(UnhandledException);
  });

  it('whenDone fails with TaskStopped when the task is stopped', () => {
    const errors: Failure[] = [];
    task.whenDone().addErrback((f) => {
      errors.push(f);
    });
    task.stop();
    expect(errors).toHaveLength(1);
    expect(errors[0].check(TaskStopped)).toBe(TaskStopped);
  });

  it('whenDone on a finished task fires at once', () => {
    doStopNext = true;
    scheduler.pump();
    const results: unknown[] = [];
    task.whenDone().addCallback((r) => results.push(r));
    expect(results).toEqual([iterator]);
  });

  it('a stopped task does no more work, and stop()/pause() then throw TaskStopped', () => {
    task.stop();
    scheduler.pump();
    expect(work).toEqual([]);
    expect(() => task.stop()).toThrow(TaskStopped);
    expect(() => task.pause()).toThrow(TaskStopped);
    scheduler.pump();
    expect(work).toEqual([]);
  });

  it('resuming a paused, stopped task does nothing and does not throw', () => {
    task.pause();
    task.stop();
    task.resume();
    scheduler.pump();
    expect(work).toEqual([]);
  });

  it('a task stopped while waiting on a Deferred is not resumed when it fires', () => {
    doDeferNext = true;
    scheduler.pump();
    const d = work.pop() as Deferred<number>;
    const results: unknown[] = [];
    d.addBoth((r) => results.push(r));
    scheduler.pump();
    task.stop();
    scheduler.pump();
    d.callback(7);
    scheduler.pump();
    // The cooperator consumed the value: later callbacks see its own return value.
    expect(results).toEqual([null]);
    expect(work).toEqual([]);
  });

  it('stop() on an exhausted task throws TaskDone', () => {
    doStopNext = true;
    scheduler.pump();
    expect(() => task.stop()).toThrow(TaskDone);
  });

  it('stop() on a task whose iterator threw throws TaskFailed', () => {
    task.whenDone().addErrback(() => null);
    doDieNext = true;
    scheduler.pump();
    expect(() => task.stop()).toThrow(TaskFailed);
  });

  it('a whenDone callback may stop the Cooperator: the finished task is already gone', () => {
    const phases: unknown[] = [];
    task.whenDone().addCallback((r) => {
      phases.push(r);
      cooperator.stop();
      phases.push('done');
    });
    doStopNext = true;
    scheduler.pump();
    expect(phases).toEqual([iterator, 'done']);
  });

  it('stopping the Cooperator fails every running task with SchedulerStopped', () => {
    const other = cooperator.cooperate([1, 2, 3]);
    const third = cooperator.cooperate([4, 5, 6]);
    const outcomes = [watch(task.whenDone()), watch(other.whenDone()), watch(third.whenDone())];
    cooperator.stop();
    for (const w of outcomes) {
      expect(w.outcome.state === 'failure' && w.outcome.failure.check(SchedulerStopped)).toBe(SchedulerStopped);
    }
  });
});

describe('cooperate and coiterate', () => {
  it('run tasks on the global Cooperator, ticking on the global reactor', async () => {
    const out: string[] = [];
    function* named(name: string, n: number) {
      for (let i = 0; i < n; i++) {
        out.push(`${name}${i}`);
        yield;
      }
    }
    const task = cooperate(named('a', 3));
    const d = coiterate(named('b', 2));
    expect(globalCooperator().running).toBe(true);
    // Nothing runs before the reactor does: the first tick waits on it.
    expect(out).toEqual([]);
    expect(reactor.getDelayedCalls()).toHaveLength(1);
    const done = reactor.run({ installSignalHandlers: false });
    try {
      await Promise.all([task.whenDone().asPromise(), d.asPromise()]);
      expect(out).toEqual(['a0', 'b0', 'a1', 'b1', 'a2']);
      expect(reactor.getDelayedCalls()).toHaveLength(0);
    } finally {
      reactor.stop();
      await done;
    }
  });
});
