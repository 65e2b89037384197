/**
 * Rebuilding, on the calling thread, the torsion error a worker reported as
 * an {@link ErrorRecord}: same class, message and Node `cause`, so that a
 * blocking client raises exactly what the async clients raise.
 * @internal
 * @module
 */
import * as errors from '../../errors';
import type { ErrorRecord } from './shared';

/** Classes whose constructor is `(message, options)`, by name. */
const BY_NAME: Record<string, new (message?: string, options?: errors.TorsionErrorOptions) => Error> = {
  ConnectError: errors.ConnectError,
  ConnectBindError: errors.ConnectBindError,
  UnknownHostError: errors.UnknownHostError,
  NoRouteError: errors.NoRouteError,
  ConnectionRefusedError: errors.ConnectionRefusedError,
  TCPTimedOutError: errors.TCPTimedOutError,
  ServiceNameUnknownError: errors.ServiceNameUnknownError,
  UserError: errors.UserError,
  TimeoutError: errors.TimeoutError,
  DNSLookupError: errors.DNSLookupError,
  ConnectionError: errors.ConnectionError,
  ConnectionClosed: errors.ConnectionClosed,
  ConnectionDone: errors.ConnectionDone,
  ConnectionLost: errors.ConnectionLost,
  ConnectionAborted: errors.ConnectionAborted,
  RuntimeError: errors.RuntimeError,
  CertificateError: errors.CertificateError,
  TorsionError: errors.TorsionError,
};

/** The Node system error under a record, as an Error with its `code`/`errno`/`syscall`. */
function causeOf(rec: ErrorRecord): Error | undefined {
  const c = rec.cause;
  if (c === null || c === undefined) return undefined;
  const e = new Error(c.message) as Error & { code?: string; errno?: number; syscall?: string };
  e.name = c.name;
  if (c.code !== undefined) e.code = c.code;
  if (c.errno !== undefined) e.errno = c.errno;
  if (c.syscall !== undefined) e.syscall = c.syscall;
  return e;
}

/** Rebuild the error a record describes; `fallback` for a class this side cannot rebuild. */
export function fromRecord(
  rec: ErrorRecord,
  fallback: new (message?: string, options?: errors.TorsionErrorOptions) => Error,
): Error {
  const cause = causeOf(rec);
  if (rec.name === 'SSLError') {
    return new errors.SSLError((rec.reason ?? 'handshake') as errors.SSLErrorReason, {
      message: rec.message,
      cause,
      verifyError: rec.verifyError ?? null,
    });
  }
  const cls = BY_NAME[rec.name] ?? fallback;
  const err = new cls(rec.message, cause === undefined ? undefined : { cause });
  if (!(rec.name in BY_NAME) && err.name !== rec.name && cls === Error) err.name = rec.name;
  return err;
}
