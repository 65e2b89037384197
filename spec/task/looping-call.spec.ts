import { Deferred, fail } from '../../src/defer';
import { RuntimeError } from '../../src/errors';
import { Reactor, reactor } from '../../src/reactor';
import { Clock } from '../../src/task/clock';
import { LoopingCall } from '../../src/task/looping-call';
import { assertNoResult, failureResultOf, successResultOf, watch } from './deferred-helpers';

class TestException extends Error {}

function loop<A extends unknown[]>(clock: Clock, f: (...args: A) => unknown, ...args: A): LoopingCall<A> {
  const lc = new LoopingCall(f, ...args);
  lc.clock = clock;
  return lc;
}

describe('LoopingCall', () => {
  it('its default clock is the global reactor', () => {
    expect(new LoopingCall(() => undefined).clock).toBe(reactor);
  });

  it('calls the function now and then every interval, with its arguments', () => {
    const clock = new Clock();
    const calls: [string, string][] = [];
    const lc = loop(clock, (a: string, b: string) => calls.push([a, b]), 'a', 'b');
    const d = lc.start(0.1);
    expect(calls).toHaveLength(1); // now = true: synchronously
    clock.pump([0.05, 0.1, 0.1]);
    expect(calls).toHaveLength(3);
    expect(calls.every(([a, b]) => a === 'a' && b === 'b')).toBe(true);
    expect(lc.running).toBe(true);
    lc.stop();
    expect(successResultOf(d)).toBe(lc);
    expect(clock.calls).toHaveLength(0);
  });

  it('with now = false the first call waits one interval', () => {
    const clock = new Clock();
    const calls: number[] = [];
    const lc = loop(clock, () => calls.push(clock.seconds()));
    const d = lc.start(0.1, false);
    expect(calls).toEqual([]);
    clock.pump([0.05, 0.1, 0.1]);
    expect(calls).toHaveLength(2);
    lc.stop();
    expect(successResultOf(d)).toBe(lc);
    expect(clock.calls).toHaveLength(0);
  });

  it('stop() before a delayed start prevents any call (interval 0 and 10)', () => {
    for (const interval of [0, 10]) {
      const clock = new Clock();
      const ran: number[] = [];
      const lc = loop(clock, () => ran.push(1));
      lc.start(interval, false);
      lc.stop();
      clock.advance(20);
      expect(ran).toEqual([]);
      expect(clock.calls).toHaveLength(0);
    }
  });

  it('stop() from inside the function ends the loop after that call', () => {
    const clock = new Clock();
    const ran: number[] = [];
    const lc = loop(clock, () => {
      ran.push(1);
      if (ran.length > 5) lc.stop();
    });
    const d = lc.start(0);
    for (let i = 0; i < 10; i++) clock.advance(0);
    expect(ran).toHaveLength(6);
    expect(successResultOf(d)).toBe(lc);
    expect(lc.running).toBe(false);
    expect(clock.calls).toHaveLength(0);
  });

  it('an interval of 0 reschedules with callLater(0)', () => {
    const clock = new Clock();
    const lc = loop(clock, () => undefined);
    lc.start(0);
    expect(clock.calls).toHaveLength(1);
    expect(clock.calls[0].getTime()).toBe(0);
    lc.stop();
  });

  it('skips the intervals a slow call overran: the next call is on the next boundary in the future', () => {
    const clock = new Clock();
    const times: number[] = [];
    let callDuration = 2;
    const lc = loop(clock, () => {
      times.push(clock.seconds());
      clock.advance(callDuration);
    });
    lc.start(0.5);
    expect(times).toEqual([0]);
    expect(clock.seconds()).toBe(2);
    // A call was due at 2, but 2 is the present, not the future: skipped.
    clock.advance(0);
    expect(times).toEqual([0]);
    callDuration = 1;
    clock.advance(0.5);
    expect(times).toEqual([0, 2.5]);
    expect(clock.seconds()).toBe(3.5);
    clock.advance(0);
    expect(times).toEqual([0, 2.5]);
    callDuration = 0;
    clock.advance(0.5);
    expect(times).toEqual([0, 2.5, 4]);
    expect(clock.seconds()).toBe(4);
    lc.stop();
  });

  it('skips the intervals the clock jumped over between calls', () => {
    const clock = new Clock();
    const times: number[] = [];
    const lc = loop(clock, () => times.push(clock.seconds()));
    lc.start(0.5);
    expect(times).toEqual([0]);
    clock.advance(2);
    expect(times).toEqual([0, 2]);
    clock.advance(1);
    expect(times).toEqual([0, 2, 3]);
    clock.advance(0);
    expect(times).toEqual([0, 2, 3]);
    lc.stop();
  });

  it('reset() skips the next call and restarts the interval from now', () => {
    const clock = new Clock();
    const ran: number[] = [];
    const lc = loop(clock, () => ran.push(clock.seconds()));
    lc.start(2, false);
    clock.advance(1);
    lc.reset();
    clock.advance(1);
    expect(ran).toEqual([]);
    clock.advance(1);
    expect(ran).toEqual([3]);
    lc.stop();
  });

  it('does not call again until the Deferred the function returned has fired', () => {
    const clock = new Clock();
    let calls = 0;
    const lc = loop(clock, () => {
      calls += 1;
      const d = new Deferred<null>();
      d.addCallback(() => lc.stop());
      clock.callLater(1, () => d.callback(null));
      return d;
    });
    const done = lc.start(0.2);
    clock.pump([0.2, 0.8]);
    expect(calls).toBe(1);
    expect(successResultOf(done)).toBe(lc);
    expect(clock.calls).toHaveLength(0);
  });

  it("stop() while the function's Deferred is pending fires only once that Deferred completes", () => {
    const clock = new Clock();
    const pending = new Deferred<string>();
    const lc = loop(clock, () => pending);
    const done = lc.start(1);
    lc.stop();
    expect(lc.running).toBe(false);
    assertNoResult(done);
    pending.callback('x');
    expect(successResultOf(done)).toBe(lc);
    expect(clock.calls).toHaveLength(0);
  });

  it('waits for a returned Promise too', async () => {
    const clock = new Clock();
    let resolve!: () => void;
    let calls = 0;
    const lc = loop(clock, () => {
      calls += 1;
      return new Promise<void>((r) => (resolve = r));
    });
    lc.start(1);
    clock.advance(5);
    expect(calls).toBe(1);
    expect(clock.calls).toHaveLength(0);
    resolve();
    await new Promise((r) => setImmediate(r));
    expect(clock.calls).toHaveLength(1);
    clock.advance(1);
    expect(calls).toBe(2);
    lc.stop();
  });

  it('a function that throws fails the start() Deferred and stops the loop', () => {
    const clock = new Clock();
    const lc = loop(
      clock,
      (x: string) => {
        throw new TestException(x);
      },
      'bar',
    );
    const d = lc.start(0.1);
    const f = failureResultOf(d);
    expect(f.check(TestException)).toBe(TestException);
    expect((f.value as Error).message).toBe('bar');
    expect(lc.running).toBe(false);
    expect(clock.calls).toHaveLength(0);
  });

  it('a function that stops the loop and then throws still fails the Deferred', () => {
    const clock = new Clock();
    const lc = loop(clock, () => {
      lc.stop();
      throw new TestException('x');
    });
    const d = lc.start(0.1);
    expect(failureResultOf(d).check(TestException)).toBe(TestException);
  });

  it('a failure of the returned Deferred propagates to the start() Deferred', () => {
    const clock = new Clock();
    const lc = loop(clock, () => {
      const d = new Deferred<void>();
      clock.callLater(0.3, () => d.errback(new TestException()));
      return d;
    });
    const d = lc.start(1);
    const w = watch(d);
    clock.pump([0.3]);
    expect(w.outcome.state).toBe('failure');
    expect(clock.calls).toHaveLength(0);
  });

  it('a rejected Promise propagates to the start() Deferred', async () => {
    const clock = new Clock();
    const lc = loop(clock, () => Promise.reject(new TestException('async')));
    const w = watch(lc.start(1));
    await new Promise((r) => setImmediate(r));
    expect(w.outcome.state).toBe('failure');
    expect(lc.running).toBe(false);
  });

  it('a failed Deferred returned on a later call fails the loop', () => {
    const clock = new Clock();
    let n = 0;
    const lc = loop(clock, () => (++n === 3 ? fail(new TestException()) : null));
    const w = watch(lc.start(1));
    clock.pump([1, 1]);
    expect(n).toBe(3);
    expect(w.outcome.state).toBe('failure');
    clock.advance(10);
    expect(n).toBe(3);
  });

  describe('withCount', () => {
    it('passes the number of intervals that passed, counting skipped ones', () => {
      const clock = new Clock();
      const times: [number, number][] = [];
      const lc = LoopingCall.withCount((n) => times.push([clock.seconds(), n]));
      lc.clock = clock;
      const INTERVAL = 0.5;
      const DELAY = 0.01;
      lc.start(INTERVAL);
      expect(times).toEqual([[0, 1]]);
      clock.advance(INTERVAL + DELAY);
      expect(times).toEqual([
        [0, 1],
        [INTERVAL + DELAY, 1],
      ]);
      clock.advance(3 * INTERVAL + DELAY);
      expect(times[2][1]).toBe(3);
      expect(times[2][0]).toBeCloseTo(4 * INTERVAL + 2 * DELAY, 12);
      clock.advance(0);
      expect(times).toHaveLength(3);
      lc.stop();
    });

    it('counts only whole intervals missed: a late call is still a count of 1', () => {
      const clock = new Clock();
      const times: [number, number][] = [];
      const lc = LoopingCall.withCount((n) => times.push([clock.seconds(), n]));
      lc.clock = clock;
      const INTERVAL = 0.5;
      const DELAY = 0.01;
      lc.start(INTERVAL);
      expect(times.pop()).toEqual([0, 1]);
      clock.advance(INTERVAL + DELAY);
      expect(times.pop()?.[1]).toBe(1);
      clock.advance(INTERVAL * 1.75);
      expect(times.pop()?.[1]).toBe(1);
      clock.advance(INTERVAL * 0.25);
      expect(times.pop()?.[1]).toBe(1);
      lc.stop();
    });

    it('never passes 0 and the counts add up with an inexact float interval', () => {
      const clock = new Clock();
      const counts: number[] = [];
      const lc = LoopingCall.withCount((n) => counts.push(n));
      lc.clock = clock;
      const count = 10;
      const timespan = 1.0;
      const interval = timespan / count;
      lc.start(interval, false);
      for (let i = 0; i < count; i++) clock.advance(interval);
      const epsilon =
        timespan -
        Array(count)
          .fill(interval)
          .reduce((a, b) => a + b, 0);
      clock.advance(epsilon);
      expect(Math.abs(epsilon)).toBeGreaterThan(0); // the case is really inexact
      expect(clock.seconds()).toBeGreaterThanOrEqual(timespan);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(count);
      expect(counts).not.toContain(0);
      lc.stop();
    });

    it('with interval 0 always passes 1', () => {
      const clock = new Clock();
      const counts: number[] = [];
      const lc = LoopingCall.withCount((n) => {
        counts.push(n);
        if (counts.length > 4) lc.stop();
      });
      lc.clock = clock;
      const d = lc.start(0, false);
      clock.advance(0);
      expect(successResultOf(d)).toBe(lc);
      expect(counts).toEqual([1, 1, 1, 1, 1]);
    });

    it('with interval 0 a pending Deferred holds the loop, and the count stays 1', () => {
      const clock = new Clock();
      const pending = new Deferred<null>();
      const counts: number[] = [];
      const lc = LoopingCall.withCount((n) => {
        counts.push(n);
        if (counts.length === 2) return pending;
        if (counts.length > 4) lc.stop();
        return undefined;
      });
      lc.clock = clock;
      lc.start(0, false);
      clock.advance(0);
      expect(counts).toEqual([1, 1]);
      clock.advance(2);
      expect(counts).toEqual([1, 1]);
      pending.callback(null);
      clock.advance(0);
      expect(counts).toEqual([1, 1, 1, 1, 1]);
    });

    it('after interval 0, a new interval counts the steps skipped since the last call', () => {
      const clock = new Clock();
      const pending = new Deferred<null>();
      const counts: number[] = [];
      const lc = LoopingCall.withCount((n) => {
        counts.push(n);
        return counts.length === 2 ? pending : undefined;
      });
      lc.clock = clock;
      lc.start(0, false);
      clock.advance(10);
      expect(counts).toEqual([1, 1]);
      lc.interval = 2;
      pending.callback(null);
      clock.advance(7);
      expect(counts).toEqual([1, 1, 3]);
      clock.advance(2);
      expect(counts).toEqual([1, 1, 3, 1]);
      clock.advance(4);
      expect(counts).toEqual([1, 1, 3, 1, 2]);
      lc.stop();
    });

    it('counts the intervals missed while the returned Deferred was pending', () => {
      const clock = new Clock();
      const pending = new Deferred<null>();
      const counts: number[] = [];
      const lc = LoopingCall.withCount((n) => {
        counts.push(n);
        return counts.length === 1 ? pending : undefined;
      });
      lc.clock = clock;
      lc.start(0.2, false);
      expect(counts).toEqual([]);
      clock.pump([0.2, 0.4]);
      expect(counts).toEqual([1]);
      pending.callback(null);
      clock.pump([0.2]);
      expect(counts).toEqual([1, 3]);
      lc.stop();
    });
  });

  describe('misuse', () => {
    it('starting a running loop throws RuntimeError', () => {
      const lc = loop(new Clock(), () => undefined);
      lc.start(1);
      expect(() => lc.start(1)).toThrow(RuntimeError);
      lc.stop();
    });
    it('stop() and reset() on a loop that is not running throw RuntimeError', () => {
      const lc = loop(new Clock(), () => undefined);
      expect(() => lc.stop()).toThrow(RuntimeError);
      expect(() => lc.reset()).toThrow(RuntimeError);
    });
    it('a negative interval is a RangeError and leaves the loop stopped', () => {
      const lc = loop(new Clock(), () => undefined);
      expect(() => lc.start(-1)).toThrow(RangeError);
      expect(lc.running).toBe(false);
      expect(() => lc.start(NaN)).toThrow(RangeError);
    });
    it('a function that is not a function is a TypeError', () => {
      expect(() => new LoopingCall(42 as unknown as () => void)).toThrow(TypeError);
    });
    it('can be started again after it stopped', () => {
      const clock = new Clock();
      const ran: number[] = [];
      const lc = loop(clock, () => ran.push(clock.seconds()));
      lc.start(1);
      lc.stop();
      lc.start(2);
      clock.advance(2);
      expect(ran).toEqual([0, 0, 2]);
      lc.stop();
    });
  });

  it('describes itself with its interval and function name', () => {
    function tick(): void {}
    const lc = loop(new Clock(), tick);
    expect(String(lc)).toMatch(/^LoopingCall<null>\(tick/);
  });
});

describe('LoopingCall on a real Reactor', () => {
  let r: Reactor;
  let running: Promise<void>;
  beforeEach(() => {
    r = new Reactor();
    running = r.run();
  });
  afterEach(async () => {
    if (r.running) r.stop();
    await running;
  });

  it('with interval 0 calls once per reactor pass until stopped, then fires with itself', async () => {
    let n = 0;
    const passes: number[] = [];
    const lc = new LoopingCall(() => {
      n += 1;
      passes.push(r.getDelayedCalls().length);
      if (n === 5) lc.stop();
    });
    lc.clock = r;
    expect(await lc.start(0)).toBe(lc);
    expect(n).toBe(5);
    // Each call ran from its own delayed call: none was pending while it ran.
    expect(passes).toEqual([0, 0, 0, 0, 0]);
    expect(r.getDelayedCalls()).toHaveLength(0);
  });

  it('waits for an async function between calls and stops cleanly', async () => {
    const order: string[] = [];
    let n = 0;
    const lc = new LoopingCall(async () => {
      n += 1;
      order.push(`start ${n}`);
      await new Promise((resolve) => setImmediate(resolve));
      order.push(`end ${n}`);
      if (n === 3) lc.stop();
    });
    lc.clock = r;
    await lc.start(0.001);
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(lc.running).toBe(false);
    expect(r.getDelayedCalls()).toHaveLength(0);
  });
});
