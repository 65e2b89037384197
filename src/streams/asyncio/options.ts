/**
 * What the asyncio-style streams share: the read options, the byte type,
 * argument checks and the one helper that marks a Promise handled.
 * @module
 */
import type { IReactorTime } from '../../interfaces/time';
import { getGlobalReactor } from '../../task/default-reactor';
import { ArgTypeError, checkDelay, describe } from '../../validate';

/**
 * Options of every awaitable read: `timeout` in seconds on the reader's
 * clock (rejects with `torsion/defer`'s `TimeoutError`; `null` or absent =
 * no timeout), `signal` an `AbortSignal` (rejects with `signal.reason`). A
 * read that times out or is aborted consumes nothing.
 */
export interface ReadOptions {
  /** Seconds to wait for the data, on the reader's clock; null = forever. */
  timeout?: number | null;
  /** Abort the wait (rejects with `signal.reason`). */
  signal?: AbortSignal;
}

/** Bytes as the streams accept them. */
export type Bytes = Buffer | Uint8Array;

const noop = (): void => {};

/** Mark `p` handled (a rejection nobody awaits is not an unhandledRejection) and return it. @internal */
export function handled<T>(p: Promise<T>): Promise<T> {
  p.then(undefined, noop);
  return p;
}

/** Check a `{ timeout, signal }` options object. @internal */
export function checkReadOptions(opts: ReadOptions | undefined): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object') {
    throw new ArgTypeError(`opts must be an object { timeout?, signal? }, got ${describe(opts)}`);
  }
  if (opts.timeout !== undefined && opts.timeout !== null) checkDelay('opts.timeout', opts.timeout);
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) {
    throw new ArgTypeError(`opts.signal must be an AbortSignal, got ${describe(opts.signal)}`);
  }
}

/** The clock given, or the global reactor (looked up only when needed). @internal */
export function clockOf(reactor: IReactorTime | null | undefined): IReactorTime {
  return reactor ?? getGlobalReactor();
}

/** `data` as a Buffer, without copying. @internal */
export function asBuffer(data: Bytes): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Whether `t` is a TLS transport (a TLS layer, or a connection after startTLS). @internal */
export function isTLSTransport(t: unknown): boolean {
  if (t === null || typeof t !== 'object') return false;
  if ('TLS' in t) return (t as { TLS: unknown }).TLS === true;
  return typeof (t as { getPeerCertificate?: unknown }).getPeerCertificate === 'function';
}
