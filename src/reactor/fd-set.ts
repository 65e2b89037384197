/**
 * The reactor's reader and writer sets (IReactorFDSet).
 *
 * Two kinds of descriptors meet here:
 * - libuv *handle* descriptors (the library's own transports and ports,
 *   {@link IHandleDescriptor}): libuv already watches their handle, so being
 *   a reader means "reading is started" (the `_startReadingHandle()` hook),
 *   and removal stops it (`_stopReadingHandle()`, which is how backpressure
 *   works). The set is the source of truth: a transport's own
 *   `startReading()`/`stopReading()` are `addReader(this)`/`removeReader(this)`,
 *   as in Twisted. Being a writer is
 *   only bookkeeping: libuv drives the writes the transport queued.
 * - raw file descriptors (a pipe, FIFO, socket or file fd from elsewhere,
 *   with `doRead` / `doWrite` and a real `fileno()`): each fd gets a libuv
 *   poll handle from the native addon (src/fdesc/poll-set.ts), dispatched
 *   as Twisted's poll reactors do; regular files are polled continuously.
 *   Without the addon adding one throws NativeAddonUnavailableError.
 * @module
 */
import { Failure } from '../defer/failure';
import { type PollScheduler, RawPollSet } from '../fdesc/poll-set';
import type { IFileDescriptor, IHandleDescriptor, IReadDescriptor, IWriteDescriptor } from '../interfaces/fdset';
import type { Logger } from '../logger';
import { describe, ArgTypeError } from '../validate';

type Mode = 'read' | 'write';

function isHandleDescriptor(d: unknown): d is IHandleDescriptor {
  return (
    typeof (d as IHandleDescriptor)._startReadingHandle === 'function' &&
    typeof (d as IHandleDescriptor)._stopReadingHandle === 'function'
  );
}

function checkDescriptor(name: string, d: unknown, hook: 'doRead' | 'doWrite'): asserts d is IFileDescriptor {
  if (d === null || typeof d !== 'object') {
    throw new ArgTypeError(`${name} must be a file descriptor object, got ${describe(d)}`);
  }
  if (!isHandleDescriptor(d) && typeof (d as unknown as Record<string, unknown>)[hook] !== 'function') {
    throw new ArgTypeError(
      `${name} must have ${hook}() (a raw descriptor) or _startReadingHandle()/_stopReadingHandle() (a handle descriptor)`,
    );
  }
}

/** The reader and writer sets of one reactor. @internal */
export class DescriptorSet {
  readonly #readers = new Set<IFileDescriptor>();
  readonly #writers = new Set<IFileDescriptor>();
  readonly #log: Logger;
  readonly #scheduler: PollScheduler;
  /** The raw descriptors' poll handles, created at the first raw descriptor. */
  #raw: RawPollSet | null = null;
  #running = false;

  constructor(log: Logger, scheduler: PollScheduler) {
    this.#log = log;
    this.#scheduler = scheduler;
  }

  /** The reactor entered (true) or left (false) its loop: raw descriptors are polled only while it runs. */
  setRunning(running: boolean): void {
    this.#running = running;
    this.#raw?.setRunning(running);
  }

  addReader(reader: IReadDescriptor | IHandleDescriptor): void {
    checkDescriptor('reader', reader, 'doRead');
    if (this.#readers.has(reader)) return;
    if (isHandleDescriptor(reader)) {
      this.#readers.add(reader);
      try {
        reader._startReadingHandle();
      } catch (err) {
        this.#readers.delete(reader);
        throw err;
      }
    } else {
      this.#watchRawFd(reader, 'read');
      this.#readers.add(reader);
    }
  }

  addWriter(writer: IWriteDescriptor | IHandleDescriptor): void {
    checkDescriptor('writer', writer, 'doWrite');
    if (this.#writers.has(writer)) return;
    if (!isHandleDescriptor(writer)) this.#watchRawFd(writer, 'write');
    this.#writers.add(writer);
  }

  removeReader(reader: IReadDescriptor | IHandleDescriptor): void {
    if (!this.#readers.delete(reader)) return;
    if (isHandleDescriptor(reader)) reader._stopReadingHandle();
    else this.#unwatchRawFd(reader, 'read');
  }

  removeWriter(writer: IWriteDescriptor | IHandleDescriptor): void {
    if (!this.#writers.delete(writer)) return;
    if (!isHandleDescriptor(writer)) this.#unwatchRawFd(writer, 'write');
  }

  /** Remove every reader and writer; return each once. A failing _stopReadingHandle() is logged. */
  removeAll(): IFileDescriptor[] {
    const all = new Set<IFileDescriptor>([...this.#readers, ...this.#writers]);
    for (const reader of [...this.#readers]) {
      try {
        this.removeReader(reader as IReadDescriptor);
      } catch (err) {
        this.#log.failure(`Error while removing reader ${safePrefix(reader)}`, new Failure(err));
      }
    }
    for (const writer of [...this.#writers]) {
      try {
        this.removeWriter(writer as IWriteDescriptor);
      } catch (err) {
        this.#log.failure(`Error while removing writer ${safePrefix(writer)}`, new Failure(err));
      }
    }
    return [...all];
  }

  getReaders(): IFileDescriptor[] {
    return [...this.#readers];
  }

  getWriters(): IFileDescriptor[] {
    return [...this.#writers];
  }

  /**
   * Start watching a raw file descriptor for `mode` with a libuv poll
   * handle (calling its doRead/doWrite when ready), before it joins the set.
   * @throws NativeAddonUnavailableError without the addon; RuntimeError for
   * another descriptor on the same fd; the poll handle's system error.
   */
  #watchRawFd(d: IFileDescriptor, mode: Mode): void {
    if (this.#raw === null) {
      this.#raw = new RawPollSet(this.#log, this, this.#scheduler);
      this.#raw.setRunning(this.#running);
    }
    this.#raw.watch(d, mode);
  }

  /** Stop watching a raw file descriptor for `mode` (it left the set). */
  #unwatchRawFd(d: IFileDescriptor, mode: Mode): void {
    this.#raw?.unwatch(d, mode);
  }
}

function safePrefix(d: IFileDescriptor): string {
  try {
    return d.logPrefix();
  } catch {
    return d.constructor?.name ?? 'descriptor';
  }
}
