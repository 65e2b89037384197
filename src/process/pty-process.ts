/**
 * `PTYProcess`: a child on a pseudo-terminal (Twisted's `PTYProcess`),
 * through the optional peer dependency `node-pty`. Without it, `usePTY`
 * throws FeatureUnavailableError (`feature: 'node-pty'`) at once.
 * @module
 */
import { constants as osConstants } from 'node:os';
import { ProcessAddress } from '../address';
import { Failure } from '../defer/failure';
import { FeatureUnavailableError, ProcessExitedAlready, ProcessTerminated, RuntimeError } from '../errors';
import { guardCall, guardMakeConnection } from '../guard';
import type { IProcessProtocol, IProcessTransport, SignalID } from '../interfaces/process';
import type { IPullProducer, IPushProducer } from '../interfaces/producer';
import { Logger } from '../logger';
import { ArgRangeError, ArgTypeError, checkBytes, checkCount, describe } from '../validate';
import { type SpawnArgs, findExecutable, signalName } from './options';
import { exitReason, type ProcessReactor } from './process';

const log = new Logger('torsion.process');

/** The part of node-pty's IPty used here. */
interface PtyChild {
  readonly pid: number;
  onData(cb: (data: string | Buffer) => void): { dispose(): void };
  onExit(cb: (e: { exitCode: number; signal?: number }) => void): { dispose(): void };
  resize(columns: number, rows: number): void;
  write(data: string | Buffer): void;
  kill(signal?: string): void;
  pause(): void;
  resume(): void;
}
interface PtyModule {
  spawn(file: string, args: string[], options: Record<string, unknown>): PtyChild;
}

// { module } or { error }: never `instanceof Error`, which fails across realms (jest's sandbox).
let loaded: { module: PtyModule } | { error: unknown } | null = null;

/**
 * node-pty, loaded on first use.
 * @throws FeatureUnavailableError when it is not installed or does not load.
 * @internal
 */
export function loadNodePty(): PtyModule {
  if (loaded === null) {
    try {
      // An optional peer dependency: resolved at run time only.
      loaded = { module: require('node-pty') as PtyModule };
    } catch (error) {
      loaded = { error };
    }
  }
  if ('error' in loaded) {
    const msg = (loaded.error as { message?: unknown } | null)?.message;
    throw new FeatureUnavailableError(
      'node-pty',
      `usePTY needs the optional dependency node-pty (npm install node-pty), which did not load: ${String(msg ?? loaded.error)}`,
      { cause: loaded.error },
    );
  }
  return loaded.module;
}

/** Start a PTY child (spawnProcess with usePTY). @internal */
export function spawnPTY(reactor: ProcessReactor, protocol: IProcessProtocol, a: SpawnArgs): PTYProcess {
  const pty = loadNodePty();
  const transport = new PTYProcess(reactor, protocol);
  const file = findExecutable(a.executable, a.env, a.path, a.args);
  if (typeof file !== 'string') {
    transport._start(null, file);
    return transport;
  }
  if (a.usePTY === false) throw new RuntimeError('spawnPTY without usePTY');
  let child: PtyChild;
  try {
    child = pty.spawn(file, a.args.slice(1), {
      name: a.usePTY.name,
      cols: a.usePTY.cols,
      rows: a.usePTY.rows,
      cwd: a.path ?? process.cwd(),
      env: a.env === null ? process.env : a.env,
      encoding: null,
      ...(a.uid === null ? {} : { uid: a.uid }),
      ...(a.gid === null ? {} : { gid: a.gid }),
    });
  } catch (err) {
    transport._start(null, err as Error);
    return transport;
  }
  transport._start(child, null);
  return transport;
}

/**
 * A child on a pseudo-terminal: one channel, output as
 * `childDataReceived(1, ...)`, writes to the terminal.
 * `closeStdin`/`closeStdout`/`closeStderr` do nothing and
 * `closeChildFD`/`writeToChild` throw, as Twisted's `PTYProcess`;
 * {@link PTYProcess.resize} is torsion's addition.
 */
export class PTYProcess implements IProcessTransport {
  /** The child's pid until it is reaped. */
  pid: number | null = null;
  /** True once loseConnection() was called. */
  disconnecting = false;
  /** The protocol. */
  readonly proto: IProcessProtocol;
  readonly #reactor: ProcessReactor;
  #child: PtyChild | null = null;
  #reaped = false;
  #ended = false;
  #producer: IPushProducer | IPullProducer | null = null;
  readonly #hook = {
    fileno: (): number => -1,
    logPrefix: (): string => this.logPrefix(),
    connectionLost: (_r: Failure): void => {
      this.#ended = true;
    },
  };

  /** @internal Use `reactor.spawnProcess(..., { usePTY: true })`. */
  constructor(reactor: ProcessReactor, protocol: IProcessProtocol) {
    this.#reactor = reactor;
    this.proto = protocol;
  }

  /** @internal */
  _start(child: PtyChild | null, err: Error | null): void {
    this.#child = child;
    this.pid = child?.pid ?? null;
    this.#reactor._trackConnection?.(this.#hook);
    if (child !== null) {
      child.onData((d) => {
        if (this.#ended) return;
        const data = typeof d === 'string' ? Buffer.from(d, 'utf8') : d;
        guardCall(this, 'childDataReceived', this.proto.childDataReceived, this.proto, 1, data);
      });
      child.onExit(({ exitCode, signal }) => {
        const sigName =
          signal !== undefined && signal !== 0
            ? (Object.entries(osConstants.signals).find(([, n]) => n === signal)?.[0] ?? String(signal))
            : null;
        this.#finish(sigName === null ? exitReason(exitCode, null) : exitReason(null, sigName));
      });
    }
    guardMakeConnection(this, this.proto, this);
    if (child === null) {
      setImmediate(() => this.#finish(new Failure(new ProcessTerminated(1, null, { status: 256, cause: err ?? undefined }))));
    }
  }

  #finish(reason: Failure): void {
    if (this.#ended) return;
    this.#reaped = true;
    this.pid = null;
    guardCall(this, 'childConnectionLost', this.proto.childConnectionLost, this.proto, 1);
    guardCall(this, 'processExited', this.proto.processExited, this.proto, reason);
    this.#ended = true;
    this.#reactor._untrackConnection?.(this.#hook);
    guardCall(this, 'processEnded', this.proto.processEnded, this.proto, reason);
  }

  /** Write to the terminal. */
  write(data: Buffer | Uint8Array): void {
    checkBytes('data', data);
    if (this.#child === null || this.#reaped || data.byteLength === 0) return;
    this.#child.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  /** write() each buffer in order. */
  writeSequence(data: ReadonlyArray<Buffer | Uint8Array>): void {
    if (!Array.isArray(data)) throw new ArgTypeError(`data must be an array of Buffers, got ${describe(data)}`);
    for (let i = 0; i < data.length; i++) checkBytes(`data[${i}]`, data[i]);
    for (const d of data) this.write(d);
  }
  /** @throws RangeError: a PTY child has no separate descriptors (Twisted's PTYProcess). */
  writeToChild(childFD: number, _data: Buffer | Uint8Array): void {
    throw new ArgRangeError(`writeToChild(${describe(childFD)}) is not supported on a PTY child: use write()`);
  }
  /** Does nothing on a PTY (as Twisted). */
  closeStdin(): void {}
  /** Does nothing on a PTY (as Twisted). */
  closeStdout(): void {}
  /** Does nothing on a PTY (as Twisted). */
  closeStderr(): void {}
  /** @throws RangeError: a PTY child has no separate descriptors. */
  closeChildFD(descriptor: number): void {
    throw new ArgRangeError(`closeChildFD(${describe(descriptor)}) is not supported on a PTY child`);
  }
  /** Does nothing on a PTY but mark the transport disconnecting (as Twisted). */
  loseConnection(): void {
    this.disconnecting = true;
  }
  /** Send a signal. @throws ProcessExitedAlready once reaped; TypeError for an unknown name. */
  signalProcess(signalID: SignalID): void {
    const sig = signalName(signalID);
    if (this.#child === null || this.#reaped || this.pid === null) throw new ProcessExitedAlready();
    try {
      process.kill(this.pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new ProcessExitedAlready(undefined, { cause: err });
      throw err;
    }
  }
  /** Resize the terminal (torsion's addition). */
  resize(cols: number, rows: number): void {
    checkCount('cols', cols, 1);
    checkCount('rows', rows, 1);
    if (this.#child === null || this.#reaped) throw new ProcessExitedAlready();
    this.#child.resize(cols, rows);
  }
  /** A ProcessAddress. */
  getPeer(): ProcessAddress {
    return new ProcessAddress();
  }
  /** A ProcessAddress. */
  getHost(): ProcessAddress {
    return new ProcessAddress();
  }
  /** Register a producer (the terminal never pushes back: it is never paused). */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.#producer !== null) throw new RuntimeError('A producer is already registered');
    this.#producer = producer;
    if (!streaming) producer.resumeProducing();
  }
  /** Forget the producer. */
  unregisterProducer(): void {
    this.#producer = null;
  }
  /** Stop reading the terminal. */
  pauseProducing(): void {
    this.#child?.pause();
  }
  /** Read the terminal again. */
  resumeProducing(): void {
    this.#child?.resume();
  }
  /** loseConnection(). */
  stopProducing(): void {
    this.loseConnection();
  }
  /**
   * Checked as on every transport (RangeError unless high >= low >= 0) and
   * kept, but never acted on: node-pty does not expose its write buffer.
   */
  setWriteBufferLimits(high?: number, low?: number): void {
    if (high !== undefined) checkCount('high', high);
    if (low !== undefined) checkCount('low', low);
    const h = high ?? (low === undefined ? 64 * 1024 : 4 * low);
    const l = low ?? Math.floor(h / 4);
    if (!(h >= l)) throw new ArgRangeError(`high (${h}) must be >= low (${l}) must be >= 0`);
    this.writeBufferLimits = [h, l];
  }
  /** The limits last set with setWriteBufferLimits. */
  writeBufferLimits: [number, number] = [64 * 1024, 16 * 1024];
  /** Always 0 (node-pty does not expose its buffer). */
  getWriteBufferSize(): number {
    return 0;
  }
  /** For log lines. */
  logPrefix(): string {
    return `PTYProcess(pid=${this.pid ?? 'None'})`;
  }
  /** @internal */
  _callbackFailed(err: unknown, where: string): void {
    log.failure(`Unhandled error in ${where} of ${this.logPrefix()}`, Failure.from(err));
  }
}
