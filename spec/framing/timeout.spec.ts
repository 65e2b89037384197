import { LineReceiver, TimeoutMixin } from '../../src/framing';
import type { IDelayedCall } from '../../src/interfaces/time';
import { Protocol } from '../../src/protocol/protocol';
import { reactor } from '../../src/reactor';
import { Clock } from '../../src/task/clock';
import { StringTransport } from '../../src/testing';

/** Twisted's TimeoutTester: timeOut 3, set on connect, reset on data, cleared on loss. */
class TimeoutTester extends TimeoutMixin(Protocol) {
  override timeOut: number | null = 3;
  timedOut = false;
  constructor(clock: Clock) {
    super();
    this.clock = clock;
  }
  override connectionMade(): void {
    this.setTimeout(this.timeOut);
  }
  override dataReceived(data: Buffer): void {
    this.resetTimeout();
    super.dataReceived(data);
  }
  override connectionLost(): void {
    this.setTimeout(null);
  }
  override timeoutConnection(): void {
    this.timedOut = true;
  }
}

describe('TimeoutMixin (Twisted TimeoutMixinTests)', () => {
  let clock: Clock;
  let proto: TimeoutTester;
  beforeEach(() => {
    clock = new Clock();
    proto = new TimeoutTester(clock);
  });

  it('schedules on the clock it is given, not the global reactor', () => {
    proto.setTimeout(10);
    expect(clock.calls).toHaveLength(1);
    proto.setTimeout(null);
  });

  it('without a clock, schedules on the global reactor', () => {
    class Plain extends TimeoutMixin(Protocol) {}
    const p = new Plain();
    const before = reactor.getDelayedCalls().length;
    p.setTimeout(60);
    expect(reactor.getDelayedCalls()).toHaveLength(before + 1);
    p.setTimeout(null);
    expect(reactor.getDelayedCalls()).toHaveLength(before);
  });

  it('an overridden callLater is used instead', () => {
    const scheduled: number[] = [];
    class Custom extends TimeoutMixin(Protocol) {
      override callLater(period: number, fn: () => void): IDelayedCall {
        scheduled.push(period);
        return clock.callLater(period, fn);
      }
    }
    const p = new Custom();
    p.setTimeout(7);
    expect(scheduled).toEqual([7]);
    expect(clock.calls).toHaveLength(1);
  });

  it('times out after timeOut seconds', () => {
    proto.makeConnection(new StringTransport());
    clock.pump([0, 0.5, 1.0, 1.0]);
    expect(proto.timedOut).toBe(false);
    clock.pump([0, 1.0]);
    expect(proto.timedOut).toBe(true);
  });

  it('receiving data pushes the timeout back', () => {
    proto.makeConnection(new StringTransport());
    clock.pump([0, 0.5, 1.0, 1.0]);
    expect(proto.timedOut).toBe(false);
    proto.dataReceived(Buffer.from('hello there'));
    clock.pump([0, 1.0, 1.0, 0.5]);
    expect(proto.timedOut).toBe(false);
    clock.pump([0, 1.0]);
    expect(proto.timedOut).toBe(true);
  });

  it('setting a new period replaces the old countdown', () => {
    proto.timeOut = null;
    proto.makeConnection(new StringTransport());
    proto.setTimeout(1);
    expect(proto.timeOut).toBe(1);
    clock.pump([0, 0.9]);
    expect(proto.timedOut).toBe(false);
    clock.pump([0, 0.2]);
    expect(proto.timedOut).toBe(true);
  });

  it('setTimeout(null) cancels any pending timeout', () => {
    proto.timeOut = 5;
    proto.makeConnection(new StringTransport());
    proto.setTimeout(null);
    expect(proto.timeOut).toBeNull();
    expect(clock.calls).toHaveLength(0);
    clock.pump([0, 5, 5, 5]);
    expect(proto.timedOut).toBe(false);
  });

  it('setTimeout returns the previous period', () => {
    proto.timeOut = 5;
    expect(proto.setTimeout(10)).toBe(5);
    expect(proto.setTimeout(null)).toBe(10);
    expect(proto.setTimeout(1)).toBeNull();
    expect(proto.timeOut).toBe(1);
    proto.setTimeout(null);
  });

  it('setTimeout(null) after someone else cancelled the call cleans up without throwing', () => {
    proto.setTimeout(3);
    clock.getDelayedCalls()[0]!.cancel();
    expect(proto.timeOut).not.toBeNull();
    proto.setTimeout(null);
    expect(proto.timeOut).toBeNull();
  });

  it('after timing out, resetTimeout does nothing and setTimeout starts a new countdown', () => {
    proto.makeConnection(new StringTransport());
    clock.advance(3);
    expect(proto.timedOut).toBe(true);
    proto.timedOut = false;
    proto.resetTimeout();
    expect(clock.calls).toHaveLength(0);
    proto.setTimeout(2);
    clock.advance(2);
    expect(proto.timedOut).toBe(true);
  });

  it('resetTimeout and setTimeout(period) reschedule an externally cancelled call instead of throwing', () => {
    proto.setTimeout(3);
    clock.getDelayedCalls()[0]!.cancel();
    expect(() => proto.resetTimeout()).not.toThrow();
    proto.setTimeout(4);
    clock.advance(4);
    expect(proto.timedOut).toBe(true);
  });

  it('the default timeoutConnection loses the connection', () => {
    class Plain extends TimeoutMixin(Protocol) {}
    const p = new Plain();
    p.clock = clock;
    const t = new StringTransport();
    p.makeConnection(t);
    p.setTimeout(2.5);
    clock.advance(2.4);
    expect(t.disconnecting).toBe(false);
    clock.advance(0.1);
    expect(t.disconnecting).toBe(true);
  });

  it('refuses a negative, infinite or non-number period', () => {
    expect(() => proto.setTimeout(-1)).toThrow(RangeError);
    expect(() => proto.setTimeout(Infinity)).toThrow(RangeError);
    expect(() => proto.setTimeout('3' as unknown as number)).toThrow(TypeError);
    expect(clock.calls).toHaveLength(0);
  });

  it('mixes into LineReceiver: each line pushes the idle timeout back', () => {
    class IdleLines extends TimeoutMixin(LineReceiver) {
      override timeOut: number | null = 10;
      lines: string[] = [];
      override connectionMade(): void {
        this.setTimeout(this.timeOut);
      }
      override lineReceived(line: Buffer): void {
        this.resetTimeout();
        this.lines.push(line.toString());
      }
    }
    const p = new IdleLines();
    p.clock = clock;
    const t = new StringTransport();
    p.makeConnection(t);
    clock.advance(9);
    p.dataReceived(Buffer.from('hi\r\n'));
    clock.advance(9);
    p.dataReceived(Buffer.from('partial'));
    clock.advance(1);
    expect(p.lines).toEqual(['hi']);
    expect(t.disconnecting).toBe(true);
    expect(p.lineMode).toBe(true); // still a LineReceiver
  });
});
