/**
 * Client connections without a net.Socket: a TCP handle from Node's private
 * `tcp_wrap` binding, bound and connected the way node:net's internalConnect
 * does it, then driven by a {@link NativeStream}. Saves building the
 * Socket/Duplex state per attempt (the largest per-connection cost), which
 * is what pooling client net.Sockets approximated.
 *
 * Behind feature detection, as accepted streams: when anything is missing
 * (or {@link _setNativeClients} turned it off for specs), clients use a
 * pooled net.Socket.
 * @module
 */
import { isIP } from 'node:net';
import { getSystemErrorMap } from 'node:util';
import { NativeStream, nativeStreamsAvailable } from './native-stream';
import type { NativeTCPClientHandle } from './socket';

/** The connect request node:net passes to `TCP#connect`. */
interface ConnectReq {
  oncomplete: (this: ConnectReq, status: number, handle: ClientHandle) => void;
  address: string;
  port: number;
  localAddress: string | undefined;
  localPort: number;
}

/** What this module needs from an unconnected TCP handle. */
interface ClientHandle extends NativeTCPClientHandle {
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  connect(req: ConnectReq, address: string, port: number): number;
  connect6(req: ConnectReq, address: string, port: number): number;
  getsockname(out: { address?: string; port?: number }): number;
  torsionStream?: NativeStream;
}

interface ClientBinding {
  TCP: new (type: number) => ClientHandle;
  TCPConnectWrap: new () => ConnectReq;
  constants: { SOCKET: number };
}

function loadBinding(): ClientBinding | null {
  try {
    const b = (process as unknown as { binding(name: string): unknown }).binding('tcp_wrap') as Partial<ClientBinding>;
    const proto = b?.TCP?.prototype as Partial<ClientHandle> | undefined;
    if (
      typeof b.TCP !== 'function' ||
      typeof b.TCPConnectWrap !== 'function' ||
      typeof b.constants?.SOCKET !== 'number' ||
      typeof proto?.bind !== 'function' ||
      typeof proto.bind6 !== 'function' ||
      typeof proto.connect !== 'function' ||
      typeof proto.connect6 !== 'function' ||
      typeof proto.getsockname !== 'function'
    ) {
      return null;
    }
    return b as ClientBinding;
  } catch {
    return null;
  }
}

const binding = loadBinding();
let UV_EADDRINUSE = 0;
for (const [errno, [code]] of getSystemErrorMap()) if (code === 'EADDRINUSE') UV_EADDRINUSE = errno;
const available = binding !== null && UV_EADDRINUSE !== 0 && nativeStreamsAvailable();
let enabled = available;

/**
 * Turn native client connections off (pooled net.Sockets instead) or back
 * on when available: specs run both paths. Returns whether they are in use.
 * @internal
 */
export function _setNativeClients(on: boolean): boolean {
  enabled = on && available;
  return enabled;
}

/** Whether connectTCP attempts run on a native stream. @internal */
export function nativeClientsEnabled(): boolean {
  return enabled;
}

/** A NativeStream over a new, unconnected TCP handle. @internal */
export function newClientStream(): NativeStream {
  const b = binding as ClientBinding;
  return new NativeStream(new b.TCP(b.constants.SOCKET));
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
export function connectStream(stream: NativeStream, host: string, port: number, bind: readonly [string, number] | null): Error | null {
  const handle = stream._handle as unknown as ClientHandle;
  const ipv6 = isIP(host) === 6;
  let localAddress: string | undefined;
  let localPort = 0;
  let err: number;
  if (bind !== null) {
    [localAddress, localPort] = bind;
    if (isIP(localAddress) === 0) {
      const e = new TypeError(`Invalid IP address: ${localAddress}`) as NodeJS.ErrnoException;
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
  const req = new (binding as ClientBinding).TCPConnectWrap();
  req.oncomplete = onConnectComplete;
  req.address = host;
  req.port = port;
  req.localAddress = localAddress;
  req.localPort = localPort;
  err = ipv6 ? handle.connect6(req, host, port) : handle.connect(req, host, port);
  if (err !== 0) return hostPortError(err, 'connect', host, port);
  return null;
}
