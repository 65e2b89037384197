import { AlreadyCalled, AlreadyCancelled } from '../../src/errors';
import type { IDelayedCall, IReactorTime } from '../../src/interfaces/time';
import { Clock } from '../../src/task/clock';

describe('Clock', () => {
  it('starts at 0 seconds', () => {
    const c = new Clock();
    expect(c.seconds()).toBe(0);
    expect(c.rightNow).toBe(0);
  });

  it('is usable wherever an IReactorTime is expected', () => {
    const time: IReactorTime = new Clock();
    const call: IDelayedCall = time.callLater(1, () => undefined);
    expect(call.active()).toBe(true);
  });

  it('callLater hands back an active call due at now + delay', () => {
    const c = new Clock();
    c.advance(0.5);
    const call = c.callLater(1, (a: number, b: number) => a + b, 1, 2);
    expect(call.getTime()).toBe(1.5);
    expect(call.active()).toBe(true);
    expect(call.called).toBe(false);
    expect(call.cancelled).toBe(false);
  });

  it('each callLater returns a distinct call', () => {
    const c = new Clock();
    const a = c.callLater(10, () => undefined);
    const b = c.callLater(1, () => undefined);
    expect(a).not.toBe(b);
  });

  it('advancing fires the call once it is due, with its arguments', () => {
    const events: unknown[] = [];
    const c = new Clock();
    const call = c.callLater(2, (a: number, b: string) => events.push([a, b]), 1, 'x');
    c.advance(1);
    expect(events).toEqual([]);
    c.advance(1);
    expect(events).toEqual([[1, 'x']]);
    expect(call.active()).toBe(false);
    expect(call.called).toBe(true);
    expect(c.calls).toHaveLength(0);
  });

  it('a cancelled call is inactive, leaves calls at once, and never runs', () => {
    const events: number[] = [];
    const c = new Clock();
    const call = c.callLater(1, () => events.push(1));
    call.cancel();
    expect(call.active()).toBe(false);
    expect(call.cancelled).toBe(true);
    expect(c.calls).toHaveLength(0);
    expect(c.getDelayedCalls()).toEqual([]);
    c.advance(5);
    expect(events).toEqual([]);
  });

  it('a delayed call cancelled twice throws AlreadyCancelled', () => {
    const call = new Clock().callLater(1, () => undefined);
    call.cancel();
    expect(() => call.cancel()).toThrow(AlreadyCancelled);
    expect(() => call.reset(1)).toThrow(AlreadyCancelled);
    expect(() => call.delay(1)).toThrow(AlreadyCancelled);
  });

  it('a call that already ran throws AlreadyCalled on cancel, reset and delay', () => {
    const c = new Clock();
    const call = c.callLater(1, () => undefined);
    c.advance(1);
    expect(() => call.cancel()).toThrow(AlreadyCalled);
    expect(() => call.reset(1)).toThrow(AlreadyCalled);
    expect(() => call.delay(1)).toThrow(AlreadyCalled);
  });

  it('cancelling a call from inside itself throws AlreadyCalled (called is set first)', () => {
    const c = new Clock();
    let thrown: unknown = null;
    const call = c.callLater(1, () => {
      expect(call.called).toBe(true);
      try {
        call.cancel();
      } catch (e) {
        thrown = e;
      }
    });
    c.advance(1);
    expect(thrown).toBeInstanceOf(AlreadyCalled);
  });

  it('delay() postpones a call', () => {
    const events: number[] = [];
    const c = new Clock();
    const call = c.callLater(1, () => events.push(1));
    call.delay(1);
    expect(call.getTime()).toBe(2);
    c.advance(1.5);
    expect(events).toEqual([]);
    c.advance(1);
    expect(events).toEqual([1]);
  });

  it('a negative delay() brings a call forward', () => {
    const events: number[] = [];
    const c = new Clock();
    const call = c.callLater(5, () => events.push(1));
    call.delay(-3);
    expect(call.getTime()).toBe(2);
    c.advance(2);
    expect(events).toEqual([1]);
  });

  it('reset() to a later time moves the call later', () => {
    const events: number[] = [];
    const c = new Clock();
    const call = c.callLater(2, () => events.push(1));
    c.advance(1);
    call.reset(3);
    expect(call.getTime()).toBe(4);
    c.advance(2);
    expect(events).toEqual([]);
    c.advance(1);
    expect(events).toEqual([1]);
  });

  it('reset() to an earlier time moves the call earlier', () => {
    const events: number[] = [];
    const c = new Clock();
    const call = c.callLater(4, () => events.push(1));
    call.reset(3);
    expect(call.getTime()).toBe(3);
    c.advance(3);
    expect(events).toEqual([1]);
  });

  it('getDelayedCalls lists the pending calls and is empty on a new clock', () => {
    const c = new Clock();
    expect(c.getDelayedCalls()).toEqual([]);
    const a = c.callLater(1, () => undefined);
    const b = c.callLater(2, () => undefined);
    expect(new Set(c.getDelayedCalls())).toEqual(new Set([a, b]));
    c.advance(1);
    expect(c.getDelayedCalls()).toEqual([b]);
  });

  it('calls due at the same time run in the order they were scheduled', () => {
    const order: string[] = [];
    const c = new Clock();
    for (const name of ['a', 'b', 'c', 'd']) c.callLater(1, () => order.push(name));
    c.callLater(0.5, () => order.push('early'));
    c.advance(1);
    expect(order).toEqual(['early', 'a', 'b', 'c', 'd']);
  });

  it('a call scheduled after another was reset later runs before it when due sooner', () => {
    const result: [string, number][] = [];
    const c = new Clock();
    const logtime = (n: string) => result.push([n, c.seconds()]);
    const a = c.callLater(1, logtime, 'a');
    a.reset(3);
    c.callLater(2, logtime, 'b');
    c.pump([1, 1, 1]);
    expect(result).toEqual([
      ['b', 2],
      ['a', 3],
    ]);
  });

  it('resetting an earlier call past a later one reorders them', () => {
    const result: [string, number][] = [];
    const c = new Clock();
    const logtime = (n: string) => result.push([n, c.seconds()]);
    const a = c.callLater(1, logtime, 'a');
    c.callLater(2, logtime, 'b');
    a.reset(3);
    c.pump([1, 1, 1]);
    expect(result).toEqual([
      ['b', 2],
      ['a', 3],
    ]);
  });

  it('a reset made by a running call keeps the calls ordered', () => {
    const result: [string, number][] = [];
    const c = new Clock();
    const logtime = (n: string) => result.push([n, c.seconds()]);
    const b = c.callLater(2, logtime, 'b');
    c.callLater(1, () => b.reset(3));
    c.callLater(3, logtime, 'c');
    c.pump(Array(10).fill(0.5));
    expect(result).toEqual([
      ['c', 3],
      ['b', 4],
    ]);
  });

  it('advance runs due calls scheduled by running calls within the same advance', () => {
    const order: string[] = [];
    const c = new Clock();
    c.callLater(1, () => {
      order.push('first');
      c.callLater(0, () => order.push('zero-delay'));
      c.callLater(0.5, () => order.push('not-due'));
    });
    c.callLater(1.5, () => order.push('second'));
    c.advance(2);
    // Time is already 2 while calls run, so the 0.5 s call is due at 2.5.
    expect(order).toEqual(['first', 'second', 'zero-delay']);
    expect(c.calls).toHaveLength(1);
    expect(c.calls[0].getTime()).toBe(2.5);
  });

  it('pump advances step by step, running calls at each step', () => {
    const seen: number[] = [];
    const c = new Clock();
    c.callLater(1, () => seen.push(c.seconds()));
    c.callLater(2.5, () => seen.push(c.seconds()));
    c.pump([1, 1, 1]);
    expect(seen).toEqual([1, 3]);
    expect(c.seconds()).toBe(3);
  });

  it('advance(0) runs calls scheduled with delay 0', () => {
    const events: number[] = [];
    const c = new Clock();
    c.callLater(0, () => events.push(1));
    expect(events).toEqual([]);
    c.advance(0);
    expect(events).toEqual([1]);
  });

  it('an exception in a call propagates out of advance and leaves later calls pending', () => {
    const events: number[] = [];
    const c = new Clock();
    c.callLater(1, () => {
      throw new Error('boom');
    });
    c.callLater(1, () => events.push(2));
    expect(() => c.advance(1)).toThrow('boom');
    expect(events).toEqual([]);
    c.advance(0);
    expect(events).toEqual([2]);
  });

  it('exposes the scheduled function and arguments until the call runs', () => {
    const c = new Clock();
    const fn = (x: number) => x;
    const call = c.callLater(1, fn, 7);
    expect(call.func).toBe(fn);
    expect(call.args).toEqual([7]);
    c.advance(1);
    expect(call.func).toBeNull();
  });

  describe('argument checks', () => {
    it('a negative delay is a RangeError', () => {
      expect(() => new Clock().callLater(-1, () => undefined)).toThrow(RangeError);
    });
    it('a non-finite delay is a RangeError', () => {
      expect(() => new Clock().callLater(Infinity, () => undefined)).toThrow(RangeError);
      expect(() => new Clock().callLater(NaN, () => undefined)).toThrow(RangeError);
    });
    it('a delay that is not a number is a TypeError', () => {
      expect(() => new Clock().callLater('1' as unknown as number, () => undefined)).toThrow(TypeError);
    });
    it('a callable that is not a function is a TypeError naming it', () => {
      expect(() => new Clock().callLater(1, null as unknown as () => void)).toThrow(/fn must be a function/);
    });
    it('advance with a negative or non-finite amount is a RangeError and moves no time', () => {
      const c = new Clock();
      expect(() => c.advance(-1)).toThrow(RangeError);
      expect(() => c.advance(Infinity)).toThrow(RangeError);
      expect(() => c.advance(NaN)).toThrow(RangeError);
      expect(c.seconds()).toBe(0);
    });
    it('reset with a negative time is a RangeError; delay needs a finite number', () => {
      const call = new Clock().callLater(1, () => undefined);
      expect(() => call.reset(-1)).toThrow(RangeError);
      expect(() => call.delay(NaN)).toThrow(RangeError);
      expect(call.active()).toBe(true);
    });
  });
});
