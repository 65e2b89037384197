/**
 * The Cooperator's errors, named as in Twisted's `twisted.internet.task`.
 * @module
 */
import { TorsionError, type TorsionErrorOptions } from '../errors';

/** The scheduler or one of its tasks was in the wrong state (base class). */
export class SchedulerError extends TorsionError {
  override readonly code: string = 'ERR_SCHEDULER';
  constructor(message = 'The cooperator or task is in the wrong state for this', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** The Cooperator was stopped, before or while the task ran. */
export class SchedulerStopped extends SchedulerError {
  override readonly code: string = 'ERR_SCHEDULER_STOPPED';
  constructor(message = 'The cooperator was stopped; start it again or use another one', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** The task has finished for good: done, stopped or failed (base class). */
export class TaskFinished extends SchedulerError {
  override readonly code: string = 'ERR_TASK_FINISHED';
  constructor(message = 'The task has already finished', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** The task's iterator was exhausted. */
export class TaskDone extends TaskFinished {
  override readonly code: string = 'ERR_TASK_DONE';
  constructor(message = 'The task has already completed', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** The task was stopped with stop(). */
export class TaskStopped extends TaskFinished {
  override readonly code: string = 'ERR_TASK_STOPPED';
  constructor(message = 'The task was stopped', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** The task's iterator threw (or a Deferred it yielded failed). */
export class TaskFailed extends TaskFinished {
  override readonly code: string = 'ERR_TASK_FAILED';
  constructor(message = 'The task died with an unhandled error', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** resume() on a task that is not paused. */
export class NotPaused extends SchedulerError {
  override readonly code: string = 'ERR_NOT_PAUSED';
  constructor(message = 'The task is not paused; call resume() once per pause()', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
