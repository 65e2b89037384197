/**
 * Accepted connections without a net.Socket: a small stream over libuv's
 * TCP (or pipe, for UNIX sockets) handle (Node's private `tcp_wrap`/`stream_wrap` bindings), exposing
 * exactly the socket surface the transports use. A net.Socket with its
 * Readable/Writable state costs ~350 bytes per connection and ~15% of the
 * CPU of accepting one; this costs one small object.
 *
 * Behind the checks of `./bindings` (loaded on first use, self-tested):
 * when anything it needs is missing, Port wraps accepted handles in a
 * net.Socket instead ({@link _setNativeStreams} forces that path for specs).
 * @internal
 * @module
 */
import { getSystemErrorName } from 'node:util';
import { type StreamWrapBinding as StreamBindings, bindings, uvCode } from './bindings';
import { SHARED_READ_BUFFER, type SocketOwner, type TransportSocket, type NativeTCPClientHandle, streamClosed } from './socket';

/** What this module needs from an accepted TCP handle. @internal */
export interface NativeStreamHandle extends NativeTCPClientHandle {
  readStart(): number;
  readStop(): number;
  useUserBuffer(buf: Uint8Array): void;
  onread: ((this: NativeStreamHandle) => Uint8Array | undefined) | null;
  writeBuffer(req: WriteReq, data: Uint8Array): number;
  writev(req: WriteReq, chunks: Uint8Array[], allBuffers: true): number;
  shutdown(req: ShutdownReq): number;
  reset(cb: (this: NativeStreamHandle) => void): number;
  setNoDelay(enabled: boolean): number;
  setKeepAlive(enabled: boolean, delaySeconds: number): number;
  getsockname(out: { address?: string; port?: number; family?: string }): number;
  ref(): void;
  unref(): void;
  readonly fd?: number;
  /** Our stream (the handle's callbacks find it here: no closure per connection). */
  torsionStream?: NativeStream;
}

type WriteCallback = (err?: Error | null) => void;

/** What NativeStream needs from stream_wrap (its request constructors, typed). */
interface StreamWrapBinding extends Omit<StreamBindings, 'WriteWrap' | 'ShutdownWrap'> {
  WriteWrap: new () => WriteReq;
  ShutdownWrap: new () => ShutdownReq;
}

interface WriteReq {
  handle: NativeStreamHandle;
  oncomplete: (this: WriteReq, status: number) => void;
  stream: NativeStream | null;
  chunks: Uint8Array[] | null;
  bytes: number;
  callback: WriteCallback | null;
}

interface ShutdownReq {
  handle: NativeStreamHandle;
  oncomplete: (this: ShutdownReq, status: number) => void;
  stream: NativeStream | null;
}

let wanted = true;

/**
 * Turn native accepted streams off (net.Socket wrapping instead) or back
 * on when available: specs run both paths. Returns whether they are in use.
 * @internal
 */
export function _setNativeStreams(on: boolean): boolean {
  wanted = on;
  return nativeStreamsEnabled();
}

/** Whether Node's private stream bindings are usable at all (loads them on first call). @internal */
export function nativeStreamsAvailable(): boolean {
  return bindings()?.stream != null;
}

/** Whether accepted handles become NativeStreams. @internal */
export function nativeStreamsEnabled(): boolean {
  return wanted && nativeStreamsAvailable();
}

// From stream_wrap, set by the first NativeStream (the bindings are loaded by then).
let streamWrap: StreamWrapBinding = null as unknown as StreamWrapBinding;
let state: Int32Array = new Int32Array(1);
let kReadBytesOrError = 0;
let kLastWriteWasAsync = 0;
const UV_EOF = uvCode('EOF');
const UV_ENOTCONN = uvCode('ENOTCONN');

function useStreamWrap(): void {
  const sw = bindings()?.stream;
  if (sw == null) throw new Error("NativeStream needs Node's private stream_wrap binding (see nativeStreamsAvailable())");
  streamWrap = sw as StreamWrapBinding;
  state = sw.streamBaseState;
  kReadBytesOrError = sw.kReadBytesOrError;
  kLastWriteWasAsync = sw.kLastWriteWasAsync;
}

/** Requests libuv still owns: referenced here until their oncomplete. */
const inFlight = new Set<WriteReq | ShutdownReq>();

// State bits.
const READING = 1 << 0;
const CORKED = 1 << 1;
const ENDING = 1 << 2;
const FINISHED = 1 << 3;
const EOF = 1 << 4;
const DESTROYED = 1 << 5;

/** A system error as node:net reports it (`read ECONNRESET`, with code/errno/syscall). */
function uvError(errno: number, syscall: string): NodeJS.ErrnoException {
  let code: string;
  try {
    code = getSystemErrorName(errno);
  } catch {
    code = `Unknown system error ${errno}`;
  }
  const err = new Error(`${syscall} ${code}`) as NodeJS.ErrnoException;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  return err;
}

function onRead(this: NativeStreamHandle): Uint8Array | undefined {
  const stream = this.torsionStream;
  if (stream === undefined) return undefined;
  const nread = state[kReadBytesOrError];
  if (nread > 0) return stream._received(nread);
  if (nread === 0) return undefined;
  if (nread === UV_EOF) stream._eof();
  else stream._fail(uvError(nread, 'read'));
  return undefined;
}

function onClosed(this: NativeStreamHandle): void {
  const stream = this.torsionStream;
  if (stream === undefined) return;
  this.torsionStream = undefined;
  const owner = stream.owner;
  if (owner !== null) owner._onClose();
  streamClosed(stream);
}

function onWriteComplete(this: WriteReq, status: number): void {
  inFlight.delete(this);
  const stream = this.stream as NativeStream;
  const cb = this.callback;
  this.stream = this.chunks = this.callback = null;
  stream._written(this, this.bytes, status, cb);
}

function onShutdownComplete(this: ShutdownReq): void {
  inFlight.delete(this);
  const stream = this.stream as NativeStream;
  this.stream = null;
  // As node:net: the FIN is out (or the peer is gone, which a read or
  // write reports): the write side has finished either way.
  stream._finished();
}

function finishLater(stream: NativeStream): void {
  stream._finished();
}

function failLater(stream: NativeStream, err: Error): void {
  stream._fail(err);
}

/**
 * An accepted connection driven straight on its libuv handle: the members
 * of net.Socket that Connection, flow control and linger use, with the
 * same event order (data, end, finish, error, close) reported to `owner`.
 * @internal
 */
export class NativeStream implements TransportSocket {
  /** The transport using this stream, or null when detached (lingering). */
  owner: SocketOwner | null = null;
  /** The libuv handle (`_handle` as in net.Socket: fileno() reads its fd). */
  readonly _handle: NativeStreamHandle;
  #buf: Uint8Array = SHARED_READ_BUFFER;
  #flags = 0;
  /** Bytes accepted by write() whose write request has not completed. */
  #length = 0;
  /** Chunks written while corked (the next writev), or null. */
  #pending: Uint8Array[] | null = null;
  /** Called when the pending batch has left (flow control's drain marker). */
  #pendingCb: WriteCallback | null = null;
  /** The newest write request libuv still owns, or null. */
  #lastReq: WriteReq | null = null;

  /** @param handle - a TCP handle: accepted (from the listening handle's onconnection) or about to connect. */
  constructor(handle: NativeTCPClientHandle) {
    if (streamWrap === null) useStreamWrap();
    const h = handle as NativeStreamHandle;
    this._handle = h;
    h.torsionStream = this;
    h.onread = onRead;
    h.useUserBuffer(SHARED_READ_BUFFER);
  }

  /** Never pooled (a new handle per connection). */
  get recyclable(): boolean {
    return false;
  }
  set recyclable(_value: boolean) {}

  /** True once closing (destroy, reset, an error, or both directions done). */
  get destroyed(): boolean {
    return (this.#flags & DESTROYED) !== 0;
  }
  /** True once the peer's EOF arrived. */
  get readableEnded(): boolean {
    return (this.#flags & EOF) !== 0;
  }
  /** Bytes written and not yet handed to the kernel. */
  get writableLength(): number {
    return this.#length;
  }

  // ---- reading ----------------------------------------------------------------

  /** Start reading (uv_read_start), unless closed or at EOF. */
  resume(): void {
    const flags = this.#flags;
    if ((flags & (READING | DESTROYED | EOF)) !== 0) return;
    this.#flags = flags | READING;
    const err = this._handle.readStart();
    if (err !== 0) this._fail(uvError(err, 'read'));
  }
  /** Stop reading (uv_read_stop). */
  pause(): void {
    const flags = this.#flags;
    if ((flags & READING) === 0) return;
    this.#flags = flags & ~READING;
    if ((flags & DESTROYED) === 0) this._handle.readStop();
  }

  /** `nread` bytes arrived in the current buffer; returns the next buffer, if different. @internal */
  _received(nread: number): Uint8Array | undefined {
    const buf = this.#buf;
    const owner = this.owner;
    if (owner !== null) owner._onRead(nread, buf);
    // Detached (lingering) streams discard into the shared buffer: never
    // into a buffer a protocol lent and may still hold.
    const current = this.owner;
    const next = current === null || (this.#flags & DESTROYED) !== 0 ? SHARED_READ_BUFFER : current._nextBuffer();
    if (next === buf) return undefined;
    this.#buf = next;
    return next;
  }

  /** The peer's EOF. @internal */
  _eof(): void {
    this.#flags = (this.#flags | EOF) & ~READING;
    this.owner?._onEnd();
    // Both directions done: close, as node:net does with allowHalfOpen.
    if ((this.#flags & (FINISHED | DESTROYED)) === FINISHED) this.destroy();
  }

  // ---- writing ----------------------------------------------------------------

  /** Gather writes until uncork() (one writev per batch). */
  cork(): void {
    this.#flags |= CORKED;
  }
  /** Send the gathered writes. */
  uncork(): void {
    if ((this.#flags & CORKED) === 0) return;
    this.#flags &= ~CORKED;
    this._flushPending();
  }

  /**
   * Queue `data` (sent at once unless corked). `cb` runs once the batch it
   * belongs to has left (at most one callback per batch: flow control's).
   */
  write(data: Uint8Array, cb?: WriteCallback): boolean {
    if ((this.#flags & (ENDING | DESTROYED)) !== 0) return false;
    if (data.length > 0) {
      const pending = this.#pending;
      if (pending === null) this.#pending = [data];
      else pending.push(data);
      this.#length += data.length;
    }
    if (cb !== undefined) this.#pendingCb = cb;
    if ((this.#flags & CORKED) === 0) this._flushPending();
    return true;
  }

  /** Send what was written, then FIN (uv_shutdown, after the writes); then owner._onFinish(). */
  end(): void {
    if ((this.#flags & (ENDING | DESTROYED)) !== 0) return;
    this.#flags = (this.#flags | ENDING) & ~CORKED;
    this._flushPending();
    if ((this.#flags & DESTROYED) !== 0) return;
    const req = new streamWrap.ShutdownWrap();
    req.handle = this._handle;
    req.oncomplete = onShutdownComplete;
    req.stream = this;
    const err = this._handle.shutdown(req);
    if (err === 0) inFlight.add(req);
    else if (err === 1 || err === UV_ENOTCONN) process.nextTick(finishLater, this);
    else process.nextTick(failLater, this, uvError(err, 'shutdown'));
  }

  private _flushPending(): void {
    const chunks = this.#pending;
    const cb = this.#pendingCb;
    this.#pendingCb = null;
    if (chunks === null || chunks.length === 0 || (this.#flags & DESTROYED) !== 0) {
      if (cb === null) return;
      const last = this.#lastReq;
      if (last !== null && (this.#flags & DESTROYED) === 0) {
        // An empty batch leaves when the batches before it have.
        const prev = last.callback;
        last.callback = prev === null ? cb : (err) => (prev(err), cb(err));
      } else {
        process.nextTick(cb, null);
      }
      return;
    }
    let bytes = 0;
    for (let i = 0; i < chunks.length; i++) bytes += chunks[i].length;
    const req = new streamWrap.WriteWrap();
    req.handle = this._handle;
    req.oncomplete = onWriteComplete;
    const err = chunks.length === 1 ? this._handle.writeBuffer(req, chunks[0]) : this._handle.writev(req, chunks, true);
    if (err !== 0) {
      this.#pending = null;
      this.#length -= bytes;
      // As node:net, a write error surfaces asynchronously.
      this.#flags |= DESTROYED;
      this._handle.close(onClosed);
      process.nextTick(failLater, this, uvError(err, 'write'));
      return;
    }
    if (state[kLastWriteWasAsync] !== 0) {
      // libuv writes the rest later: keep the request and its chunks alive.
      this.#pending = null;
      req.stream = this;
      req.chunks = chunks;
      req.bytes = bytes;
      req.callback = cb;
      inFlight.add(req);
      this.#lastReq = req;
    } else {
      chunks.length = 0;
      this.#length -= bytes;
      if (cb !== null) process.nextTick(cb, null);
    }
  }

  /** An asynchronous write completed. @internal */
  _written(req: WriteReq, bytes: number, status: number, cb: WriteCallback | null): void {
    if (this.#lastReq === req) this.#lastReq = null;
    this.#length -= bytes;
    if (status < 0 && (this.#flags & DESTROYED) === 0) {
      const err = uvError(status, 'write');
      this._fail(err);
      if (cb !== null) cb(err);
      return;
    }
    if (cb !== null) cb(null);
  }

  /** The FIN went out. @internal */
  _finished(): void {
    if ((this.#flags & (FINISHED | DESTROYED)) !== 0) return;
    this.#flags |= FINISHED;
    this.owner?._onFinish();
    if ((this.#flags & (EOF | DESTROYED)) === EOF) this.destroy();
  }

  // ---- closing ------------------------------------------------------------------

  /** A read/write error: close, then tell the owner (error, then close). @internal */
  _fail(err: Error): void {
    const wasDestroyed = (this.#flags & DESTROYED) !== 0;
    if (!wasDestroyed) this.destroy();
    else if (this._handle.torsionStream === undefined) return;
    this.owner?._onError(err);
  }

  /** Close the handle (pending writes are dropped); owner._onClose() when closed. */
  destroy(): void {
    if ((this.#flags & DESTROYED) !== 0) return;
    this.#flags = (this.#flags | DESTROYED) & ~(READING | CORKED);
    this.#pending = null;
    this._handle.close(onClosed);
  }

  /** Close with RST (abortConnection). */
  resetAndDestroy(): void {
    if ((this.#flags & DESTROYED) !== 0) return;
    this.#flags = (this.#flags | DESTROYED) & ~(READING | CORKED);
    this.#pending = null;
    // A pipe handle (UNIX socket) has no reset: a plain close drops it just as abruptly.
    if (typeof this._handle.reset !== 'function' || this._handle.reset(onClosed) !== 0) this._handle.close(onClosed);
  }

  // ---- options and addresses ------------------------------------------------------

  /** TCP_NODELAY (nothing on a pipe handle, as net.Socket). */
  setNoDelay(on: boolean): void {
    if ((this.#flags & DESTROYED) === 0 && typeof this._handle.setNoDelay === 'function') this._handle.setNoDelay(on);
  }
  /** SO_KEEPALIVE, no initial delay, as net.Socket's default (nothing on a pipe handle). */
  setKeepAlive(on: boolean): void {
    if ((this.#flags & DESTROYED) === 0 && typeof this._handle.setKeepAlive === 'function') this._handle.setKeepAlive(on, 0);
  }
  /** Let the process exit while this stream is open (lingering). */
  unref(): void {
    this._handle.unref();
  }
  /** The local address, as net.Socket's address(); `{}` once closed. */
  address(): { address?: string; port?: number; family?: string } {
    const out: { address?: string; port?: number; family?: string } = {};
    if ((this.#flags & DESTROYED) === 0 && typeof this._handle.getsockname === 'function') this._handle.getsockname(out);
    return out;
  }
}
