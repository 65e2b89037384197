/**
 * `spawnProcess(reactor, ...)`: what `reactor.spawnProcess` calls. Checks
 * every argument at once, finds the executable along the new environment's
 * `PATH`, starts the child with `node:child_process` and hands it to a
 * {@link Process} (or a {@link PTYProcess} for `usePTY`).
 * @module
 */
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import type { IReactorFDSet } from '../interfaces/fdset';
import type { IProcessProtocol, IProcessTransport, SpawnProcessOptions } from '../interfaces/process';
import { checkProcessProtocol, checkSpawnArgs, findExecutable } from './options';
import { Process } from './process';
import { spawnPTY } from './pty-process';

/** Errors of a fork that cannot happen: thrown, as Twisted's OSError is. */
const CANNOT_FORK = new Set(['EAGAIN', 'ENOMEM']);

/**
 * Start a child process and connect `processProtocol` to it. This is
 * `reactor.spawnProcess`; see {@link torsion/interfaces!IReactorProcess.spawnProcess}.
 *
 * **Without `opts.env` the child gets an EMPTY environment** (Twisted's
 * default; no `PATH`, `HOME` or `LANG`): pass `env: null` to inherit
 * `process.env`, or the variables it needs.
 *
 * @throws TypeError / RangeError naming the bad argument (checked before
 *   anything starts); FeatureUnavailableError for `usePTY` without
 *   `node-pty`; the Node error when the system cannot fork (EAGAIN, ENOMEM).
 * @example
 * ```ts
 * class Out extends ProcessProtocol {
 *   override outReceived(data: Buffer): void { process.stdout.write(data); }
 *   override processEnded(): void { reactor.stop(); }
 * }
 * spawnProcess(reactor, new Out(), 'echo', ['echo', 'hello'], { env: { PATH: '/bin:/usr/bin' } });
 * ```
 */
export function spawnProcess(
  reactor: IReactorFDSet,
  processProtocol: IProcessProtocol,
  executable: string,
  args?: readonly string[],
  opts?: SpawnProcessOptions,
): IProcessTransport {
  checkProcessProtocol(processProtocol);
  const a = checkSpawnArgs(executable, args, opts);
  if (a.usePTY !== false) return spawnPTY(reactor, processProtocol, a);

  const pipes = new Map<number, 'r' | 'w'>();
  let maxFD = 2;
  for (const fd of a.childFDs.keys()) if (fd > maxFD) maxFD = fd;
  const stdio: (string | number)[] = [];
  for (let fd = 0; fd <= maxFD; fd++) {
    const v = a.childFDs.get(fd);
    if (v === 'r' || v === 'w') {
      stdio.push('pipe');
      pipes.set(fd, v);
    } else if (typeof v === 'number') stdio.push(v);
    else stdio.push('ignore');
  }

  const transport = new Process(reactor, processProtocol);
  const file = findExecutable(a.executable, a.env, a.path, a.args);
  if (typeof file !== 'string') {
    transport._start({ child: null, startError: file, pipes });
    return transport;
  }
  let child: ChildProcess;
  try {
    child = spawn(file, a.args.slice(1), {
      argv0: a.args[0],
      env: a.env === null ? process.env : (a.env as NodeJS.ProcessEnv),
      cwd: a.path ?? undefined,
      uid: a.uid ?? undefined,
      gid: a.gid ?? undefined,
      stdio: stdio as StdioOptions,
      windowsHide: true,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined && CANNOT_FORK.has(code)) throw err;
    transport._start({ child: null, startError: err as Error, pipes });
    return transport;
  }
  transport._start({ child, startError: null, pipes });
  return transport;
}
