/**
 * The calling thread's end of a blocking client: starts the worker, posts
 * requests, drains replies with `receiveMessageOnPort`, and blocks in
 * `Atomics.wait` on the `W_SEQ` word between them.
 *
 * A worker that dies cannot say so while this thread is blocked (its
 * `'exit'`/`'error'` events need this thread's event loop), so the worker
 * marks the state word from its process-level handlers, and a heartbeat
 * word that stops moving catches the deaths no handler sees
 * (`worker.terminate()`, an out-of-memory abort). The wait is cut in slices
 * so that those words are looked at; it never hangs on a dead worker.
 * @internal
 * @module
 */
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

import { ConnectionLost } from '../../errors';
import { fromRecord } from './errors';
import {
  DEAD_AFTER_MS,
  type FromWorker,
  READ_LOW_WATER,
  START_TIMEOUT_MS,
  STATE_DEAD,
  STATE_STARTING,
  type ToWorker,
  W_HEARTBEAT,
  W_READ_PAUSED,
  W_SEQ,
  W_STATE,
  W_UNREAD,
  WORDS,
  type WorkerInit,
} from './shared';

/** How many times a waiter polls the sequence word before it sleeps in `Atomics.wait`. */
const SPIN = 2000;
/** The longest slice of one `Atomics.wait`, between looks at the worker's liveness. */
const SLICE_MS = 100;

/** What `wait()` saw. */
export type WaitResult = 'message' | 'timeout' | 'dead';

/**
 * The code the Worker runs (`eval: true`): it requires the worker module,
 * registering tsx's CommonJS loader first when that module is TypeScript
 * source (under jest or tsx); from the built package it is plain `.js`. A
 * failure to load is reported through the state word, never a hang.
 */
const BOOT = `
const { workerData } = require('node:worker_threads');
const i32 = new Int32Array(workerData.init.sab);
try {
  if (workerData.tsLoader !== null && !require.extensions['.ts']) require(workerData.tsLoader).register();
  require(workerData.entry).main(workerData.init);
} catch (err) {
  try { workerData.init.port.postMessage({ t: 'fatal', err: { name: err && err.name || 'Error', message: String(err && err.message || err) } }); } catch {}
  Atomics.store(i32, 1, 2);
  Atomics.add(i32, 0, 1);
  Atomics.notify(i32, 0);
}
`;

function workerEntry(): { entry: string; tsLoader: string | null } {
  const ext = path.extname(__filename);
  const entry = path.join(__dirname, `worker${ext}`);
  if (ext !== '.ts') return { entry, tsLoader: null };
  let tsLoader: string;
  try {
    tsLoader = require.resolve('tsx/cjs/api');
  } catch (err) {
    throw new Error(
      'torsion/packets/sync from TypeScript sources needs the tsx package to run its worker; use the built package',
      {
        cause: err,
      },
    );
  }
  return { entry, tsLoader };
}

/** One worker and the shared words that let this thread wait for it. */
export class WorkerChannel {
  readonly i32: Int32Array;
  readonly #port: MessagePort;
  readonly #worker: Worker;
  #seen = 0;
  #hb = 0;
  #hbAt: number;
  #startedAt: number;
  #dead: Error | null = null;
  #disposed = false;
  readonly #onMessage: (m: FromWorker) => void;

  constructor(init: Omit<WorkerInit, 'sab' | 'port'>, onMessage: (m: FromWorker) => void) {
    this.#onMessage = onMessage;
    const sab = new SharedArrayBuffer(WORDS * 4);
    this.i32 = new Int32Array(sab);
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const { entry, tsLoader } = workerEntry();
    const full: WorkerInit = { ...init, sab, port: port2 };
    this.#worker = new Worker(BOOT, {
      eval: true,
      workerData: { init: full, entry, tsLoader },
      transferList: [port2],
      // Not the parent's flags: a loader the parent runs under (tsx's, a
      // profiler's) would be started again in every worker, for plain JS.
      execArgv: [],
    });
    // Nothing here may keep the process alive: a script that forgets close() still ends.
    this.#worker.unref();
    port1.unref();
    // Seen by nobody while the thread is blocked, but keeps an 'error' from being unhandled between calls.
    this.#worker.on('error', () => {});
    this.#startedAt = performance.now();
    this.#hbAt = this.#startedAt;
  }

  /** The error the worker died with, once it is known to be dead. */
  get dead(): Error | null {
    return this.#dead;
  }

  /** Post a request; a dead or disposed worker ignores it. */
  post(msg: ToWorker, transfer?: ArrayBuffer[]): void {
    if (this.#disposed) return;
    this.#port.postMessage(msg, transfer);
  }

  /** Whether the worker has posted something not yet drained. */
  pending(): boolean {
    return Atomics.load(this.i32, W_SEQ) !== this.#seen;
  }

  /** Deliver every message already queued (non-blocking). */
  drain(): void {
    this.#seen = Atomics.load(this.i32, W_SEQ);
    for (;;) {
      const got = receiveMessageOnPort(this.#port);
      if (got === undefined) break;
      this.#onMessage(got.message as FromWorker);
    }
    this.#maybeResume();
  }

  /** Called by the client for every drained data message. */
  consumed(n: number): void {
    Atomics.sub(this.i32, W_UNREAD, n);
  }

  #maybeResume(): void {
    if (Atomics.load(this.i32, W_UNREAD) < READ_LOW_WATER && Atomics.compareExchange(this.i32, W_READ_PAUSED, 1, 0) === 1) {
      this.post({ t: 'resume' });
    }
  }

  /**
   * Block until the worker posts something (`'message'`), the deadline
   * (a `performance.now()` value, `Infinity` for none) passes, or the worker
   * is found dead. Does not drain.
   */
  wait(deadline: number): WaitResult {
    const i32 = this.i32;
    for (;;) {
      const seq = Atomics.load(i32, W_SEQ);
      if (seq !== this.#seen) return 'message';
      if (this.#dead !== null) return 'dead';
      for (let k = 0; k < SPIN; k++) if (Atomics.load(i32, W_SEQ) !== seq) return 'message';
      let now = performance.now();
      if (now >= deadline) return 'timeout';
      this.#maybeResume();
      Atomics.wait(i32, W_SEQ, seq, Math.min(deadline - now, SLICE_MS));
      if (Atomics.load(i32, W_SEQ) !== seq) return 'message';
      now = performance.now();
      if (this.#checkDead(now)) return 'dead';
    }
  }

  #checkDead(now: number): boolean {
    const state = Atomics.load(this.i32, W_STATE);
    if (state === STATE_DEAD) {
      this.#markDead(null);
      return true;
    }
    const hb = Atomics.load(this.i32, W_HEARTBEAT);
    if (hb !== this.#hb) {
      this.#hb = hb;
      this.#hbAt = now;
      return false;
    }
    const stalled = state === STATE_STARTING ? now - this.#startedAt > START_TIMEOUT_MS : now - this.#hbAt > DEAD_AFTER_MS;
    if (stalled) this.#markDead(null);
    return stalled;
  }

  /** Record the worker's death (with its own report when it sent one). */
  #markDead(cause: Error | null): void {
    if (this.#dead !== null) return;
    this.#dead = new ConnectionLost("The client's worker thread ended unexpectedly; the connection is gone", {
      cause: cause ?? undefined,
    });
  }

  /** A `fatal` message from the worker. */
  fatal(rec: import('./shared').ErrorRecord): void {
    this.#markDead(fromRecord(rec, Error));
  }

  /** Stop the worker and release the port (idempotent). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#port.close();
    this.#worker.terminate().catch(() => {});
  }

  /** For the specs: kill the worker abruptly, as an out-of-memory abort would (no handler of the worker runs). */
  terminateForTesting(): void {
    this.#worker.terminate().catch(() => {});
  }

  /** For the specs: make the worker throw an uncaught exception. */
  crashForTesting(): void {
    this.post({ t: 'crash' });
  }
}
