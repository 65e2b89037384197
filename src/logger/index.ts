/**
 * Structured logging: `Logger` emits plain-object events to
 * `globalLogPublisher`, whose observers decide where they go. The default
 * observer writes one line per event to stderr; tests replace it to capture
 * events.
 * @module torsion/logger
 */
import { ArgTypeError } from '../validate';
import type { Failure } from '../defer/failure';
import type { ILogObserver, LogEvent, LogLevel } from '../interfaces/logger';

export type { ILogObserver, LogEvent, LogLevel } from '../interfaces/logger';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, critical: 50 };

/** Formats an event as one line (the default observer's format). */
export function formatEvent(event: LogEvent): string {
  const when = new Date(event.time * 1000).toISOString();
  let line = `${when} [${event.namespace}#${event.level}] ${event.message}`;
  if (event.failure) line += `\n${event.failure.getTraceback()}`;
  return line;
}

/** The default observer: one line per event on stderr. */
export const stderrObserver: ILogObserver = (event) => {
  process.stderr.write(formatEvent(event) + '\n');
};

/** Fans events out to observers. An observer that throws is removed and reported. */
export class LogPublisher {
  #observers: ILogObserver[] = [];
  #defaultObserver: ILogObserver | null;
  /** Events below this level are dropped before reaching observers. */
  minLevel: LogLevel = 'info';

  constructor(defaultObserver: ILogObserver | null = stderrObserver) {
    this.#defaultObserver = defaultObserver;
  }

  /** Add an observer. While any observer is added, the default stderr one is silent. */
  addObserver(observer: ILogObserver): void {
    if (typeof observer !== 'function') throw new ArgTypeError('observer must be a function');
    this.#observers.push(observer);
  }

  /** Remove an observer added with addObserver (no-op if absent). */
  removeObserver(observer: ILogObserver): void {
    const i = this.#observers.indexOf(observer);
    if (i >= 0) this.#observers.splice(i, 1);
  }

  /** Replace (or with null, silence) the observer used when no other is added. */
  setDefaultObserver(observer: ILogObserver | null): void {
    this.#defaultObserver = observer;
  }

  /** Deliver an event. */
  publish(event: LogEvent): void {
    if (LEVELS[event.level] < LEVELS[this.minLevel]) return;
    const targets = this.#observers.length > 0 ? this.#observers.slice() : this.#defaultObserver ? [this.#defaultObserver] : [];
    for (const observer of targets) {
      try {
        observer(event);
      } catch (err) {
        this.removeObserver(observer);
        process.stderr.write(
          `Temporarily disabled observer ${observer.name || '<anonymous>'} due to exception: ${String(err)}\n`,
        );
      }
    }
  }
}

/** The process-wide publisher every Logger emits to. */
export const globalLogPublisher = new LogPublisher();

/** Emits events under a namespace. */
export class Logger {
  constructor(
    readonly namespace: string = 'torsion',
    readonly publisher: LogPublisher = globalLogPublisher,
  ) {}

  /** Emit an event at `level` with extra fields. */
  emit(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.publisher.publish({ ...fields, level, namespace: this.namespace, message, time: Date.now() / 1000 });
  }
  debug(message: string, fields?: Record<string, unknown>): void {
    this.emit('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.emit('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.emit('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.emit('error', message, fields);
  }
  /** Log a failure at level `critical` (as Twisted's log.failure). */
  failure(message: string, failure: Failure, fields?: Record<string, unknown>): void {
    this.emit('critical', message, { ...fields, failure });
  }
}

/**
 * Collect events for a test: returns the list and a function that stops collecting.
 * @example
 * const [events, stop] = captureLogEvents();
 * // ... exercise code ...
 * stop();
 * expect(events.some((e) => e.failure)).toBe(true);
 */
export function captureLogEvents(publisher: LogPublisher = globalLogPublisher): [LogEvent[], () => void] {
  const events: LogEvent[] = [];
  const observer: ILogObserver = (e) => {
    events.push(e);
  };
  publisher.addObserver(observer);
  return [events, () => publisher.removeObserver(observer)];
}
