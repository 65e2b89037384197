import type { Failure } from '../defer/failure';

/**
 * Something the reactor can watch: a libuv stream handle (the library's
 * own transports and ports) or a raw file descriptor (watched through a
 * libuv poll handle).
 */
export interface IFileDescriptor {
  /** The OS file descriptor, or -1 if there is none (yet). */
  fileno(): number;
  /** A short name for log lines. */
  logPrefix(): string;
  /** Called exactly once when the descriptor is dropped or the reactor shuts down. */
  connectionLost(reason: Failure): void;
}

/** A descriptor the reactor reads from. */
export interface IReadDescriptor extends IFileDescriptor {
  /** Data is ready. An Error return drops the descriptor and calls connectionLost. */
  doRead(): void | Error;
}

/** A descriptor the reactor writes to. */
export interface IWriteDescriptor extends IFileDescriptor {
  /** Writing is possible. An Error return drops the descriptor and calls connectionLost. */
  doWrite(): void | Error;
}

/** Both. */
export interface IReadWriteDescriptor extends IReadDescriptor, IWriteDescriptor {}

/**
 * A descriptor backed by a libuv stream handle (the library's own
 * transports and ports). The reactor's reader set is the source of truth:
 * joining it calls `_startReadingHandle()` (uv_read_start), leaving it
 * `_stopReadingHandle()` (uv_read_stop), instead of polling a raw fd. As in
 * Twisted, the descriptor's own `startReading()`/`stopReading()` are
 * `reactor.addReader(this)`/`reactor.removeReader(this)`.
 */
export interface IHandleDescriptor extends IFileDescriptor {
  /** Reactor hook, called only by `addReader`: start (or resume) reading from the handle. */
  _startReadingHandle(): void;
  /** Reactor hook, called only by `removeReader`/`removeAll`: stop reading (backpressure). */
  _stopReadingHandle(): void;
}

/** The reactor's reader and writer sets. */
export interface IReactorFDSet {
  /**
   * Watch `reader` for reading; a handle descriptor's
   * `_startReadingHandle()` runs (reading starts). Adding one already in
   * the set does nothing.
   * A raw descriptor (`fileno()`, no handle hooks) is watched with a libuv
   * poll handle; a different object on an fd already watched is refused.
   * @throws TypeError for something that is not a descriptor;
   * NativeAddonUnavailableError for a raw descriptor without the native
   * addon; RuntimeError for a second object on the same fd.
   */
  addReader(reader: IReadDescriptor | IHandleDescriptor): void;
  /**
   * Watch `writer` for writing. For a handle descriptor this is
   * bookkeeping only (libuv drives the writes it queued). Adding one
   * already in the set does nothing.
   * @throws as addReader.
   */
  addWriter(writer: IWriteDescriptor | IHandleDescriptor): void;
  /**
   * Stop watching `reader`; a handle descriptor's `_stopReadingHandle()`
   * runs (reading stops: this is how backpressure works). Removing one not
   * in the set does nothing.
   */
  removeReader(reader: IReadDescriptor | IHandleDescriptor): void;
  /** Stop watching `writer`; removing one not in the set does nothing. */
  removeWriter(writer: IWriteDescriptor | IHandleDescriptor): void;
  /** Remove every reader and writer and return them (each once). */
  removeAll(): IFileDescriptor[];
  /** The descriptors watched for reading (a copy). */
  getReaders(): IFileDescriptor[];
  /** The descriptors watched for writing (a copy). */
  getWriters(): IFileDescriptor[];
}
