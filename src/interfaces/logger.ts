import type { Failure } from '../defer/failure';

/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'critical';

/** One log event: a plain object. */
export interface LogEvent {
  level: LogLevel;
  namespace: string;
  message: string;
  /** Seconds since the epoch. */
  time: number;
  failure?: Failure;
  [key: string]: unknown;
}

/** Receives log events. */
export type ILogObserver = (event: LogEvent) => void;
