/**
 * What both packet clients share: the structural shape of the protocol
 * objects they accept, a deadline (`{ timeout, signal }` on the reactor's
 * clock), a fair FIFO lock, and the "mark every Promise handled" helper.
 * @module
 */
import { TimeoutError } from '../../defer/errors';
import type { IDelayedCall, IReactorTime } from '../../interfaces/time';
import { ArgTypeError, checkDelay, describe } from '../../validate';

/** The options of a read (and of `waitConnected`): seconds on the reactor's clock, and/or an AbortSignal. */
export interface ReadOptions {
  /** Seconds on the reactor's clock; rejects with `torsion/defer`'s `TimeoutError`. `null`/absent: no limit. */
  timeout?: number | null;
  /** Rejects with `signal.reason` once aborted. */
  signal?: AbortSignal;
}

/** The stream protocol object as the TCP client uses it (EasyNetwork's `StreamProtocol`). @internal */
export interface StreamProtocolLike<S, R> {
  generateChunks(packet: S): Iterable<Buffer>;
  buildPacketFromChunks(): Generator<void, [R, Buffer], Buffer>;
}

/** The buffered stream protocol object (EasyNetwork's `BufferedStreamReceiver` side). @internal */
export interface BufferedStreamProtocolLike<S, R, B extends Uint8Array = Uint8Array> extends StreamProtocolLike<S, R> {
  createBuffer(sizeHint: number): B;
  // biome-ignore lint/suspicious/noConfusingVoidType: the contract's generator type (a bare `yield` is a void yield)
  buildPacketFromBuffer(buffer: B): Generator<number | void, [R, Buffer], number>;
}

/** The datagram protocol object as the UDP client uses it. @internal */
export interface DatagramProtocolLike<S, R> {
  makeDatagram(packet: S): Buffer;
  buildPacketFromDatagram(datagram: Buffer, senderAddress?: unknown): R;
}

/** Whether `p` lends buffers (a `BufferedStreamProtocol`). @internal */
export function isBufferedStreamProtocol(
  p: StreamProtocolLike<unknown, unknown>,
): p is BufferedStreamProtocolLike<unknown, unknown> {
  const q = p as Partial<BufferedStreamProtocolLike<unknown, unknown>>;
  return typeof q.createBuffer === 'function' && typeof q.buildPacketFromBuffer === 'function';
}

/** @throws TypeError unless `p` is a StreamProtocol (or BufferedStreamProtocol). @internal */
export function checkStreamProtocol(name: string, p: unknown): asserts p is StreamProtocolLike<unknown, unknown> {
  const q = p as Partial<StreamProtocolLike<unknown, unknown>> | null;
  if (
    q === null ||
    typeof q !== 'object' ||
    typeof q.generateChunks !== 'function' ||
    typeof q.buildPacketFromChunks !== 'function'
  ) {
    throw new ArgTypeError(`${name} must be a StreamProtocol or BufferedStreamProtocol, got ${describe(p)}`);
  }
}

/** @throws TypeError unless `p` is a DatagramProtocol. @internal */
export function checkDatagramProtocol(name: string, p: unknown): asserts p is DatagramProtocolLike<unknown, unknown> {
  const q = p as Partial<DatagramProtocolLike<unknown, unknown>> | null;
  if (
    q === null ||
    typeof q !== 'object' ||
    typeof q.makeDatagram !== 'function' ||
    typeof q.buildPacketFromDatagram !== 'function'
  ) {
    throw new ArgTypeError(`${name} must be a DatagramProtocol, got ${describe(p)}`);
  }
}

/** `null`, or a number of seconds >= 0. @internal */
export function checkOptionalDelay(name: string, value: unknown): number | null {
  if (value === null) return null;
  checkDelay(name, value);
  return value;
}

/** Mark `p` handled (a rejection nobody awaits is not an unhandledRejection) and return it. @internal */
export function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/** @throws TypeError for a bad `{ timeout, signal }`. @internal */
export function checkReadOptions(opts: unknown): ReadOptions {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
  const o = opts as ReadOptions;
  if (o.timeout !== undefined && o.timeout !== null) checkDelay('timeout', o.timeout);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new ArgTypeError(`signal must be an AbortSignal, got ${describe(o.signal)}`);
  }
  return o;
}

/**
 * A `{ timeout, signal }` pair made concrete: `expired` rejects (marked
 * handled) when the timeout runs out on `clock` (with `torsion/defer`'s
 * `TimeoutError`) or when the signal aborts (with `signal.reason`);
 * `onExpire` callbacks run at that moment (to cancel what is waiting).
 * @internal
 */
export class Deadline {
  /** The rejection reason, once expired. */
  reason: unknown = null;
  #expired: Promise<never> | null = null;
  #reject: ((err: unknown) => void) | null = null;
  readonly #clock: IReactorTime;
  readonly #timeout: number | null;
  readonly #started: number;
  #signal: AbortSignal | null;
  #timer: IDelayedCall | null = null;
  #onAbort: (() => void) | null = null;
  #callbacks: Array<(reason: unknown) => void> = [];
  #armed = false;
  #done = false;

  constructor(clock: IReactorTime, opts: ReadOptions) {
    this.#clock = clock;
    this.#timeout = opts.timeout ?? null;
    this.#started = this.#timeout === null ? 0 : clock.seconds();
    this.#signal = opts.signal ?? null;
    if (this.#signal?.aborted) this.#expire(this.#signal.reason);
  }

  /** Whether it has expired. */
  get isExpired(): boolean {
    return this.reason !== null;
  }

  // The timer and the signal listener are set up only once someone has to
  // wait: a call that completes at once costs no timer.
  #arm(): void {
    if (this.#armed || this.#done) return;
    this.#armed = true;
    const signal = this.#signal;
    if (signal !== null && this.reason === null) {
      if (signal.aborted) this.#expire(signal.reason);
      else {
        this.#onAbort = () => this.#expire(signal.reason);
        signal.addEventListener('abort', this.#onAbort, { once: true });
      }
    }
    const timeout = this.#timeout;
    if (timeout !== null && this.reason === null) {
      const left = this.#started + timeout - this.#clock.seconds();
      if (left <= 0) {
        // Already used up (a timeout of 0, or a clock moved on meanwhile).
        this.#expire(new TimeoutError(timeout));
        return;
      }
      this.#timer = this.#clock.callLater(left, () => {
        this.#timer = null;
        this.#expire(new TimeoutError(timeout));
      });
    }
  }

  /** Run `cb(reason)` when it expires (at once if it has). */
  onExpire(cb: (reason: unknown) => void): void {
    this.#arm();
    if (this.reason !== null) cb(this.reason);
    else if (!this.#done) this.#callbacks.push(cb);
  }

  /** Forget a callback given to onExpire. */
  offExpire(cb: (reason: unknown) => void): void {
    const i = this.#callbacks.indexOf(cb);
    if (i >= 0) this.#callbacks.splice(i, 1);
  }

  /** `p`, or the expiry, whichever settles first. */
  race<T>(p: Promise<T>): Promise<T> {
    if (this.#timeout === null && this.#signal === null) return p;
    this.#arm();
    return Promise.race([p, this.expired]);
  }

  /** Rejects with the reason once expired (marked handled). */
  get expired(): Promise<never> {
    if (this.#expired === null) {
      this.#expired = handled(
        this.reason !== null
          ? Promise.reject(this.reason)
          : new Promise<never>((_, reject) => {
              this.#reject = reject;
            }),
      );
    }
    return this.#expired;
  }

  /** Stop the timer and the signal listener. */
  dispose(): void {
    this.#done = true;
    this.#callbacks = [];
    if (this.#timer !== null) {
      if (this.#timer.active()) this.#timer.cancel();
      this.#timer = null;
    }
    if (this.#signal !== null && this.#onAbort !== null) this.#signal.removeEventListener('abort', this.#onAbort);
    this.#signal = null;
  }

  #expire(reason: unknown): void {
    if (this.reason !== null || this.#done) return;
    this.reason = reason ?? new Error('Aborted');
    this.#reject?.(this.reason);
    const cbs = this.#callbacks;
    this.#callbacks = [];
    for (const cb of cbs) cb(this.reason);
  }
}

/**
 * A fair FIFO lock (EasyNetwork's separate send and receive locks): the
 * callers are served one at a time, in call order. A waiter whose deadline
 * expires leaves the queue.
 * @internal
 */
export class FairLock {
  #locked = false;
  #waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];

  /** Whether someone holds the lock. */
  get locked(): boolean {
    return this.#locked;
  }

  /** Take the lock now if it is free (true), else leave it (false). */
  tryAcquire(): boolean {
    if (this.#locked) return false;
    this.#locked = true;
    return true;
  }

  /** Wait for the lock; rejects with the deadline's reason if it expires first. */
  acquire(deadline: Deadline | null): Promise<void> {
    if (!this.#locked) {
      if (deadline?.isExpired) return Promise.reject(deadline.reason);
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const entry = { resolve, reject };
      this.#waiters.push(entry);
      if (deadline !== null) {
        const onExpire = (reason: unknown) => {
          const i = this.#waiters.indexOf(entry);
          if (i >= 0) {
            this.#waiters.splice(i, 1);
            reject(reason);
          }
        };
        deadline.onExpire(onExpire);
        entry.resolve = () => {
          deadline.offExpire(onExpire);
          resolve();
        };
      }
    });
  }

  /** Hand the lock to the next waiter, or free it. */
  release(): void {
    const next = this.#waiters.shift();
    if (next === undefined) this.#locked = false;
    else next.resolve();
  }
}
