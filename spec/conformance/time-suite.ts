/**
 * The IReactorTime behaviour suite: run against Clock, MemoryReactorClock
 * and the real Reactor, so fake time behaves like real time. Delays are
 * kept short and far apart so that the real reactor's result does not
 * depend on machine speed. Helper module, not a spec.
 */
import { AlreadyCalled, AlreadyCancelled } from '../../src/errors';
import type { IDelayedCall } from '../../src/interfaces/time';
import type { TimeHarness } from './harness';

/** Register the time behaviour suite for one implementation. */
export function timeConformance(name: string, makeHarness: () => TimeHarness | Promise<TimeHarness>): void {
  describe(`${name}: IReactorTime behaviour`, () => {
    let h: TimeHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.teardown();
    });

    it('calls due at the same time run in the order they were scheduled', async () => {
      const seen: string[] = [];
      for (const name of ['a', 'b', 'c', 'd']) h.time.callLater(0, () => seen.push(name));
      await h.pass(0.02);
      expect(seen).toEqual(['a', 'b', 'c', 'd']);
    });

    it('runs calls in order of due time, not of scheduling', async () => {
      const seen: string[] = [];
      h.time.callLater(0.06, () => seen.push('late'));
      h.time.callLater(0.01, () => seen.push('early'));
      await h.pass(0.1);
      expect(seen).toEqual(['early', 'late']);
    });

    it('passes the arguments to the function', async () => {
      const got: unknown[][] = [];
      h.time.callLater(0, (a: number, b: string) => got.push([a, b]), 1, 'two');
      await h.pass(0.02);
      expect(got).toEqual([[1, 'two']]);
    });

    it('does not run a call before its time, and runs it once after', async () => {
      let runs = 0;
      const call = h.time.callLater(0.5, () => runs++);
      await h.pass(0.01);
      expect(runs).toBe(0);
      expect(call.active()).toBe(true);
      await h.pass(0.6);
      expect(runs).toBe(1);
      expect(call.called).toBe(true);
      expect(call.active()).toBe(false);
    });

    it('getTime is seconds() + delay at scheduling', () => {
      const before = h.time.seconds();
      const call = h.time.callLater(10, () => {});
      const after = h.time.seconds();
      expect(call.getTime()).toBeGreaterThanOrEqual(before + 10);
      expect(call.getTime()).toBeLessThanOrEqual(after + 10);
      call.cancel();
    });

    it('seconds() never goes backwards', async () => {
      const a = h.time.seconds();
      await h.pass(0.01);
      const b = h.time.seconds();
      expect(b).toBeGreaterThanOrEqual(a + 0.01 - 1e-9);
    });

    it('a cancelled call does not run and leaves getDelayedCalls', async () => {
      let ran = false;
      const keep = h.time.callLater(5, () => {});
      const call = h.time.callLater(0, () => (ran = true));
      call.cancel();
      expect(call.cancelled).toBe(true);
      expect(call.active()).toBe(false);
      expect(h.time.getDelayedCalls()).toContain(keep);
      expect(h.time.getDelayedCalls()).not.toContain(call);
      await h.pass(0.02);
      expect(ran).toBe(false);
      keep.cancel();
    });

    it('cancel, reset and delay on a cancelled call throw AlreadyCancelled', () => {
      const call = h.time.callLater(1, () => {});
      call.cancel();
      expect(() => call.cancel()).toThrow(AlreadyCancelled);
      expect(() => call.reset(1)).toThrow(AlreadyCancelled);
      expect(() => call.delay(1)).toThrow(AlreadyCancelled);
    });

    it('cancel, reset and delay on a call that ran throw AlreadyCalled', async () => {
      const call = h.time.callLater(0, () => {});
      await h.pass(0.02);
      expect(() => call.cancel()).toThrow(AlreadyCalled);
      expect(() => call.reset(1)).toThrow(AlreadyCalled);
      expect(() => call.delay(1)).toThrow(AlreadyCalled);
      expect(h.time.getDelayedCalls()).not.toContain(call);
    });

    it('a call is marked called before its function runs: cancelling itself throws AlreadyCalled', async () => {
      let error: unknown = null;
      const holder: { call?: IDelayedCall } = {};
      holder.call = h.time.callLater(0, () => {
        try {
          holder.call!.cancel();
        } catch (e) {
          error = e;
        }
      });
      await h.pass(0.02);
      expect(error).toBeInstanceOf(AlreadyCalled);
    });

    it('reset() to a later time postpones the call', async () => {
      let ran = false;
      const call = h.time.callLater(0.02, () => (ran = true));
      const t0 = h.time.seconds();
      call.reset(0.6);
      expect(call.getTime()).toBeGreaterThanOrEqual(t0 + 0.6);
      await h.pass(0.1);
      expect(ran).toBe(false);
      await h.pass(0.6);
      expect(ran).toBe(true);
    });

    it('reset() to an earlier time brings the call forward', async () => {
      let ran = false;
      const call = h.time.callLater(30, () => (ran = true));
      call.reset(0.01);
      await h.pass(0.1);
      expect(ran).toBe(true);
    });

    it('delay() adds to the due time', async () => {
      let ran = false;
      const call = h.time.callLater(0.02, () => (ran = true));
      const due = call.getTime();
      call.delay(0.6);
      expect(call.getTime()).toBeCloseTo(due + 0.6, 6);
      await h.pass(0.1);
      expect(ran).toBe(false);
      await h.pass(0.6);
      expect(ran).toBe(true);
    });

    it('a negative or non-finite delay is a RangeError, a non-function a TypeError, and nothing is scheduled', () => {
      const before = h.time.getDelayedCalls().length;
      expect(() => h.time.callLater(-1, () => {})).toThrow(RangeError);
      expect(() => h.time.callLater(Number.NaN, () => {})).toThrow(RangeError);
      expect(() => h.time.callLater(Number.POSITIVE_INFINITY, () => {})).toThrow(RangeError);
      expect(() => h.time.callLater(1, 'f' as unknown as () => void)).toThrow(TypeError);
      expect(() => h.time.callLater('1' as unknown as number, () => {})).toThrow(TypeError);
      expect(h.time.getDelayedCalls()).toHaveLength(before);
    });

    it('getDelayedCalls lists the pending calls only', async () => {
      const a = h.time.callLater(0, () => {});
      const b = h.time.callLater(5, () => {});
      expect(h.time.getDelayedCalls()).toEqual(expect.arrayContaining([a, b]));
      await h.pass(0.02);
      expect(h.time.getDelayedCalls()).toEqual([b]);
      b.cancel();
      expect(h.time.getDelayedCalls()).toEqual([]);
    });
  });
}
