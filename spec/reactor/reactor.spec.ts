import { Deferred } from '../../src/defer/deferred';
import { Failure } from '../../src/defer/failure';
import { ConnectionLost, ReactorAlreadyRunning, ReactorNotRestartable, ReactorNotRunning } from '../../src/errors';
import type { IFileDescriptor } from '../../src/interfaces/fdset';
import { captureLogEvents, type LogEvent } from '../../src/logger';
import { Reactor } from '../../src/reactor';

// A real reactor on Node's loop: these specs assert order and outcomes only,
// never elapsed time. Each test gets its own reactor, crashed in afterEach
// if a test left it running.

let reactor: Reactor;
let logged: LogEvent[];
let stopCapture: () => void;

beforeEach(() => {
  reactor = new Reactor();
  [logged, stopCapture] = captureLogEvents();
});
afterEach(() => {
  stopCapture();
  if (reactor.running) reactor.crash();
});

/** run() the reactor; fail (and crash it) if it has not finished within a generous bound. */
async function runReactor(r: Reactor): Promise<void> {
  let guard: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    guard = setTimeout(() => {
      r.crash();
      reject(new Error('the reactor did not finish'));
    }, 10_000);
  });
  try {
    await Promise.race([r.run(), timeout]);
  } finally {
    clearTimeout(guard);
  }
}

/**
 * Every Node timer armed until now that is already due has fired, and the
 * loop has turned (immediates ran): a Node timer of 0 ms fires after every
 * earlier one of 0 or 1 ms (same list, insertion order), then a few
 * setImmediate turns. The loop's own order, not a wall-clock window.
 */
async function dueTimersFired(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Resolve once the reactor's clock has reached `time` (seconds()), then {@link dueTimersFired}. */
async function clockReaches(r: Reactor, time: number): Promise<void> {
  while (r.seconds() < time) await new Promise((resolve) => setTimeout(resolve, Math.max(1, (time - r.seconds()) * 1000)));
  await dueTimersFired();
}

class FakeDescriptor implements IFileDescriptor {
  lost: Failure[] = [];
  constructor(readonly name: string) {}
  fileno(): number {
    return -1;
  }
  logPrefix(): string {
    return this.name;
  }
  connectionLost(reason: Failure): void {
    this.lost.push(reason);
  }
}

describe('run / stop / crash', () => {
  it('stop() throws ReactorNotRunning when the reactor was never started', () => {
    expect(() => reactor.stop()).toThrow(ReactorNotRunning);
  });

  it('stop() throws ReactorNotRunning after the reactor stopped', async () => {
    reactor.callWhenRunning(() => reactor.stop());
    await runReactor(reactor);
    expect(() => reactor.stop()).toThrow(ReactorNotRunning);
  });

  it('stop() a second time while shutting down throws ReactorNotRunning', async () => {
    const errors: unknown[] = [];
    reactor.callWhenRunning(() => {
      reactor.stop();
      try {
        reactor.stop();
      } catch (err) {
        errors.push(err);
      }
    });
    await runReactor(reactor);
    expect(errors[0]).toBeInstanceOf(ReactorNotRunning);
  });

  it('runs callWhenRunning functions in the order they were passed, with their arguments', async () => {
    const seen: string[] = [];
    reactor.callWhenRunning((x: string) => seen.push(x), 'first');
    reactor.callWhenRunning((x: string) => seen.push(x), 'second');
    reactor.callWhenRunning(() => reactor.stop());
    await runReactor(reactor);
    expect(seen).toEqual(['first', 'second']);
  });

  it('callWhenRunning on a running reactor calls at once and returns undefined', async () => {
    let result: unknown = 'unset';
    const seen: string[] = [];
    reactor.callWhenRunning(() => {
      result = reactor.callWhenRunning(() => seen.push('now'));
      seen.push('after');
      reactor.stop();
    });
    await runReactor(reactor);
    expect(seen).toEqual(['now', 'after']);
    expect(result).toBeUndefined();
  });

  it('is not running in before-startup triggers and is running in during/after-startup triggers', async () => {
    const state: Record<string, boolean> = {};
    reactor.addSystemEventTrigger('before', 'startup', () => (state.before = reactor.running));
    reactor.addSystemEventTrigger('during', 'startup', () => (state.during = reactor.running));
    reactor.addSystemEventTrigger('after', 'startup', () => (state.after = reactor.running));
    reactor.callWhenRunning(() => reactor.stop());
    expect(state).toEqual({});
    await runReactor(reactor);
    expect(state).toEqual({ before: false, during: true, after: true });
    expect(reactor.running).toBe(false);
  });

  it('fires all three shutdown phases before run() resolves, and is no longer running during them', async () => {
    const seen: [string, boolean][] = [];
    reactor.addSystemEventTrigger('before', 'shutdown', () => seen.push(['before', reactor.running]));
    reactor.addSystemEventTrigger('during', 'shutdown', () => seen.push(['during', reactor.running]));
    reactor.addSystemEventTrigger('after', 'shutdown', () => seen.push(['after', reactor.running]));
    reactor.callWhenRunning(() => reactor.stop());
    await runReactor(reactor);
    expect(seen).toEqual([
      ['before', true],
      ['during', false],
      ['after', false],
    ]);
  });

  it('fires shutdown triggers asynchronously, never from inside stop()', async () => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger('before', 'shutdown', () => seen.push('before shutdown'));
    reactor.callWhenRunning(() => {
      reactor.stop();
      seen.push('stopped');
    });
    await runReactor(reactor);
    expect(seen).toEqual(['stopped', 'before shutdown']);
  });

  it('waits for a Deferred returned by a before-shutdown trigger before run() resolves', async () => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger('before', 'shutdown', () => {
      const d = new Deferred<null>();
      reactor.callLater(0, () => {
        seen.push('cleanup done');
        d.callback(null);
      });
      return d;
    });
    reactor.addSystemEventTrigger('after', 'shutdown', () => seen.push('after shutdown'));
    reactor.callWhenRunning(() => reactor.stop());
    await runReactor(reactor);
    expect(seen).toEqual(['cleanup done', 'after shutdown']);
  });

  it('run() while running throws ReactorAlreadyRunning', async () => {
    const errors: unknown[] = [];
    reactor.callWhenRunning(() => {
      try {
        void reactor.run();
      } catch (err) {
        errors.push(err);
      }
    });
    reactor.callWhenRunning(() => reactor.stop());
    await runReactor(reactor);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ReactorAlreadyRunning);
  });

  it('run() after stop() throws ReactorNotRestartable, also from an after-shutdown trigger', async () => {
    const errors: unknown[] = [];
    reactor.callWhenRunning(() => reactor.stop());
    reactor.addSystemEventTrigger('after', 'shutdown', () => {
      try {
        void reactor.run();
      } catch (err) {
        errors.push(err);
      }
    });
    await runReactor(reactor);
    expect(errors[0]).toBeInstanceOf(ReactorNotRestartable);
    expect(() => reactor.run()).toThrow(ReactorNotRestartable);
  });

  it('keeps running until stop() when a before-startup trigger returns an unfired Deferred', async () => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger('before', 'startup', () => {
      seen.push('trigger');
      const d = new Deferred<null>();
      d.addCallback(() => {
        seen.push('callback');
        reactor.stop();
      });
      // Delayed calls already run while startup waits.
      reactor.callLater(0, () => d.callback(null));
      return d;
    });
    await runReactor(reactor);
    expect(seen).toEqual(['trigger', 'callback']);
  });

  it('crash() stops the reactor without firing shutdown triggers', async () => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger('before', 'shutdown', () => seen.push('before shutdown'));
    reactor.callWhenRunning(() => reactor.callLater(0, () => reactor.crash()));
    await runReactor(reactor);
    expect(reactor.running).toBe(false);
    expect(seen).toEqual([]);
  });

  it('run() works again after crash()', async () => {
    const seen: unknown[] = [];
    reactor.callWhenRunning(() => {
      seen.push('crash');
      reactor.crash();
    });
    await runReactor(reactor);
    reactor.callWhenRunning(() => {
      seen.push(['stop', reactor.running]);
      reactor.stop();
    });
    await runReactor(reactor);
    expect(seen).toEqual(['crash', ['stop', true]]);
  });

  it('a crash() between stop() and the shutdown event skips shutdown', async () => {
    const seen: string[] = [];
    reactor.addSystemEventTrigger('before', 'shutdown', () => seen.push('before shutdown'));
    reactor.callWhenRunning(() => {
      reactor.stop();
      reactor.crash();
    });
    await runReactor(reactor);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([]);
    expect(() => reactor.run()).toThrow(ReactorNotRestartable);
  });

  it('refuses a non-object run() option with a TypeError', () => {
    expect(() => reactor.run(5 as unknown as object)).toThrow(TypeError);
    expect(reactor.running).toBe(false);
  });
});

describe('delayed calls on a running reactor', () => {
  it('a delayed call can stop the reactor', async () => {
    reactor.callLater(0, () => reactor.stop());
    await runReactor(reactor);
    expect(reactor.running).toBe(false);
  });

  it('runs a delayed call, with its arguments', async () => {
    const got: unknown[] = [];
    reactor.callLater(0, (a: number, b: string) => got.push(a, b), 1, 'x');
    reactor.callLater(0.01, () => reactor.stop());
    await runReactor(reactor);
    expect(got).toEqual([1, 'x']);
  });

  it('calls scheduled before run() wait for run(), and due calls then run in time order with FIFO ties', async () => {
    const seen: string[] = [];
    reactor.callLater(0.02, () => seen.push('c'));
    reactor.callLater(0, () => seen.push('a'));
    reactor.callLater(0, () => seen.push('b'));
    // Due now: a reactor running them before run() would have done so by then.
    await dueTimersFired();
    expect(seen).toEqual([]);
    reactor.callLater(0.03, () => reactor.stop());
    await runReactor(reactor);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('a call scheduled while due calls run waits for the next pass, even with delay 0', async () => {
    const seen: string[] = [];
    reactor.callLater(0, () => {
      seen.push('first');
      reactor.callLater(0, () => seen.push('next pass'));
    });
    reactor.callLater(0, () => seen.push('second'));
    reactor.callLater(0.02, () => reactor.stop());
    await runReactor(reactor);
    expect(seen).toEqual(['first', 'second', 'next pass']);
  });

  it('never runs a cancelled call', async () => {
    const seen: string[] = [];
    const call = reactor.callLater(0, () => seen.push('cancelled'));
    call.cancel();
    reactor.callLater(0, () => reactor.callLater(0, () => reactor.stop()));
    await runReactor(reactor);
    expect(seen).toEqual([]);
    expect(call.cancelled).toBe(true);
  });

  it('a call is active until it has run', async () => {
    let activeInside: boolean | undefined;
    const call = reactor.callLater(0.01, () => {
      activeInside = call.active();
      reactor.stop();
    });
    expect(call.active()).toBe(true);
    await runReactor(reactor);
    expect(activeInside).toBe(false);
    expect(call.active()).toBe(false);
  });

  it('logs an exception from a delayed call and keeps running', async () => {
    const seen: string[] = [];
    reactor.callLater(0, () => {
      throw new Error('delayed boom');
    });
    reactor.callLater(0.01, () => {
      seen.push('still running');
      reactor.stop();
    });
    await runReactor(reactor);
    expect(seen).toEqual(['still running']);
    expect(logged.filter((e) => (e.failure?.value as Error | undefined)?.message === 'delayed boom')).toHaveLength(1);
  });

  it('lists the pending calls it was given, minus cancelled and called ones', async () => {
    const timers = new Map<string, ReturnType<Reactor['callLater']>>();
    const missing: string[] = [];
    const check = (): void => {
      const pending = reactor.getDelayedCalls();
      for (const [name, call] of timers) if (!pending.includes(call)) missing.push(name);
    };
    const fire = (name: string): void => {
      timers.delete(name);
      check();
    };
    for (const [name, when] of [
      ['a', 35],
      ['b', 20],
      ['c', 30],
      ['d', 29],
      ['e', 25],
      ['f', 26],
    ] as const) {
      timers.set(name, reactor.callLater(when * 0.001, fire, name));
    }
    const d = timers.get('d');
    d?.cancel();
    timers.delete('d');
    check();
    expect(reactor.getDelayedCalls()).not.toContain(d);
    reactor.callLater(0.05, () => reactor.stop());
    await runReactor(reactor);
    expect(missing).toEqual([]);
    expect(timers.size).toBe(0);
  });

  it('a call in the extreme future does not disturb the reactor and stays pending', async () => {
    const distant = reactor.callLater(2 ** 128 + 1, () => undefined);
    reactor.callLater(0, () => reactor.callLater(0, () => reactor.stop()));
    await runReactor(reactor);
    expect(distant.active()).toBe(true);
    expect(reactor.getDelayedCalls()).toContain(distant);
  });

  it('runs nothing after shutdown, and leaves pending calls pending', async () => {
    const seen: string[] = [];
    const later = reactor.callLater(0.05, () => seen.push('too late'));
    reactor.callWhenRunning(() => reactor.stop());
    await runReactor(reactor);
    const afterStop = reactor.callLater(0, () => seen.push('after stop'));
    await clockReaches(reactor, later.getTime());
    expect(seen).toEqual([]);
    expect(later.active()).toBe(true);
    expect(afterStop.active()).toBe(true);
  });

  it('several reactors run side by side, each with its own calls', async () => {
    const other = new Reactor();
    const seen: string[] = [];
    reactor.callLater(0.01, () => seen.push('first reactor'));
    other.callLater(0.01, () => seen.push('second reactor'));
    reactor.callLater(0.02, () => reactor.stop());
    other.callLater(0.02, () => other.stop());
    await Promise.all([runReactor(reactor), runReactor(other)]);
    expect(seen.sort()).toEqual(['first reactor', 'second reactor']);
  });
});

describe('seconds()', () => {
  it('is monotonic', () => {
    const readings: number[] = [];
    for (let i = 0; i < 10_000; i++) readings.push(reactor.seconds());
    const backwards = readings.filter((t, i) => i > 0 && t < readings[i - 1]);
    expect(backwards).toEqual([]);
  });

  it('is anchored to the epoch (within a minute of Date.now())', () => {
    expect(Math.abs(reactor.seconds() - Date.now() / 1000)).toBeLessThan(60);
  });

  it('a call scheduled after reading seconds() is due no earlier than that reading plus the delay', () => {
    const t = reactor.seconds();
    expect(reactor.callLater(0.5, () => undefined).getTime()).toBeGreaterThanOrEqual(t + 0.5);
  });
});

describe('shutdown disconnects', () => {
  it('gives every reader, writer and tracked connection connectionLost(ConnectionLost) exactly once', async () => {
    const reader = new FakeDescriptor('reader');
    const both = new FakeDescriptor('reader+writer');
    const tracked = new FakeDescriptor('tracked only');
    const untracked = new FakeDescriptor('untracked again');
    const asReader = Object.assign(reader, { _startReadingHandle() {}, _stopReadingHandle() {} });
    const asBoth = Object.assign(both, { _startReadingHandle() {}, _stopReadingHandle() {} });
    reactor.addReader(asReader);
    reactor.addReader(asBoth);
    reactor.addWriter(asBoth);
    reactor._trackConnection(asBoth);
    reactor._trackConnection(tracked);
    reactor._trackConnection(untracked);
    reactor._untrackConnection(untracked);
    reactor.callWhenRunning(() => reactor.stop());
    await runReactor(reactor);
    for (const d of [reader, both, tracked]) {
      expect(d.lost).toHaveLength(1);
      expect(d.lost[0].value).toBeInstanceOf(ConnectionLost);
    }
    expect(untracked.lost).toHaveLength(0);
    expect(reactor.getReaders()).toEqual([]);
    expect(reactor.getWriters()).toEqual([]);
  });

  it('logs a connectionLost that throws and still disconnects the rest', async () => {
    const ok = new FakeDescriptor('ok');
    const bad = new FakeDescriptor('problematic');
    bad.connectionLost = () => {
      throw new Error('simulated connectionLost error');
    };
    // As Twisted's test: control the order so the failing one comes first.
    reactor.removeAll = () => [bad, ok];
    reactor.callWhenRunning(() => reactor.stop());
    await runReactor(reactor);
    expect(ok.lost).toHaveLength(1);
    expect(
      logged.filter((e) => (e.failure?.value as Error | undefined)?.message === 'simulated connectionLost error'),
    ).toHaveLength(1);
  });
});

describe('signal handlers', () => {
  it('new Reactor() installs none by default', async () => {
    const before = process.listenerCount('SIGTERM');
    let during = -1;
    reactor.callWhenRunning(() => {
      during = process.listenerCount('SIGTERM');
      reactor.stop();
    });
    await runReactor(reactor);
    expect(during).toBe(before);
  });

  it('installs SIGTERM during startup when asked, and removes it when run() finishes', async () => {
    const before = process.listenerCount('SIGTERM');
    const counts: Record<string, number> = {};
    reactor.addSystemEventTrigger('before', 'startup', () => (counts.before = process.listenerCount('SIGTERM')));
    reactor.addSystemEventTrigger('after', 'startup', () => (counts.after = process.listenerCount('SIGTERM')));
    reactor.callWhenRunning(() => reactor.stop());
    let guard: NodeJS.Timeout | undefined;
    await Promise.race([
      reactor.run({ installSignalHandlers: true }),
      new Promise((_, reject) => (guard = setTimeout(() => reject(new Error('hung')), 10_000))),
    ]);
    clearTimeout(guard);
    expect(counts).toEqual({ before, after: before + 1 });
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
