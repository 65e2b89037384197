/**
 * `torsion/defer`: Deferred and its helpers, Twisted's
 * `twisted.internet.defer`.
 * @module torsion/defer
 */
export { Deferred, type AddCallbacksOptions, type Canceller, type Settled } from './deferred';
export { succeed, fail, maybeDeferred, ensureDeferred } from './helpers';
export { setDebugging, getDebugging } from './debug';
export {
  CancelledError,
  AlreadyCalledError,
  TimeoutError,
  FirstError,
  FailureGroup,
  QueueOverflow,
  QueueUnderflow,
} from './errors';
export { Failure, type FailureType } from './failure';
export {
  DeferredList,
  gatherResults,
  race,
  type DeferredListEntry,
  type DeferredListOptions,
  type DeferredLike,
} from './deferred-list';
export { DeferredLock, DeferredSemaphore, DeferredQueue, type DeferredQueueOptions } from './primitives';
