/**
 * Lazy access to the global reactor.
 *
 * Helpers that default to "the reactor" (LoopingCall, react, the global
 * Cooperator, ReconnectingClientFactory) look it up only when they first
 * need it, as Twisted does with its function-level `from twisted.internet
 * import reactor`: importing `torsion/task` for a `Clock` must not create the
 * global reactor, and the reactor's own modules may import task helpers
 * without an import cycle.
 * @module
 */
import type { Reactor } from '../reactor';

/** The type of the global reactor. @internal */
export type DefaultReactor = Reactor;

let cached: DefaultReactor | null = null;

/** The process-wide `reactor` from src/reactor, loaded on first use. @internal */
export function getGlobalReactor(): DefaultReactor {
  if (cached === null) {
    // A synchronous require keeps the call sites synchronous (as in Twisted);
    // it runs once and only when a default is actually needed.
    const mod = require('../reactor') as { reactor: DefaultReactor };
    cached = mod.reactor;
  }
  return cached;
}
