import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Deferred, fail, succeed } from '../../src/defer';
import { ReactorNotRestartable, ReactorNotRunning } from '../../src/errors';
import { Reactor } from '../../src/reactor';
import { deferLater } from '../../src/task/defer-later';
import type { EventPhase, IReactorCore, TriggerId } from '../../src/interfaces/core';
import type { IDelayedCall } from '../../src/interfaces/time';
import { captureLogEvents, type LogEvent } from '../../src/logger';
import { Clock } from '../../src/task/clock';
import { react, SystemExit } from '../../src/task/react';

class ExpectedException extends Error {}

/**
 * A reactor that runs on a Clock, as in Twisted's own react tests: run()
 * jumps from one delayed call to the next (letting Promise jobs run in
 * between) until stopped, then runs the shutdown triggers. Only what
 * react() and these mains use.
 */
class FakeReactor implements IReactorCore {
  readonly clock = new Clock();
  #running = false;
  #whenRunning: [(...a: unknown[]) => unknown, unknown[]][] | null = [];
  #shutdown: Record<'before' | 'during', [(...a: unknown[]) => unknown, unknown[]][]> = { before: [], during: [] };
  stopCalls = 0;

  get running(): boolean {
    return this.#running;
  }
  seconds(): number {
    return this.clock.seconds();
  }
  callLater<A extends unknown[]>(delay: number, fn: (...args: A) => unknown, ...args: A): IDelayedCall {
    return this.clock.callLater(delay, fn, ...args);
  }
  callWhenRunning<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): TriggerId | undefined {
    if (this.#whenRunning === null) fn(...args);
    else this.#whenRunning.push([fn as (...a: unknown[]) => unknown, args]);
    return undefined;
  }
  addSystemEventTrigger<A extends unknown[]>(
    phase: EventPhase,
    eventType: string,
    fn: (...args: A) => unknown,
    ...args: A
  ): TriggerId {
    if (eventType !== 'shutdown' || phase === 'after') throw new Error(`FakeReactor: unsupported trigger ${phase} ${eventType}`);
    this.#shutdown[phase].push([fn as (...a: unknown[]) => unknown, args]);
    return { eventType, phase };
  }
  removeSystemEventTrigger(): void {
    throw new Error('FakeReactor: not supported');
  }
  fireSystemEvent(): void {
    throw new Error('FakeReactor: not supported');
  }
  resolve(): Deferred<string> {
    throw new Error('FakeReactor: not supported');
  }
  crash(): void {
    this.#running = false;
  }
  stop(): void {
    this.stopCalls += 1;
    if (!this.#running) throw new ReactorNotRunning();
    this.#running = false;
  }
  async run(): Promise<void> {
    this.#running = true;
    const whenRunning = this.#whenRunning ?? [];
    this.#whenRunning = null;
    for (const [fn, args] of whenRunning) fn(...args);
    while (this.#running) {
      // Let Promise jobs run between timed calls, as the real reactor does.
      await new Promise((resolve) => setImmediate(resolve));
      if (!this.#running) break;
      const calls = this.clock.getDelayedCalls();
      if (calls.length === 0) throw new Error('No DelayedCalls left');
      this.clock.advance(calls[0].getTime() - this.clock.seconds());
    }
    const triggers = [...this.#shutdown.before, ...this.#shutdown.during];
    for (const [fn, args] of triggers) fn(...args);
  }
}

const mainErrors = (events: LogEvent[]) => events.filter((e) => e.message === 'main function encountered error');

describe('react', () => {
  let savedExitCode: typeof process.exitCode;
  let events: LogEvent[];
  let stopCapture: () => void;
  beforeEach(() => {
    savedExitCode = process.exitCode;
    [events, stopCapture] = captureLogEvents();
  });
  afterEach(() => {
    stopCapture();
    process.exitCode = savedExitCode;
  });

  // Twisted runs each case with a plain Deferred-returning main and with a
  // coroutine; here: a Deferred-returning function and an async function.
  const styles = {
    deferred: <T>(body: (r: FakeReactor) => Deferred<T>) => body,
    async:
      <T>(body: (r: FakeReactor) => Deferred<T>) =>
      async (r: FakeReactor) =>
        await body(r),
  };

  for (const [style, wrap] of Object.entries(styles)) {
    describe(`with a main returning a ${style === 'async' ? 'Promise (async function)' : 'Deferred'}`, () => {
      it('runs the reactor until the result fires, then stops it and exits 0', async () => {
        const timePassed: boolean[] = [];
        const r = new FakeReactor();
        const code = await react(
          wrap((reactor) => {
            const finished = new Deferred<null>();
            reactor.callLater(1, () => timePassed.push(true));
            reactor.callLater(2, () => finished.callback(null));
            return finished;
          }),
          [],
          r,
        );
        expect(code).toBe(0);
        expect(process.exitCode).toBe(0);
        expect(timePassed).toEqual([true]);
        expect(r.seconds()).toBe(2);
        expect(r.running).toBe(false);
      });

      it('returns at once when the result has already fired', async () => {
        const r = new FakeReactor();
        expect(
          await react(
            wrap(() => succeed(null)),
            [],
            r,
          ),
        ).toBe(0);
        expect(r.seconds()).toBe(0);
      });

      it('exits 1 and logs the failure when the result fails later', async () => {
        const r = new FakeReactor();
        const code = await react(
          wrap((reactor) => {
            const finished = new Deferred<null>();
            reactor.callLater(1, () => finished.errback(new ExpectedException()));
            return finished;
          }),
          [],
          r,
        );
        expect(code).toBe(1);
        expect(process.exitCode).toBe(1);
        const logged = mainErrors(events);
        expect(logged).toHaveLength(1);
        expect(logged[0].failure?.check(ExpectedException)).toBe(ExpectedException);
      });

      it('exits 1 and logs the failure when the result has already failed', async () => {
        const r = new FakeReactor();
        const code = await react(
          wrap(() => fail(new ExpectedException())),
          [],
          r,
        );
        expect(code).toBe(1);
        expect(r.seconds()).toBe(0);
        expect(mainErrors(events)).toHaveLength(1);
      });

      it('does not stop the reactor again when the result fires after it was stopped', async () => {
        const r = new FakeReactor();
        const code = await react(
          wrap((reactor) => {
            reactor.callLater(1, () => reactor.stop());
            const finished = new Deferred<null>();
            reactor.addSystemEventTrigger('during', 'shutdown', () => finished.callback(null));
            return finished;
          }),
          [],
          r,
        );
        expect(code).toBe(0);
        expect(r.seconds()).toBe(1);
        expect(r.stopCalls).toBe(1);
      });

      it('does not stop the reactor again when the result fails after it was stopped, but exits 1', async () => {
        const r = new FakeReactor();
        const code = await react(
          wrap((reactor) => {
            reactor.callLater(1, () => reactor.stop());
            const finished = new Deferred<null>();
            reactor.addSystemEventTrigger('during', 'shutdown', () => finished.errback(new ExpectedException()));
            return finished;
          }),
          [],
          r,
        );
        expect(code).toBe(1);
        expect(r.seconds()).toBe(1);
        expect(r.stopCalls).toBe(1);
        expect(mainErrors(events)).toHaveLength(1);
      });

      it('exits with the code of a SystemExit failure, without logging it', async () => {
        const r = new FakeReactor();
        expect(
          await react(
            wrap(() => fail(new SystemExit(23))),
            [],
            r,
          ),
        ).toBe(23);
        expect(process.exitCode).toBe(23);
        expect(mainErrors(events)).toHaveLength(0);
      });

      it('handles the reactor being stopped just before the result fires', async () => {
        const r = new FakeReactor();
        const code = await react(
          wrap((reactor) => {
            const d = new Deferred<null>();
            reactor.callWhenRunning(() => {
              reactor.stop();
              d.callback(null);
            });
            return d;
          }),
          [],
          r,
        );
        expect(code).toBe(0);
      });

      it('handles the reactor being stopped while the result never fires', async () => {
        const r = new FakeReactor();
        const code = await react(
          wrap((reactor) => {
            reactor.callLater(1, () => reactor.stop());
            return new Deferred<null>();
          }),
          [],
          r,
        );
        expect(code).toBe(0);
      });
    });
  }

  it('passes argv to main after the reactor', async () => {
    const r = new FakeReactor();
    const seen: unknown[] = [];
    const code = await react(
      (reactor: FakeReactor, x: number, y: number, z: number) => {
        seen.push(reactor, x, y, z);
        return succeed(null);
      },
      [1, 2, 3],
      r,
    );
    expect(code).toBe(0);
    expect(seen).toEqual([r, 1, 2, 3]);
  });

  it('only SystemExit sets the code: another error carrying exitCode exits 1 and is logged', async () => {
    const r = new FakeReactor();
    const err = Object.assign(new Error('custom exit'), { exitCode: 4 });
    expect(await react(async () => Promise.reject(err), [], r)).toBe(1);
    expect(mainErrors(events)).toHaveLength(1);
  });

  it('a main that throws synchronously counts as a failure: exit 1, logged', async () => {
    const r = new FakeReactor();
    const code = await react(
      () => {
        throw new ExpectedException('sync');
      },
      [],
      r,
    );
    expect(code).toBe(1);
    expect(mainErrors(events)).toHaveLength(1);
  });

  it('a main that is not a function is a TypeError', async () => {
    await expect(react(null as unknown as () => Deferred<void>, [], new FakeReactor())).rejects.toThrow(TypeError);
  });

  describe('with a real Reactor', () => {
    it('runs a fresh Reactor until main settles, stops it, and resolves with 0 once run() is done', async () => {
      const r = new Reactor();
      const seen: number[] = [];
      const code = await react(
        async (reactor: Reactor, n: number) => {
          // As in Twisted, main is called before the reactor runs.
          expect(reactor.running).toBe(false);
          seen.push(await deferLater(reactor, 0.01, () => n * 2));
          return 'ignored';
        },
        [21],
        r,
      );
      expect(code).toBe(0);
      expect(process.exitCode).toBe(0);
      expect(seen).toEqual([42]);
      expect(r.running).toBe(false);
      // run() has finished: the reactor cannot be run again.
      expect(() => r.run()).toThrow(ReactorNotRestartable);
    });

    it('exits 1 with the failure logged when main fails on a real Reactor', async () => {
      const r = new Reactor();
      const code = await react(
        (reactor: Reactor) =>
          deferLater(reactor, 0, () => {
            throw new ExpectedException('late');
          }),
        [],
        r,
      );
      expect(code).toBe(1);
      expect(mainErrors(events)).toHaveLength(1);
      expect(r.running).toBe(false);
    });

    it('a main that stops the reactor itself ends react with 0 and one stop()', async () => {
      const r = new Reactor();
      const stop = jest.spyOn(r, 'stop');
      const code = await react(
        (reactor: Reactor) => {
          reactor.callLater(0.01, () => reactor.stop());
          return new Deferred<void>();
        },
        [],
        r,
      );
      expect(code).toBe(0);
      expect(stop).toHaveBeenCalledTimes(1);
    });

    it('an already-fired result stops the reactor right after startup', async () => {
      const r = new Reactor();
      const ran: string[] = [];
      r.addSystemEventTrigger('after', 'startup', () => ran.push('started'));
      r.addSystemEventTrigger('after', 'shutdown', () => ran.push('shut down'));
      expect(await react(() => succeed('ok'), [], r)).toBe(0);
      expect(ran).toEqual(['started', 'shut down']);
    });

    it('rejects with ReactorNotRestartable for a reactor that already ran', async () => {
      const r = new Reactor();
      const done = r.run();
      r.stop();
      await done;
      await expect(react(() => succeed(null), [], r)).rejects.toThrow(ReactorNotRestartable);
    });
  });

  describe('in a child process with the global reactor', () => {
    const root = path.resolve(__dirname, '../..');
    const runChild = (body: string) =>
      spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', body], {
        cwd: root,
        encoding: 'utf8',
        timeout: 15_000,
      });
    const prelude = "const { react, deferLater, SystemExit } = require('./src/task');";

    it('the process exits by itself with code 0 after main succeeds', () => {
      const child = runChild(
        `${prelude} react(async (reactor) => { await deferLater(reactor, 0.01); console.log('main done'); });`,
      );
      expect(child.error).toBeUndefined();
      expect(child.stdout).toContain('main done');
      expect(child.status).toBe(0);
    });

    it('the process exits with code 1 and logs the failure when main fails', () => {
      const child = runChild(`${prelude} react((reactor) => deferLater(reactor, 0.01, () => { throw new Error('kaput'); }));`);
      expect(child.status).toBe(1);
      expect(child.stderr).toContain('main function encountered error');
      expect(child.stderr).toContain('kaput');
    });

    it('the process exits with the code of a SystemExit', () => {
      const child = runChild(`${prelude} react(async () => { throw new SystemExit(3); });`);
      expect(child.status).toBe(3);
      expect(child.stderr).not.toContain('main function encountered error');
    });
  });
});
