/**
 * The reactor: `reactor` (the process-wide instance), `Reactor` (make your
 * own, e.g. one per test) and `DelayedCall` (what `callLater` returns).
 * @module torsion/reactor
 */
import { Reactor } from './reactor';

export { Reactor, type ReactorOptions } from './reactor';
export { DelayedCall } from './delayed-call';
export type { EventPhase, RunOptions, TriggerId } from '../interfaces/core';

/**
 * The process-wide reactor. Unlike `new Reactor()`, its `run()` installs
 * SIGINT/SIGTERM handlers by default, turning those signals into a clean
 * `stop()`. Creating it has no side effect: it holds no Node handle until
 * `run()`.
 * @example
 * ```ts
 * import { reactor } from 'torsion';
 * reactor.callWhenRunning(() => console.log('running'));
 * reactor.callLater(1, () => reactor.stop());
 * await reactor.run();
 * ```
 */
export const reactor: Reactor = new Reactor({ installSignalHandlers: true });
