/**
 * What the calling thread and the worker of a blocking packet client share:
 * the layout of the `SharedArrayBuffer` control words, the messages on the
 * `MessagePort`, and how an error crosses the thread boundary (structured
 * clone keeps neither an error's class nor its fields, so errors travel as
 * plain records and are rebuilt from torsion's error classes).
 *
 * This module is loaded by the worker too: it imports nothing but
 * `torsion/error`'s classes on the calling side, so it stays cheap.
 * @internal
 * @module
 */

/** Word: bumped (and notified) by the worker after every message it posts; the calling thread waits on it. */
export const W_SEQ = 0;
/** Word: the worker's state, one of the `STATE_*` values. */
export const W_STATE = 1;
/** Word: bumped by the worker every {@link HEARTBEAT_MS}; a word that stops moving means the thread is gone. */
export const W_HEARTBEAT = 2;
/** Word: bytes posted by the calling thread that the worker has not handed to its transport yet. */
export const W_PENDING_WRITE = 3;
/** Word: 1 while the worker's transport is over its high-water mark (its producer is paused). */
export const W_WRITE_PAUSED = 4;
/** Word: bytes posted by the worker that the calling thread has not drained yet. */
export const W_UNREAD = 5;
/** Word: 1 while the worker has stopped reading because {@link W_UNREAD} went over {@link READ_HIGH_WATER}. */
export const W_READ_PAUSED = 6;
/** Number of control words. */
export const WORDS = 8;

/** The worker is loading. */
export const STATE_STARTING = 0;
/** The worker runs its reactor. */
export const STATE_RUNNING = 1;
/** The worker met an error it could not report otherwise, or is exiting. */
export const STATE_DEAD = 2;

/** How often the worker bumps its heartbeat word. */
export const HEARTBEAT_MS = 100;
/** A heartbeat that has not moved for this long (after the worker started) means the worker is gone. */
export const DEAD_AFTER_MS = 2500;
/** How long a worker may take to start running before it is declared dead. */
export const START_TIMEOUT_MS = 30_000;
/** The worker stops reading once this many bytes wait, undrained, for the calling thread. */
export const READ_HIGH_WATER = 1 << 20;
/** ... and reads again below this. */
export const READ_LOW_WATER = 1 << 18;
/** The calling thread blocks a send while this many bytes are posted but not yet written. */
export const WRITE_HIGH_WATER = 1 << 20;

/** An error as a plain, cloneable record. */
export interface ErrorRecord {
  /** The torsion class name (`ConnectionRefusedError`, `SSLError` ...) or a plain `Error`'s name. */
  name: string;
  message: string;
  /** Fields some classes carry (`SSLError.reason`, `verifyError`). */
  reason?: string;
  verifyError?: string | null;
  /** The Node system error underneath, if any. */
  cause?: { name: string; message: string; code?: string; errno?: number; syscall?: string } | null;
}

/** A socket address as a record. */
export interface AddressRecord {
  type: 'TCP' | 'UDP';
  host: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/** What the worker is told to do when it starts (its `workerData`). */
export interface WorkerInit {
  kind: 'tcp' | 'udp';
  sab: SharedArrayBuffer;
  port: import('node:worker_threads').MessagePort;
  host: string;
  portNumber: number;
  localAddress: readonly [string, number] | null;
  connectTimeout: number | null;
  maxRecvSize: number;
  ssl: null | { serverHostname: string; handshakeTimeout: number | null; caCertificates: readonly string[] | null };
  sslShutdownTimeout: number | null;
  sslStandardCompatible: boolean;
  family: 'IPv4' | 'IPv6' | null;
}

/** Messages from the calling thread to the worker. */
export type ToWorker =
  | { t: 'write'; d: Uint8Array; addr?: undefined }
  | { t: 'eof' }
  | { t: 'close' }
  | { t: 'abort' }
  | { t: 'resume' }
  | { t: 'crash' };

/** Messages from the worker to the calling thread. */
export type FromWorker =
  | { t: 'connected'; local: AddressRecord; remote: AddressRecord; fd: number }
  | { t: 'connectFailed'; err: ErrorRecord }
  | { t: 'data'; d: Uint8Array }
  | { t: 'datagram'; d: Uint8Array; from: AddressRecord }
  | { t: 'refused' }
  | { t: 'lost'; clean: boolean; err: ErrorRecord }
  | { t: 'closed' }
  | { t: 'fatal'; err: ErrorRecord };

/** Turn any thrown value into a cloneable record (worker side). */
export function toRecord(err: unknown): ErrorRecord {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & { reason?: unknown; verifyError?: unknown; cause?: unknown };
  const rec: ErrorRecord = { name: e.name, message: e.message };
  if (typeof e.reason === 'string') rec.reason = e.reason;
  if (typeof e.verifyError === 'string' || e.verifyError === null) rec.verifyError = e.verifyError as string | null;
  const c = e.cause as (Error & { code?: unknown; errno?: unknown; syscall?: unknown }) | undefined;
  if (c instanceof Error) {
    rec.cause = { name: c.name, message: c.message };
    if (typeof c.code === 'string') rec.cause.code = c.code;
    if (typeof c.errno === 'number') rec.cause.errno = c.errno;
    if (typeof c.syscall === 'string') rec.cause.syscall = c.syscall;
  }
  return rec;
}
