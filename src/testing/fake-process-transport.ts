/**
 * `FakeProcessTransport`: the process transport `MemoryReactor.spawnProcess`
 * hands out. It records what the protocol does to its child and has drivers
 * that play the child's side, running the protocol's callbacks in
 * Twisted's order (see {@link IProcessProtocol}).
 * @module
 */
import { ProcessAddress } from '../address';
import { Failure } from '../defer/failure';
import { ProcessExitedAlready, RuntimeError } from '../errors';
import { guardCall, loggingOwner } from '../guard';
import type { ChildFDs, IProcessProtocol, IProcessTransport, SignalID } from '../interfaces/process';
import type { IPullProducer, IPushProducer } from '../interfaces/producer';
import { Logger } from '../logger';
import { DEFAULT_CHILD_FDS, signalName } from '../process/options';
import { exitReason } from '../process/process';
import { ArgRangeError, ArgTypeError, checkBytes, checkCount, describe } from '../validate';

const log = new Logger('torsion.testing');
let nextPid = 4200;

/**
 * A process transport with no child. Writes are recorded in `written`
 * (per child fd), closes in `closedChildFDs`, signals in `signals`; drive
 * the child with {@link childDataReceived}, {@link childConnectionLost},
 * {@link exit} and {@link kill}. `processEnded` runs once the child exited
 * and every pipe was lost, as with a real child.
 *
 * @example
 * ```ts
 * import type { Failure } from 'torsion/failure';
 * import { ProcessProtocol } from 'torsion/protocol';
 * import { MemoryReactor } from 'torsion/testing';
 *
 * class Collect extends ProcessProtocol {
 *   out = '';
 *   end: Failure | null = null;
 *   override outReceived(data: Buffer): void { this.out += data.toString(); }
 *   override processEnded(reason: Failure): void { this.end = reason; }
 * }
 * const reactor = new MemoryReactor();
 * const proto = new Collect();
 * reactor.spawnProcess(proto, 'cat');
 * const t = reactor.spawnedProcesses[0].transport;
 * proto.transport!.write(Buffer.from('to cat'));
 * expect(t.value(0).toString()).toBe('to cat');
 * t.childDataReceived(1, Buffer.from('hi'));
 * t.exit(0); // processExited now; processEnded once every pipe is lost
 * expect(proto.end).toBeNull();
 * for (const fd of [0, 1, 2]) t.childConnectionLost(fd);
 * expect(proto.out).toBe('hi');
 * expect(proto.end!.value).toBeInstanceOf(Error);
 * ```
 */
export class FakeProcessTransport implements IProcessTransport {
  /** A made-up pid, null once exit()/kill() ran. */
  pid: number | null = nextPid++;
  /** Bytes written per child fd (write() goes to fd 0). */
  readonly written = new Map<number, Buffer[]>();
  /** The fds closed by the protocol (closeChildFD, closeStdin, loseConnection, ...). */
  readonly closedChildFDs = new Set<number>();
  /** Every signalProcess call's signal, as given. */
  readonly signals: SignalID[] = [];
  /** True once loseConnection() was called. */
  disconnecting = false;
  /** The registered producer. */
  producer: IPushProducer | IPullProducer | null = null;
  /** Whether the registered producer is streaming. */
  streaming: boolean | null = null;
  /** 'paused' after pauseProducing(), 'producing' after resumeProducing(). */
  producerState: 'producing' | 'paused' = 'producing';
  readonly protocol: IProcessProtocol;
  readonly #fds: Map<number, 'r' | 'w' | number>;
  readonly #open = new Set<number>();
  readonly #guard = loggingOwner(log);
  #exit: Failure | null = null;
  #ended = false;
  #high = 64 * 1024;
  #low = 16 * 1024;

  constructor(protocol: IProcessProtocol, childFDs: ChildFDs | ReadonlyMap<number, 'r' | 'w' | number> = DEFAULT_CHILD_FDS) {
    this.protocol = protocol;
    this.#fds =
      childFDs instanceof Map
        ? new Map(childFDs)
        : new Map(Object.entries(childFDs as ChildFDs).map(([k, v]) => [Number(k), v] as [number, 'r' | 'w' | number]));
    for (const [fd, v] of this.#fds) if (v === 'r' || v === 'w') this.#open.add(fd);
  }

  // ---- drivers (the child's side) ---------------------------------------------------

  /** The child writes `data` on `fd`: the protocol's childDataReceived. @throws RangeError for an fd that is not an open 'r' pipe. */
  childDataReceived(fd: number, data: Buffer): void {
    if (this.#fds.get(fd) !== 'r' || !this.#open.has(fd)) throw new ArgRangeError(`fd ${fd} is not an open 'r' pipe`);
    checkBytes('data', data);
    guardCall(this, 'childDataReceived', this.protocol.childDataReceived, this.protocol, fd, Buffer.from(data));
  }

  /** The pipe of `fd` closes: childConnectionLost(fd) (once), then processEnded if the child exited and no pipe is left. */
  childConnectionLost(fd: number): void {
    if (!this.#open.delete(fd)) return;
    guardCall(this, 'childConnectionLost', this.protocol.childConnectionLost, this.protocol, fd);
    this.#maybeEnded();
  }

  /** The child exits with `code`: processExited (ProcessDone or ProcessTerminated), then processEnded once every pipe is lost. */
  exit(code: number): void {
    checkCount('code', code);
    this.#reap(exitReason(code, null));
  }

  /** The child is killed by `signal` (a name such as 'TERM' or 'SIGTERM'): ProcessTerminated with that signal. */
  kill(signal: SignalID): void {
    const sig = signalName(signal);
    this.#reap(exitReason(null, typeof sig === 'number' ? String(sig) : sig));
  }

  #reap(reason: Failure): void {
    if (this.#exit !== null) throw new RuntimeError('The fake child has already exited');
    this.pid = null;
    this.#exit = reason;
    guardCall(this, 'processExited', this.protocol.processExited, this.protocol, reason);
    this.#maybeEnded();
  }

  #maybeEnded(): void {
    if (this.#ended || this.#exit === null || this.#open.size > 0) return;
    this.#ended = true;
    guardCall(this, 'processEnded', this.protocol.processEnded, this.protocol, this.#exit);
  }

  // ---- IProcessTransport --------------------------------------------------------------

  /** Record `data` as written to fd 0. */
  write(data: Buffer | Uint8Array): void {
    this.writeToChild(0, data);
  }
  /** write() each buffer; all are checked first. */
  writeSequence(data: ReadonlyArray<Buffer | Uint8Array>): void {
    if (!Array.isArray(data)) throw new ArgTypeError(`data must be an array of Buffers, got ${describe(data)}`);
    for (let i = 0; i < data.length; i++) checkBytes(`data[${i}]`, data[i]);
    for (const d of data) this.writeToChild(0, d);
  }
  /** Record `data` as written to `childFD`. @throws RangeError unless it is a 'w' fd (as the real transport). */
  writeToChild(childFD: number, data: Buffer | Uint8Array): void {
    if (typeof childFD !== 'number' || !Number.isInteger(childFD))
      throw new ArgTypeError(`childFD must be an integer, got ${describe(childFD)}`);
    checkBytes('data', data);
    if (this.#fds.get(childFD) !== 'w') {
      throw new ArgRangeError(`childFD ${childFD} is not a descriptor the parent writes to ('w' in childFDs)`);
    }
    if (!this.#open.has(childFD) || this.closedChildFDs.has(childFD) || data.byteLength === 0) return;
    let list = this.written.get(childFD);
    if (list === undefined) this.written.set(childFD, (list = []));
    list.push(Buffer.from(data));
  }
  /** Everything written to `childFD`, concatenated. */
  value(childFD = 0): Buffer {
    return Buffer.concat(this.written.get(childFD) ?? []);
  }
  /** closeChildFD(0). */
  closeStdin(): void {
    this.closeChildFD(0);
  }
  /** closeChildFD(1). */
  closeStdout(): void {
    this.closeChildFD(1);
  }
  /** closeChildFD(2). */
  closeStderr(): void {
    this.closeChildFD(2);
  }
  /** Record the close; an open pipe is lost at once (childConnectionLost). */
  closeChildFD(descriptor: number): void {
    if (typeof descriptor !== 'number' || !Number.isInteger(descriptor)) {
      throw new ArgTypeError(`descriptor must be an integer, got ${describe(descriptor)}`);
    }
    if (!this.#open.has(descriptor)) return;
    this.closedChildFDs.add(descriptor);
    this.childConnectionLost(descriptor);
  }
  /** closeStdin, closeStdout, closeStderr. */
  loseConnection(): void {
    this.disconnecting = true;
    this.closeStdin();
    this.closeStdout();
    this.closeStderr();
  }
  /** Record the signal. @throws ProcessExitedAlready after exit()/kill(); TypeError for an unknown name. */
  signalProcess(signalID: SignalID): void {
    signalName(signalID);
    if (this.#exit !== null) throw new ProcessExitedAlready();
    this.signals.push(signalID);
  }
  /** A ProcessAddress. */
  getPeer(): ProcessAddress {
    return new ProcessAddress();
  }
  /** A ProcessAddress. */
  getHost(): ProcessAddress {
    return new ProcessAddress();
  }
  /** Record the producer. @throws RuntimeError if one is registered. */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    if (this.producer !== null) throw new RuntimeError('A producer is already registered');
    this.producer = producer;
    this.streaming = streaming;
  }
  /** Forget the producer. */
  unregisterProducer(): void {
    this.producer = null;
    this.streaming = null;
  }
  /** producerState = 'paused'. */
  pauseProducing(): void {
    this.producerState = 'paused';
  }
  /** producerState = 'producing'. */
  resumeProducing(): void {
    this.producerState = 'producing';
  }
  /** loseConnection(). */
  stopProducing(): void {
    this.loseConnection();
  }
  /** Checked as the real transport checks them; nothing is buffered here. @throws RangeError unless high >= low >= 0. */
  setWriteBufferLimits(high?: number, low?: number): void {
    if (high !== undefined) checkCount('high', high);
    if (low !== undefined) checkCount('low', low);
    const h = high ?? (low === undefined ? 64 * 1024 : 4 * low);
    const l = low ?? Math.floor(h / 4);
    if (!(h >= l)) throw new ArgRangeError(`high (${h}) must be >= low (${l}) must be >= 0`);
    this.#high = h;
    this.#low = l;
  }
  /** The limits set (for tests). */
  get writeBufferLimits(): [number, number] {
    return [this.#high, this.#low];
  }
  /** Always 0: writes are recorded, not buffered. */
  getWriteBufferSize(): number {
    return 0;
  }
  /** @internal */
  _callbackFailed(err: unknown, where: string): void {
    this.#guard._callbackFailed(err, where);
    // As the real transport: a failed callback closes the child's pipes.
    if (where === 'processExited' || where === 'processEnded') return;
    for (const fd of [...this.#open]) this.childConnectionLost(fd);
  }
}
