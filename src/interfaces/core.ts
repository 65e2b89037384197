import type { Deferred } from '../defer/deferred';

/** The three phases of a system event. */
export type EventPhase = 'before' | 'during' | 'after';

/** Opaque handle returned by addSystemEventTrigger. */
export interface TriggerId {
  /** The event the trigger was added for ('startup', 'shutdown', or any name). */
  readonly eventType: string;
  /** The phase it runs in. */
  readonly phase: EventPhase;
}

/** Options of {@link IReactorCore.run}. */
export interface RunOptions {
  /** Turn SIGINT/SIGTERM into a clean stop(). Default: true for the global reactor, false for `new Reactor()`. */
  installSignalHandlers?: boolean;
}

/**
 * The reactor's life: startup, running, shutdown.
 *
 * Grammar: `run() -> [startup: before, during (running=true), after] ->
 * ... -> stop() -> [shutdown: before, during (running=false), after] -> run() resolves`.
 */
export interface IReactorCore {
  /** True from *during startup* until *during shutdown*. */
  readonly running: boolean;
  /**
   * Start the loop and resolve once shutdown has fully run.
   * @throws ReactorAlreadyRunning if running; ReactorNotRestartable if it ran and stopped.
   */
  run(opts?: RunOptions): Promise<void>;
  /** Begin a clean shutdown. @throws ReactorNotRunning when not running. */
  stop(): void;
  /** Stop at once, without shutdown triggers. */
  crash(): void;
  /** Call now if running, otherwise once startup has run. */
  callWhenRunning<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): TriggerId | undefined;
  /**
   * Register `fn` for a phase of an event. A trigger returning a Deferred or
   * Promise delays the next phase until it settles. Each trigger runs once.
   * @throws TypeError for an unknown phase or a non-function.
   */
  addSystemEventTrigger<A extends unknown[]>(
    phase: EventPhase,
    eventType: string,
    fn: (...args: A) => unknown,
    ...args: A
  ): TriggerId;
  /** @throws TypeError for a malformed id, RangeError if it was already removed. */
  removeSystemEventTrigger(id: TriggerId): void;
  /** Run the three phases of `eventType` now. */
  fireSystemEvent(eventType: string): void;
  /** Resolve a host name to one address; IP literals pass through; failure: DNSLookupError. */
  resolve(name: string, timeouts?: number[]): Deferred<string>;
}
