/**
 * The plumbing between libuv TCP handles (through `node:net`) and the
 * transports: one socket subclass whose `owner` field names the transport,
 * and module-level listeners that find the transport through `this`, so no
 * closure is allocated per connection for events, nor per read or write.
 *
 * Also listenTCP's synchronous bind (Twisted raises CannotListenError from
 * listenTCP itself, and getHost() knows the port at once): a libuv server
 * handle from the private binding ({@link bindings}) or, without it, from
 * `net._createServerHandle`. Accepted handles become sockets that read
 * into a static buffer (`onread`), which `net.Server` cannot offer.
 * @module
 */
import { chmodSync } from 'node:fs';
import * as net from 'node:net';
import { getSystemErrorMap } from 'node:util';
import { type NativePipeHandle, type NativeTCPHandle, bindings } from './bindings';

/**
 * What a socket reports to: implemented by the transports.
 * @hidden
 */
export interface SocketOwner {
  /** `nread` bytes were read into `buf` (the onread path). @internal */
  _onRead(nread: number, buf: Uint8Array): void;
  /** The peer sent EOF. @internal */
  _onEnd(): void;
  /** Our FIN went out (after socket.end()). @internal */
  _onFinish(): void;
  /** A socket error (connect, read or write). @internal */
  _onError(err: Error): void;
  /** The handle is closed. @internal */
  _onClose(): void;
  /** The connect() attempt succeeded. @internal */
  _onConnect(): void;
  /** The next buffer to read into (the onread path with a buffer function). @internal */
  _nextBuffer(): Uint8Array;
}

/**
 * The socket surface the transports use: a {@link TorsionSocket}, or a
 * NativeStream (an accepted handle driven without net.Socket).
 * @internal
 */
export interface TransportSocket {
  owner: SocketOwner | null;
  recyclable: boolean;
  readonly destroyed: boolean;
  readonly readableEnded: boolean;
  readonly writableLength: number;
  cork(): void;
  uncork(): void;
  write(data: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  end(): unknown;
  destroy(): unknown;
  resetAndDestroy(): unknown;
  pause(): unknown;
  resume(): unknown;
  unref(): unknown;
  setNoDelay(enabled: boolean): unknown;
  setKeepAlive(enabled: boolean): unknown;
  address(): { address?: string; port?: number; family?: string } | string;
}

/**
 * The static read buffer every plain-protocol transport reads into: the
 * bytes are copied out (only `nread` of them) before the callback returns,
 * and reads are serial on the loop thread, so one buffer serves them all.
 * @internal
 */
export const SHARED_READ_BUFFER: Buffer = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * A net.Socket that knows its transport, and tells it about its events by
 * overriding emit() instead of registering listeners (no listener arrays
 * per socket; a subclass also keeps the object shape stable).
 * @hidden
 */
export class TorsionSocket extends net.Socket {
  /** The transport currently using this socket, or null when detached. */
  owner: SocketOwner | null = null;

  /**
   * Whether the socket may be reused for another connection once closed:
   * client sockets, until someone outside torsion got hold of them
   * (getHandle()) and might have attached listeners or state. (Derived
   * from the class and a rarely used set rather than stored in a field:
   * every idle connection would pay for that field.)
   */
  get recyclable(): boolean {
    return this instanceof ClientSocket && !keptOut.has(this);
  }
  set recyclable(value: boolean) {
    if (value) keptOut.delete(this);
    else keptOut.add(this);
  }

  /** Route the socket's events to its owner, then to any listeners. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    switch (event) {
      case 'end':
        this.owner?._onEnd();
        break;
      case 'finish':
        this.owner?._onFinish();
        break;
      case 'connect':
        this.owner?._onConnect();
        break;
      case 'close':
        socketClosed(this);
        break;
      case 'error':
        this.owner?._onError(args[0] as Error);
        // Handled: without listeners, EventEmitter would throw it.
        if (this.listenerCount('error') === 0) return true;
        break;
    }
    return super.emit(event, ...args);
  }
}

/** Client sockets: the ones that may be pooled (a class, not a field). */
class ClientSocket extends TorsionSocket {}

/** Client sockets that must not be reused (handed out through getHandle()). */
const keptOut = new WeakSet<TorsionSocket>();

/**
 * The socket whose onread callback is running. Node calls the buffer
 * function right after the callback, without `this`: this is how one
 * shared function finds its socket (no closure per socket).
 */
let reading: TorsionSocket | null = null;

function onReadCallback(this: TorsionSocket, nread: number, buf: Uint8Array): void {
  const owner = this.owner;
  reading = this;
  if (owner === null) return;
  try {
    owner._onRead(nread, buf);
  } catch (err) {
    reading = null;
    throw err;
  }
}

function nextReadBuffer(): Uint8Array {
  const socket = reading;
  reading = null;
  const owner = socket === null ? null : socket.owner;
  return owner === null ? SHARED_READ_BUFFER : owner._nextBuffer();
}

function socketClosed(socket: TorsionSocket): void {
  const owner = socket.owner;
  if (owner !== null) owner._onClose();
  streamClosed(socket);
  // 'close' is a socket's last event: only now may it be reused.
  if (socket.owner === null && socket.recyclable && pool.length < POOL_MAX) pool.push(socket);
}

/**
 * A socket's handle is closed (after its owner heard of it): it no longer
 * lingers.
 * @internal
 */
export function streamClosed(socket: TransportSocket): void {
  if (lingering.delete(socket) && lingering.size === 0) stopSweeping();
}

/**
 * Closed client sockets kept for the next connection attempt: node:net
 * supports connect() again after 'close', and it saves building the
 * Socket/Duplex state (the largest per-connection cost).
 */
const pool: TorsionSocket[] = [];
const POOL_MAX = 64;

/**
 * A client socket for a connection attempt: a closed one from the pool, or
 * a new one.
 * @internal
 */
export function takeClientSocket(): TorsionSocket {
  const socket = pool.pop();
  if (socket === undefined) return createClientSocket();
  prepareForReuse(socket);
  return socket;
}

/**
 * Start reading. An onread socket only needs its handle started (read(0)
 * does that without resume()'s tick and stream flow); a stream-path
 * socket (fallback) must flow.
 * @internal
 */
export function startSocketReading(socket: TransportSocket): void {
  if (socket instanceof TorsionSocket) socket.read(0);
  else socket.resume();
}

/**
 * Connect a client socket. (A buffer request left over from an interrupted
 * read must not be answered for this socket's new handle.)
 * @internal
 */
export function connectSocket(socket: TorsionSocket, options: net.TcpSocketConnectOpts | net.IpcSocketConnectOpts): void {
  reading = null;
  socket.connect(options);
}

/** Undo linger() and per-connection options before a pooled socket connects again. */
function prepareForReuse(socket: TorsionSocket): void {
  // A close in the middle of a corked batch leaves the Writable corked, and
  // connect() does not reset that.
  while (socket.writableCorked > 0) socket.uncork();
  socket.ref();
  // A new handle starts with Nagle on and keep-alive off, as a new socket.
  socket.setNoDelay(false);
  socket.setKeepAlive(false);
  socket.pause();
}

/** A new client socket, not yet connected, reading through `onread`. */
function createClientSocket(): TorsionSocket {
  // `onread` is a constructor option at runtime (net.createConnection passes
  // its options to the constructor); @types/node lists it under connect().
  const options = { allowHalfOpen: true, onread: { buffer: nextReadBuffer, callback: onReadCallback } };
  const socket = new ClientSocket(options as net.SocketConstructorOpts);
  // Reading starts when the transport joins the reactor's reader set.
  socket.pause();
  return socket;
}

/**
 * Wrap an accepted libuv handle (private path): reads go through `onread`
 * and start only when the transport joins the reactor's reader set.
 * @internal
 */
export function socketFromHandle(handle: unknown): TorsionSocket {
  reading = null;
  const options = {
    handle,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    manualStart: true,
    onread: { buffer: nextReadBuffer, callback: onReadCallback },
  } as net.SocketConstructorOpts;
  return new TorsionSocket(options);
}

/** Lingering sockets and when each must be destroyed (ms since the epoch). */
const lingering = new Map<TransportSocket, number>();
let lingerTimer: NodeJS.Timeout | null = null;
let lingerSweepMs = 5000;

/** Change how often lingering sockets are checked (specs). @internal */
export function _setLingerSweep(ms: number): void {
  lingerSweepMs = ms;
  stopSweeping();
  if (lingering.size > 0) startSweeping();
}

function startSweeping(): void {
  if (lingerTimer !== null) return;
  lingerTimer = setInterval(sweepLingering, lingerSweepMs);
  lingerTimer.unref();
}

function stopSweeping(): void {
  if (lingerTimer === null) return;
  clearInterval(lingerTimer);
  lingerTimer = null;
}

function sweepLingering(): void {
  const now = Date.now();
  for (const [socket, deadline] of lingering) {
    if (deadline <= now) {
      lingering.delete(socket);
      socket.destroy();
    }
  }
  if (lingering.size === 0) stopSweeping();
}

/**
 * Keep a gracefully closed socket open until the peer's FIN (or `seconds`),
 * discarding what it sends: closing with unread input would send RST and
 * could destroy bytes still on their way to the peer. One shared, unref'd
 * sweep timer enforces the deadline (no timer per socket).
 * @internal
 */
export function linger(socket: TransportSocket, seconds: number): void {
  socket.owner = null;
  if (socket.destroyed) return;
  if (socket.readableEnded) {
    socket.destroy();
    return;
  }
  socket.unref();
  lingering.set(socket, Date.now() + seconds * 1000);
  startSweeping();
  startSocketReading(socket);
}

/** How many sockets are lingering (for specs). @internal */
export function lingeringCount(): number {
  return lingering.size;
}

// ---- listening handles: the private binding, or net._createServerHandle --------

export type { NativePipeHandle, NativeTCPHandle, NativeTCPClientHandle } from './bindings';

let nativeWanted = true;

/**
 * Turn the private fast path of listenTCP off (or back on, when
 * available): specs run both paths. Returns whether it is now in use.
 * @internal
 */
export function _setNativeListen(enabled: boolean): boolean {
  nativeWanted = enabled;
  return nativeListenAvailable();
}

/** Whether listenTCP binds through the private binding (loads it on first call). @internal */
export function nativeListenAvailable(): boolean {
  return nativeWanted && bindings() !== null;
}

/** `net._createServerHandle`: a bound (not yet listening) TCP handle, or a negative errno. */
type CreateServerHandle = (
  address: string,
  port: number,
  addressType: 4 | 6 | -1,
  fd?: number,
  flags?: number,
) => NativeTCPHandle | number;

const netInternals = net as unknown as { _createServerHandle?: unknown };
let createServerHandle: CreateServerHandle | null =
  typeof netInternals._createServerHandle === 'function' ? (netInternals._createServerHandle as CreateServerHandle) : null;

/**
 * Replace `net._createServerHandle` (null: as on a Node without it), for
 * specs; returns the previous one.
 * @internal
 */
export function _setCreateServerHandle(fn: CreateServerHandle | null): CreateServerHandle | null {
  const prev = createServerHandle;
  createServerHandle = fn;
  return prev;
}

/** A Node-style system error (`code`, `errno`, `syscall`, `address`, `port`). @internal */
export function errnoError(errno: number, syscall: string, address: string, port: number): NodeJS.ErrnoException {
  const [code, description] = getSystemErrorMap().get(errno) ?? ['UNKNOWN', 'unknown error'];
  const err = new Error(`${syscall} ${code}: ${description} ${address}:${port}`) as NodeJS.ErrnoException & {
    address: string;
    port: number;
  };
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  err.address = address;
  err.port = port;
  return err;
}

/**
 * Create, bind and listen a server handle synchronously: through the
 * private binding when {@link nativeListenAvailable}, else through
 * `net._createServerHandle` (the handle net.Server and cluster use; it
 * works where process.binding does not, e.g. under the permission model).
 * Throws the system error (with `code`, e.g. EADDRINUSE) when bind or
 * listen fails, or an error with code `ERR_TORSION_NO_SYNC_BIND` when this
 * Node offers neither (listenTCP could not know its port).
 * @internal
 */
export function listenHandle(address: string, port: number, ipv6: boolean, backlog: number): NativeTCPHandle {
  let handle: NativeTCPHandle;
  const b = nativeListenAvailable() ? bindings() : null;
  if (b !== null) {
    handle = new b.tcp.TCP(b.tcp.constants.SERVER);
    const err = ipv6 ? handle.bind6(address, port, 0) : handle.bind(address, port);
    if (err !== 0) {
      handle.close();
      throw errnoError(err, 'bind', address, port);
    }
  } else if (createServerHandle !== null) {
    const h = createServerHandle(address, port, ipv6 ? 6 : 4, undefined, 0);
    if (typeof h === 'number') throw errnoError(h, 'bind', address, port);
    handle = h;
  } else {
    const err = new Error(
      `cannot bind ${address}:${port} synchronously: this Node has neither process.binding('tcp_wrap') nor net._createServerHandle`,
    ) as NodeJS.ErrnoException;
    err.code = 'ERR_TORSION_NO_SYNC_BIND';
    throw err;
  }
  const err = handle.listen(backlog);
  if (err !== 0) {
    handle.close();
    throw errnoError(err, 'listen', address, port);
  }
  return handle;
}

/**
 * listenUNIX's synchronous bind: create, bind and listen a pipe server
 * handle on `path`, through the private binding when available, else
 * through `net._createServerHandle(path, -1, -1)` (node:net's own pipe
 * server handle). Throws the system error (`EADDRINUSE`, `EACCES`...;
 * `address` is the path), or `ERR_TORSION_NO_SYNC_BIND`.
 * @internal
 */
export function listenPipeHandle(path: string, backlog: number, mode: number | null): NativePipeHandle {
  let handle: NativePipeHandle;
  const pipe = nativeListenAvailable() ? (bindings()?.pipe ?? null) : null;
  if (pipe !== null) {
    handle = new pipe.Pipe(pipe.constants.SERVER);
    const err = handle.bind(path);
    if (err !== 0) {
      handle.close();
      throw pathError(err, 'bind', path);
    }
  } else if (createServerHandle !== null) {
    const h = createServerHandle(path, -1, -1, undefined, 0) as unknown as NativePipeHandle | number;
    if (typeof h === 'number') throw pathError(h, 'bind', path);
    handle = h;
  } else {
    const err = new Error(
      `cannot bind ${path} synchronously: this Node has neither process.binding('pipe_wrap') nor net._createServerHandle`,
    ) as NodeJS.ErrnoException;
    err.code = 'ERR_TORSION_NO_SYNC_BIND';
    throw err;
  }
  if (mode !== null) {
    // Before listen(): no connection is accepted under the umask's permissions.
    try {
      chmodSync(path, mode);
    } catch (e) {
      handle.close();
      throw e;
    }
  }
  const err = handle.listen(backlog);
  if (err !== 0) {
    handle.close();
    throw pathError(err, 'listen', path);
  }
  return handle;
}

/** A Node-style system error about a UNIX socket path (`listen EADDRINUSE: address already in use /p`). */
function pathError(errno: number, syscall: string, path: string): NodeJS.ErrnoException {
  const [code, description] = getSystemErrorMap().get(errno) ?? ['UNKNOWN', 'unknown error'];
  const err = new Error(`${syscall} ${code}: ${description} ${path}`) as NodeJS.ErrnoException & { address: string };
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  err.address = path;
  return err;
}
