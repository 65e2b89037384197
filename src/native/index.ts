/**
 * The loader of torsion's native addon (`build/Release/torsion_native.node`,
 * built by node-gyp at install from `native/*.cc`).
 *
 * The addon is loaded lazily, at the first use of a feature that needs it
 * (a raw file descriptor given to `addReader`/`addWriter`, `torsion/fdesc`,
 * TCP keepalive interval/count, UNIX datagram sockets), and at most once.
 * When it is missing (no compiler at install time), fails to load, or
 * `TORSION_NO_NATIVE=1` is set (read at that first use), those features
 * throw {@link NativeAddonUnavailableError} and everything else works;
 * {@link nativeAddonStatus} says why.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getSystemErrorName } from 'node:util';
import { NativeAddonUnavailableError } from '../errors';

/** Where the addon file sits below the package root. */
const ADDON_FILE = path.join('build', 'Release', 'torsion_native.node');
/** Written by native/install.js when the install-time build failed. */
const FAILED_MARKER = path.join('build', 'torsion_native.failed');
/** The version of the addon's JavaScript interface this loader speaks. */
const ABI_VERSION = 1;

/** What `nativeAddonStatus()` reports. */
export interface NativeAddonStatus {
  /** Whether the addon loaded (and `TORSION_NO_NATIVE` is not set). */
  readonly available: boolean;
  /** The addon file that loaded, or was found but failed to load; null when none was found. */
  readonly path: string | null;
  /** Why it is unavailable; null when it is available. */
  readonly reason: string | null;
}

/** A libuv poll handle on a raw fd (native/fdpoll.cc). @internal */
export interface NativeFdWatcher {
  /** The watched fd. */
  readonly fd: number;
  /** uv_poll_start with a mask of UV_READABLE | UV_WRITABLE | UV_DISCONNECT. */
  start(events: number): void;
  /** uv_poll_stop. */
  stop(): void;
  /** uv_close (idempotent); the watcher cannot start again. */
  close(): void;
}

/**
 * The addon's exports (see the comments at the top of native/*.cc).
 * Functions returning a number return a negative errno on failure; the
 * others throw an Error shaped like Node's system errors (`code`, `errno`,
 * `syscall`).
 * @internal
 */
export interface NativeAddon {
  readonly abiVersion: number;
  readonly FdWatcher: new (fd: number, callback: (status: number, events: number) => void) => NativeFdWatcher;
  readonly UV_READABLE: number;
  readonly UV_WRITABLE: number;
  readonly UV_DISCONNECT: number;
  readonly O_NONBLOCK: number;
  getStatusFlags(fd: number): number;
  setNonBlocking(fd: number, on: boolean): void;
  read(fd: number, buf: Uint8Array, offset: number, length: number): number;
  write(fd: number, buf: Uint8Array, offset: number, length: number): number;
  pipe(nonBlocking: boolean): [number, number];
  socketpair(datagram: boolean, nonBlocking: boolean): [number, number];
  close(fd: number): void;
  setKeepAliveParams(fd: number, intervalSeconds: number, count: number): void;
  getKeepAliveParams(fd: number): [number, number];
  unixDgramSocket(): number;
  unixBind(fd: number, path: Uint8Array): void;
  unixConnect(fd: number, path: Uint8Array): void;
  unixSendto(fd: number, buf: Uint8Array, offset: number, length: number, path: Uint8Array | null): number;
  unixRecvfrom(fd: number, buf: Uint8Array, offset: number, length: number): [number, Buffer | null] | number;
  unixGetsockname(fd: number): Buffer | null;
  /** Accept up to out.length pending connections (non-blocking, close-on-exec fds into `out`); returns the count, or a negative errno when none was accepted. */
  acceptMany(fd: number, out: Int32Array): number;
}

const HINT =
  'run `npm rebuild torsion` with a C++ toolchain installed (a C++ compiler, python3, make and the Node headers), ' +
  'or `npm run build:native` in a checkout of torsion';

interface Loaded {
  readonly addon: NativeAddon | null;
  readonly status: NativeAddonStatus;
}

let loaded: Loaded | null = null;
let forcedReason: string | null = null;

/** Walk up from this file's directory to the first `build/Release/torsion_native.node`. */
function findAddon(): { file: string | null; root: string | null } {
  let dir = __dirname;
  let root: string | null = null;
  for (;;) {
    const candidate = path.join(dir, ADDON_FILE);
    if (fs.existsSync(candidate)) return { file: candidate, root: dir };
    if (root === null && isTorsionRoot(dir)) root = dir;
    const parent = path.dirname(dir);
    // Past torsion's own package root, a build/ belongs to someone else.
    if (parent === dir || root !== null) return { file: null, root };
    dir = parent;
  }
}

function isTorsionRoot(dir: string): boolean {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    return pkg.name === 'torsion';
  } catch {
    return false;
  }
}

function unavailable(reason: string, file: string | null = null): Loaded {
  return { addon: null, status: Object.freeze({ available: false, path: file, reason }) };
}

function load(): Loaded {
  if (process.env.TORSION_NO_NATIVE === '1') return unavailable('TORSION_NO_NATIVE=1 is set');
  const { file, root } = findAddon();
  if (file === null) {
    let why = 'the install-time build did not run';
    try {
      if (root !== null) why = `the install-time build failed: ${fs.readFileSync(path.join(root, FAILED_MARKER), 'utf8').trim()}`;
    } catch {
      // no marker: the build never ran (or build/ was removed)
    }
    return unavailable(`${ADDON_FILE} was not found (${why})`);
  }
  let addon: NativeAddon;
  try {
    addon = require(file) as NativeAddon;
  } catch (err) {
    return unavailable(`${file} failed to load: ${(err as Error)?.message ?? String(err)}`, file);
  }
  if (addon.abiVersion !== ABI_VERSION) {
    return unavailable(`${file} is a stale build (interface ${String(addon.abiVersion)}, expected ${ABI_VERSION})`, file);
  }
  return { addon, status: Object.freeze({ available: true, path: file, reason: null }) };
}

function state(): Loaded {
  loaded ??= load();
  return loaded;
}

/** The addon, or null when it is unavailable (loads it on first call). @internal */
export function nativeAddon(): NativeAddon | null {
  return forcedReason === null ? state().addon : null;
}

/**
 * The addon for `feature`, or throw.
 * @param feature - what needs it, naming the descriptor or call (e.g. "addReader(<Pipe> fd 5)").
 * @throws NativeAddonUnavailableError when the addon is unavailable, with the reason and how to build it.
 * @internal
 */
export function requireNative(feature: string): NativeAddon {
  const addon = nativeAddon();
  if (addon !== null) return addon;
  throw new NativeAddonUnavailableError(feature, nativeAddonStatus().reason ?? 'unknown reason', { hint: HINT });
}

/**
 * Whether torsion's native addon is available, where it was found, and
 * why not. Never throws; loads the addon if no feature did yet.
 * @example
 * ```ts
 * import { nativeAddonStatus } from 'torsion/fdesc';
 * const s = nativeAddonStatus();
 * if (!s.available) console.warn(`raw fds unavailable: ${s.reason}`);
 * ```
 */
export function nativeAddonStatus(): NativeAddonStatus {
  if (forcedReason !== null) return Object.freeze({ available: false, path: null, reason: forcedReason });
  return state().status;
}

/**
 * Test switch: make the addon unavailable with `reason` (as
 * `TORSION_NO_NATIVE=1` does), or undo it with null. Descriptors already
 * watched keep their poll handles.
 * @internal
 */
export function _setNativeUnavailable(reason: string | null): void {
  forcedReason = reason;
}

/**
 * An Error shaped like Node's system errors (`code`, `errno`, `syscall`)
 * for the negative errno `err` an addon call returned.
 * @internal
 */
export function errnoError(err: number, syscall: string): NodeJS.ErrnoException {
  let code: string;
  try {
    code = getSystemErrorName(err);
  } catch {
    code = `errno ${err}`;
  }
  const e: NodeJS.ErrnoException = new Error(`${syscall} ${code}`);
  e.code = code;
  e.errno = err;
  e.syscall = syscall;
  return e;
}
