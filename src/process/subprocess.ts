/**
 * asyncio's subprocess contract (`asyncio/protocols.py` `SubprocessProtocol`,
 * `loop.subprocess_exec`) on top of `spawnProcess`: an internal
 * `ProcessProtocol` maps Twisted's callbacks to asyncio's.
 *
 * Grammar: `connectionMade -> (pipeDataReceived | pipeConnectionLost)* ->
 * processExited -> (pipeDataReceived | pipeConnectionLost)* ->
 * connectionLost`: every `pipeConnectionLost` comes before `connectionLost`,
 * and `processExited` may come before or after the pipes close (as in
 * asyncio).
 * @module
 */
import type { Failure } from '../defer/failure';
import { ProcessTerminated } from '../errors';
import type { IProcessProtocol, IProcessTransport, IReactorProcess, SignalID } from '../interfaces/process';
import type { IPushProducer } from '../interfaces/producer';
import type { IWriteFlowControlled } from '../interfaces/protocol';
import type { ITransport } from '../interfaces/transport';
import { Logger } from '../logger';
import { ArgTypeError, checkFunction, checkString, describe } from '../validate';
import { checkEnv } from './options';
import { Process } from './process';

const log = new Logger('torsion.process');

/**
 * asyncio's `SubprocessProtocol`: subclass it and override what you need.
 * Driven by {@link subprocessExec}; every callback may be `async` (a
 * rejection is logged and closes the pipes, as a throw does).
 */
export abstract class SubprocessProtocol implements IWriteFlowControlled {
  /** The child started; `transport` controls it. Default: nothing. */
  connectionMade(_transport: SubprocessTransport): void {}
  /** The child wrote `data` on fd `fd` (1 or 2). Default: nothing. */
  pipeDataReceived(_fd: number, _data: Buffer): void {}
  /** The pipe of fd `fd` closed; `exc` is always null here (as asyncio's normal close). Default: nothing. */
  pipeConnectionLost(_fd: number, _exc: Failure | null): void {}
  /** The child exited (its return code is on the transport). Default: nothing. */
  processExited(): void {}
  /** The child exited and every pipe closed: the last call. Default: nothing. */
  connectionLost(_exc: Failure | null): void {}
  /** The stdin buffer went over its high-water mark. Default: nothing. */
  pauseWriting(): void {}
  /** The stdin buffer drained to its low-water mark. Default: nothing. */
  resumeWriting(): void {}
}

/** asyncio's `SubprocessTransport`. */
export interface SubprocessTransport {
  /** The child's pid (null once reaped, or when it never started). */
  getPid(): number | null;
  /** The exit code, `-N` after signal N (asyncio's), or null while running. */
  getReturncode(): number | null;
  /** The transport of the pipe of child fd `fd` (0, 1 or 2), or null when it is not a pipe. */
  getPipeTransport(fd: number): (ITransport & IPushProducer) | null;
  /** Send `signal`. @throws ProcessExitedAlready once the child was reaped. */
  sendSignal(signal: SignalID): void;
  /** sendSignal('TERM'). */
  terminate(): void;
  /** sendSignal('KILL'). */
  kill(): void;
  /** Close every pipe and, if the child still runs, kill it (asyncio's close()). */
  close(): void;
  /** Whether close() was called. */
  isClosing(): boolean;
}

/** Options of {@link subprocessExec} (asyncio's keyword arguments). */
export interface SubprocessExecOptions {
  /** The child's fd 0: a pipe (default), the parent's fd 0, /dev/null, or a parent fd. */
  stdin?: 'pipe' | 'inherit' | 'ignore' | number;
  /** The child's fd 1, as stdin. */
  stdout?: 'pipe' | 'inherit' | 'ignore' | number;
  /** The child's fd 2, as stdin; `'stdout'` sends it where fd 1 goes. */
  stderr?: 'pipe' | 'inherit' | 'ignore' | 'stdout' | number;
  /** The environment: **default null, which inherits `process.env` (asyncio's default, unlike spawnProcess)**. */
  env?: Readonly<Record<string, string>> | null;
  /** The working directory. Default: the parent's. */
  cwd?: string | null;
  /** The user id to run as. */
  uid?: number | null;
  /** The group id to run as. */
  gid?: number | null;
}

/** One pipe of the child, as asyncio's pipe transports. */
class PipeTransport implements ITransport, IPushProducer {
  constructor(
    readonly process: Process,
    readonly fd: number,
  ) {}
  /** The process's disconnecting flag. */
  get disconnecting(): boolean {
    return this.process.disconnecting;
  }
  /** writeToChild(fd, data). */
  write(data: Buffer | Uint8Array): void {
    this.process.writeToChild(this.fd, data);
  }
  /** writeToChild(fd, ...) for each buffer. */
  writeSequence(data: ReadonlyArray<Buffer | Uint8Array>): void {
    if (!Array.isArray(data)) throw new ArgTypeError(`data must be an array of Buffers, got ${describe(data)}`);
    for (const d of data) this.process.writeToChild(this.fd, d);
  }
  /** closeChildFD(fd). */
  loseConnection(): void {
    this.process.closeChildFD(this.fd);
  }
  /** A ProcessAddress. */
  getPeer(): ReturnType<Process['getPeer']> {
    return this.process.getPeer();
  }
  /** A ProcessAddress. */
  getHost(): ReturnType<Process['getHost']> {
    return this.process.getHost();
  }
  /** Stop reading this pipe only. */
  pauseProducing(): void {
    this.process._pausePipe(this.fd);
  }
  /** Read this pipe again. */
  resumeProducing(): void {
    this.process._resumePipe(this.fd);
  }
  /** loseConnection(). */
  stopProducing(): void {
    this.loseConnection();
  }
}

class Transport implements SubprocessTransport {
  #closing = false;
  readonly #pipes = new Map<number, PipeTransport>();
  constructor(
    readonly process: Process,
    pipeFDs: readonly number[],
  ) {
    for (const fd of pipeFDs) this.#pipes.set(fd, new PipeTransport(process, fd));
  }
  getPid(): number | null {
    return this.process.pid;
  }
  getReturncode(): number | null {
    const s = this.process.status;
    if (s === null) return null;
    if (s > 0 && s < 128) return -s;
    return s >> 8;
  }
  getPipeTransport(fd: number): (ITransport & IPushProducer) | null {
    return this.#pipes.get(fd) ?? null;
  }
  sendSignal(signal: SignalID): void {
    this.process.signalProcess(signal);
  }
  terminate(): void {
    this.sendSignal('TERM');
  }
  kill(): void {
    this.sendSignal('KILL');
  }
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    for (const fd of this.#pipes.keys()) this.process.closeChildFD(fd);
    if (this.process.pid !== null && this.process.status === null) this.process.signalProcess('KILL');
  }
  isClosing(): boolean {
    return this.#closing;
  }
}

/** The ProcessProtocol that drives a SubprocessProtocol. */
class Adapter<P extends SubprocessProtocol> implements IProcessProtocol {
  transport: Transport | null = null;
  #mergedOpen = 0;
  constructor(
    readonly protocol: P,
    readonly pipeFDs: readonly number[],
    /** stderr: 'stdout' with a stdout pipe: fd 2's pipe is reported as fd 1. */
    readonly merge: boolean,
    readonly onMade: (t: Transport) => void,
  ) {
    if (merge) this.#mergedOpen = 2;
  }
  /** connectionMade(transport) of the SubprocessProtocol. */
  makeConnection(process: IProcessTransport): unknown {
    const t = new Transport(process as Process, this.pipeFDs);
    this.transport = t;
    this.onMade(t);
    return this.protocol.connectionMade(t);
  }
  /** pipeDataReceived(fd, data) (fd 2 reported as 1 when merged). */
  childDataReceived(childFD: number, data: Buffer): unknown {
    return this.protocol.pipeDataReceived(this.merge && childFD === 2 ? 1 : childFD, data);
  }
  /** pipeConnectionLost(fd, null) (once for merged stdout/stderr). */
  childConnectionLost(childFD: number): unknown {
    if (this.merge && (childFD === 1 || childFD === 2)) {
      if (--this.#mergedOpen > 0) return undefined;
      childFD = 1;
    }
    return this.protocol.pipeConnectionLost(childFD, null);
  }
  /** processExited() (the return code is already on the transport). */
  processExited(_reason: Failure): unknown {
    return this.protocol.processExited();
  }
  /** connectionLost(null). */
  processEnded(_reason: Failure): unknown {
    return this.protocol.connectionLost(null);
  }
  pauseWriting(): unknown {
    return this.protocol.pauseWriting();
  }
  resumeWriting(): unknown {
    return this.protocol.resumeWriting();
  }
}

function stdioOption(name: string, v: unknown, fd: number, kind: 'r' | 'w'): 'r' | 'w' | number | null {
  if (v === undefined || v === 'pipe') return kind;
  if (v === 'inherit') return fd;
  if (v === 'ignore') return null;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  throw new ArgTypeError(`${name} must be 'pipe', 'inherit', 'ignore' or a parent fd, got ${describe(v)}`);
}

/**
 * Start `program` with `args` (asyncio's `loop.subprocess_exec`: `argv[0]`
 * is `program`, and **the environment is inherited unless `opts.env` is
 * given**) and connect a protocol made by `protocolFactory`. Resolves with
 * `[transport, protocol]` after `connectionMade`.
 *
 * A program that cannot start does not reject: its protocol gets
 * `processExited()` and `connectionLost(null)`, with return code 1
 * (spawnProcess's ProcessTerminated(1)).
 * @throws TypeError / RangeError for bad arguments (the Promise rejects).
 * @example
 * ```ts
 * class Echo extends SubprocessProtocol {
 *   override pipeDataReceived(fd: number, data: Buffer): void { console.log(fd, String(data)); }
 * }
 * const [transport] = await subprocessExec(reactor, () => new Echo(), 'echo', ['hi']);
 * ```
 */
export function subprocessExec<P extends SubprocessProtocol>(
  reactor: IReactorProcess,
  protocolFactory: () => P,
  program: string,
  args: readonly string[] = [],
  opts: SubprocessExecOptions = {},
): Promise<[SubprocessTransport, P]> {
  const p = exec(reactor, protocolFactory, program, args, opts);
  // Marked handled (the convention of torsion's Promises): awaiting it still rejects.
  p.catch((err: unknown) => log.debug(`subprocessExec rejected: ${String(err)}`));
  return p;
}

async function exec<P extends SubprocessProtocol>(
  reactor: IReactorProcess,
  protocolFactory: () => P,
  program: string,
  args: readonly string[],
  opts: SubprocessExecOptions,
): Promise<[SubprocessTransport, P]> {
  checkFunction('protocolFactory', protocolFactory);
  checkString('program', program);
  if (!Array.isArray(args)) throw new ArgTypeError(`args must be an array of strings, got ${describe(args)}`);
  if (opts === null || typeof opts !== 'object') throw new ArgTypeError(`opts must be an object, got ${describe(opts)}`);
  const childFDs: Record<number, 'r' | 'w' | number> = {};
  const set = (fd: number, v: 'r' | 'w' | number | null): void => {
    if (v !== null) childFDs[fd] = v;
  };
  set(0, stdioOption('stdin', opts.stdin, 0, 'w'));
  const out = stdioOption('stdout', opts.stdout, 1, 'r');
  set(1, out);
  let merge = false;
  if (opts.stderr === 'stdout') {
    if (out === 'r') {
      merge = true;
      set(2, 'r');
    } else set(2, out);
  } else set(2, stdioOption('stderr', opts.stderr, 2, 'r'));
  const env = opts.env === undefined ? null : checkEnv('env', opts.env);
  const protocol = protocolFactory();
  if (!(protocol instanceof SubprocessProtocol)) {
    throw new ArgTypeError(`protocolFactory must return a SubprocessProtocol, got ${describe(protocol)}`);
  }
  const pipeFDs = Object.entries(childFDs)
    .filter(([fd, v]) => (v === 'r' || v === 'w') && !(merge && fd === '2'))
    .map(([fd]) => Number(fd));
  let made: Transport | null = null;
  const adapter = new Adapter(protocol, pipeFDs, merge, (t) => {
    made = t;
  });
  reactor.spawnProcess(adapter, program, [program, ...args], {
    env,
    path: opts.cwd ?? null,
    uid: opts.uid ?? null,
    gid: opts.gid ?? null,
    childFDs,
  });
  if (made === null) throw new ProcessTerminated(1, null, { status: 256 });
  return [made, protocol];
}
