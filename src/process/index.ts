/**
 * Child processes (`torsion/process`): Twisted's `spawnProcess` with its
 * `ProcessProtocol` contract, and asyncio's `SubprocessProtocol` through
 * {@link subprocessExec}.
 *
 * **`spawnProcess` without `env` gives the child an EMPTY environment**
 * (Twisted's default): pass `env: null` to inherit `process.env`.
 * `subprocessExec` inherits by default, as asyncio does.
 * @module torsion/process
 */
export { Process } from './process';
export { PTYProcess } from './pty-process';
export { spawnProcess } from './spawn';
export { SubprocessProtocol, subprocessExec } from './subprocess';
export type { SubprocessTransport, SubprocessExecOptions } from './subprocess';
export type { SpawnProcessOptions, ChildFDs, PTYOptions, SignalID } from '../interfaces/process';
