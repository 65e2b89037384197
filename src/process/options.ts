/**
 * The argument checks of `spawnProcess` (all of them run before anything
 * starts, and before the `node-pty` check), the executable's lookup along
 * the new environment's `PATH`, and signal names.
 * @module
 */
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as nodePath from 'node:path';
import type { ChildFDs, IProcessProtocol, PTYOptions, SignalID, SpawnProcessOptions } from '../interfaces/process';
import { ArgRangeError, ArgTypeError, describe } from '../validate';

/** Python's `os.defpath`: where the executable is looked up when the environment has no PATH. */
export const DEFAULT_PATH = ':/bin:/usr/bin';

/** The default child descriptors: stdin written by the parent, stdout and stderr read. */
export const DEFAULT_CHILD_FDS: ChildFDs = Object.freeze({ 0: 'w', 1: 'r', 2: 'r' });

/** The highest child fd accepted in `childFDs` (Node builds an stdio array that long). */
const MAX_CHILD_FD = 1023;

/** The default descriptors, checked once (never mutated: readers only). */
let DEFAULT_FD_MAP: ReadonlyMap<number, 'r' | 'w' | number>;

/** spawnProcess's arguments, checked and with their defaults. @internal */
export interface SpawnArgs {
  executable: string;
  args: readonly string[];
  /** null: inherit process.env. */
  env: Readonly<Record<string, string>> | null;
  path: string | null;
  uid: number | null;
  gid: number | null;
  usePTY: false | Required<PTYOptions>;
  childFDs: ReadonlyMap<number, 'r' | 'w' | number>;
}

function checkNoNul(name: string, value: string): void {
  if (value.includes('\0')) throw new ArgTypeError(`${name} must not contain a NUL byte, got ${describe(value)}`);
}

function checkId(name: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number') throw new ArgTypeError(`${name} must be a non-negative integer or null, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new ArgRangeError(`${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

/** Check the protocol handed to spawnProcess. @internal */
export function checkProcessProtocol(protocol: unknown): asserts protocol is IProcessProtocol {
  if (protocol === null || typeof protocol !== 'object') {
    throw new ArgTypeError(`processProtocol must be a process protocol object, got ${describe(protocol)}`);
  }
  for (const m of ['makeConnection', 'childDataReceived', 'childConnectionLost', 'processExited', 'processEnded']) {
    if (typeof (protocol as Record<string, unknown>)[m] !== 'function') {
      throw new ArgTypeError(`processProtocol must have a ${m}() method (extend ProcessProtocol), got ${describe(protocol)}`);
    }
  }
}

/** Check `env` (an object of strings, or null). @internal */
export function checkEnv(name: string, env: unknown): Readonly<Record<string, string>> | null {
  if (env === null) return null;
  if (typeof env !== 'object' || Array.isArray(env)) {
    throw new ArgTypeError(`${name} must be an object of strings or null, got ${describe(env)}`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new ArgTypeError(`${name}.${k} must be a string, got ${describe(v)}`);
    if (k === '' || k.includes('=')) throw new ArgTypeError(`${name} has an invalid variable name ${JSON.stringify(k)}`);
    checkNoNul(`${name}.${k}`, v);
    checkNoNul(`${name} variable name`, k);
    out[k] = v;
  }
  return out;
}

function checkChildFDs(value: unknown): ReadonlyMap<number, 'r' | 'w' | number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ArgTypeError(`childFDs must be an object mapping child fds to 'r', 'w' or a parent fd, got ${describe(value)}`);
  }
  const out = new Map<number, 'r' | 'w' | number>();
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const fd = Number(k);
    if (!/^\d+$/.test(k) || fd > MAX_CHILD_FD) {
      throw new ArgRangeError(`childFDs keys must be child fds 0-${MAX_CHILD_FD}, got ${JSON.stringify(k)}`);
    }
    if (v === 'r' || v === 'w') {
      if (fd === 0 && v === 'r') {
        throw new ArgRangeError(
          "childFDs[0] = 'r' is not supported: Node opens the parent's end of the child's fd 0 for writing only",
        );
      }
      out.set(fd, v);
    } else if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0) throw new ArgRangeError(`childFDs[${fd}] must be a parent fd >= 0, got ${v}`);
      out.set(fd, v);
    } else {
      throw new ArgTypeError(`childFDs[${fd}] must be 'r', 'w' or a parent fd number, got ${describe(v)}`);
    }
  }
  return out;
}

function checkPTY(value: unknown): false | Required<PTYOptions> {
  if (value === undefined || value === false) return false;
  if (value === true) return { cols: 80, rows: 24, name: 'xterm' };
  if (typeof value !== 'object' || value === null) {
    throw new ArgTypeError(`usePTY must be a boolean or { cols, rows, name }, got ${describe(value)}`);
  }
  const o = value as PTYOptions;
  const size = (n: string, v: unknown, d: number): number => {
    if (v === undefined) return d;
    if (typeof v !== 'number') throw new ArgTypeError(`usePTY.${n} must be an integer, got ${describe(v)}`);
    if (!Number.isInteger(v) || v < 1 || v > 0xffff)
      throw new ArgRangeError(`usePTY.${n} must be an integer in 1-65535, got ${v}`);
    return v;
  };
  if (o.name !== undefined && typeof o.name !== 'string')
    throw new ArgTypeError(`usePTY.name must be a string, got ${describe(o.name)}`);
  return { cols: size('cols', o.cols, 80), rows: size('rows', o.rows, 24), name: o.name ?? 'xterm' };
}

/**
 * Check spawnProcess's arguments and apply the defaults (Twisted's: an
 * empty environment, `[executable]` as the arguments).
 * @internal
 */
export function checkSpawnArgs(executable: unknown, args: unknown, opts: unknown): SpawnArgs {
  if (typeof executable !== 'string')
    throw new ArgTypeError(`executable must be a non-empty string, got ${describe(executable)}`);
  if (executable === '') throw new ArgTypeError('executable must be a non-empty string, got an empty string');
  checkNoNul('executable', executable);
  let argv: string[];
  if (args === undefined) argv = [executable];
  else {
    if (!Array.isArray(args)) throw new ArgTypeError(`args must be an array of strings, got ${describe(args)}`);
    if (args.length === 0) {
      throw new ArgTypeError("args must not be empty: args[0] is the child's argv[0] (omit args to get [executable])");
    }
    argv = args.map((a: unknown, i: number) => {
      if (typeof a !== 'string') throw new ArgTypeError(`args[${i}] must be a string, got ${describe(a)}`);
      checkNoNul(`args[${i}]`, a);
      return a;
    });
  }
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
    throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
  }
  const o = (opts ?? {}) as SpawnProcessOptions;
  const env = o.env === undefined ? {} : checkEnv('env', o.env);
  let path: string | null = null;
  if (o.path !== undefined && o.path !== null) {
    if (typeof o.path !== 'string' || o.path === '')
      throw new ArgTypeError(`path must be a non-empty string or null, got ${describe(o.path)}`);
    checkNoNul('path', o.path);
    path = o.path;
  }
  const uid = checkId('uid', o.uid);
  const gid = checkId('gid', o.gid);
  const usePTY = checkPTY(o.usePTY);
  const hasFDs = o.childFDs !== undefined && o.childFDs !== null;
  if (usePTY !== false && hasFDs) throw new ArgTypeError('childFDs is not supported with usePTY');
  const childFDs = hasFDs ? checkChildFDs(o.childFDs) : DEFAULT_FD_MAP;
  return { executable, args: argv, env, path, uid, gid, usePTY, childFDs };
}

/** A Node-style system error for a failed start found before spawning. */
function spawnError(code: 'ENOENT' | 'EACCES', file: string, argv: readonly string[]): NodeJS.ErrnoException {
  const text = code === 'ENOENT' ? 'no such file or directory' : 'permission denied';
  const err: NodeJS.ErrnoException & { spawnargs?: readonly string[] } = new Error(`spawn ${file} ${code}: ${text}`);
  err.code = code;
  err.errno = -(osConstants.errno[code] ?? 0);
  err.syscall = `spawn ${file}`;
  err.path = file;
  err.spawnargs = argv.slice(1);
  return err;
}

/**
 * Find `executable` as `execvpe` would: a name with a `/` is used as is;
 * otherwise each entry of `PATH` (the new environment's, or
 * {@link DEFAULT_PATH}) is tried, an empty entry meaning the child's working
 * directory. Returns the file to run, or the error the child would report.
 * @internal
 */
export function findExecutable(
  executable: string,
  env: Readonly<Record<string, string>> | null,
  cwd: string | null,
  argv: readonly string[],
): string | NodeJS.ErrnoException {
  if (executable.includes('/')) return executable;
  const pathVar = (env === null ? process.env.PATH : env.PATH) ?? DEFAULT_PATH;
  const base = cwd ?? process.cwd();
  let sawDenied = false;
  for (const dir of pathVar.split(':')) {
    const candidate = nodePath.resolve(base, dir === '' ? '.' : dir, executable);
    // No exception per missing entry: a PATH of a dozen directories is the common case.
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(candidate, { throwIfNoEntry: false });
    } catch {
      continue; // ENOTDIR, EACCES on a directory of PATH: not there
    }
    if (st === undefined || !st.isFile()) continue;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      sawDenied = true;
    }
  }
  return spawnError(sawDenied ? 'EACCES' : 'ENOENT', executable, argv);
}

/**
 * The Node signal name of `signalID` (`'TERM'` → `'SIGTERM'`), or the number.
 * @throws TypeError for an unknown name or a value that is no signal.
 * @internal
 */
export function signalName(signalID: SignalID): NodeJS.Signals | number {
  if (typeof signalID === 'number') {
    if (!Number.isInteger(signalID) || signalID < 0 || signalID > 64) {
      throw new ArgRangeError(`signalID must be a signal number in 0-64, got ${signalID}`);
    }
    return signalID;
  }
  if (typeof signalID !== 'string') throw new ArgTypeError(`signalID must be a signal name or number, got ${describe(signalID)}`);
  const name = (signalID.startsWith('SIG') ? signalID : `SIG${signalID}`) as NodeJS.Signals;
  if (!(name in osConstants.signals)) throw new ArgTypeError(`signalID ${JSON.stringify(signalID)} is not a known signal name`);
  return name;
}

/** The number of a Node signal name (for the POSIX wait status). @internal */
export function signalNumber(name: string): number | null {
  const n = (osConstants.signals as Record<string, number>)[name];
  return n === undefined ? null : n;
}

DEFAULT_FD_MAP = checkChildFDs(DEFAULT_CHILD_FDS);
