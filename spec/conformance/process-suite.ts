/**
 * What every process transport does, fake or real: the callback grammar of
 * IProcessProtocol, the end reasons, the errors of its methods. Run against
 * FakeProcessTransport (MemoryReactor) and a real child (Reactor), so the
 * two cannot drift. Helper module, not a spec.
 */
import type { Failure } from '../../src/defer/failure';
import { ProcessDone, ProcessExitedAlready, ProcessTerminated } from '../../src/errors';
import type { IProcessProtocol, IProcessTransport } from '../../src/interfaces/process';
import { ProcessProtocol } from '../../src/protocol';

/** What a child does in a scenario: write to stdout/stderr, then exit or be killed. */
export interface ChildScript {
  out: string;
  err: string;
  /** Exit code, or a signal name such as 'SIGTERM'. */
  end: number | 'SIGTERM' | 'SIGKILL';
}

/** Runs `script` as a child connected to `protocol`; resolves once processEnded ran. */
export interface ProcessHarness {
  run(protocol: IProcessProtocol, script: ChildScript): Promise<IProcessTransport>;
  /** A child that keeps running until signalled (fake: until the suite drives it). */
  spawnLongRunning(protocol: IProcessProtocol): IProcessTransport;
  /** End what spawnLongRunning started with `signal` as the real child would; resolves after processEnded. */
  endLongRunning(t: IProcessTransport, protocol: Log): Promise<void>;
  teardown(): Promise<void>;
}

/** A protocol that logs the grammar. */
export class Log extends ProcessProtocol {
  readonly events: string[] = [];
  readonly out: Buffer[] = [];
  readonly err: Buffer[] = [];
  exited: Failure | null = null;
  ended: Failure | null = null;
  pidAtExit: number | null | undefined;
  pidAtMade: number | null | undefined;
  override connectionMade(): void {
    this.pidAtMade = this.transport!.pid;
    this.events.push('CM');
  }
  override outReceived(d: Buffer): void {
    this.out.push(d);
  }
  override errReceived(d: Buffer): void {
    this.err.push(d);
  }
  override childConnectionLost(fd: number): void {
    this.events.push(`lost:${fd}`);
  }
  override processExited(reason: Failure): void {
    this.pidAtExit = this.transport!.pid;
    this.exited = reason;
    this.events.push('exited');
  }
  override processEnded(reason: Failure): void {
    this.ended = reason;
    this.events.push('ended');
  }
}

/** Register the process-transport suite for one implementation. */
export function processConformance(name: string, makeHarness: () => ProcessHarness): void {
  describe(`${name}: IProcessTransport contract`, () => {
    let h: ProcessHarness;
    beforeEach(() => {
      h = makeHarness();
    });
    afterEach(() => h.teardown());

    function checkGrammar(p: Log): void {
      expect(p.events[0]).toBe('CM');
      expect(p.events[p.events.length - 1]).toBe('ended');
      expect(p.events.filter((e) => e === 'exited')).toHaveLength(1);
      expect(p.events.filter((e) => e === 'ended')).toHaveLength(1);
      for (const fd of [0, 1, 2]) expect(p.events.filter((e) => e === `lost:${fd}`)).toHaveLength(1);
      expect(typeof p.pidAtMade).toBe('number');
      expect(p.pidAtExit).toBeNull();
    }

    it('exit 0: the grammar, data on fd 1 and 2, ProcessDone for processExited and processEnded', async () => {
      const p = new Log();
      const t = await h.run(p, { out: 'o', err: 'e', end: 0 });
      checkGrammar(p);
      expect(Buffer.concat(p.out).toString()).toBe('o');
      expect(Buffer.concat(p.err).toString()).toBe('e');
      expect(p.exited!.value).toBeInstanceOf(ProcessDone);
      expect(p.ended).toBe(p.exited);
      expect(t.pid).toBeNull();
    });

    it('exit 5: ProcessTerminated(5, null, status 1280)', async () => {
      const p = new Log();
      await h.run(p, { out: '', err: '', end: 5 });
      checkGrammar(p);
      const v = p.ended!.value as ProcessTerminated;
      expect(v).toBeInstanceOf(ProcessTerminated);
      expect([v.exitCode, v.signal, v.status]).toEqual([5, null, 5 << 8]);
    });

    it('killed by SIGTERM: ProcessTerminated(null, SIGTERM, status 15)', async () => {
      const p = new Log();
      await h.run(p, { out: '', err: '', end: 'SIGTERM' });
      checkGrammar(p);
      const v = p.ended!.value as ProcessTerminated;
      expect([v.exitCode, v.signal, v.status]).toEqual([null, 'SIGTERM', 15]);
    });

    it('signalProcess: an unknown name is a TypeError; after the child was reaped ProcessExitedAlready', async () => {
      const p = new Log();
      const t = h.spawnLongRunning(p);
      expect(() => t.signalProcess('BOGUS' as never)).toThrow(TypeError);
      await h.endLongRunning(t, p);
      expect(() => t.signalProcess('TERM')).toThrow(ProcessExitedAlready);
    });

    it("writeToChild to an 'r' fd is a RangeError, a string write a TypeError; getPeer/getHost are PROCESS addresses", async () => {
      const p = new Log();
      const t = h.spawnLongRunning(p);
      expect(() => t.writeToChild(1, Buffer.from('x'))).toThrow(RangeError);
      expect(() => t.writeToChild(9, Buffer.from('x'))).toThrow(RangeError);
      expect(() => t.write('x' as never)).toThrow(TypeError);
      expect(() => t.writeSequence(['x' as never])).toThrow(TypeError);
      expect(t.getPeer().type).toBe('PROCESS');
      expect(t.getHost().type).toBe('PROCESS');
      expect(() => t.setWriteBufferLimits(1, 2)).toThrow(RangeError);
      await h.endLongRunning(t, p);
    });

    it('closeChildFD(1) gives childConnectionLost(1) exactly once, even when called twice', async () => {
      const p = new Log();
      const t = h.spawnLongRunning(p);
      t.closeChildFD(1);
      t.closeChildFD(1);
      await h.endLongRunning(t, p);
      expect(p.events.filter((e) => e === 'lost:1')).toHaveLength(1);
    });
  });
}
