import type { Failure } from '../defer/failure';

/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'critical';

/** One log event: a plain object. */
export interface LogEvent {
  /** How severe. */
  level: LogLevel;
  /** Who logged it: the Logger's namespace (default 'torsion'). */
  namespace: string;
  /** What happened, in words. */
  message: string;
  /** Seconds since the epoch. */
  time: number;
  /** The failure being reported, for `logger.failure(...)` events. */
  failure?: Failure;
  /** Any other fields the caller passed. */
  [key: string]: unknown;
}

/** Receives log events. */
export type ILogObserver = (event: LogEvent) => void;
