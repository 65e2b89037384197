/**
 * `Process`: the transport of a child process (Twisted's
 * `internet/process.py` `Process`, its `ProcessReader`s and `ProcessWriter`s).
 *
 * The child is started by `node:child_process`; its stdio are UNIX
 * socketpairs opened by libuv. Each parent end is a {@link ChildPipe}: a
 * reading pipe is a handle descriptor in the reactor's reader set (so
 * `pauseProducing()` is `removeReader` of every reading pipe, as in
 * Twisted), a writing pipe takes the process's writes, gathered per tick as
 * the TCP transport does, with the same watermarks and producers.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { ProcessAddress } from '../address';
import { Failure } from '../defer/failure';
import { ProcessDone, ProcessExitedAlready, ProcessTerminated } from '../errors';
import { guardCall, guardMakeConnection } from '../guard';
import type { IFileDescriptor, IHandleDescriptor, IReactorFDSet } from '../interfaces/fdset';
import type { IProcessProtocol, IProcessTransport, SignalID } from '../interfaces/process';
import type { IPullProducer, IPushProducer } from '../interfaces/producer';
import type { IProtocol } from '../interfaces/protocol';
import { Logger } from '../logger';
import { WriteFlow } from '../tcp/flow';
import { type Flushable, scheduleFlush } from '../tcp/write-batch';
import { ArgRangeError, ArgTypeError, checkBytes, describe } from '../validate';
import { signalName, signalNumber } from './options';

const log = new Logger('torsion.process');
const EMPTY = Buffer.alloc(0);

/** What a process transport needs of its reactor. @hidden */
export type ProcessReactor = IReactorFDSet & {
  _trackConnection?(d: IFileDescriptor): void;
  _untrackConnection?(d: IFileDescriptor): void;
};

const PIPE = Symbol('torsion.process.pipe');
type PipeSocket = net.Socket & { [PIPE]?: ChildPipe };

/**
 * Node's child_process resumes every readable stdio stream when the child
 * exits (its flushStdio): a pipe the protocol paused must stay paused, so a
 * resume that the reactor's reader set did not ask for is undone at once
 * (the 'resume' event comes before the stream flows).
 */
function onPipeResume(this: PipeSocket): void {
  const pipe = this[PIPE];
  if (pipe !== undefined && pipe.kind === 'r' && !pipe.reading && !this.destroyed) this.pause();
}

/**
 * The parent's end of one child fd.
 * @hidden
 */
export class ChildPipe implements IHandleDescriptor {
  /** In the reactor's reader set (reading pipes only). */
  reading = false;
  /** Closing was asked (loseConnection of the pipe); childConnectionLost comes with 'close'. */
  closing = false;
  /** childConnectionLost ran. */
  lost = false;
  /** Corked for this tick's batch. */
  corked = false;

  constructor(
    readonly owner: Process,
    readonly childFD: number,
    readonly kind: 'r' | 'w',
    readonly socket: PipeSocket,
  ) {
    socket[PIPE] = this;
  }

  /** The OS fd of the parent's end, or -1. */
  fileno(): number {
    const handle = (this.socket as unknown as { _handle?: { fd?: unknown } })._handle;
    return typeof handle?.fd === 'number' ? handle.fd : -1;
  }
  /** For log lines. */
  logPrefix(): string {
    return `${this.owner.logPrefix()} fd ${this.childFD}`;
  }
  /** Dropped by the reactor (shutdown): close this pipe at once. */
  connectionLost(_reason: Failure): void {
    this.owner._abandonPipe(this);
  }
  /** Reactor hook (see IHandleDescriptor). @hidden */
  _startReadingHandle(): void {
    this.reading = true;
    if (!this.socket.destroyed) this.socket.resume();
  }
  /** Reactor hook (see IHandleDescriptor). @hidden */
  _stopReadingHandle(): void {
    this.reading = false;
    if (!this.socket.destroyed) this.socket.pause();
  }
}

function onPipeData(this: PipeSocket, chunk: Buffer): void {
  const pipe = this[PIPE];
  if (pipe !== undefined) pipe.owner._pipeData(pipe, chunk);
}
function onPipeClose(this: PipeSocket): void {
  const pipe = this[PIPE];
  if (pipe !== undefined) pipe.owner._pipeClosed(pipe);
}
function onPipeError(this: PipeSocket, err: Error): void {
  const pipe = this[PIPE];
  // EPIPE/ECONNRESET: the child closed its end. The 'close' that follows ends the pipe.
  if (pipe !== undefined) log.debug(`${pipe.logPrefix()}: ${err.message}`);
}
function onWriterFinish(this: PipeSocket): void {
  this.destroy();
}

/** A process end that the reactor's shutdown drops (the process itself, tracked). */
class ShutdownHook implements IFileDescriptor {
  constructor(readonly owner: Process) {}
  /** No fd of its own: -1. */
  fileno(): number {
    return -1;
  }
  /** The process's log prefix. */
  logPrefix(): string {
    return this.owner.logPrefix();
  }
  /** The reactor shut down: the process is abandoned (see Process._abandon). */
  connectionLost(_reason: Failure): void {
    this.owner._abandon();
  }
}

/** How the child was started (from spawnProcess). @internal */
export interface ProcessStart {
  /** The running child, or null when it could not start. */
  child: ChildProcess | null;
  /** Why it could not start (the Node error), when child is null or failed to start. */
  startError: Error | null;
  /** The child fds mapped to 'r'/'w'. */
  pipes: ReadonlyMap<number, 'r' | 'w'>;
}

/**
 * A child process and the parent's ends of its pipes. Made by
 * `reactor.spawnProcess` / `spawnProcess`; see {@link IProcessTransport}
 * for the contract and {@link IProcessProtocol} for the call grammar.
 */
export class Process implements IProcessTransport, Flushable {
  /** The child's pid, from connectionMade until it is reaped (then null). */
  pid: number | null = null;
  /** The protocol. */
  readonly proto: IProcessProtocol;
  /** True once loseConnection() was called. */
  disconnecting = false;
  /** The wait status once reaped (`exitCode << 8` or the signal number), else null. */
  status: number | null = null;

  readonly #reactor: ProcessReactor;
  readonly #pipes = new Map<number, ChildPipe>();
  /** Child fds that ever had a pipe ('r'/'w'): writeToChild's RangeError tells them apart. */
  readonly #writeFDs = new Set<number>();
  readonly #hook = new ShutdownHook(this);
  #child: ChildProcess | null = null;
  #flow: WriteFlow | null = null;
  #corked: ChildPipe[] = [];
  #batchScheduled = false;
  #paused = false;
  #exitReason: Failure | null = null;
  #reaped = false;
  #ended = false;
  #abandoned = false;

  /** @internal Use `reactor.spawnProcess` / `spawnProcess`. */
  constructor(reactor: ProcessReactor, protocol: IProcessProtocol) {
    this.#reactor = reactor;
    this.proto = protocol;
  }

  /**
   * Wire the child up and connect the protocol (`makeConnection ->
   * connectionMade`, synchronously). A child that could not start ends on a
   * later turn with ProcessTerminated(1).
   * @internal
   */
  _start(start: ProcessStart): void {
    const child = start.child;
    this.#child = child;
    if (child !== null) {
      for (const [fd, kind] of start.pipes) {
        const socket = child.stdio[fd] as PipeSocket | null | undefined;
        if (socket === null || socket === undefined) continue;
        const pipe = new ChildPipe(this, fd, kind, socket);
        this.#pipes.set(fd, pipe);
        if (kind === 'w') this.#writeFDs.add(fd);
        socket.on('close', onPipeClose);
        socket.on('error', onPipeError);
        if (kind === 'w') socket.on('finish', onWriterFinish);
        if (socket.readable) {
          socket.on('resume', onPipeResume);
          socket.on('data', onPipeData);
          if (kind === 'r') this.#reactor.addReader(pipe);
          else socket.resume(); // a 'w' pipe reads only to see the child close its end
        }
      }
      this.pid = child.pid ?? null;
      child.on('exit', (code, signal) => this._exited(code, signal));
      child.on('error', (err) => this._childError(err));
    } else {
      for (const [fd, kind] of start.pipes) if (kind === 'w') this.#writeFDs.add(fd);
    }
    this.#reactor._trackConnection?.(this.#hook);
    guardMakeConnection(this, this.proto, this);
    if (child === null || this.pid === null) {
      this.#failedStart(start, start.startError);
    }
  }

  /** The child could not start: every pipe is lost, then processExited/processEnded with ProcessTerminated(1). */
  #failedStart(start: ProcessStart, err: Error | null): void {
    this.pid = null;
    const fds = [...start.pipes.keys()];
    for (const pipe of this.#pipes.values()) {
      if (pipe.reading) this.#reactor.removeReader(pipe);
      pipe.socket[PIPE] = undefined;
      pipe.socket.destroy();
    }
    this.#pipes.clear();
    const report = (cause: Error | null): void => {
      if (this.#abandoned) return;
      for (const fd of fds) this.#call('childConnectionLost', this.proto.childConnectionLost, fd);
      this.status = 256;
      const reason = new Failure(new ProcessTerminated(1, null, { status: 256, cause: cause ?? undefined }));
      this.#reaped = true;
      this.#exitReason = reason;
      this.#call('processExited', this.proto.processExited, reason);
      this.#end();
    };
    if (err !== null || this.#child === null) setImmediate(report, err);
    else this.#child.once('error', (e) => setImmediate(report, e));
  }

  // ---- IProcessTransport -----------------------------------------------------------

  /** Write to the child's fd 0 (see {@link IProcessTransport.write}). */
  write(data: Buffer | Uint8Array): void {
    checkBytes('data', data);
    this.#writeTo(0, data);
  }

  /** write() each buffer, in order; all are checked first. */
  writeSequence(data: ReadonlyArray<Buffer | Uint8Array>): void {
    if (!Array.isArray(data)) throw new ArgTypeError(`data must be an array of Buffers, got ${describe(data)}`);
    for (let i = 0; i < data.length; i++) checkBytes(`data[${i}]`, data[i]);
    for (let i = 0; i < data.length; i++) this.#writeTo(0, data[i]);
  }

  /** Write to child fd `childFD` (see {@link IProcessTransport.writeToChild}). */
  writeToChild(childFD: number, data: Buffer | Uint8Array): void {
    if (typeof childFD !== 'number' || !Number.isInteger(childFD)) {
      throw new ArgTypeError(`childFD must be an integer, got ${describe(childFD)}`);
    }
    checkBytes('data', data);
    if (!this.#writeFDs.has(childFD)) {
      throw new ArgRangeError(`childFD ${childFD} is not a descriptor the parent writes to ('w' in childFDs)`);
    }
    this.#writeTo(childFD, data);
  }

  #writeTo(fd: number, data: Buffer | Uint8Array): void {
    if (data.byteLength === 0) return;
    const pipe = this.#pipes.get(fd);
    if (pipe === undefined || pipe.closing || pipe.socket.destroyed || pipe.kind !== 'w') {
      if (fd !== 0 || this.#writeFDs.has(0)) return; // closed: dropped, as on a closed TCP transport
      throw new ArgRangeError("childFD 0 is not a descriptor the parent writes to ('w' in childFDs)");
    }
    const socket = pipe.socket;
    if (!pipe.corked) {
      pipe.corked = true;
      socket.cork();
      this.#corked.push(pipe);
      if (!this.#batchScheduled) {
        this.#batchScheduled = true;
        scheduleFlush(this);
      }
    }
    socket.write(data);
  }

  /** End of the tick: every pipe written this tick sends its batch. @internal */
  _flush(): void {
    this.#batchScheduled = false;
    const corked = this.#corked;
    this.#corked = [];
    const flow = this.#flow;
    for (const pipe of corked) {
      pipe.corked = false;
      const socket = pipe.socket;
      if (socket.destroyed) continue;
      socket.uncork();
    }
    const size = this.getWriteBufferSize();
    if (flow === null) {
      if (size > 64 * 1024) this.#ensureFlow().overHigh();
    } else if (size > flow.high) flow.overHigh();
    const f = this.#flow;
    if (f !== null && f.watching) {
      for (const pipe of corked) if (!pipe.socket.destroyed && !pipe.closing) pipe.socket.write(EMPTY, f.onWriteDone);
    }
  }

  /** Close the child's fd 0 once what was written has gone. */
  closeStdin(): void {
    this.closeChildFD(0);
  }
  /** Close the parent's end of the child's fd 1. */
  closeStdout(): void {
    this.closeChildFD(1);
  }
  /** Close the parent's end of the child's fd 2. */
  closeStderr(): void {
    this.closeChildFD(2);
  }

  /** Close the parent's end of child fd `descriptor` (see {@link IProcessTransport.closeChildFD}). */
  closeChildFD(descriptor: number): void {
    if (typeof descriptor !== 'number' || !Number.isInteger(descriptor)) {
      throw new ArgTypeError(`descriptor must be an integer, got ${describe(descriptor)}`);
    }
    const pipe = this.#pipes.get(descriptor);
    if (pipe === undefined || pipe.closing) return;
    pipe.closing = true;
    if (pipe.kind === 'r') {
      this.#reactor.removeReader(pipe);
      pipe.socket.destroy();
    } else if (this.#flow?.producer != null && descriptor === 0 && this.#flow.streaming) {
      // A registered producer still writes: the pipe ends when it unregisters.
      pipe.closing = false;
      this.#closeAfterProducer = true;
    } else {
      if (pipe.corked) this._flush();
      pipe.socket.end();
    }
  }
  #closeAfterProducer = false;

  /** closeStdin(), closeStdout() and closeStderr(). */
  loseConnection(): void {
    this.disconnecting = true;
    this.closeStdin();
    this.closeStdout();
    this.closeStderr();
  }

  /** Send a signal (see {@link IProcessTransport.signalProcess}). */
  signalProcess(signalID: SignalID): void {
    const sig = signalName(signalID);
    const child = this.#child;
    if (this.#reaped || child === null || this.pid === null) throw new ProcessExitedAlready();
    try {
      process.kill(this.pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new ProcessExitedAlready(undefined, { cause: err });
      throw err;
    }
  }

  /** A ProcessAddress. */
  getPeer(): ProcessAddress {
    return new ProcessAddress();
  }
  /** A ProcessAddress. */
  getHost(): ProcessAddress {
    return new ProcessAddress();
  }

  // ---- consumer / producer -------------------------------------------------------

  /** Register a producer for the writes (see IConsumer). @throws RuntimeError if one is registered. */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    const stdin = this.#pipes.get(0);
    if ((stdin === undefined || stdin.closing || stdin.socket.destroyed) && this.#flow?.producer == null) {
      producer.stopProducing();
      return;
    }
    this.#ensureFlow().register(producer, streaming);
  }

  /** Forget the producer; a pending closeStdin proceeds. */
  unregisterProducer(): void {
    const flow = this.#flow;
    if (flow === null || flow.producer === null) return;
    flow.unregister();
    if (this.#closeAfterProducer) {
      this.#closeAfterProducer = false;
      this.closeStdin();
    }
  }

  /** Stop reading the pipe of child fd `fd` (asyncio's pipe transports). @internal */
  _pausePipe(fd: number): void {
    const pipe = this.#pipes.get(fd);
    if (pipe !== undefined && pipe.kind === 'r') this.#reactor.removeReader(pipe);
  }
  /** Read the pipe of child fd `fd` again. @internal */
  _resumePipe(fd: number): void {
    const pipe = this.#pipes.get(fd);
    if (pipe !== undefined && pipe.kind === 'r' && !pipe.closing && !pipe.socket.destroyed) this.#reactor.addReader(pipe);
  }

  /** Stop reading every child pipe (removeReader of each). */
  pauseProducing(): void {
    this.#paused = true;
    for (const pipe of this.#pipes.values()) if (pipe.kind === 'r') this.#reactor.removeReader(pipe);
  }
  /** Read every open child pipe again. */
  resumeProducing(): void {
    this.#paused = false;
    for (const pipe of this.#pipes.values()) {
      if (pipe.kind === 'r' && !pipe.closing && !pipe.socket.destroyed) this.#reactor.addReader(pipe);
    }
  }
  /** loseConnection(). */
  stopProducing(): void {
    this.loseConnection();
  }

  /** asyncio's watermarks for the writes. @throws RangeError unless high >= low >= 0. */
  setWriteBufferLimits(high?: number, low?: number): void {
    this.#ensureFlow().setLimits(high, low);
  }
  /** Bytes accepted and not yet handed to the kernel, over every writing pipe. */
  getWriteBufferSize(): number {
    let n = 0;
    for (const pipe of this.#pipes.values()) if (pipe.kind === 'w') n += pipe.socket.writableLength;
    return n;
  }

  /** A short name for log lines. */
  logPrefix(): string {
    return `Process(pid=${this.pid ?? 'None'})`;
  }

  // ---- FlowOwner -------------------------------------------------------------------

  /** The protocol, for the pauseWriting/resumeWriting hooks of the flow state. @internal */
  get protocol(): IProtocol | null {
    return this.proto as unknown as IProtocol;
  }
  /** @internal */
  get disconnected(): boolean {
    return this.#ended || this.#abandoned;
  }
  /** @internal */
  _afterDrain(): void {}

  #ensureFlow(): WriteFlow {
    if (this.#flow === null) this.#flow = new WriteFlow(this);
    return this.#flow;
  }

  // ---- events ------------------------------------------------------------------------

  /** A protocol callback failed: log it and close the child's pipes (the child is not signalled). @internal */
  _callbackFailed(err: unknown, where: string): void {
    log.failure(`Unhandled error in ${where} of ${this.logPrefix()}`, Failure.from(err));
    if (where === 'processExited' || where === 'processEnded') return;
    for (const pipe of this.#pipes.values()) {
      if (pipe.kind === 'r') this.closeChildFD(pipe.childFD);
      else if (!pipe.closing) {
        pipe.closing = true;
        pipe.socket.destroy();
      }
    }
  }

  /** @internal */
  _pipeData(pipe: ChildPipe, chunk: Buffer): void {
    if (pipe.kind !== 'r' || pipe.closing || this.#abandoned) return;
    this.#call('childDataReceived', this.proto.childDataReceived, pipe.childFD, chunk);
  }

  /** The pipe's socket closed: childConnectionLost(fd), once. @internal */
  _pipeClosed(pipe: ChildPipe): void {
    if (pipe.lost) return;
    pipe.lost = true;
    pipe.closing = true;
    if (pipe.reading) this.#reactor.removeReader(pipe);
    this.#pipes.delete(pipe.childFD);
    if (this.#abandoned) return;
    this.#call('childConnectionLost', this.proto.childConnectionLost, pipe.childFD);
    if (pipe.kind === 'w' && this.#flow?.producer != null && ![...this.#pipes.values()].some((p) => p.kind === 'w')) {
      const producer = this.#flow.producer;
      this.#flow.unregister();
      guardCall(this, 'stopProducing', producer.stopProducing, producer);
    }
    this.#maybeEnded();
  }

  /** The reactor shut down with this pipe open: it is closed now. @internal */
  _abandonPipe(pipe: ChildPipe): void {
    if (pipe.lost) return;
    pipe.closing = true;
    pipe.socket.destroy();
    this._pipeClosed(pipe);
  }

  /**
   * The reactor shut down: every open pipe is closed (childConnectionLost),
   * the child is left running and unreferenced, and processExited /
   * processEnded never run for it (Twisted's behaviour).
   * @internal
   */
  _abandon(): void {
    if (this.#ended) return;
    for (const pipe of [...this.#pipes.values()]) this._abandonPipe(pipe);
    if (this.#ended) return;
    this.#abandoned = true;
    this.#child?.unref();
  }

  /** @internal */
  _childError(err: Error): void {
    log.debug(`${this.logPrefix()}: ${err.message}`);
  }

  /** The child was reaped. @internal */
  _exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#reaped) return;
    this.#reaped = true;
    this.pid = null;
    const reason = exitReason(code, signal);
    this.status = reason.value instanceof ProcessTerminated ? reason.value.status : 0;
    if (this.#abandoned) return;
    this.#exitReason = reason;
    this.#call('processExited', this.proto.processExited, reason);
    // A child that exited cannot read: its stdin and other 'w' pipes end
    // now (Node destroys stdin itself; the 'close' events follow).
    this.#maybeEnded();
  }

  #maybeEnded(): void {
    if (this.#ended || !this.#reaped || this.#pipes.size > 0 || this.#exitReason === null) return;
    this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#reactor._untrackConnection?.(this.#hook);
    const flow = this.#flow;
    if (flow?.producer != null) {
      const producer = flow.producer;
      flow.unregister();
      guardCall(this, 'stopProducing', producer.stopProducing, producer);
    }
    this.#call('processEnded', this.proto.processEnded, this.#exitReason as Failure);
  }

  #call(where: string, fn: (...a: never[]) => unknown, a: unknown, b?: unknown): void {
    guardCall(this, where, fn, this.proto, a, b);
  }

  /** Whether the protocol paused reading. @internal */
  get _paused(): boolean {
    return this.#paused;
  }
}

/** Used by the PTY transport and the fakes to build the end reasons. @internal */
export function exitReason(code: number | null, signal: string | null): Failure {
  if (signal !== null) return new Failure(new ProcessTerminated(null, signal, { status: signalNumber(signal) }));
  if (code === 0) return new Failure(new ProcessDone());
  return new Failure(new ProcessTerminated(code, null, { status: (code ?? 0) << 8 }));
}
