/**
 * asyncio's SubprocessProtocol contract through subprocessExec, with real
 * programs: the grammar CM -> (PDR | PCL)* -> PE -> CL, return codes
 * (-N for signal N), pipe transports, close(), inherited environment.
 */
import * as os from 'node:os';
import type { Failure } from '../../src/defer/failure';
import { SubprocessProtocol, type SubprocessTransport, subprocessExec } from '../../src/process';
import type { Reactor } from '../../src/reactor';
import { startReactor } from './helpers';

let reactor: Reactor;
let stop: () => Promise<void>;
beforeEach(() => {
  ({ reactor, stop } = startReactor());
});
afterEach(() => stop());

class Rec extends SubprocessProtocol {
  readonly events: string[] = [];
  readonly data = new Map<number, string>();
  transport: SubprocessTransport | null = null;
  returncodeAtExit: number | null = null;
  readonly lost: Promise<void>;
  #done!: () => void;
  constructor() {
    super();
    this.lost = new Promise((r) => {
      this.#done = r;
    });
  }
  override connectionMade(t: SubprocessTransport): void {
    this.transport = t;
    this.events.push('CM');
  }
  override pipeDataReceived(fd: number, data: Buffer): void {
    this.data.set(fd, (this.data.get(fd) ?? '') + data.toString());
    if (this.events[this.events.length - 1] !== `PDR${fd}`) this.events.push(`PDR${fd}`);
  }
  override pipeConnectionLost(fd: number, exc: Failure | null): void {
    this.events.push(`PCL${fd}:${exc}`);
  }
  override processExited(): void {
    this.returncodeAtExit = this.transport!.getReturncode();
    this.events.push('PE');
  }
  override connectionLost(exc: Failure | null): void {
    this.events.push(`CL:${exc}`);
    this.#done();
  }
}

describe('subprocessExec', () => {
  it('resolves after connectionMade with [transport, protocol], and follows the grammar', async () => {
    const [t, p] = await subprocessExec(reactor, () => new Rec(), '/bin/sh', ['-c', 'echo out; echo err >&2; exit 4']);
    expect(p.events).toEqual(['CM']);
    expect(p.transport).toBe(t);
    expect(typeof t.getPid()).toBe('number');
    await p.lost;
    expect(p.data.get(1)).toBe('out\n');
    expect(p.data.get(2)).toBe('err\n');
    expect(p.returncodeAtExit).toBe(4);
    expect(t.getReturncode()).toBe(4);
    expect(p.events[0]).toBe('CM');
    expect(p.events[p.events.length - 1]).toBe('CL:null');
    expect(p.events.filter((e) => e.startsWith('PCL')).sort()).toEqual(['PCL0:null', 'PCL1:null', 'PCL2:null']);
    expect(p.events.filter((e) => e === 'PE')).toHaveLength(1);
  });

  it('argv[0] is the program, and the environment is inherited by default (unlike spawnProcess)', async () => {
    process.env.TORSION_SUBPROCESS_MARK = 'yes';
    try {
      const [, p] = await subprocessExec(reactor, () => new Rec(), 'sh', ['-c', 'echo "$0 $TORSION_SUBPROCESS_MARK"']);
      await p.lost;
      expect(p.data.get(1)).toBe('sh yes\n');
    } finally {
      delete process.env.TORSION_SUBPROCESS_MARK;
    }
  });

  it('a signalled child has return code -N; terminate() and kill() send TERM and KILL', async () => {
    const [t, p] = await subprocessExec(reactor, () => new Rec(), '/bin/sh', ['-c', 'exec sleep 30']);
    t.terminate();
    await p.lost;
    expect(t.getReturncode()).toBe(-os.constants.signals.SIGTERM);
    const [t2, p2] = await subprocessExec(reactor, () => new Rec(), '/bin/sh', ['-c', 'exec sleep 30']);
    t2.kill();
    await p2.lost;
    expect(t2.getReturncode()).toBe(-os.constants.signals.SIGKILL);
  });

  it('getPipeTransport(0) writes to stdin; its loseConnection closes it', async () => {
    const [t, p] = await subprocessExec(reactor, () => new Rec(), 'cat');
    const stdin = t.getPipeTransport(0)!;
    stdin.write(Buffer.from('through cat'));
    stdin.loseConnection();
    await p.lost;
    expect(p.data.get(1)).toBe('through cat');
    expect(t.getPipeTransport(5)).toBeNull();
  });

  it("stderr: 'stdout' delivers the child's stderr as fd 1, with one pipeConnectionLost(1)", async () => {
    const [, p] = await subprocessExec(reactor, () => new Rec(), '/bin/sh', ['-c', 'echo a; echo b >&2'], { stderr: 'stdout' });
    await p.lost;
    expect(p.data.get(2)).toBeUndefined();
    expect(p.data.get(1)!.split('\n').filter(Boolean).sort()).toEqual(['a', 'b']);
    expect(p.events.filter((e) => e.startsWith('PCL')).sort()).toEqual(['PCL0:null', 'PCL1:null']);
  });

  it("stdin: 'ignore' leaves no stdin pipe", async () => {
    const [t, p] = await subprocessExec(reactor, () => new Rec(), 'cat', [], { stdin: 'ignore' });
    expect(t.getPipeTransport(0)).toBeNull();
    await p.lost;
    expect(p.events.filter((e) => e.startsWith('PCL')).sort()).toEqual(['PCL1:null', 'PCL2:null']);
  });

  it('close() closes the pipes and kills a running child', async () => {
    const [t, p] = await subprocessExec(reactor, () => new Rec(), '/bin/sh', ['-c', 'exec sleep 30']);
    t.close();
    expect(t.isClosing()).toBe(true);
    await p.lost;
    expect(t.getReturncode()).toBe(-os.constants.signals.SIGKILL);
  });

  it('a program that cannot start resolves, then processExited and connectionLost with return code 1', async () => {
    const [t, p] = await subprocessExec(reactor, () => new Rec(), '/nonexistent/program');
    await p.lost;
    expect(t.getReturncode()).toBe(1);
    expect(p.events).toEqual(['CM', 'PCL0:null', 'PCL1:null', 'PCL2:null', 'PE', 'CL:null']);
  });

  it.each([
    ['a factory that is not a function', () => subprocessExec(reactor, 5 as never, 'sh'), TypeError],
    ['a factory returning something else', () => subprocessExec(reactor, () => ({}) as never, 'sh'), TypeError],
    ['a program that is not a string', () => subprocessExec(reactor, () => new Rec(), 5 as never), TypeError],
    ['an args string', () => subprocessExec(reactor, () => new Rec(), 'sh', 'x' as never), TypeError],
    ['a bad stdin', () => subprocessExec(reactor, () => new Rec(), 'sh', [], { stdin: 'file' as never }), TypeError],
    ['a bad env', () => subprocessExec(reactor, () => new Rec(), 'sh', [], { env: { A: 1 as never } }), TypeError],
  ] as const)('rejects %s with a typed error', async (_n, call, type) => {
    await expect(call()).rejects.toBeInstanceOf(type);
  });
});
