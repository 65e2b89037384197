/**
 * Per-tick write gathering: the first write of a tick corks the socket and
 * queues its transport; one microtask per tick (for all transports, not
 * one per transport or per write) uncorks them, so every write a protocol
 * makes in one callback leaves as a single writev.
 * @module
 */

/** Something with a batched write to flush. @hidden */
export interface Flushable {
  /** Write what was gathered this tick. @internal */
  _flush(): void;
}

const queue: Flushable[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  // A flush can make another transport write (a drain callback does not run
  // here, but be safe): iterate to the live length.
  for (let i = 0; i < queue.length; i++) queue[i]._flush();
  queue.length = 0;
}

/**
 * Queue `t` for the end-of-tick flush (call once per tick per transport).
 * @internal
 */
export function scheduleFlush(t: Flushable): void {
  queue.push(t);
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(flushAll);
  }
}
