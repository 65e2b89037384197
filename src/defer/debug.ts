/**
 * Debugging support for Deferreds and the "Unhandled error in Deferred"
 * report.
 *
 * Twisted logs a Deferred whose chain ends in a Failure when the Deferred is
 * garbage-collected (`DebugInfo.__del__`). Here a `FinalizationRegistry`
 * watches such Deferreds; what it holds is a small {@link DebugInfo} token,
 * never the Deferred, so the Deferred itself stays collectable.
 * @module
 */
import { Logger } from '../logger/index';
import type { Failure } from './failure';

let debugging = false;

/**
 * Turn Deferred debugging on or off. While on, every new Deferred records
 * the stack where it was created and where it was first fired; the stacks
 * appear in `AlreadyCalledError` messages and in the "Unhandled error in
 * Deferred" log event.
 */
export function setDebugging(on: boolean): void {
  debugging = Boolean(on);
}

/** Whether Deferred debugging is on (see {@link setDebugging}). */
export function getDebugging(): boolean {
  return debugging;
}

/**
 * What the unhandled-error report needs to know about one Deferred.
 * @internal
 */
export class DebugInfo {
  /** The Failure the chain currently ends in, or null. */
  failResult: Failure | null = null;
  /** Creation stack (debugging only). */
  creator: string | null = null;
  /** First-firing stack (debugging only). */
  invoker: string | null = null;
  /** True once registered with the finalization registry. */
  registered = false;

  /** Twisted's " C: ..." / " I: ..." debug lines, or '' without debugging. */
  debugText(): string {
    let info = '';
    if (this.creator) info += ' C: Deferred was created:\n C:' + this.creator.replace(/\n/g, '\n C:') + '\n';
    if (this.invoker) info += ' I: First Invoker was:\n I:' + this.invoker.replace(/\n/g, '\n I:') + '\n';
    return info;
  }
}

/**
 * The stack above the frame of `above` as text (frames only); without
 * `above`, the stack of the caller.
 * @internal
 */
export function captureStack(above: Function = captureStack): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, above);
  const stack = holder.stack ?? '';
  const nl = stack.indexOf('\n');
  return nl < 0 ? '' : stack.slice(nl + 1);
}

// Failures that something observed (then()/asPromise()) and so took
// responsibility for: they are not reported as unhandled.
const handledFailures = new WeakSet<Failure>();

/** Mark `f` as handled by someone outside the chain. @internal */
export function markHandled(f: Failure): void {
  handledFailures.add(f);
}

const log = new Logger('torsion.defer');

/** Log an unhandled failure described by `info` (the finalizer's work). @internal */
export function reportUnhandled(info: DebugInfo): void {
  pendingAtExit.delete(info);
  const f = info.failResult;
  if (f === null || handledFailures.has(f)) return;
  info.failResult = null;
  const debug = info.debugText();
  const message = debug ? `Unhandled error in Deferred:\n(debug: ${debug})` : 'Unhandled error in Deferred:';
  log.failure(message, f, debug ? { creator: info.creator, invoker: info.invoker } : undefined);
}

const registry = new FinalizationRegistry<DebugInfo>(reportUnhandled);

/**
 * Watch `owner` (a Deferred): when it is collected while `info.failResult`
 * is set, the failure is logged. Registering once is enough.
 * @internal
 */
export function watchForUnhandled(owner: object, info: DebugInfo): void {
  if (info.registered) return;
  info.registered = true;
  registry.register(owner, info);
  pendingAtExit.add(info);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', reportAtExit);
  }
}

// A short program exits before the garbage collector ever runs: the
// Deferreds still failing then are reported at exit (as Python's final
// collection does for Twisted). The set holds the small DebugInfo tokens,
// never the Deferreds.
const pendingAtExit = new Set<DebugInfo>();
let exitHookInstalled = false;

/** Report every watched Deferred whose chain still ends in a Failure. @internal */
export function reportAtExit(): void {
  for (const info of [...pendingAtExit]) reportUnhandled(info);
}
