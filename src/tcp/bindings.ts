/**
 * The one place that touches Node's private bindings (`process.binding`
 * `tcp_wrap` and `stream_wrap`): the fast path of listenTCP (a synchronous
 * bind without net.Server), of accepted connections and of client
 * connections (a {@link NativeStream} over the libuv handle, no net.Socket).
 *
 * Loaded on first use (the first listenTCP or connectTCP), never when
 * torsion is imported. Before touching anything it checks that Node has
 * not asked for the bindings to be left alone, and then it self-tests:
 * bind and listen a handle on 127.0.0.1:0, read the address back, close it.
 * Anything unexpected turns the whole fast path off, and the transports
 * use Node's public API instead (same behaviour, a little slower).
 *
 * The bindings are left alone when:
 * - `TORSION_NO_BINDINGS` is set in the environment (to anything but `0` or '');
 * - Node's permission model is on (`process.permission`; `--permission`,
 *   `--experimental-permission`): process.binding throws ERR_ACCESS_DENIED;
 * - deprecations are pending or thrown (`--pending-deprecation`,
 *   `NODE_PENDING_DEPRECATION=1`, `--throw-deprecation`): process.binding
 *   emits DEP0111, which `--throw-deprecation` turns into an exit;
 * - `process.binding` is missing or throws.
 * @internal
 * @module
 */
import { getSystemErrorMap } from 'node:util';
import { isInt32Array } from 'node:util/types';
import { Logger } from '../logger';

const log = new Logger('torsion.tcp');

/** The part of libuv's TCP handle wrap that a listening Port uses. @hidden */
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

/** An accepted (or client) connection's handle. @hidden */
export interface NativeTCPClientHandle {
  getpeername(out: { address?: string; port?: number; family?: string }): number;
  close(cb?: () => void): void;
}

/** The connect request node:net passes to `TCP#connect`. @internal */
export interface ConnectReq {
  oncomplete: (this: ConnectReq, status: number, handle: never) => void;
  address: string;
  port: number;
  localAddress: string | undefined;
  localPort: number;
}

/** `process.binding('tcp_wrap')`, as far as torsion uses it. @internal */
export interface TCPWrapBinding {
  /** A handle of either kind: `constants.SERVER` (to listen) or `constants.SOCKET` (to connect). */
  TCP: new (
    type: number,
  ) => NativeTCPHandle & NativeTCPClientHandle;
  TCPConnectWrap: new () => ConnectReq;
  constants: { SOCKET: number; SERVER: number };
}

/** libuv's pipe handle wrap (UNIX sockets): listening, accepted and client handles. @hidden */
export interface NativePipeHandle extends NativeTCPClientHandle {
  bind(path: string): number;
  listen(backlog: number): number;
  connect(req: PipeConnectReq, path: string): number;
  ref(): void;
  unref(): void;
  onconnection: ((this: NativePipeHandle, status: number, client?: NativePipeHandle) => void) | null;
}

/** The connect request node:net passes to `Pipe#connect`. @hidden */
export interface PipeConnectReq {
  oncomplete: (this: PipeConnectReq, status: number, handle: never) => void;
  address: string;
}

/** `process.binding('pipe_wrap')`, as far as torsion uses it (UNIX sockets). @internal */
export interface PipeWrapBinding {
  Pipe: new (type: number) => NativePipeHandle;
  PipeConnectWrap: new () => PipeConnectReq;
  constants: { SOCKET: number; SERVER: number };
}

/** `process.binding('stream_wrap')`, as far as torsion uses it. @internal */
export interface StreamWrapBinding {
  WriteWrap: new () => unknown;
  ShutdownWrap: new () => unknown;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kBytesWritten: number;
  kLastWriteWasAsync: number;
}

/**
 * What the fast path may use: `tcp` for listening; `stream` (null when
 * unusable) for NativeStreams, which client connections need too.
 * @internal
 */
export interface Bindings {
  readonly tcp: TCPWrapBinding;
  readonly stream: StreamWrapBinding | null;
  /** Whether client handles can bind and connect (TCPConnectWrap and the handle methods). */
  readonly clients: boolean;
  /**
   * `pipe_wrap`, for UNIX sockets (listen, accept, connect, all as
   * NativeStreams); null when unusable (or `stream` is), and then the UNIX
   * transports use node:net.
   */
  readonly pipe: PipeWrapBinding | null;
}

/** A stand-in for `process.binding` (specs). @internal */
export type Binder = (name: string) => unknown;

/** The handle methods a NativeStream calls. */
const STREAM_METHODS = [
  'readStart',
  'readStop',
  'useUserBuffer',
  'writeBuffer',
  'writev',
  'shutdown',
  'reset',
  'setNoDelay',
  'setKeepAlive',
  'getsockname',
  'getpeername',
  'close',
  'ref',
  'unref',
] as const;
const LISTEN_METHODS = ['bind', 'bind6', 'listen', 'getsockname', 'close'] as const;
const CLIENT_METHODS = ['bind', 'bind6', 'connect', 'connect6', 'getsockname'] as const;
/** What a Pipe handle needs for UNIX sockets: no TCP options, no getsockname/reset. */
const PIPE_METHODS = [
  'bind',
  'listen',
  'connect',
  'readStart',
  'readStop',
  'useUserBuffer',
  'writeBuffer',
  'writev',
  'shutdown',
  'close',
  'ref',
  'unref',
] as const;

let loaded = false;
let current: Bindings | null = null;
let why: string | null = null;
let wanted = true;

/**
 * The bindings, loaded (and self-tested) on the first call; null when the
 * fast path is off. Cheap after the first call.
 * @internal
 */
export function bindings(): Bindings | null {
  if (!loaded) load(null);
  return wanted ? current : null;
}

/**
 * The in-process switch, for specs: `false` turns the whole fast path off
 * (listen, accepted streams, clients), `true` back on where available.
 * Returns whether it is now on. (`TORSION_NO_BINDINGS=1` is the switch for
 * a whole process; it also keeps the bindings from being loaded.)
 * @internal
 */
export function _setBindings(on: boolean): boolean {
  wanted = on;
  return bindings() !== null;
}

/**
 * Whether the fast path is on, and if not, why (for diagnostics and specs).
 * Loads the bindings if nothing has yet.
 * @internal
 */
export function bindingsStatus(): { readonly enabled: boolean; readonly reason: string | null } {
  const on = bindings() !== null;
  return { enabled: on, reason: on || wanted ? why : 'switched off (_setBindings(false))' };
}

/** Whether anything has loaded the bindings yet (specs: importing torsion must not). @internal */
export function bindingsLoaded(): boolean {
  return loaded;
}

/**
 * Load again: with `binder`, from it instead of `process.binding` (the
 * environment checks are skipped: they are about process.binding), so a
 * spec can feed the self-test a binding that misbehaves; without, as on
 * first use. Returns the new status.
 * @internal
 */
export function _reloadBindings(binder?: Binder): { readonly enabled: boolean; readonly reason: string | null } {
  load(binder ?? null);
  return { enabled: current !== null, reason: why };
}

function load(binder: Binder | null): void {
  loaded = true;
  current = null;
  why = binder === null ? refusal() : null;
  if (why !== null) {
    log.debug(`Node's private TCP bindings not used: ${why}`);
    return;
  }
  const bind: Binder = binder ?? ((name) => (process as unknown as { binding(name: string): unknown }).binding(name));
  let b: Bindings | string;
  try {
    b = inspect(bind);
  } catch (err) {
    b = `process.binding threw ${String(err)}`;
  }
  if (typeof b === 'string') {
    why = b;
    log.warn(`Node's private TCP bindings not used (${why}): the public net API serves instead`);
    return;
  }
  current = b;
}

/** Why Node asks for the bindings to be left alone, or null. */
function refusal(): string | null {
  const off = process.env.TORSION_NO_BINDINGS;
  if (off !== undefined && off !== '' && off !== '0') return `TORSION_NO_BINDINGS=${off}`;
  const p = process as unknown as { permission?: unknown; throwDeprecation?: boolean; binding?: unknown };
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const flag = (name: string): boolean => flags.some((f) => f === name || f.startsWith(`${name}=`));
  if (p.permission !== undefined || flag('--permission') || flag('--experimental-permission')) {
    return 'the permission model is on';
  }
  if (p.throwDeprecation === true || flag('--throw-deprecation')) return '--throw-deprecation';
  if (flag('--pending-deprecation') || process.env.NODE_PENDING_DEPRECATION === '1') return '--pending-deprecation';
  if (typeof p.binding !== 'function') return 'process.binding is missing';
  return null;
}

function hasMethods(proto: Record<string, unknown> | undefined, names: readonly string[]): boolean {
  return proto !== undefined && names.every((m) => typeof proto[m] === 'function');
}

/** Feature detection, then the self-test: a Bindings, or why not. */
function inspect(bind: Binder): Bindings | string {
  const tcp = bind('tcp_wrap') as Partial<TCPWrapBinding> | undefined;
  const proto = (tcp?.TCP as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  if (
    typeof tcp?.TCP !== 'function' ||
    typeof tcp.constants?.SERVER !== 'number' ||
    typeof tcp.constants.SOCKET !== 'number' ||
    !hasMethods(proto, LISTEN_METHODS)
  ) {
    return 'tcp_wrap lacks TCP, its constants or bind/listen/getsockname/close';
  }
  const failed = selfTest(tcp as TCPWrapBinding);
  if (failed !== null) return `self-test: ${failed}`;
  let stream: StreamWrapBinding | null = null;
  const sw = bind('stream_wrap') as Partial<StreamWrapBinding> | undefined;
  if (
    typeof sw?.WriteWrap === 'function' &&
    typeof sw.ShutdownWrap === 'function' &&
    // (isInt32Array, not instanceof: the array may come from another realm, e.g. under jest.)
    isInt32Array(sw.streamBaseState) &&
    typeof sw.kReadBytesOrError === 'number' &&
    typeof sw.kBytesWritten === 'number' &&
    typeof sw.kLastWriteWasAsync === 'number' &&
    hasMethods(proto, STREAM_METHODS) &&
    uvCode('EOF') !== null &&
    uvCode('ENOTCONN') !== null
  ) {
    stream = sw as StreamWrapBinding;
  }
  const clients =
    stream !== null &&
    typeof tcp.TCPConnectWrap === 'function' &&
    hasMethods(proto, CLIENT_METHODS) &&
    uvCode('EADDRINUSE') !== null;
  return { tcp: tcp as TCPWrapBinding, stream, clients, pipe: stream === null ? null : inspectPipe(bind) };
}

/** pipe_wrap, if it has everything UNIX sockets use (else null: node:net serves them). */
function inspectPipe(bind: Binder): PipeWrapBinding | null {
  let pipe: Partial<PipeWrapBinding> | undefined;
  try {
    pipe = bind('pipe_wrap') as Partial<PipeWrapBinding> | undefined;
  } catch {
    return null;
  }
  const proto = (pipe?.Pipe as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  if (
    typeof pipe?.Pipe !== 'function' ||
    typeof pipe.PipeConnectWrap !== 'function' ||
    typeof pipe.constants?.SERVER !== 'number' ||
    typeof pipe.constants.SOCKET !== 'number' ||
    !hasMethods(proto, PIPE_METHODS) ||
    uvCode('ENOENT') === null
  ) {
    return null;
  }
  return pipe as PipeWrapBinding;
}

/**
 * Bind and listen a server handle on 127.0.0.1:0, read its address back,
 * close it: null when all went as expected, else what did not.
 */
function selfTest(tcp: TCPWrapBinding): string | null {
  let handle: NativeTCPHandle | null = null;
  try {
    handle = new tcp.TCP(tcp.constants.SERVER);
    let err = handle.bind('127.0.0.1', 0);
    if (err !== 0) return `bind(127.0.0.1, 0) returned ${String(err)}`;
    err = handle.listen(1);
    if (err !== 0) return `listen returned ${String(err)}`;
    const out: { address?: unknown; port?: unknown; family?: unknown } = {};
    err = handle.getsockname(out as { address?: string });
    if (err !== 0) return `getsockname returned ${String(err)}`;
    const { address, port, family } = out;
    if (
      address !== '127.0.0.1' ||
      typeof port !== 'number' ||
      !Number.isInteger(port) ||
      port <= 0 ||
      port > 65535 ||
      (family !== 'IPv4' && family !== 4)
    ) {
      return `getsockname gave ${JSON.stringify(out)}`;
    }
    return null;
  } catch (err) {
    return `threw ${String(err)}`;
  } finally {
    try {
      handle?.close();
    } catch {
      // (Reported by the checks above, if it matters.)
    }
  }
}

/** A libuv error code by name (negative), from the public error map. @internal */
export function uvCode(name: string): number | null {
  for (const [errno, [code]] of getSystemErrorMap()) if (code === name) return errno;
  return null;
}
