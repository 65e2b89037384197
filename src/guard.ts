/**
 * The one guard every user callback goes through: protocol, factory,
 * producer, timer and trigger callbacks alike. A synchronous throw and a
 * returned thenable that rejects are handled the same way: handed to the
 * callback's owner, which logs it and (for protocol callbacks) ends the
 * connection. Nothing escapes as an exception out of the reactor, and
 * nothing becomes an unhandled rejection.
 *
 * Hot paths (dataReceived) keep their own `try`/`catch` and call
 * {@link guardResult} on a non-undefined result, so a plain synchronous
 * callback costs one comparison more than it did.
 * @module
 */
import { ArgTypeError } from './validate';
import { isThenable } from './defer/deferred';
import { Failure } from './defer/failure';
import { Logger } from './logger';

const log = new Logger('torsion.guard');

/** Who is told when a guarded callback fails. @internal */
export interface GuardOwner {
  /**
   * A callback failed (threw, or its thenable rejected): log it and do what
   * a failure of `where` means for the owner (a connection ends).
   */
  _callbackFailed(err: unknown, where: string): void;
}

export { isThenable };

/** What {@link guardCall} returns when the callback threw synchronously. @internal */
export const FAILED: unique symbol = Symbol('torsion.guard.failed');

/** Tell `owner` about `err`; an owner that throws itself is only logged. */
function report(owner: GuardOwner, err: unknown, where: string): void {
  try {
    owner._callbackFailed(err, where);
  } catch (err2) {
    log.failure(`Error while handling an error in ${where}`, Failure.from(err2));
    log.failure(`Unhandled error in ${where}`, Failure.from(err));
  }
}

/**
 * A callback returned `result`: if it is a thenable, its rejection goes to
 * `owner` (as the synchronous throw would have). Anything else is ignored.
 * Returns `result` unchanged.
 */
export function guardResult<R>(owner: GuardOwner, where: string, result: R): R {
  if (isThenable(result)) {
    try {
      result.then(undefined, (err: unknown) => report(owner, err, where));
    } catch (err) {
      report(owner, err, where);
    }
  }
  return result;
}

/**
 * Call `fn` on `thisArg` with up to two arguments, guarded: a throw or a
 * rejected thenable goes to `owner`. Returns what `fn` returned, or
 * {@link FAILED} when it threw.
 */
export function guardCall<R>(
  owner: GuardOwner,
  where: string,
  fn: (...args: never[]) => R,
  thisArg: unknown,
  a?: unknown,
  b?: unknown,
): R | typeof FAILED {
  let result: R;
  try {
    result = (fn as (this: unknown, a?: unknown, b?: unknown) => R).call(thisArg, a, b);
  } catch (err) {
    report(owner, err, where);
    return FAILED;
  }
  if (result !== undefined) guardResult(owner, where, result);
  return result;
}

/**
 * Call `fn` with an argument list, guarded (timers and triggers, whose
 * arguments are the user's).
 */
export function guardApply<R>(
  owner: GuardOwner,
  where: string,
  fn: (...args: never[]) => R,
  args: readonly unknown[] | null,
): R | typeof FAILED {
  let result: R;
  try {
    const f = fn as (...a: unknown[]) => R;
    result = args === null ? f() : f(...args);
  } catch (err) {
    report(owner, err, where);
    return FAILED;
  }
  if (result !== undefined) guardResult(owner, where, result);
  return result;
}

/**
 * An owner that only logs, through `logger`, as "Unhandled error in
 * <where>" (with `suffix` appended, e.g. " of <Port 80>").
 */
export function loggingOwner(logger: Logger, suffix: () => string = () => ''): GuardOwner {
  return {
    _callbackFailed(err: unknown, where: string): void {
      logger.failure(`Unhandled error in ${where}${suffix()}`, Failure.from(err));
    },
  };
}

/** The owner of callbacks that have nothing to end: log under torsion.guard. */
export const LOG_ONLY: GuardOwner = loggingOwner(log);

/**
 * A protocol callback invoked by a protocol on its own transport's behalf
 * (a framing receiver's lineReceived) failed: hand it to the transport as a
 * failure of its own protocol callbacks, so the connection ends exactly as
 * when dataReceived throws. A transport without `_callbackFailed` (a test
 * double) gets the failure logged and an abortConnection (or loseConnection).
 */
export function transportOwner(protocol: { transport: unknown }): GuardOwner {
  return {
    _callbackFailed(err: unknown, where: string): void {
      const t = protocol.transport as
        | (Partial<GuardOwner> & { abortConnection?: () => void; loseConnection?: () => void })
        | null
        | undefined;
      if (t !== null && t !== undefined && typeof t._callbackFailed === 'function') {
        t._callbackFailed(err, where);
        return;
      }
      log.failure(`Unhandled error in ${where}`, Failure.from(err));
      if (t === null || t === undefined) return;
      if (typeof t.abortConnection === 'function') t.abortConnection();
      else if (typeof t.loseConnection === 'function') t.loseConnection();
    },
  };
}

// ---- makeConnection -> connectionMade ------------------------------------------------

let lastThrown: { err: unknown; where: string } | null = null;

/**
 * `err` is being thrown out of the callback `where` by a wrapper method
 * (Protocol.makeConnection rethrowing what connectionMade threw), so the
 * guard can name the callback that really failed.
 */
export function thrownIn(err: unknown, where: string): void {
  lastThrown = { err, where };
}

/** The callback `err` was thrown in (see {@link thrownIn}), else `fallback`. */
export function whereOf(err: unknown, fallback: string): string {
  const last = lastThrown;
  lastThrown = null;
  return last !== null && last.err === err ? last.where : fallback;
}

/**
 * Connect `protocol` to `transport` (`makeConnection`), guarded: a throw is
 * reported as a failure of connectionMade when that is where it came from,
 * and a thenable returned by an async connectionMade is watched.
 * @returns false when makeConnection threw.
 */
export function guardMakeConnection(
  owner: GuardOwner,
  protocol: { makeConnection(transport: never): unknown },
  transport: unknown,
): boolean {
  let r: unknown;
  try {
    r = (protocol.makeConnection as (t: unknown) => unknown).call(protocol, transport);
  } catch (err) {
    report(owner, err, whereOf(err, 'makeConnection'));
    return false;
  }
  if (r !== undefined) guardResult(owner, 'connectionMade', r);
  return true;
}

/**
 * What a factory's buildProtocol returned, checked: a thenable (an `async
 * buildProtocol`) cannot be a protocol, since the connection needs one now.
 * It is reported to `owner` as an error saying so (its own rejection is
 * watched too), and the result counts as no protocol (null).
 */
export function checkBuilt<P>(built: P, owner: GuardOwner): P | null {
  if (built === undefined || built === null) return null;
  if (!isThenable(built)) return built;
  guardResult(owner, 'buildProtocol', built);
  report(
    owner,
    new ArgTypeError('buildProtocol returned a Promise: it must return the protocol (or null) synchronously'),
    'buildProtocol',
  );
  return null;
}

/**
 * A protocol called one of its own callbacks (a framing receiver calling
 * lineReceived) and got `result`: when it is a thenable, its rejection
 * fails the protocol's connection as a throw from dataReceived would.
 * @returns whether `result` was a thenable (now watched).
 */
export function watchProtocolCallback(protocol: { transport: unknown }, where: string, result: unknown): boolean {
  if (result === undefined || !isThenable(result)) return false;
  guardResult(transportOwner(protocol), where, result);
  return true;
}

/**
 * Call a protocol's own callback `fn` (a framing receiver calling
 * lineReceived): a throw propagates (out of dataReceived, as in Twisted)
 * but is named after `where` in the log; a returned thenable is watched
 * (see {@link watchProtocolCallback}) and returned as undefined.
 */
export function callProtocolCallback<A>(protocol: { transport: unknown }, where: string, fn: (a: A) => unknown, a: A): unknown {
  let r: unknown;
  try {
    r = fn.call(protocol, a);
  } catch (err) {
    thrownIn(err, where);
    throw err;
  }
  return r !== undefined && watchProtocolCallback(protocol, where, r) ? undefined : r;
}
