import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { AlreadyCalled } from '../../src/errors';
import { Logger, captureLogEvents } from '../../src/logger';
import { DelayedCall } from '../../src/reactor/delayed-call';
import { TimerQueue } from '../../src/reactor/timers';

/** A TimerQueue on a fake clock: time moves only through advance(). */
function fakeQueue(start = 1000): { q: TimerQueue; advance(s: number): void; now(): number } {
  let now = start;
  const q = new TimerQueue(new Logger('test.timers'), () => now);
  return {
    q,
    now: () => now,
    advance(s: number): void {
      now += s;
      // Refresh the queue's per-turn cached time, as a new turn of the loop would.
      q.seconds();
      q.runUntilCurrent();
    },
  };
}

describe('TimerQueue ordering', () => {
  it('runs calls in due-time order across different delays', () => {
    const { q, advance } = fakeQueue();
    const seen: string[] = [];
    q.callLater(3, () => seen.push('c'), null);
    q.callLater(1, () => seen.push('a'), null);
    q.callLater(2, () => seen.push('b'), null);
    advance(5);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('runs calls due at the same time in the order they were scheduled, even from different buckets', () => {
    const { q, advance } = fakeQueue();
    const seen: number[] = [];
    q.callLater(2, () => seen.push(1), null);
    advance(1);
    // Due at the same instant as the first call, from a different delay bucket.
    q.callLater(1, () => seen.push(2), null);
    q.callLater(1, () => seen.push(3), null);
    advance(0);
    q.callLater(1, () => seen.push(4), null);
    advance(1);
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('runs only the calls that are due', () => {
    const { q, advance } = fakeQueue();
    const seen: string[] = [];
    q.callLater(1, () => seen.push('a'), null);
    q.callLater(2, () => seen.push('b'), null);
    advance(1.5);
    expect(seen).toEqual(['a']);
    advance(0.5);
    expect(seen).toEqual(['a', 'b']);
  });

  it('defers a call scheduled during a pass to the next pass, even with delay 0', () => {
    const { q, advance } = fakeQueue();
    const seen: string[] = [];
    q.callLater(
      0,
      () => {
        seen.push('first');
        q.callLater(0, () => seen.push('scheduled during the pass'), null);
      },
      null,
    );
    q.callLater(0, () => seen.push('second'), null);
    advance(0);
    expect(seen).toEqual(['first', 'second']);
    advance(0);
    expect(seen).toEqual(['first', 'second', 'scheduled during the pass']);
  });

  it('a call scheduled during a pass into its own bucket does not hold back older due calls', () => {
    const { q, advance } = fakeQueue();
    const seen: string[] = [];
    q.callLater(0.25, () => seen.push('older, other bucket'), null);
    q.callLater(
      0,
      () => {
        seen.push('spawner');
        q.callLater(0, () => seen.push('spawned'), null);
      },
      null,
    );
    advance(0.25);
    expect(seen).toEqual(['spawner', 'older, other bucket']);
    advance(0);
    expect(seen).toEqual(['spawner', 'older, other bucket', 'spawned']);
  });

  it('passes the arguments to the function', () => {
    const { q, advance } = fakeQueue();
    const got: unknown[] = [];
    q.callLater(0, (...args: unknown[]) => got.push(args), [1, 'two', null]);
    advance(0);
    expect(got).toEqual([[1, 'two', null]]);
  });

  it('keeps exact float due times (now + delay)', () => {
    const { q, now } = fakeQueue(1234.5678);
    const call = q.callLater(0.1, () => undefined, null);
    expect(call.getTime()).toBe(now() + 0.1);
  });

  it('keeps order across chunk boundaries of a large bucket with cancellations and resets', () => {
    const { q, advance } = fakeQueue();
    const seen: number[] = [];
    const calls: DelayedCall[] = [];
    for (let i = 0; i < 5000; i++) calls.push(q.callLater(1, () => seen.push(i), null));
    for (let i = 0; i < 5000; i += 3) calls[i].cancel();
    // Resetting to the same delay moves a call to the end of its bucket.
    calls[1].reset(1);
    advance(1);
    const expected: number[] = [];
    for (let i = 0; i < 5000; i++) if (i % 3 !== 0 && i !== 1) expected.push(i);
    expected.push(1);
    expect(seen).toEqual(expected);
    expect(q.size).toBe(0);
  });
});

describe('TimerQueue one-off delays', () => {
  it('runs calls with all-distinct fractional delays in due order, cancellations skipped', () => {
    const { q, advance } = fakeQueue();
    let x = 12345;
    const rand = (): number => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 0.1;
    const expected: { d: number; i: number }[] = [];
    const seen: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const d = rand();
      const call = q.callLater(d, () => seen.push(i), null);
      if (i % 4 === 3) call.cancel();
      else expected.push({ d, i });
    }
    advance(0.1);
    expect(seen).toEqual(expected.sort((a, b) => a.d - b.d || a.i - b.i).map((e) => e.i));
  });

  it('keeps FIFO between a one-off call and later calls that share its delay and due time', () => {
    const { q, advance } = fakeQueue();
    const seen: string[] = [];
    // The first call with a new delay is a one-off; the second one with the
    // same delay starts that delay's FIFO. Both are due at the same instant.
    q.callLater(0.3, () => seen.push('first (one-off)'), null);
    q.callLater(0.3, () => seen.push('second (FIFO)'), null);
    q.callLater(0.3, () => seen.push('third (FIFO)'), null);
    advance(0.3);
    expect(seen).toEqual(['first (one-off)', 'second (FIFO)', 'third (FIFO)']);
  });

  it('orders a call moved by delay() among FIFO calls by when it was moved', () => {
    const { q, advance } = fakeQueue(0);
    const seen: string[] = [];
    const moved = q.callLater(5, () => seen.push('moved'), null);
    q.callLater(1, () => seen.push('a'), null);
    q.callLater(1, () => seen.push('b'), null);
    moved.delay(-4); // due at 1, like a and b, but moved after they were scheduled
    q.callLater(1, () => seen.push('c'), null);
    advance(1);
    expect(seen).toEqual(['a', 'b', 'moved', 'c']);
  });
});

describe('TimerQueue chunk reuse', () => {
  it("a second wave of calls reuses the first wave's storage without seeing its functions or arguments", () => {
    const { q, advance } = fakeQueue();
    const first: unknown[][] = [];
    for (let i = 0; i < 3000; i++) q.callLater(1, (...args: unknown[]) => first.push(args), [i]);
    for (let i = 0; i < 3; i++) q.callLater(0.5, (...args: unknown[]) => first.push(args), [`private ${i}`]).delay(0.1);
    advance(1);
    expect(first).toHaveLength(3003);
    const second: unknown[][] = [];
    const calls: DelayedCall[] = [];
    for (let i = 0; i < 3000; i++) calls.push(q.callLater(1, (...args: unknown[]) => second.push([i, ...args]), null));
    for (let i = 0; i < 3; i++) q.callLater(0.5, (...args: unknown[]) => second.push(['p', ...args]), null).delay(0.1);
    expect(calls[5].args).toEqual([]);
    advance(1);
    expect(second.slice(0, 3)).toEqual([['p'], ['p'], ['p']]);
    expect(second.slice(3)).toEqual([...Array(3000).keys()].map((i) => [i]));
  });
});

describe('TimerQueue moves and cancellations', () => {
  it('runs a call reset to a later time at the new time only', () => {
    const { q, advance } = fakeQueue();
    const seen: string[] = [];
    const call = q.callLater(1, () => seen.push('reset'), null);
    q.callLater(2, () => seen.push('other'), null);
    call.reset(3);
    advance(2);
    expect(seen).toEqual(['other']);
    advance(1);
    expect(seen).toEqual(['other', 'reset']);
  });

  it('runs a call reset to an earlier time at the new time', () => {
    const { q, advance, now } = fakeQueue();
    const seen: string[] = [];
    const call = q.callLater(10, () => seen.push('reset'), null);
    q.callLater(2, () => seen.push('other'), null);
    call.reset(1);
    expect(call.getTime()).toBe(now() + 1);
    advance(1);
    expect(seen).toEqual(['reset']);
  });

  it('moves a call by delay(), forwards and backwards', () => {
    const { q, advance } = fakeQueue();
    const seen: string[] = [];
    const a = q.callLater(1, () => seen.push('a'), null);
    const b = q.callLater(2, () => seen.push('b'), null);
    a.delay(2); // now due at 3
    b.delay(-1.5); // now due at 0.5
    expect(a.getTime() - b.getTime()).toBeCloseTo(2.5, 12);
    advance(0.5);
    expect(seen).toEqual(['b']);
    advance(2);
    expect(seen).toEqual(['b']);
    advance(0.5);
    expect(seen).toEqual(['b', 'a']);
  });

  it('never runs a cancelled call and lists only pending calls', () => {
    const { q, advance } = fakeQueue();
    const seen: string[] = [];
    const a = q.callLater(1, () => seen.push('a'), null);
    const b = q.callLater(1, () => seen.push('b'), null);
    const c = q.callLater(2, () => seen.push('c'), null);
    b.cancel();
    expect(q.getDelayedCalls()).toEqual([a, c]);
    advance(1);
    expect(seen).toEqual(['a']);
    expect(q.getDelayedCalls()).toEqual([c]);
    advance(1);
    expect(q.getDelayedCalls()).toEqual([]);
  });

  it('compacts after many cancellations and keeps every pending call in order', () => {
    const { q, advance } = fakeQueue();
    const seen: number[] = [];
    const calls: DelayedCall[] = [];
    for (let i = 0; i < 400; i++) calls.push(q.callLater((i % 7) / 10, () => seen.push(i), null));
    for (let i = 0; i < 400; i++) if (i % 5 !== 0) calls[i].cancel();
    expect(q.size).toBe(80);
    const pending = q.getDelayedCalls();
    expect(pending).toHaveLength(80);
    advance(1);
    const expected = [...Array(400).keys()].filter((i) => i % 5 === 0).sort((x, y) => (x % 7) - (y % 7) || x - y);
    expect(seen).toEqual(expected);
  });

  it('marks a call called before running it, so cancelling it from inside throws AlreadyCalled', () => {
    const { q, advance } = fakeQueue();
    let error: unknown;
    let calledInside: boolean | undefined;
    const call: DelayedCall = q.callLater(
      0,
      () => {
        calledInside = call.called;
        try {
          call.cancel();
        } catch (err) {
          error = err;
        }
      },
      null,
    );
    advance(0);
    expect(calledInside).toBe(true);
    expect(error).toBeInstanceOf(AlreadyCalled);
  });

  it('logs an exception from a call and still runs the others', () => {
    const { q, advance } = fakeQueue();
    const [events, stop] = captureLogEvents();
    const seen: string[] = [];
    try {
      q.callLater(
        0,
        function exploding() {
          throw new Error('boom');
        },
        null,
      );
      q.callLater(0, () => seen.push('after'), null);
      advance(0);
    } finally {
      stop();
    }
    expect(seen).toEqual(['after']);
    const failures = events.filter((e) => e.failure);
    expect(failures).toHaveLength(1);
    expect(failures[0].message).toContain('exploding');
    expect((failures[0].failure?.value as Error).message).toBe('boom');
  });

  it('abandons the rest of a pass when stopped from a call', () => {
    const { q, advance } = fakeQueue();
    const seen: string[] = [];
    q.callLater(
      0,
      () => {
        seen.push('stopper');
        q.stop();
      },
      null,
    );
    q.callLater(0, () => seen.push('later'), null);
    advance(0);
    expect(seen).toEqual(['stopper']);
    expect(q.size).toBe(1);
  });
});

describe('TimerQueue argument checks', () => {
  const { q } = fakeQueue();
  it.each([-1, -0.001, NaN, Infinity, -Infinity])('refuses the delay %p with a RangeError', (delay) => {
    expect(() => q.callLater(delay, () => undefined, null)).toThrow(RangeError);
  });
  it.each(['1', null, undefined, {}])('refuses the delay %p with a TypeError', (delay) => {
    expect(() => q.callLater(delay as unknown as number, () => undefined, null)).toThrow(TypeError);
  });
  it('refuses a function that is not a function with a TypeError', () => {
    expect(() => q.callLater(1, 'nope' as unknown as () => void, null)).toThrow(TypeError);
  });
});

describe('TimerQueue and the Node timer', () => {
  afterEach(() => jest.restoreAllMocks());
  const realClock = (): number => (performance.timeOrigin + performance.now()) / 1000;

  it('arms one Node timer for a burst of calls, once per turn', async () => {
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    const setImmediateSpy = jest.spyOn(global, 'setImmediate');
    const q = new TimerQueue(new Logger('test.timers'), realClock);
    q.start();
    try {
      for (let i = 0; i < 1000; i++) q.callLater(10 + (i % 17), () => undefined, null);
      await Promise.resolve();
      expect(setTimeoutSpy.mock.calls.length + setImmediateSpy.mock.calls.length).toBe(1);
    } finally {
      q.stop();
    }
  });

  it('uses setImmediate, not a 1 ms setTimeout, for a call that is already due', async () => {
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    const setImmediateSpy = jest.spyOn(global, 'setImmediate');
    const q = new TimerQueue(new Logger('test.timers'), realClock);
    q.start();
    const ran = new Promise<void>((resolve) => q.callLater(0, resolve, null));
    await ran;
    q.stop();
    expect(setImmediateSpy).toHaveBeenCalled();
    expect(setTimeoutSpy).not.toHaveBeenCalled();
  });

  it('holds no Node timer while stopped, and runs nothing', async () => {
    const q = new TimerQueue(new Logger('test.timers'), realClock);
    const seen: string[] = [];
    q.callLater(0, () => seen.push('ran'), null);
    const setImmediateSpy = jest.spyOn(global, 'setImmediate');
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    await new Promise((r) => setImmediate(r));
    // The only timer armed here was the test's own.
    expect(setImmediateSpy).toHaveBeenCalledTimes(1);
    expect(setTimeoutSpy).not.toHaveBeenCalled();
    expect(seen).toEqual([]);
  });
});

// ---- model-based check: the queue against a plain sorted list ----------------

type Op =
  | { op: 'schedule'; delay: number; spawn: boolean }
  | { op: 'burst'; count: number; delay: number }
  | { op: 'cancelMost' }
  | { op: 'cancel'; pick: number }
  | { op: 'reset'; pick: number; delay: number }
  | { op: 'delay'; pick: number; by: number }
  | { op: 'advance'; by: number };

const DELAYS = [0, 0.001, 0.25, 0.5, 1, 2.5];
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('schedule' as const),
      delay: fc.oneof(fc.constantFrom(...DELAYS), fc.double({ min: 0, max: 3, noNaN: true })),
      spawn: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('reset' as const),
      pick: fc.nat(),
      delay: fc.oneof(fc.constantFrom(...DELAYS), fc.double({ min: 0, max: 3, noNaN: true })),
    }),
  },
  // Bursts and mass cancellation push the dead slots past the compaction threshold.
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('burst' as const),
      count: fc.integer({ min: 10, max: 80 }),
      delay: fc.constantFrom(...DELAYS),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cancelMost' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('delay' as const), pick: fc.nat(), by: fc.constantFrom(-1, -0.25, 0, 0.25, 1) }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('advance' as const), by: fc.constantFrom(0, 0.001, 0.25, 0.5, 1, 3) }) },
);

interface ModelCall {
  id: number;
  time: number;
  seq: number;
  active: boolean;
  spawn: boolean;
  call: DelayedCall;
}

describe('TimerQueue against a reference model', () => {
  it('runs exactly the due calls in (time, scheduling order), whatever the operations', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const { q, advance, now } = fakeQueue(5000.125);
        const model: ModelCall[] = [];
        const ran: number[] = [];
        let seq = 0;
        let nextId = 0;
        const schedule = (delay: number, spawn: boolean): void => {
          const id = nextId++;
          const entry: ModelCall = {
            id,
            time: now() + delay,
            seq: seq++,
            active: true,
            spawn,
            call: null as unknown as DelayedCall,
          };
          entry.call = q.callLater(
            delay,
            () => {
              ran.push(id);
              entry.active = false;
              // A call may schedule another one: it must wait for the next pass.
              if (entry.spawn) schedule(0, false);
            },
            null,
          );
          model.push(entry);
        };
        const active = (): ModelCall[] => model.filter((m) => m.active);
        for (const o of ops) {
          const live = active();
          const target = live.length > 0 && 'pick' in o ? live[o.pick % live.length] : undefined;
          switch (o.op) {
            case 'schedule':
              schedule(o.delay, o.spawn);
              break;
            case 'burst':
              for (let k = 0; k < o.count; k++) schedule(k % 2 === 0 ? o.delay : o.delay + k * 0.0001, false);
              break;
            case 'cancelMost':
              live.forEach((m, k) => {
                if (k % 4 !== 0) {
                  m.call.cancel();
                  m.active = false;
                }
              });
              break;
            case 'cancel':
              if (target) {
                target.call.cancel();
                target.active = false;
              }
              break;
            case 'reset':
              if (target) {
                target.call.reset(o.delay);
                target.time = now() + o.delay;
                target.seq = seq++;
              }
              break;
            case 'delay':
              if (target) {
                target.call.delay(o.by);
                target.time = target.time + o.by;
                target.seq = seq++;
              }
              break;
            case 'advance': {
              const limit = seq;
              const t = now() + o.by;
              const due = active()
                .filter((m) => m.time <= t && m.seq < limit)
                .sort((a, b) => a.time - b.time || a.seq - b.seq)
                .map((m) => m.id);
              ran.length = 0;
              advance(o.by);
              expect(ran).toEqual(due);
              break;
            }
          }
          const expected = active().sort((a, b) => a.time - b.time || a.seq - b.seq);
          expect(q.getDelayedCalls()).toEqual(expected.map((m) => m.call));
          expect(expected.map((m) => m.call.getTime())).toEqual(expected.map((m) => m.time));
          expect(q.size).toBe(expected.length);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
