/**
 * Helpers for the process specs: a ProcessProtocol that records every
 * callback in order and resolves once processEnded ran.
 */
import type { Failure } from '../../src/defer/failure';
import type { IProcessTransport } from '../../src/interfaces/process';
import { ProcessProtocol } from '../../src/protocol';
import { Reactor } from '../../src/reactor';

/** A running reactor for one test and a stop() that waits for its shutdown. */
export function startReactor(): { reactor: Reactor; stop: () => Promise<void> } {
  const reactor = new Reactor();
  const done = reactor.run();
  return {
    reactor,
    stop: async () => {
      if (reactor.running) reactor.stop();
      await done;
    },
  };
}

/** Records the callbacks (`'CM'`, `'out'`, `'lost:1'`, `'exited'`, `'ended'`) and the data per fd. */
export class Recorder extends ProcessProtocol {
  readonly events: string[] = [];
  readonly data = new Map<number, Buffer[]>();
  exitedReason: Failure | null = null;
  endedReason: Failure | null = null;
  pidAtExit: number | null | undefined = undefined;
  readonly ended: Promise<Failure>;
  readonly exited: Promise<Failure>;
  #resolveEnded!: (f: Failure) => void;
  #resolveExited!: (f: Failure) => void;
  #waiters: { fd: number; n: number; resolve: () => void }[] = [];

  constructor() {
    super();
    this.ended = new Promise((r) => {
      this.#resolveEnded = r;
    });
    this.exited = new Promise((r) => {
      this.#resolveExited = r;
    });
  }
  override connectionMade(): void {
    this.events.push('CM');
  }
  override childDataReceived(fd: number, data: Buffer): unknown {
    const list = this.data.get(fd) ?? [];
    list.push(data);
    this.data.set(fd, list);
    if (this.events[this.events.length - 1] !== `data:${fd}`) this.events.push(`data:${fd}`);
    const r: unknown = super.childDataReceived(fd, data);
    this.#check();
    return r;
  }
  override childConnectionLost(fd: number): void {
    this.events.push(`lost:${fd}`);
    super.childConnectionLost(fd);
  }
  override processExited(reason: Failure): void {
    this.events.push('exited');
    this.pidAtExit = this.transport?.pid;
    this.exitedReason = reason;
    this.#resolveExited(reason);
  }
  override processEnded(reason: Failure): void {
    this.events.push('ended');
    this.endedReason = reason;
    this.#resolveEnded(reason);
  }
  /** The bytes received on `fd`. */
  received(fd: number): Buffer {
    return Buffer.concat(this.data.get(fd) ?? []);
  }
  /** Resolves once at least `n` bytes arrived on `fd`. */
  waitFor(fd: number, n: number): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push({ fd, n, resolve });
      this.#check();
    });
  }
  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (this.received(w.fd).length >= w.n) {
        w.resolve();
        return false;
      }
      return true;
    });
  }
  get process(): IProcessTransport {
    return this.transport as IProcessTransport;
  }
}

/** The env most specs give their children (the default is an empty one). */
export const PATH_ENV = { PATH: '/bin:/usr/bin' } as const;
