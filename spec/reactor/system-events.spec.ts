import { Deferred } from '../../src/defer/deferred';
import type { TriggerId } from '../../src/interfaces/core';
import { captureLogEvents, type LogEvent } from '../../src/logger';
import { Reactor } from '../../src/reactor';

// Firing an event is synchronous (until a `before` trigger returns something
// to wait for), so these specs need no running reactor and no clock.

class DummyException extends Error {}

let reactor: Reactor;
let events: LogEvent[];
let stopCapture: () => void;

beforeEach(() => {
  reactor = new Reactor();
  [events, stopCapture] = captureLogEvents();
});
afterEach(() => stopCapture());

const failuresOf = (type: Function): LogEvent[] => events.filter((e) => e.failure?.value instanceof type);

describe('addSystemEventTrigger / fireSystemEvent', () => {
  it.each(['before', 'during', 'after'] as const)('calls a %s trigger only when its event fires', (phase) => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger(phase, 'test', () => seen.push(phase));
    reactor.fireSystemEvent('other');
    expect(seen).toEqual([]);
    reactor.fireSystemEvent('test');
    expect(seen).toEqual([phase]);
  });

  it('runs before, during and after triggers in that order, each phase FIFO', () => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger('after', 'test', (x: string) => seen.push(x), 'first after');
    reactor.addSystemEventTrigger('during', 'test', (x: string) => seen.push(x), 'first during');
    reactor.addSystemEventTrigger('before', 'test', (x: string) => seen.push(x), 'first before');
    reactor.addSystemEventTrigger('before', 'test', (x: string) => seen.push(x), 'second before');
    reactor.addSystemEventTrigger('during', 'test', (x: string) => seen.push(x), 'second during');
    reactor.addSystemEventTrigger('after', 'test', (x: string) => seen.push(x), 'second after');
    reactor.fireSystemEvent('test');
    expect(seen).toEqual(['first before', 'second before', 'first during', 'second during', 'first after', 'second after']);
  });

  it('runs each trigger only once, however often the event fires', () => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger('before', 'test', () => seen.push('before'));
    reactor.addSystemEventTrigger('during', 'test', () => seen.push('during'));
    reactor.addSystemEventTrigger('after', 'test', () => seen.push('after'));
    reactor.fireSystemEvent('test');
    reactor.fireSystemEvent('test');
    expect(seen).toEqual(['before', 'during', 'after']);
  });

  it('refuses an unknown phase, a non-string event and a non-function with a TypeError', () => {
    expect(() => reactor.addSystemEventTrigger('xxx' as 'before', 'test', () => undefined)).toThrow(TypeError);
    expect(() => reactor.addSystemEventTrigger('before', 3 as unknown as string, () => undefined)).toThrow(TypeError);
    expect(() => reactor.addSystemEventTrigger('before', 'test', 'f' as unknown as () => void)).toThrow(TypeError);
  });
});

describe('triggers that return Deferreds or Promises', () => {
  it('waits for a Deferred returned by a before trigger before the during phase', () => {
    const seen: string[] = [];
    const d = new Deferred<null>();
    reactor.addSystemEventTrigger('before', 'test', () => d);
    reactor.addSystemEventTrigger('during', 'test', () => seen.push('during'));
    reactor.addSystemEventTrigger('after', 'test', () => seen.push('after'));
    reactor.fireSystemEvent('test');
    expect(seen).toEqual([]);
    d.callback(null);
    expect(seen).toEqual(['during', 'after']);
  });

  it('waits for every Deferred returned by before triggers', () => {
    const seen: string[] = [];
    const first = new Deferred<null>();
    const second = new Deferred<null>();
    reactor.addSystemEventTrigger('before', 'test', () => first);
    reactor.addSystemEventTrigger('before', 'test', () => second);
    reactor.addSystemEventTrigger('during', 'test', () => seen.push('during'));
    reactor.fireSystemEvent('test');
    first.callback(null);
    expect(seen).toEqual([]);
    second.callback(null);
    expect(seen).toEqual(['during']);
  });

  it("still runs the remaining before triggers when one fires an earlier trigger's Deferred", () => {
    const seen: string[] = [];
    const first = new Deferred<null>();
    const second = new Deferred<null>();
    reactor.addSystemEventTrigger('before', 'test', () => first);
    reactor.addSystemEventTrigger('before', 'test', () => first.callback(null));
    reactor.addSystemEventTrigger('before', 'test', () => {
      seen.push('before');
      return second;
    });
    reactor.addSystemEventTrigger('during', 'test', () => seen.push('during'));
    reactor.fireSystemEvent('test');
    expect(seen).toEqual(['before']);
    second.callback(null);
    expect(seen).toEqual(['before', 'during']);
  });

  it("passes a waited-for Deferred's result on down its own chain", () => {
    const d = new Deferred<number>();
    const got: number[] = [];
    reactor.addSystemEventTrigger('before', 'test', () => d);
    reactor.fireSystemEvent('test');
    d.callback(7);
    d.addCallback((n) => got.push(n));
    expect(got).toEqual([7]);
  });

  it('logs a failed Deferred from a before trigger and continues with the during phase', () => {
    const seen: string[] = [];
    const d = new Deferred<null>();
    reactor.addSystemEventTrigger('before', 'test', () => d);
    reactor.addSystemEventTrigger('during', 'test', () => seen.push('during'));
    reactor.fireSystemEvent('test');
    d.errback(new DummyException('deferred failed'));
    expect(seen).toEqual(['during']);
    expect(failuresOf(DummyException)).toHaveLength(1);
  });

  it('waits for a Promise returned by a before trigger, and logs a rejected one', async () => {
    const seen: string[] = [];
    let resolve!: () => void;
    const ok = new Promise<void>((r) => (resolve = r));
    reactor.addSystemEventTrigger('before', 'test', () => ok);
    reactor.addSystemEventTrigger('before', 'test', () => Promise.reject(new DummyException('rejected')));
    reactor.addSystemEventTrigger('during', 'test', () => seen.push('during'));
    reactor.fireSystemEvent('test');
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([]);
    resolve();
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['during']);
    expect(failuresOf(DummyException)).toHaveLength(1);
  });

  it('does not wait for, but logs, a rejected Promise from a during or after trigger', async () => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger('during', 'test', () => Promise.reject(new DummyException('during')));
    reactor.addSystemEventTrigger('after', 'test', () => seen.push('after'));
    reactor.fireSystemEvent('test');
    expect(seen).toEqual(['after']);
    await new Promise((r) => setImmediate(r));
    expect(failuresOf(DummyException)).toHaveLength(1);
  });

  it('keeps separate events independent while one waits', () => {
    const seen: string[] = [];
    const firstD = new Deferred<null>();
    const secondD = new Deferred<null>();
    reactor.addSystemEventTrigger('before', 'first', () => {
      seen.push('before first');
      return firstD;
    });
    reactor.addSystemEventTrigger('after', 'first', () => seen.push('after first'));
    reactor.addSystemEventTrigger('before', 'second', () => {
      seen.push('before second');
      return secondD;
    });
    reactor.addSystemEventTrigger('after', 'second', () => seen.push('after second'));
    reactor.fireSystemEvent('first');
    expect(seen).toEqual(['before first']);
    reactor.fireSystemEvent('second');
    expect(seen).toEqual(['before first', 'before second']);
    firstD.callback(null);
    expect(seen).toEqual(['before first', 'before second', 'after first']);
    secondD.callback(null);
    expect(seen).toEqual(['before first', 'before second', 'after first', 'after second']);
  });
});

describe('exceptions in triggers', () => {
  it.each(['before', 'during'] as const)('logs an exception from a %s trigger and runs the rest', (phase) => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger(phase, 'test', () => {
      throw new DummyException();
    });
    reactor.addSystemEventTrigger(phase, 'test', () => seen.push(phase));
    reactor.addSystemEventTrigger('after', 'test', () => seen.push('after'));
    reactor.fireSystemEvent('test');
    expect(seen).toEqual([phase, 'after']);
    expect(failuresOf(DummyException)).toHaveLength(1);
  });
});

describe('removeSystemEventTrigger', () => {
  it('a removed trigger is not called', () => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger('before', 'test', () => seen.push('first'));
    const id = reactor.addSystemEventTrigger('before', 'test', () => seen.push('second'));
    reactor.removeSystemEventTrigger(id);
    reactor.fireSystemEvent('test');
    expect(seen).toEqual(['first']);
  });

  it('removing a trigger twice throws RangeError; a malformed id throws TypeError', () => {
    const id = reactor.addSystemEventTrigger('during', 'test', () => undefined);
    reactor.removeSystemEventTrigger(id);
    expect(() => reactor.removeSystemEventTrigger(id)).toThrow(RangeError);
    expect(() => reactor.removeSystemEventTrigger(null as unknown as TriggerId)).toThrow(TypeError);
    expect(() => reactor.removeSystemEventTrigger({ eventType: 'test', phase: 'during' })).toThrow(TypeError);
  });

  it("an id of another reactor's event that this one never saw throws RangeError", () => {
    const other = new Reactor();
    const id = other.addSystemEventTrigger('during', 'only-there', () => undefined);
    expect(() => reactor.removeSystemEventTrigger(id)).toThrow(RangeError);
  });

  it('removing a trigger that already ran (the event is over) throws RangeError', () => {
    const id = reactor.addSystemEventTrigger('after', 'test', () => undefined);
    reactor.fireSystemEvent('test');
    expect(() => reactor.removeSystemEventTrigger(id)).toThrow(RangeError);
  });

  it('a before trigger removing an already-run before trigger only logs a warning', () => {
    const seen: string[] = [];
    const first = reactor.addSystemEventTrigger('before', 'test', () => seen.push('first'));
    reactor.addSystemEventTrigger('before', 'test', () => reactor.removeSystemEventTrigger(first));
    reactor.addSystemEventTrigger('before', 'test', () => seen.push('second'));
    reactor.fireSystemEvent('test');
    expect(seen).toEqual(['first', 'second']);
    expect(events.filter((e) => e.level === 'warn')).toHaveLength(1);
    expect(events.filter((e) => e.failure)).toHaveLength(0);
  });

  it('a before trigger removing a pending before trigger skips it', () => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger('before', 'test', () => reactor.removeSystemEventTrigger(pending));
    const pending = reactor.addSystemEventTrigger('before', 'test', () => seen.push('first'));
    reactor.addSystemEventTrigger('before', 'test', () => seen.push('second'));
    reactor.fireSystemEvent('test');
    expect(seen).toEqual(['second']);
  });

  it('a before trigger removing a during trigger skips it', () => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger('before', 'test', () => reactor.removeSystemEventTrigger(during));
    const during = reactor.addSystemEventTrigger('during', 'test', () => seen.push('during'));
    reactor.addSystemEventTrigger('after', 'test', () => seen.push('after'));
    reactor.fireSystemEvent('test');
    expect(seen).toEqual(['after']);
  });

  it('a during trigger removed while the before phase waits is skipped', () => {
    const seen: string[] = [];
    const d = new Deferred<null>();
    reactor.addSystemEventTrigger('before', 'test', () => d);
    const during = reactor.addSystemEventTrigger('during', 'test', () => seen.push('during'));
    reactor.addSystemEventTrigger('after', 'test', () => seen.push('after'));
    reactor.fireSystemEvent('test');
    reactor.removeSystemEventTrigger(during);
    d.callback(null);
    expect(seen).toEqual(['after']);
  });

  it('removing a during trigger identical to a run before trigger (but for its phase) skips it without a warning', () => {
    const seen: string[] = [];
    const trigger = (): number => seen.push('trigger');
    reactor.addSystemEventTrigger('before', 'test', trigger);
    reactor.addSystemEventTrigger('before', 'test', () => reactor.removeSystemEventTrigger(during));
    const during = reactor.addSystemEventTrigger('during', 'test', trigger);
    reactor.fireSystemEvent('test');
    expect(seen).toEqual(['trigger']);
    expect(events.filter((e) => e.level === 'warn')).toHaveLength(0);
  });

  it('a during trigger removing a pending during trigger skips it', () => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger('during', 'test', () => reactor.removeSystemEventTrigger(pending));
    const pending = reactor.addSystemEventTrigger('during', 'test', () => seen.push('first'));
    reactor.addSystemEventTrigger('during', 'test', () => seen.push('second'));
    reactor.fireSystemEvent('test');
    expect(seen).toEqual(['second']);
  });
});
