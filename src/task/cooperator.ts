/**
 * Cooperative multitasking over iterators, as Twisted's `task.Cooperator`,
 * `cooperate` and `coiterate`.
 * @module
 */
import { ArgTypeError } from '../validate';
import { isThenable } from '../guard';
import { performance } from 'node:perf_hooks';
import { Deferred } from '../defer';
import { Failure } from '../defer/failure';
import type { IReactorTime } from '../interfaces/time';
import { getGlobalReactor } from './default-reactor';
import { NotPaused, SchedulerStopped, TaskDone, TaskFailed, TaskStopped, type TaskFinished } from './errors';

/** Something a {@link Cooperator} can run: an iterator, or an iterable (its iterator is used). */
export type CooperativeIterable<T = unknown> = Iterator<T> | Iterable<T>;

/** What a scheduler returns: something that can be cancelled (an IDelayedCall fits). */
export interface ScheduledTick {
  cancel(): void;
}

/** Options of {@link Cooperator}. */
export interface CooperatorOptions {
  /**
   * Called at the start of each tick; the predicate it returns is asked
   * after every unit of work and ends the tick when it returns true.
   * Default: a wall-clock slice of about 10 ms.
   */
  terminationPredicateFactory?: () => () => boolean;
  /** Schedules the next tick. Default: `clock.callLater(1e-8, tick)`. */
  scheduler?: (tick: () => void) => ScheduledTick;
  /** The clock the default scheduler uses. Default: the global reactor (looked up on first use). */
  clock?: IReactorTime;
  /** Run tasks as soon as they are added (true), or only after start() (false). Default true. */
  started?: boolean;
}

// The Cooperator holds tasks over every iterator type; #private fields make
// CooperativeTask<I> invariant in I, so only `any` admits them all.
type AnyTask = CooperativeTask<any>;

/** How long one tick may run by default, in seconds. */
const MAX_SLICE = 0.01;
/** The default scheduler's delay: just after any work already due now (as in Twisted). */
const EPSILON = 1e-8;

function defaultTerminationPredicateFactory(): () => boolean {
  const end = performance.now() + MAX_SLICE * 1000;
  return () => performance.now() >= end;
}

function iteratorOf<T>(it: CooperativeIterable<T>): Iterator<T> {
  if (it !== null && typeof it === 'object' && typeof (it as Iterator<T>).next === 'function') return it as Iterator<T>;
  if (it !== null && it !== undefined && typeof (it as Iterable<T>)[Symbol.iterator] === 'function') {
    return (it as Iterable<T>)[Symbol.iterator]();
  }
  throw new ArgTypeError('cooperate() needs an iterator or an iterable (a generator object, an array, ...)');
}

/**
 * One iterator running inside a {@link Cooperator}: each `next()` is one
 * unit of work. Yielding a Deferred or Promise pauses the task until it
 * settles (a failure ends the task with that failure). Create it with
 * {@link Cooperator.cooperate} or {@link cooperate}.
 */
export class CooperativeTask<I extends CooperativeIterable = CooperativeIterable> {
  readonly #source: I;
  readonly #iterator: Iterator<unknown>;
  readonly #cooperator: Cooperator;
  #deferreds: Deferred<I>[] = [];
  #pauseCount = 0;
  #completionState: TaskFinished | null = null;
  #completionResult: unknown = null;

  /** @internal Use Cooperator.cooperate(). */
  constructor(iterator: I, cooperator: Cooperator) {
    this.#source = iterator;
    this.#iterator = iteratorOf(iterator);
    this.#cooperator = cooperator;
    cooperator._addTask(this);
  }

  /**
   * A new Deferred that fires with the iterator once it is exhausted, or
   * fails with what it threw, with TaskStopped after stop(), or with
   * SchedulerStopped when its Cooperator stops. Each call gives an
   * independent Deferred.
   */
  whenDone(): Deferred<I> {
    const d = new Deferred<I>();
    if (this.#completionState === null) this.#deferreds.push(d);
    else fire(d, this.#completionResult);
    return d;
  }

  /**
   * Stop doing work until {@link resume}; pauses nest (resume as often as paused).
   * @throws TaskFinished (TaskDone/TaskStopped/TaskFailed) if the task has finished.
   */
  pause(): void {
    this.#checkFinish();
    this.#pauseCount += 1;
    if (this.#pauseCount === 1) this.#cooperator._removeTask(this);
  }

  /**
   * Undo one {@link pause}. Resuming a task that finished while paused does nothing.
   * @throws NotPaused if the task is not paused.
   */
  resume(): void {
    if (this.#pauseCount === 0) throw new NotPaused();
    this.#pauseCount -= 1;
    if (this.#pauseCount === 0 && this.#completionState === null) this.#cooperator._addTask(this);
  }

  /**
   * Stop the task for good; whenDone() Deferreds fail with TaskStopped.
   * @throws TaskFinished (TaskDone/TaskStopped/TaskFailed) if it already finished.
   */
  stop(): void {
    this.#checkFinish();
    this.#completeWith(new TaskStopped(), new Failure(new TaskStopped()));
  }

  /** @internal Finish with `state`; fire every whenDone() Deferred with `result`. */
  _completeWith(state: TaskFinished, result: unknown): void {
    this.#completeWith(state, result);
  }

  /** @internal One unit of work: one next() of the iterator. */
  _oneWorkUnit(): void {
    let step: IteratorResult<unknown>;
    try {
      step = this.#iterator.next();
    } catch (err) {
      this.#completeWith(new TaskFailed(), new Failure(err));
      return;
    }
    if (step.done) {
      this.#completeWith(new TaskDone(), this.#source);
      return;
    }
    const value = step.value;
    const waitOn = value instanceof Deferred ? value : isThenable(value) ? Deferred.fromPromise(Promise.resolve(value)) : null;
    if (waitOn === null) return;
    this.pause();
    (waitOn as Deferred<unknown>).addCallbacks(
      () => {
        this.resume();
        return null;
      },
      (failure: Failure) => {
        // A task stopped while it waited has already reported its end.
        if (this.#completionState === null) this.#completeWith(new TaskFailed(), failure);
        return null;
      },
    );
  }

  #completeWith(state: TaskFinished, result: unknown): void {
    this.#completionState = state;
    this.#completionResult = result;
    if (this.#pauseCount === 0) this.#cooperator._removeTask(this);
    // Fire only after leaving the cooperator, so a callback may stop it or add tasks.
    const deferreds = this.#deferreds;
    this.#deferreds = [];
    for (const d of deferreds) fire(d, result);
  }

  #checkFinish(): void {
    if (this.#completionState !== null) throw this.#completionState;
  }
}

function fire<T>(d: Deferred<T>, result: unknown): void {
  if (result instanceof Failure) d.errback(result);
  else d.callback(result as T);
}

/**
 * A cooperative scheduler: runs its tasks round-robin, one `next()` at a
 * time, in ticks of about 10 ms scheduled on the reactor, so long jobs never
 * block it. Several Cooperators do not cooperate with each other; most code
 * should use the global one through {@link cooperate} and {@link coiterate}.
 *
 * @example
 * ```ts
 * function* work() {
 *   for (let i = 0; i < 1e6; i++) { crunch(i); yield; }
 * }
 * await coiterate(work());
 * ```
 */
export class Cooperator {
  #tasks: AnyTask[] = [];
  #metarator: Iterator<AnyTask> = [][Symbol.iterator]();
  readonly #terminationPredicateFactory: () => () => boolean;
  readonly #scheduler: (tick: () => void) => ScheduledTick;
  #delayedCall: ScheduledTick | null = null;
  #stopped = false;
  #started: boolean;
  #mustScheduleOnStart = false;

  constructor(options: CooperatorOptions = {}) {
    this.#terminationPredicateFactory = options.terminationPredicateFactory ?? defaultTerminationPredicateFactory;
    const clock = options.clock;
    this.#scheduler = options.scheduler ?? ((tick) => (clock ?? getGlobalReactor()).callLater(EPSILON, tick));
    this.#started = options.started ?? true;
  }

  /** True once started and not stopped. */
  get running(): boolean {
    return this.#started && !this.#stopped;
  }

  /**
   * Run `iterator` as a task; the returned Deferred (or `doneDeferred`)
   * fires as its {@link CooperativeTask.whenDone} would.
   */
  coiterate<I extends CooperativeIterable>(iterator: I, doneDeferred: Deferred<I> = new Deferred<I>()): Deferred<I> {
    new CooperativeTask(iterator, this).whenDone().chainDeferred(doneDeferred);
    return doneDeferred;
  }

  /** Run `iterator` as a long-running task that can be paused, resumed and stopped. */
  cooperate<I extends CooperativeIterable>(iterator: I): CooperativeTask<I> {
    return new CooperativeTask(iterator, this);
  }

  /** Begin scheduling ticks (for a Cooperator made with `started: false`, or after stop()). */
  start(): void {
    this.#stopped = false;
    this.#started = true;
    if (this.#mustScheduleOnStart) {
      this.#mustScheduleOnStart = false;
      this.#reschedule();
    }
  }

  /** Stop scheduling; every current task fails with SchedulerStopped, and later ones at once. */
  stop(): void {
    this.#stopped = true;
    const tasks = this.#tasks;
    this.#tasks = [];
    for (const t of tasks) t._completeWith(new SchedulerStopped(), new Failure(new SchedulerStopped()));
    if (this.#delayedCall !== null) {
      this.#delayedCall.cancel();
      this.#delayedCall = null;
    }
  }

  /** @internal */
  _addTask(task: AnyTask): void {
    this.#tasks.push(task);
    if (this.#stopped) {
      task._completeWith(new SchedulerStopped(), new Failure(new SchedulerStopped()));
    } else {
      this.#reschedule();
    }
  }

  /** @internal */
  _removeTask(task: AnyTask): void {
    const i = this.#tasks.indexOf(task);
    if (i >= 0) this.#tasks.splice(i, 1);
    // No work left: drop the scheduled tick so nothing lingers on the reactor.
    if (this.#tasks.length === 0 && this.#delayedCall !== null) {
      this.#delayedCall.cancel();
      this.#delayedCall = null;
    }
  }

  /** @internal Run one tick: work units round-robin until the predicate says stop. */
  _tick(): void {
    this.#delayedCall = null;
    const terminator = this.#terminationPredicateFactory();
    // The position in the round-robin survives across ticks (#metarator), so a
    // tick that ends early resumes with the next task, not the first.
    outer: while (this.#tasks.length > 0) {
      for (let n = this.#metarator.next(); !n.done; n = this.#metarator.next()) {
        n.value._oneWorkUnit();
        if (terminator()) break outer;
      }
      this.#metarator = this.#tasks[Symbol.iterator]();
    }
    this.#reschedule();
  }

  #reschedule(): void {
    if (!this.#started) {
      this.#mustScheduleOnStart = true;
      return;
    }
    if (this.#delayedCall === null && this.#tasks.length > 0) {
      this.#delayedCall = this.#scheduler(() => this._tick());
    }
  }
}

let theCooperator: Cooperator | null = null;

/** The process-wide Cooperator behind {@link cooperate} and {@link coiterate} (created on first use). */
export function globalCooperator(): Cooperator {
  if (theCooperator === null) theCooperator = new Cooperator();
  return theCooperator;
}

/**
 * Run `iterator` on the global Cooperator as a long-running task that can be
 * paused, resumed, stopped and waited on.
 */
export function cooperate<I extends CooperativeIterable>(iterator: I): CooperativeTask<I> {
  return globalCooperator().cooperate(iterator);
}

/**
 * Run `iterator` on the global Cooperator, sharing time with its other
 * tasks; the Deferred fires with the iterator once it is exhausted.
 */
export function coiterate<I extends CooperativeIterable>(iterator: I): Deferred<I> {
  return globalCooperator().coiterate(iterator);
}
