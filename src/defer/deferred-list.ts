/**
 * Waiting on several Deferreds: `DeferredList`, `gatherResults`, `race`.
 * @module
 */
import { Logger } from '../logger/index';
import { describe, ArgTypeError } from '../validate';
import { Deferred, isThenable } from './deferred';
import { FailureGroup, FirstError } from './errors';
import { Failure } from './failure';

/** One entry of a DeferredList's result: `[true, value]` or `[false, failure]`. */
export type DeferredListEntry<T> = [true, T] | [false, Failure];

/** Options of {@link DeferredList}, with Twisted's keyword names. */
export interface DeferredListOptions {
  /** Fire with `[value, index]` as soon as one member succeeds. */
  fireOnOneCallback?: boolean;
  /** Fail with {@link FirstError} as soon as one member fails. */
  fireOnOneErrback?: boolean;
  /** Stop failures in the members from propagating further down their chains (their result becomes `undefined`). */
  consumeErrors?: boolean;
}

/** What DeferredList, gatherResults and race accept as members (Promises are wrapped). */
export type DeferredLike<T> = Deferred<T> | PromiseLike<T>;

const log = new Logger('torsion.defer');

function toDeferreds<T>(list: Iterable<DeferredLike<T>>, name: string): Deferred<T>[] {
  if (list == null || typeof (list as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new ArgTypeError(`${name} must be an iterable of Deferreds, got ${describe(list)}`);
  }
  const out: Deferred<T>[] = [];
  for (const d of list) {
    if (d instanceof Deferred) out.push(d);
    else if (isThenable(d)) out.push(Deferred.fromPromise(d));
    else throw new ArgTypeError(`${name}[${out.length}] must be a Deferred or a Promise, got ${describe(d)}`);
  }
  return out;
}

/**
 * A Deferred of several Deferreds' results (Twisted's `DeferredList`).
 *
 * By default it fires, once every member has fired, with one
 * `[success, valueOrFailure]` entry per member in input order; an empty list
 * fires with `[]` at once (unless `fireOnOneCallback`, which then never
 * fires, as in Twisted). With `fireOnOneCallback` it fires with
 * `[value, index]` of the first success; with `fireOnOneErrback` it fails
 * with `FirstError(failure, index)` on the first failure. Cancelling it
 * before it fires cancels every member.
 *
 * The result type parameter `R` defaults to the entry list; with
 * `fireOnOneCallback` pass `[T, number]`.
 * @example
 * ```ts
 * new DeferredList([succeed(1), fail(new Error('x'))], { consumeErrors: true })
 *   .addCallback((entries) => entries.map(([ok]) => ok)); // [true, false]
 * ```
 */
export class DeferredList<T = unknown, R = DeferredListEntry<T>[]> extends Deferred<R> {
  /** The results collected so far, in input order (unfilled slots are `undefined`). */
  readonly resultList: (DeferredListEntry<T> | undefined)[];
  /** How many members have fired. */
  finishedCount = 0;
  /** See {@link DeferredListOptions.fireOnOneCallback}. */
  readonly fireOnOneCallback: boolean;
  /** See {@link DeferredListOptions.fireOnOneErrback}. */
  readonly fireOnOneErrback: boolean;
  /** See {@link DeferredListOptions.consumeErrors}. */
  readonly consumeErrors: boolean;
  #members: Deferred<T>[];

  /**
   * @param deferredList - the members (Promises are wrapped with `Deferred.fromPromise`).
   * @throws TypeError when it is not an iterable of Deferreds or Promises.
   */
  constructor(deferredList: Iterable<DeferredLike<T>>, options: DeferredListOptions = {}) {
    super();
    const members = toDeferreds(deferredList, 'deferredList');
    this.#members = members;
    this.resultList = new Array<DeferredListEntry<T> | undefined>(members.length).fill(undefined);
    this.fireOnOneCallback = Boolean(options.fireOnOneCallback);
    this.fireOnOneErrback = Boolean(options.fireOnOneErrback);
    this.consumeErrors = Boolean(options.consumeErrors);
    if (members.length === 0 && !this.fireOnOneCallback) this.callback(this.resultList as R);
    // One closure for every member; the index travels as a callback argument.
    const onResult = (result: unknown, index: number, ok: boolean): unknown => this.#member(result, index, ok);
    for (let i = 0; i < members.length; i++) {
      members[i].addCallbacks(onResult, onResult, { callbackArgs: [i, true], errbackArgs: [i, false] });
    }
  }

  #member(result: unknown, index: number, ok: boolean): unknown {
    this.resultList[index] = ok ? [true, result as T] : [false, result as Failure];
    this.finishedCount++;
    if (!this.called) {
      if (ok && this.fireOnOneCallback) this.callback([result, index] as R);
      else if (!ok && this.fireOnOneErrback) this.errback(new Failure(new FirstError(result as Failure, index)));
      else if (this.finishedCount === this.resultList.length) this.callback(this.resultList as R);
    }
    return !ok && this.consumeErrors ? undefined : result;
  }

  /** Cancel every member, if the list has not fired yet. A member's canceller that throws is logged. */
  override cancel(): void {
    if (this.called) return;
    for (const d of this.#members) {
      try {
        d.cancel();
      } catch (e) {
        log.failure('Exception raised from user supplied canceller', Failure.from(e));
      }
    }
  }
}

/**
 * The values of several Deferreds, in input order, once all succeeded; the
 * first failure fails it with {@link FirstError}. With `consumeErrors` the
 * members' failures stop there (no "Unhandled error" for them).
 */
export function gatherResults<T>(deferredList: Iterable<DeferredLike<T>>, consumeErrors = false): Deferred<T[]> {
  const list = new DeferredList<T>(deferredList, { fireOnOneErrback: true, consumeErrors });
  return list.addCallback(parseResults);
}

function parseResults<T>(entries: DeferredListEntry<T>[]): T[] {
  const values = new Array<T>(entries.length);
  for (let i = 0; i < entries.length; i++) values[i] = entries[i][1] as T;
  return values;
}

/**
 * The first of several Deferreds to succeed: fires with `[index, value]`
 * and cancels all the others. If every one fails, fails with
 * {@link FailureGroup} holding all the failures in input order. Cancelling
 * the result cancels every member. The members' failures are consumed. An
 * empty list never fires (as in Twisted).
 */
export function race<T>(deferredList: Iterable<DeferredLike<T>>): Deferred<[number, T]> {
  const members = toDeferreds(deferredList, 'deferredList');
  let winner: Deferred<T> | null = null;
  const failures: (Failure | undefined)[] = new Array<Failure | undefined>(members.length).fill(undefined);
  let failed = 0;
  const final = new Deferred<[number, T]>(() => {
    for (const d of members) d.cancel();
  });
  const succeeded = (value: T, index: number): void => {
    // A second success happens only when a member's canceller fires it
    // with a value: ignore it, the race is decided.
    if (winner !== null) return;
    winner = members[index];
    for (const d of members) if (d !== winner) d.cancel();
    final.callback([index, value]);
  };
  const lost = (f: Failure, index: number): void => {
    failures[index] = f;
    if (++failed === members.length) final.errback(new FailureGroup(failures as Failure[]));
  };
  for (let i = 0; i < members.length; i++) members[i].addCallbacks(succeeded, lost, { callbackArgs: [i], errbackArgs: [i] });
  return final;
}
