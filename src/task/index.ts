/**
 * Scheduling helpers (Twisted's `twisted.internet.task`): the deterministic
 * {@link Clock} for tests, and (landing next) LoopingCall, deferLater, react
 * and the cooperator.
 * @module
 */
export { Clock, ClockDelayedCall } from './clock';
