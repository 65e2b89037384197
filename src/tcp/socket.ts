/**
 * The plumbing between libuv TCP handles (through `node:net`) and the
 * transports: one socket subclass whose `owner` field names the transport,
 * and module-level listeners that find the transport through `this`, so no
 * closure is allocated per connection for events, nor per read or write.
 *
 * Also the one place that touches Node's private `tcp_wrap` binding, behind
 * feature detection: it gives listenTCP a synchronous bind (Twisted raises
 * CannotListenError from listenTCP itself) and lets accepted sockets read
 * into a static buffer (`onread`), which `net.Server` cannot offer.
 * @module
 */
import * as net from 'node:net';
import { getSystemErrorMap } from 'node:util';

/**
 * What a socket reports to: implemented by the transports.
 * @hidden
 */
export interface SocketOwner {
  /** `nread` bytes were read into `buf` (the onread path). @internal */
  _onRead(nread: number, buf: Uint8Array): void;
  /** A chunk arrived through the stream path (an owned Buffer). @internal */
  _onData(chunk: Buffer): void;
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
export function connectSocket(socket: TorsionSocket, options: net.TcpSocketConnectOpts): void {
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

// ---- the public fallback: sockets accepted by net.Server ----------------------

function onData(this: TorsionSocket, chunk: Buffer): void {
  this.owner?._onData(chunk);
}
function onEnd(this: TorsionSocket): void {
  this.owner?._onEnd();
}
function onFinish(this: TorsionSocket): void {
  this.owner?._onFinish();
}
function onError(this: TorsionSocket, err: Error): void {
  this.owner?._onError(err);
}
function onClose(this: TorsionSocket): void {
  socketClosed(this);
}

/**
 * Adopt a socket accepted by a public `net.Server` (fallback path): reads
 * arrive as owned Buffers through 'data'; events through listeners.
 * @internal
 */
export function adoptServerSocket(socket: net.Socket): TorsionSocket {
  // net.Server builds plain Sockets; re-prototyping would deopt them, so the
  // fallback path keeps the plain object and attaches the two fields.
  const s = socket as TorsionSocket;
  s.owner = null;
  s.on('data', onData);
  s.on('end', onEnd);
  s.on('finish', onFinish);
  s.on('error', onError);
  s.on('close', onClose);
  return s;
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

// ---- the private tcp_wrap binding --------------------------------------------

/** The part of libuv's TCP handle wrap that Port uses. @internal */
export interface NativeTCPHandle {
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  listen(backlog: number): number;
  getsockname(out: { address?: string; port?: number; family?: string }): number;
  close(cb?: () => void): void;
  ref(): void;
  unref(): void;
  onconnection: ((this: NativeTCPHandle, status: number, client?: NativeTCPClientHandle) => void) | null;
}

/** An accepted connection's handle. @internal */
export interface NativeTCPClientHandle {
  getpeername(out: { address?: string; port?: number; family?: string }): number;
  close(cb?: () => void): void;
}

interface TCPWrapBinding {
  TCP: new (type: number) => NativeTCPHandle;
  constants: { SOCKET: number; SERVER: number };
}

function loadTCPWrap(): TCPWrapBinding | null {
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding('tcp_wrap') as TCPWrapBinding;
    const proto = binding?.TCP?.prototype as Partial<NativeTCPHandle> | undefined;
    if (
      typeof binding.TCP !== 'function' ||
      typeof binding.constants?.SERVER !== 'number' ||
      typeof proto?.bind !== 'function' ||
      typeof proto.bind6 !== 'function' ||
      typeof proto.listen !== 'function' ||
      typeof proto.getsockname !== 'function'
    ) {
      return null;
    }
    return binding;
  } catch {
    return null;
  }
}

const tcpWrap = loadTCPWrap();
let nativeEnabled = tcpWrap !== null;

/**
 * Turn the private fast path off (or back on, when available): specs run
 * both paths. Returns whether the private path is now in use.
 * @internal
 */
export function _setNativeListen(enabled: boolean): boolean {
  nativeEnabled = enabled && tcpWrap !== null;
  return nativeEnabled;
}

/** Whether listenTCP binds through the private handle (synchronous errors). @internal */
export function nativeListenAvailable(): boolean {
  return nativeEnabled;
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
 * Create, bind and listen a server handle synchronously. Throws the system
 * error (with `code`, e.g. EADDRINUSE) when bind or listen fails.
 * @internal
 */
export function listenNative(address: string, port: number, ipv6: boolean, backlog: number): NativeTCPHandle {
  const binding = tcpWrap as TCPWrapBinding;
  const handle = new binding.TCP(binding.constants.SERVER);
  let err = ipv6 ? handle.bind6(address, port, 0) : handle.bind(address, port);
  if (err !== 0) {
    handle.close();
    throw errnoError(err, 'bind', address, port);
  }
  err = handle.listen(backlog);
  if (err !== 0) {
    handle.close();
    throw errnoError(err, 'listen', address, port);
  }
  return handle;
}
