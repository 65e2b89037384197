/**
 * Client connections without a net.Socket: a TCP handle from Node's private
 * `tcp_wrap` binding, bound and connected the way node:net's internalConnect
 * does it, then driven by a {@link NativeStream}. Saves building the
 * Socket/Duplex state per attempt (the largest per-connection cost), which
 * is what pooling client net.Sockets approximated.
 *
 * Behind the checks of `./bindings`, as accepted streams: when anything is
 * missing (or {@link _setNativeClients} turned it off for specs), clients
 * use a pooled net.Socket.
 * @internal
 * @module
 */
import { ArgTypeError } from '../validate';
import { isIP } from 'node:net';
import { getSystemErrorMap } from 'node:util';
import {
  type Bindings,
  type ConnectReq,
  type NativePipeHandle,
  type NativeTCPClientHandle,
  type PipeConnectReq,
  bindings,
  uvCode,
} from './bindings';
import { NativeStream } from './native-stream';

/** What this module needs from an unconnected TCP handle. */
interface ClientHandle extends NativeTCPClientHandle {
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  connect(req: ConnectReq, address: string, port: number): number;
  connect6(req: ConnectReq, address: string, port: number): number;
  getsockname(out: { address?: string; port?: number }): number;
  torsionStream?: NativeStream;
}

const UV_EADDRINUSE = uvCode('EADDRINUSE') ?? 0;
let wanted = true;

/**
 * Turn native client connections off (pooled net.Sockets instead) or back
 * on when available: specs run both paths. Returns whether they are in use.
 * @internal
 */
export function _setNativeClients(on: boolean): boolean {
  wanted = on;
  return nativeClientsEnabled();
}

/** Whether connectTCP attempts run on a native stream (loads the bindings on first call). @internal */
export function nativeClientsEnabled(): boolean {
  return wanted && bindings()?.clients === true;
}

/** A NativeStream over a new, unconnected TCP handle. @internal */
export function newClientStream(): NativeStream {
  const tcp = (bindings() as Bindings).tcp;
  return new NativeStream(new tcp.TCP(tcp.constants.SOCKET));
}

/**
 * A system error as node:net reports a failed bind/connect
 * (`connect ECONNREFUSED 127.0.0.1:80`, with code/errno/syscall/address/port).
 */
function hostPortError(errno: number, syscall: string, address: string, port: number, local?: string): NodeJS.ErrnoException {
  const code = getSystemErrorMap().get(errno)?.[0] ?? `Unknown system error ${errno}`;
  let details = port > 0 ? ` ${address}:${port}` : ` ${address}`;
  if (local !== undefined) details += ` - Local (${local})`;
  const err = new Error(`${syscall} ${code}${details}`) as NodeJS.ErrnoException & { address: string; port?: number };
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  err.address = address;
  if (port > 0) err.port = port;
  return err;
}

function onConnectComplete(this: ConnectReq, status: number, handle: ClientHandle): void {
  const stream = handle.torsionStream;
  // Closed meanwhile (stopConnecting, timeout, shutdown): libuv cancels.
  if (stream === undefined || stream.destroyed) return;
  if (status === 0) {
    stream.owner?._onConnect();
    return;
  }
  const local = this.localAddress !== undefined && this.localPort > 0 ? `${this.localAddress}:${this.localPort}` : undefined;
  stream._fail(hostPortError(status, 'connect', this.address, this.port, local));
}

/**
 * Bind (when `bind` is given) and start connecting `stream`'s handle to
 * `host`:`port` (an IP literal). Returns the synchronous failure, if any:
 * a bind error (syscall 'bind'), an invalid local address (a TypeError)
 * or a connect error; completion reaches the stream's owner as
 * `_onConnect()` or `_onError(err)`.
 * @internal
 */
export function connectStream(
  stream: NativeStream,
  host: string,
  port: number,
  bind: readonly [string, number] | null,
): Error | null {
  const handle = stream._handle as unknown as ClientHandle;
  const ipv6 = isIP(host) === 6;
  let localAddress: string | undefined;
  let localPort = 0;
  let err: number;
  if (bind !== null) {
    [localAddress, localPort] = bind;
    if (isIP(localAddress) === 0) {
      const e = new ArgTypeError(`Invalid IP address: ${localAddress}`) as NodeJS.ErrnoException;
      e.code = 'ERR_INVALID_IP_ADDRESS';
      return e;
    }
    // As node:net, the destination's family picks bind or bind6.
    err = ipv6 ? handle.bind6(localAddress, localPort, 0) : handle.bind(localAddress, localPort);
    // libuv defers EADDRINUSE to connect(), which would then bind another
    // port: as node:net, a port other than the one asked for is that error.
    if (err === 0 && localPort > 0) {
      const out: { port?: number } = {};
      err = handle.getsockname(out);
      if (err === 0 && out.port !== localPort) err = UV_EADDRINUSE;
    }
    if (err !== 0) return hostPortError(err, 'bind', localAddress, localPort);
  }
  const req = new (bindings() as Bindings).tcp.TCPConnectWrap();
  req.oncomplete = onConnectComplete as ConnectReq['oncomplete'];
  req.address = host;
  req.port = port;
  req.localAddress = localAddress;
  req.localPort = localPort;
  err = ipv6 ? handle.connect6(req, host, port) : handle.connect(req, host, port);
  if (err !== 0) return hostPortError(err, 'connect', host, port);
  return null;
}

// ---- UNIX sockets: the same over a pipe handle ------------------------------------

/** Whether connectUNIX attempts and accepted UNIX connections run on native pipe streams. @internal */
export function nativePipesEnabled(): boolean {
  return wanted && bindings()?.pipe != null;
}

/** A NativeStream over a new, unconnected pipe handle (connectUNIX). @internal */
export function newPipeStream(): NativeStream {
  const pipe = (bindings() as Bindings).pipe as NonNullable<Bindings['pipe']>;
  return new NativeStream(new pipe.Pipe(pipe.constants.SOCKET));
}

function onPipeConnectComplete(
  this: PipeConnectReq,
  status: number,
  handle: NativePipeHandle & { torsionStream?: NativeStream },
): void {
  const stream = handle.torsionStream;
  if (stream === undefined || stream.destroyed) return;
  if (status === 0) stream.owner?._onConnect();
  else stream._fail(hostPortError(status, 'connect', this.address, 0));
}

/**
 * Start connecting `stream`'s pipe handle to the UNIX socket `path`; as
 * node:net, failures (ENOENT, ECONNREFUSED...) arrive through the owner's
 * `_onError` (`connect ENOENT /the/path`, with `address` the path), or are
 * returned when libuv refuses at once.
 * @internal
 */
export function connectPipeStream(stream: NativeStream, path: string): Error | null {
  const pipe = (bindings() as Bindings).pipe as NonNullable<Bindings['pipe']>;
  const req = new pipe.PipeConnectWrap();
  req.oncomplete = onPipeConnectComplete as PipeConnectReq['oncomplete'];
  req.address = path;
  const err = (stream._handle as unknown as NativePipeHandle).connect(req, path);
  return err === 0 ? null : hostPortError(err, 'connect', path, 0);
}
