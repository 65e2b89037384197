/**
 * Scheduling helpers (Twisted's `twisted.internet.task`): the deterministic
 * {@link Clock} for tests, {@link LoopingCall}, {@link deferLater},
 * {@link react}, and cooperative multitasking ({@link cooperate},
 * {@link coiterate}, {@link Cooperator}).
 * @module torsion/task
 */
export { Clock, ClockDelayedCall } from './clock';
export { LoopingCall } from './looping-call';
export { deferLater } from './defer-later';
export { react, SystemExit } from './react';
export { Cooperator, CooperativeTask, cooperate, coiterate, globalCooperator } from './cooperator';
export type { CooperativeIterable, CooperatorOptions, ScheduledTick } from './cooperator';
export { SchedulerError, SchedulerStopped, TaskFinished, TaskDone, TaskStopped, TaskFailed, NotPaused } from './errors';
