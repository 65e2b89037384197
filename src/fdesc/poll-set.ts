/**
 * Raw file descriptors in the reactor's reader/writer sets: one libuv poll
 * handle (`uv_poll_t`, from the native addon) per fd, dispatched as
 * Twisted's `posixbase._PollLikeMixin._doReadOrWrite` does, and continuous
 * polling for what epoll refuses (regular files: Twisted's
 * `_ContinuousPolling`).
 *
 * The reactor's `DescriptorSet` (src/reactor/fd-set.ts) owns the sets and
 * calls {@link RawPollSet.watch} / {@link RawPollSet.unwatch}; a
 * descriptor that fails is dropped through the set's own
 * `removeReader`/`removeWriter` and then told `connectionLost` once.
 * Poll handles run only while the reactor runs (as Twisted dispatches only
 * from its loop): {@link RawPollSet.setRunning}.
 * @module
 */
import { types } from 'node:util';
import { Failure } from '../defer/failure';
import { ConnectionDone, ConnectionFdescWentAway, ConnectionLost, RuntimeError } from '../errors';
import { FAILED, type GuardOwner, guardCall, loggingOwner } from '../guard';
import type { IFileDescriptor, IReadDescriptor, IWriteDescriptor } from '../interfaces/fdset';
import type { Logger } from '../logger';
import { errnoError, type NativeAddon, type NativeFdWatcher, requireNative } from '../native';
import { ArgRangeError, ArgTypeError, describe } from '../validate';

/** Twisted's interval for continuously polled descriptors, in seconds. */
export const CONTINUOUS_POLL_INTERVAL = 0.01;

const UV_READABLE = 1;
const UV_WRITABLE = 2;
const UV_DISCONNECT = 4;

/** What the poll set needs from the reactor's reader/writer sets. @internal */
export interface DescriptorSetHost {
  removeReader(d: IReadDescriptor): void;
  removeWriter(d: IWriteDescriptor): void;
}

/** The reactor's clock, for continuous polling. @internal */
export interface PollScheduler {
  callLater(delay: number, fn: () => void): { cancel(): void };
}

/** One watched raw descriptor. */
class Entry implements GuardOwner {
  reading = false;
  writing = false;
  /** Set once it left both sets: later events and failures are ignored. */
  closed = false;
  /** Whether the failure being reported came from doRead (Twisted's inRead). */
  inRead = false;

  constructor(
    readonly set: RawPollSet,
    readonly d: IFileDescriptor,
    readonly fd: number,
    /** The poll handle; null for a continuously polled descriptor. */
    readonly watcher: NativeFdWatcher | null,
  ) {}

  /** A doRead/doWrite threw or its promise rejected: log it; it is the reason of the loss. */
  _callbackFailed(err: unknown, where: string): void {
    this.set.log.failure(`Unhandled error in ${where}`, Failure.from(err));
    // A promise may reject after the descriptor left and rejoined a set: the failure is the descriptor's.
    this.set.disconnectDescriptor(this.d, err, this.inRead);
  }

  /** The poll handle's callback. */
  readonly onPoll = (status: number, events: number): void => {
    this.set.dispatch(this, status, events);
  };
}

/** The raw descriptors of one reactor. @internal */
export class RawPollSet {
  readonly #byFd = new Map<number, Entry>();
  readonly #byDescriptor = new Map<IFileDescriptor, Entry>();
  readonly #continuous = new Set<Entry>();
  readonly #host: DescriptorSetHost;
  readonly #scheduler: PollScheduler;
  readonly #lostOwner: GuardOwner;
  #loop: { cancel(): void } | null = null;
  #running = false;

  constructor(
    readonly log: Logger,
    host: DescriptorSetHost,
    scheduler: PollScheduler,
  ) {
    this.#host = host;
    this.#scheduler = scheduler;
    this.#lostOwner = loggingOwner(log);
  }

  /**
   * Watch `d` for `mode` (it is about to join that set).
   * @throws NativeAddonUnavailableError without the addon; RuntimeError when
   * another descriptor watches the same fd; RangeError for a fileno() that is
   * not a valid fd; the system error of uv_poll_init (e.g. EBADF).
   */
  watch(d: IFileDescriptor, mode: 'read' | 'write'): void {
    let entry = this.#byDescriptor.get(d);
    if (entry === undefined) entry = this.#open(d, mode);
    if (mode === 'read') entry.reading = true;
    else entry.writing = true;
    this.#update(entry);
  }

  /** Stop watching `d` for `mode` (it left that set); closes its handle when it is in neither. */
  unwatch(d: IFileDescriptor, mode: 'read' | 'write'): void {
    const entry = this.#byDescriptor.get(d);
    if (entry === undefined) return;
    if (mode === 'read') entry.reading = false;
    else entry.writing = false;
    if (entry.reading || entry.writing) {
      this.#update(entry);
      return;
    }
    entry.closed = true;
    this.#byDescriptor.delete(d);
    if (this.#byFd.get(entry.fd) === entry) this.#byFd.delete(entry.fd);
    if (entry.watcher !== null) entry.watcher.close();
    else {
      this.#continuous.delete(entry);
      this.#checkLoop();
    }
  }

  /** The reactor started (true) or left its loop (false): start or stop every poll handle. */
  setRunning(running: boolean): void {
    if (this.#running === running) return;
    this.#running = running;
    for (const entry of this.#byDescriptor.values()) this.#update(entry);
    this.#checkLoop();
  }

  /** Dispatch a synthetic poll event to `d` (specs: events a real fd cannot produce on demand). @internal */
  _dispatchFor(d: IFileDescriptor, status: number, events: number): void {
    const entry = this.#byDescriptor.get(d);
    if (entry !== undefined) this.dispatch(entry, status, events);
  }

  /** Twisted's `_doReadOrWrite` for one poll event. */
  dispatch(entry: Entry, status: number, events: number): void {
    if (entry.closed) return;
    if (status < 0) {
      // libuv reports POLLERR (e.g. the read end of a pipe closed) as UV_EBADF and stops the handle.
      const cause = errnoError(status, 'uv_poll');
      this.disconnect(entry, new ConnectionLost(`Polling fd ${entry.fd} failed (${cause.code})`, { cause }), false);
      return;
    }
    const d = entry.d;
    const readable = (events & UV_READABLE) !== 0 && entry.reading;
    const writable = (events & UV_WRITABLE) !== 0 && entry.writing;
    let why: unknown;
    let inRead = false;
    if ((events & UV_DISCONNECT) !== 0 && !readable) {
      // A hang-up with nothing left to read.
      inRead = entry.reading;
      why = entry.reading ? new ConnectionDone() : new ConnectionLost();
    } else {
      entry.inRead = false;
      const fd = guardCall(entry, `fileno of ${prefixOf(d)}`, d.fileno, d);
      if (fd === FAILED) return;
      if (fd === -1) {
        why = new ConnectionFdescWentAway('Filedescriptor went away');
      } else {
        if (readable) {
          inRead = true;
          entry.inRead = true;
          const r = guardCall(entry, `doRead of ${prefixOf(d)}`, (d as IReadDescriptor).doRead, d);
          if (r === FAILED) return;
          if (isError(r)) why = r;
        }
        if (why === undefined && writable && !entry.closed && entry.writing) {
          inRead = false;
          entry.inRead = false;
          const r = guardCall(entry, `doWrite of ${prefixOf(d)}`, (d as IWriteDescriptor).doWrite, d);
          if (r === FAILED) return;
          if (isError(r)) why = r;
        }
      }
    }
    if (why !== undefined) this.disconnect(entry, why, inRead);
  }

  /** {@link RawPollSet.disconnect} for `d`'s current entry; nothing when it is in no set. */
  disconnectDescriptor(d: IFileDescriptor, why: unknown, inRead: boolean): void {
    const entry = this.#byDescriptor.get(d);
    if (entry !== undefined) this.disconnect(entry, why, inRead);
  }

  /**
   * Drop `entry`'s descriptor from both sets and tell it
   * `connectionLost(Failure(why))`, once (Twisted's `_disconnectSelectable`).
   */
  disconnect(entry: Entry, why: unknown, _inRead: boolean): void {
    if (entry.closed) return;
    const d = entry.d;
    this.#host.removeReader(d as IReadDescriptor);
    this.#host.removeWriter(d as IWriteDescriptor);
    // Removed from both sets, so unwatch closed it; make sure even if the host did not call back.
    if (!entry.closed) {
      entry.reading = false;
      entry.writing = false;
      this.unwatch(d, 'read');
    }
    guardCall(this.#lostOwner, `connectionLost of ${prefixOf(d)}`, d.connectionLost, d, new Failure(why));
  }

  #open(d: IFileDescriptor, mode: 'read' | 'write'): Entry {
    const call = mode === 'read' ? 'addReader' : 'addWriter';
    const fd = d.fileno();
    if (typeof fd !== 'number') {
      throw new ArgTypeError(`${call}: fileno() of ${prefixOf(d)} must return a number, got ${describe(fd)}`);
    }
    if (!Number.isInteger(fd) || fd < 0) {
      throw new ArgRangeError(`${call}: fileno() of ${prefixOf(d)} must return a file descriptor >= 0, got ${fd}`);
    }
    const addon = requireNative(`${call}(${prefixOf(d)}, fd ${fd})`);
    const other = this.#byFd.get(fd);
    if (other !== undefined) {
      throw new RuntimeError(
        `${call}(${prefixOf(d)}): fd ${fd} is already watched by ${prefixOf(other.d)}; ` +
          'one fd can have one descriptor object (libuv allows one poll handle per fd)',
      );
    }
    const entry = this.#createEntry(addon, d, fd, call);
    this.#byFd.set(fd, entry);
    this.#byDescriptor.set(d, entry);
    if (entry.watcher === null) this.#continuous.add(entry);
    return entry;
  }

  #createEntry(addon: NativeAddon, d: IFileDescriptor, fd: number, call: string): Entry {
    let watcher: NativeFdWatcher | null = null;
    let entry: Entry | null = null;
    try {
      watcher = new addon.FdWatcher(fd, (status, events) => entry?.onPoll(status, events));
    } catch (err) {
      // epoll refuses regular files (and directories) with EPERM: poll them continuously, as Twisted does.
      const sys = err as NodeJS.ErrnoException;
      if (sys?.code !== 'EPERM') {
        if (typeof sys?.message !== 'string') throw err;
        const named: NodeJS.ErrnoException = new Error(`${call}(${prefixOf(d)}, fd ${fd}): ${sys.message}`, {
          cause: err,
        });
        named.code = sys.code;
        named.errno = sys.errno;
        named.syscall = sys.syscall;
        throw named;
      }
    }
    entry = new Entry(this, d, fd, watcher);
    return entry;
  }

  /** Give `entry`'s poll handle the mask of its sets (started only while running). */
  #update(entry: Entry): void {
    if (entry.watcher === null) {
      this.#checkLoop();
      return;
    }
    if (!this.#running) {
      entry.watcher.stop();
      return;
    }
    const mask = (entry.reading ? UV_READABLE : 0) | (entry.writing ? UV_WRITABLE : 0) | UV_DISCONNECT;
    entry.watcher.start(mask);
  }

  /** Start or stop the continuous polling loop (Twisted's `_checkLoop`). */
  #checkLoop(): void {
    const want = this.#running && this.#continuous.size > 0;
    if (want && this.#loop === null) {
      this.#loop = this.#scheduler.callLater(CONTINUOUS_POLL_INTERVAL, this.#iterate);
    } else if (!want && this.#loop !== null) {
      this.#loop.cancel();
      this.#loop = null;
    }
  }

  /** One pass of continuous polling: doRead of every reader, then doWrite of every writer. */
  readonly #iterate = (): void => {
    this.#loop = null;
    const entries = [...this.#continuous];
    for (const entry of entries) if (entry.reading) this.dispatch(entry, 0, UV_READABLE);
    for (const entry of entries) if (entry.writing) this.dispatch(entry, 0, UV_WRITABLE);
    this.#checkLoop();
  };
}

/** An Error returned by doRead/doWrite (also one from another realm). */
function isError(r: unknown): r is Error {
  return r instanceof Error || types.isNativeError(r);
}

function prefixOf(d: IFileDescriptor): string {
  try {
    return d.logPrefix();
  } catch {
    return d.constructor?.name ?? 'descriptor';
  }
}
