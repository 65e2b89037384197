import { AlreadyCalled, AlreadyCancelled } from '../../src/errors';
import { Logger } from '../../src/logger';
import { DelayedCall } from '../../src/reactor/delayed-call';
import { TimerQueue } from '../../src/reactor/timers';

function fakeQueue(start = 100): { q: TimerQueue; advance(s: number): void } {
  let now = start;
  const q = new TimerQueue(new Logger('test.delayed-call'), () => now);
  return {
    q,
    advance(s: number): void {
      now += s;
      q.seconds();
      q.runUntilCurrent();
    },
  };
}

function nothing(): void {}

describe('DelayedCall', () => {
  it('getTime() is the scheduling time plus the delay (uses the queue clock)', () => {
    const { q } = fakeQueue(100);
    expect(q.callLater(5, nothing, null).getTime()).toBe(105);
  });

  it('is active until it runs, then called and inactive', () => {
    const { q, advance } = fakeQueue();
    const call = q.callLater(1, nothing, null);
    expect(call.active()).toBe(true);
    expect(call.called).toBe(false);
    advance(1);
    expect(call.active()).toBe(false);
    expect(call.called).toBe(true);
    expect(call.cancelled).toBe(false);
  });

  it('keeps its due time after it ran or was cancelled', () => {
    const { q, advance } = fakeQueue(100);
    const ran = q.callLater(1, nothing, null);
    const cancelled = q.callLater(2, nothing, null);
    cancelled.cancel();
    advance(1);
    expect(ran.getTime()).toBe(101);
    expect(cancelled.getTime()).toBe(102);
  });

  it('is cancelled and inactive after cancel(), and drops its function and arguments', () => {
    const { q } = fakeQueue();
    const call = q.callLater(1, nothing, [1, 2]);
    expect(call.func).toBe(nothing);
    expect(call.args).toEqual([1, 2]);
    call.cancel();
    expect(call.cancelled).toBe(true);
    expect(call.active()).toBe(false);
    expect(call.func).toBeNull();
    expect(call.args).toBeNull();
  });

  it('a delayed call cancelled twice throws AlreadyCancelled', () => {
    const { q } = fakeQueue();
    const call = q.callLater(0, nothing, null);
    call.cancel();
    expect(() => call.cancel()).toThrow(AlreadyCancelled);
  });

  it('cancelling a call that already ran throws AlreadyCalled', () => {
    const { q, advance } = fakeQueue();
    const call = q.callLater(0, nothing, null);
    advance(0);
    expect(() => call.cancel()).toThrow(AlreadyCalled);
  });

  it('cancelling a call from inside its own function throws AlreadyCalled', () => {
    const { q, advance } = fakeQueue();
    const errors: unknown[] = [];
    const call: DelayedCall = q.callLater(
      0,
      () => {
        try {
          call.cancel();
        } catch (err) {
          errors.push(err);
        }
      },
      null,
    );
    advance(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(AlreadyCalled);
  });

  it('cancelling a call from a later call throws AlreadyCalled', () => {
    const { q, advance } = fakeQueue();
    const errors: unknown[] = [];
    const call = q.callLater(
      0,
      () => {
        q.callLater(
          0,
          () => {
            try {
              call.cancel();
            } catch (err) {
              errors.push(err);
            }
          },
          null,
        );
      },
      null,
    );
    advance(0);
    advance(0);
    expect(errors.map((e) => (e as Error).constructor)).toEqual([AlreadyCalled]);
  });

  it.each([
    ['reset', (c: DelayedCall) => c.reset(1)],
    ['delay', (c: DelayedCall) => c.delay(1)],
    ['cancel', (c: DelayedCall) => c.cancel()],
  ])('%s() after cancel throws AlreadyCancelled and after the call ran throws AlreadyCalled', (_name, op) => {
    const { q, advance } = fakeQueue();
    const cancelled = q.callLater(1, nothing, null);
    cancelled.cancel();
    expect(() => op(cancelled)).toThrow(AlreadyCancelled);
    const ran = q.callLater(0, nothing, null);
    advance(0);
    expect(() => op(ran)).toThrow(AlreadyCalled);
  });

  it('reset() moves the call to now + the new delay, earlier or later', () => {
    const { q, advance } = fakeQueue(10);
    const call = q.callLater(5, nothing, null);
    call.reset(3);
    expect(call.getTime()).toBe(13);
    advance(1);
    call.reset(7);
    expect(call.getTime()).toBe(18);
  });

  it('delay() adds to the due time and may be negative', () => {
    const { q } = fakeQueue(10);
    const call = q.callLater(5, nothing, null);
    call.delay(2);
    expect(call.getTime()).toBe(17);
    call.delay(-4);
    expect(call.getTime()).toBe(13);
  });

  it('reset() refuses a negative or non-finite delay, delay() a non-finite one', () => {
    const { q } = fakeQueue();
    const call = q.callLater(5, nothing, null);
    expect(() => call.reset(-1)).toThrow(RangeError);
    expect(() => call.reset(Infinity)).toThrow(RangeError);
    expect(() => call.reset('1' as unknown as number)).toThrow(TypeError);
    expect(() => call.delay(NaN)).toThrow(RangeError);
    expect(call.active()).toBe(true);
  });

  it('a reset or delayed call runs after calls already scheduled for the same instant', () => {
    const { q, advance } = fakeQueue(0);
    const seen: string[] = [];
    const moved = q.callLater(1, () => seen.push('moved'), null);
    q.callLater(2, () => seen.push('other'), null);
    moved.reset(2);
    advance(2);
    expect(seen).toEqual(['other', 'moved']);
  });

  it('describes its state, due time and function in toString()', () => {
    const { q, advance } = fakeQueue(10);
    const call = q.callLater(2, nothing, [3, 'x']);
    expect(String(call)).toBe('<DelayedCall [12] called=0 cancelled=0 nothing(3, "x")>');
    advance(2);
    expect(String(call)).toBe('<DelayedCall [12] called=1 cancelled=0>');
    const cancelled = q.callLater(1, nothing, null);
    cancelled.cancel();
    expect(String(cancelled)).toBe('<DelayedCall [13] called=0 cancelled=1>');
  });

  it('is only equal to itself', () => {
    const { q } = fakeQueue();
    const a = q.callLater(0, nothing, null);
    const b = q.callLater(0, nothing, null);
    expect(a).toBe(a);
    expect(a).not.toBe(b);
  });
});
