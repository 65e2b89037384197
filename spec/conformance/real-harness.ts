/**
 * The real side of the conformance suites: a fresh Reactor per test, real
 * sockets on 127.0.0.1 port 0. Helper module, not a spec.
 */
import { Reactor } from '../../src/reactor';
import type { TimeHarness } from './harness';

/** Wait `ms` milliseconds of wall time (only to let real I/O and timers happen). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A running Reactor and a way to stop it and wait for shutdown. */
export function startReactor(): { reactor: Reactor; stop(): Promise<void> } {
  const reactor = new Reactor();
  const done = reactor.run();
  return {
    reactor,
    async stop(): Promise<void> {
      if (reactor.running) reactor.stop();
      await done;
    },
  };
}

/** Time on a real, running Reactor: pass(s) waits s seconds plus a margin for the loop. */
export function makeReactorTimeHarness(): TimeHarness {
  const { reactor, stop } = startReactor();
  return {
    time: reactor,
    async pass(seconds: number): Promise<void> {
      await sleep(seconds * 1000 + 25);
    },
    teardown: stop,
  };
}
