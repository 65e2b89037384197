import type { Failure } from '../defer/failure';
import type { IAddress } from './address';
import type { IConsumer, IPushProducer } from './producer';
import type { ITransport } from './transport';

/**
 * How the child's file descriptors are set up (Twisted's `childFDs`): for
 * each child fd, `'r'` (the parent reads what the child writes there), `'w'`
 * (the parent writes, the child reads) or a number (the child inherits the
 * parent's fd of that number). A child fd not listed is not opened (fds 0-2
 * not listed are opened on `/dev/null`, as Node does).
 */
export type ChildFDs = Readonly<Record<number, 'r' | 'w' | number>>;

/** The terminal of a PTY child (`usePTY: { ... }`). */
export interface PTYOptions {
  /** Columns. Default 80. */
  cols?: number;
  /** Rows. Default 24. */
  rows?: number;
  /** The terminal type (`TERM`). Default `'xterm'`. */
  name?: string;
}

/** Options of {@link IReactorProcess.spawnProcess}. */
export interface SpawnProcessOptions {
  /**
   * The child's environment. **Default `{}`: an EMPTY environment (no
   * `PATH`, no `HOME`), as Twisted does.** Pass `null` to inherit
   * `process.env`, or an object of string values.
   */
  env?: Readonly<Record<string, string>> | null;
  /** The child's working directory. Default (and null): the parent's. */
  path?: string | null;
  /** The user id to run the child as. Default: the parent's. */
  uid?: number | null;
  /** The group id to run the child as. Default: the parent's. */
  gid?: number | null;
  /** Run the child on a pseudo-terminal (needs the optional `node-pty`). Default false. */
  usePTY?: boolean | PTYOptions;
  /** The child's descriptors. Default `{ 0: 'w', 1: 'r', 2: 'r' }`. */
  childFDs?: ChildFDs | null;
}

/** A signal for {@link IProcessTransport.signalProcess}: a name without `SIG`, Node's name, or a number. */
export type SignalID = 'KILL' | 'TERM' | 'INT' | 'HUP' | 'QUIT' | 'USR1' | 'USR2' | NodeJS.Signals | number;

/**
 * Starts child processes (Twisted's `IReactorProcess`).
 */
export interface IReactorProcess {
  /**
   * Start `executable` with `args` (`args[0]` is the child's `argv[0]`;
   * omitted: `[executable]`) and connect `processProtocol` to it.
   *
   * **The child gets an EMPTY environment unless `opts.env` says otherwise**
   * (Twisted's default): `env: null` inherits `process.env`. The executable
   * is looked up along the new environment's `PATH` (or `:/bin:/usr/bin`
   * when it has none), never the parent's.
   *
   * The child starts synchronously: `makeConnection -> connectionMade` run
   * before this returns. A child that cannot be started (`ENOENT`,
   * `EACCES`, a bad `path`, `EPERM`) does not throw: it ends through
   * `processEnded` with `ProcessTerminated(exitCode 1)`, the Node error as
   * `cause`.
   *
   * @throws TypeError / RangeError (naming the argument) for a bad argument;
   *   FeatureUnavailableError for `usePTY` without `node-pty`; the Node
   *   error when the process cannot fork (`EAGAIN`, `ENOMEM`).
   */
  spawnProcess(
    processProtocol: IProcessProtocol,
    executable: string,
    args?: readonly string[],
    opts?: SpawnProcessOptions,
  ): IProcessTransport;
}

/**
 * The protocol of a child process (Twisted's `IProcessProtocol`).
 *
 * Grammar: `makeConnection -> connectionMade -> (childDataReceived |
 * childConnectionLost)* -> processExited -> (childDataReceived |
 * childConnectionLost)* -> processEnded`, where every child fd gets
 * `childConnectionLost` exactly once, `processExited` runs when the child
 * is reaped and `processEnded` once it has exited *and* every pipe closed;
 * each exactly once. A throw or a rejected Promise of a callback is logged
 * and closes the child's pipes (the child is not signalled).
 */
export interface IProcessProtocol {
  /** Attach the transport and call `connectionMade()`. */
  makeConnection(process: IProcessTransport): void;
  /** The child wrote `data` on its fd `childFD` (an `'r'` descriptor). */
  childDataReceived(childFD: number, data: Buffer): void;
  /** The pipe of child fd `childFD` is closed (EOF, closeChildFD, the child's exit). */
  childConnectionLost(childFD: number): void;
  /** The child was reaped: `reason.value` is ProcessDone or ProcessTerminated. */
  processExited(reason: Failure): void;
  /** The child exited and all its pipes are closed: the last call. */
  processEnded(reason: Failure): void;
}

/**
 * The transport of a child process (Twisted's `IProcessTransport`), with the
 * watermarks and producer support of the TCP transport for writes.
 */
export interface IProcessTransport extends ITransport, IConsumer, IPushProducer {
  /** The child's pid from `connectionMade` until it is reaped (null before processExited). */
  readonly pid: number | null;
  /** Write to the child's fd 0. */
  write(data: Buffer | Uint8Array): void;
  /**
   * Write to the child's fd `childFD` (a `'w'` descriptor).
   * @throws RangeError for an fd that is not a `'w'` descriptor (Twisted's KeyError).
   */
  writeToChild(childFD: number, data: Buffer | Uint8Array): void;
  /** Close the child's fd 0 (after what was written has gone). */
  closeStdin(): void;
  /** Close the parent's end of the child's fd 1. */
  closeStdout(): void;
  /** Close the parent's end of the child's fd 2. */
  closeStderr(): void;
  /** Close the parent's end of child fd `descriptor` (a no-op for one already closed). */
  closeChildFD(descriptor: number): void;
  /** closeStdin + closeStdout + closeStderr. */
  loseConnection(): void;
  /**
   * Send a signal to the child.
   * @throws ProcessExitedAlready once the child was reaped; TypeError for an unknown name.
   */
  signalProcess(signalID: SignalID): void;
  /** A `ProcessAddress` (torsion/address). */
  getPeer(): IAddress;
  /** A `ProcessAddress` (torsion/address). */
  getHost(): IAddress;
  /** asyncio's write watermarks (see ITCPTransport). @throws RangeError unless high >= low >= 0. */
  setWriteBufferLimits(high?: number, low?: number): void;
  /** Bytes accepted by write()/writeToChild() and not yet handed to the kernel. */
  getWriteBufferSize(): number;
}
