/**
 * spawnProcess with real programs (sh, cat, env, head): the callback order,
 * exit codes and signals, data both ways, extra child fds, the environment,
 * PATH lookup, a child that cannot start, flow control and shutdown.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Failure } from '../../src/defer/failure';
import { ProcessDone, ProcessExitedAlready, ProcessTerminated } from '../../src/errors';
import type { LogEvent } from '../../src/interfaces/logger';
import type { IPushProducer } from '../../src/interfaces/producer';
import { globalLogPublisher } from '../../src/logger';
import { Process } from '../../src/process';
import type { Reactor } from '../../src/reactor';
import { PATH_ENV, Recorder, startReactor } from './helpers';

let reactor: Reactor;
let stop: () => Promise<void>;
let tmp: string;

beforeEach(() => {
  ({ reactor, stop } = startReactor());
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torsion-proc-'));
});
afterEach(async () => {
  await stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Let the reactor and Node's loop take `n` turns (nothing is waited for by time). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

function sh(script: string, p = new Recorder(), opts: Record<string, unknown> = {}): Recorder {
  reactor.spawnProcess(p, '/bin/sh', ['sh', '-c', script], { env: PATH_ENV, ...opts });
  return p;
}

describe('spawnProcess: the callback order', () => {
  it('runs connectionMade before returning, delivers stdout/stderr, then processExited and processEnded last', async () => {
    const p = new Recorder();
    const t = reactor.spawnProcess(p, '/bin/sh', ['sh', '-c', 'echo out; echo err >&2'], { env: PATH_ENV });
    expect(p.events).toEqual(['CM']);
    expect(t).toBeInstanceOf(Process);
    expect(typeof t.pid).toBe('number');
    const reason = await p.ended;
    expect(p.received(1).toString()).toBe('out\n');
    expect(p.received(2).toString()).toBe('err\n');
    expect(reason.value).toBeInstanceOf(ProcessDone);
    expect(p.exitedReason!.value).toBeInstanceOf(ProcessDone);
    // Each fd lost exactly once, processExited before processEnded, processEnded last.
    for (const fd of [0, 1, 2]) expect(p.events.filter((e) => e === `lost:${fd}`)).toHaveLength(1);
    expect(p.events.indexOf('exited')).toBeLessThan(p.events.indexOf('ended'));
    expect(p.events[p.events.length - 1]).toBe('ended');
    expect(p.pidAtExit).toBeNull();
    expect(t.pid).toBeNull();
  });

  it('routes fds 0/1/2 to in/out/errConnectionLost and outReceived/errReceived', async () => {
    const calls: string[] = [];
    const p = new (class extends Recorder {
      override outReceived(d: Buffer): void {
        calls.push(`out:${d}`);
      }
      override errReceived(d: Buffer): void {
        calls.push(`err:${d}`);
      }
      override inConnectionLost(): void {
        calls.push('in-lost');
      }
      override outConnectionLost(): void {
        calls.push('out-lost');
      }
      override errConnectionLost(): void {
        calls.push('err-lost');
      }
    })();
    sh('printf a; printf b >&2', p);
    await p.ended;
    expect(calls.sort()).toEqual(['err-lost', 'err:b', 'in-lost', 'out-lost', 'out:a']);
  });
});

describe('spawnProcess: how the child ends', () => {
  it('reports a non-zero exit code as ProcessTerminated(exitCode, null, status)', async () => {
    const reason = (await sh('exit 3').ended).value as ProcessTerminated;
    expect(reason).toBeInstanceOf(ProcessTerminated);
    expect(reason.exitCode).toBe(3);
    expect(reason.signal).toBeNull();
    expect(reason.status).toBe(3 << 8);
  });

  it("reports a child killed by a signal (sh -c 'kill -TERM $$') with its signal name and status", async () => {
    const reason = (await sh('kill -TERM $$').ended).value as ProcessTerminated;
    expect(reason).toBeInstanceOf(ProcessTerminated);
    expect(reason.exitCode).toBeNull();
    expect(reason.signal).toBe('SIGTERM');
    expect(reason.status).toBe(os.constants.signals.SIGTERM);
  });

  it.each([
    ['TERM', 'SIGTERM'],
    ['KILL', 'SIGKILL'],
    ['SIGINT', 'SIGINT'],
    [os.constants.signals.SIGUSR1, 'SIGUSR1'],
  ] as const)('signalProcess(%p) delivers %s', async (sig, name) => {
    const p = sh('exec sleep 30');
    p.process.signalProcess(sig);
    const reason = (await p.ended).value as ProcessTerminated;
    expect(reason.signal).toBe(name);
  });

  it('signalProcess, closeChildFD and writeToChild check their argument types', async () => {
    const p = sh('exec sleep 30');
    expect(() => p.process.signalProcess(99)).toThrow(RangeError);
    expect(() => p.process.signalProcess(null as never)).toThrow(TypeError);
    expect(() => p.process.closeChildFD('1' as never)).toThrow(TypeError);
    expect(() => p.process.writeToChild('0' as never, Buffer.from('x'))).toThrow(TypeError);
    expect(() => p.process.writeSequence('x' as never)).toThrow(TypeError);
    p.process.signalProcess('KILL');
    await p.ended;
  });

  it('signalProcess after the child was reaped throws ProcessExitedAlready; an unknown name is a TypeError', async () => {
    const p = sh('exit 0');
    expect(() => p.process.signalProcess('NOPE' as never)).toThrow(TypeError);
    await p.exited;
    expect(() => p.process.signalProcess('TERM')).toThrow(ProcessExitedAlready);
    try {
      p.process.signalProcess('KILL');
    } catch (err) {
      expect((err as ProcessExitedAlready).code).toBe('ERR_PROCESS_EXITED_ALREADY');
    }
  });
});

describe('spawnProcess: data through the child', () => {
  it('gets 10 MB back from cat, every byte in order', async () => {
    const p = new Recorder();
    reactor.spawnProcess(p, 'cat', undefined, { env: PATH_ENV });
    const data = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
    for (let off = 0; off < data.length; off += 256 * 1024) p.process.write(data.subarray(off, off + 256 * 1024));
    p.process.closeStdin();
    const reason = await p.ended;
    expect(reason.value).toBeInstanceOf(ProcessDone);
    const got = p.received(1);
    expect(got.length).toBe(data.length);
    expect(got.equals(data)).toBe(true);
  });

  it('writeSequence writes every buffer in order; several writes in one tick arrive together', async () => {
    const p = new Recorder();
    reactor.spawnProcess(p, 'cat', undefined, { env: PATH_ENV });
    p.process.writeSequence([Buffer.from('a'), Buffer.from('b')]);
    p.process.write(Buffer.from('c'));
    p.process.closeStdin();
    await p.ended;
    expect(p.received(1).toString()).toBe('abc');
  });

  it('a write after closeStdin is dropped, not an error', async () => {
    const p = new Recorder();
    reactor.spawnProcess(p, 'cat', undefined, { env: PATH_ENV });
    p.process.write(Buffer.from('kept'));
    p.process.closeStdin();
    p.process.write(Buffer.from('dropped'));
    await p.ended;
    expect(p.received(1).toString()).toBe('kept');
  });

  it("extra childFDs: an 'r' fd 3 is read, a 'w' fd 4 is written with writeToChild, closeChildFD ends it", async () => {
    const p = new Recorder();
    reactor.spawnProcess(p, '/bin/sh', ['sh', '-c', 'echo three >&3; cat <&4'], {
      env: PATH_ENV,
      childFDs: { 0: 'w', 1: 'r', 2: 'r', 3: 'r', 4: 'w' },
    });
    p.process.writeToChild(4, Buffer.from('four'));
    p.process.closeChildFD(4);
    await p.ended;
    expect(p.received(3).toString()).toBe('three\n');
    expect(p.received(1).toString()).toBe('four');
    for (const fd of [0, 1, 2, 3, 4]) expect(p.events.filter((e) => e === `lost:${fd}`)).toHaveLength(1);
  });

  it('a numeric childFDs value makes the child inherit that parent fd', async () => {
    const file = path.join(tmp, 'out.txt');
    const fd = fs.openSync(file, 'w');
    try {
      const p = new Recorder();
      reactor.spawnProcess(p, '/bin/sh', ['sh', '-c', 'echo into-file'], { env: PATH_ENV, childFDs: { 1: fd, 2: 'r' } });
      await p.ended;
      expect(p.events).not.toContain('lost:1');
      expect(p.events).toContain('lost:2');
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('into-file\n');
  });

  it("writeToChild to an 'r' fd or an fd that is no pipe is a RangeError", () => {
    const p = sh('cat');
    expect(() => p.process.writeToChild(1, Buffer.from('x'))).toThrow(RangeError);
    expect(() => p.process.writeToChild(7, Buffer.from('x'))).toThrow(RangeError);
    try {
      p.process.writeToChild(7, Buffer.from('x'));
    } catch (err) {
      expect((err as { code: string }).code).toBe('ERR_OUT_OF_RANGE');
    }
    expect(() => p.process.write('text' as never)).toThrow(TypeError);
    p.process.closeStdin();
    return p.ended;
  });

  it('loseConnection closes stdin, stdout and stderr', async () => {
    const p = sh('cat');
    p.process.loseConnection();
    expect(p.process.disconnecting).toBe(true);
    await p.ended;
    expect(p.events.filter((e) => e.startsWith('lost:')).sort()).toEqual(['lost:0', 'lost:1', 'lost:2']);
  });
});

describe('spawnProcess: the environment, the executable, the working directory', () => {
  it('gives the child an EMPTY environment when env is not given', async () => {
    const p = new Recorder();
    reactor.spawnProcess(p, '/usr/bin/env');
    await p.ended;
    expect(p.received(1).toString()).toBe('');
  });

  it('env: null inherits process.env', async () => {
    process.env.TORSION_SPEC_MARK = 'inherited';
    try {
      const p = new Recorder();
      reactor.spawnProcess(p, '/usr/bin/env', undefined, { env: null });
      await p.ended;
      expect(p.received(1).toString()).toContain('TORSION_SPEC_MARK=inherited\n');
    } finally {
      delete process.env.TORSION_SPEC_MARK;
    }
  });

  it('an env object is exactly the child environment', async () => {
    const p = new Recorder();
    reactor.spawnProcess(p, '/usr/bin/env', undefined, { env: { A: '1', B: 'two words' } });
    await p.ended;
    expect(p.received(1).toString().split('\n').filter(Boolean).sort()).toEqual(['A=1', 'B=two words']);
  });

  it("looks the executable up along the new env's PATH, never the parent's", async () => {
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'torsion-hello'), '#!/bin/sh\necho hello-from-path\n', { mode: 0o755 });
    const found = new Recorder();
    reactor.spawnProcess(found, 'torsion-hello', undefined, { env: { PATH: bin } });
    await found.ended;
    expect(found.received(1).toString()).toBe('hello-from-path\n');

    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      const notFound = new Recorder();
      reactor.spawnProcess(notFound, 'torsion-hello', undefined, { env: {} });
      const reason = (await notFound.ended).value as ProcessTerminated;
      expect(reason.exitCode).toBe(1);
      expect((reason.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    } finally {
      process.env.PATH = oldPath;
    }
  });

  it("args[0] is the child's argv[0]", async () => {
    const p = new Recorder();
    reactor.spawnProcess(p, '/bin/sh', ['my-argv0', '-c', 'echo "$0"']);
    await p.ended;
    expect(p.received(1).toString()).toBe('my-argv0\n');
  });

  it('path sets the working directory', async () => {
    const p = sh('pwd', new Recorder(), { path: tmp });
    await p.ended;
    expect(p.received(1).toString()).toBe(`${fs.realpathSync(tmp)}\n`);
  });
});

describe('spawnProcess: a child that cannot start', () => {
  async function failsWith(p: Recorder, code: string): Promise<void> {
    expect(p.events).toEqual(['CM']);
    const reason = (await p.ended).value as ProcessTerminated;
    expect(reason).toBeInstanceOf(ProcessTerminated);
    expect(reason.exitCode).toBe(1);
    expect(reason.status).toBe(256);
    expect((reason.cause as NodeJS.ErrnoException).code).toBe(code);
    expect(p.events).toEqual(['CM', 'lost:0', 'lost:1', 'lost:2', 'exited', 'ended']);
    expect(p.exitedReason!.value).toBe(reason);
  }

  it('a missing executable ends through processEnded with ProcessTerminated(1), ENOENT as cause', async () => {
    const p = new Recorder();
    expect(() => reactor.spawnProcess(p, '/nonexistent/torsion-nope')).not.toThrow();
    await failsWith(p, 'ENOENT');
  });

  it('a name found nowhere on PATH does the same', async () => {
    const p = new Recorder();
    reactor.spawnProcess(p, 'torsion-no-such-program', undefined, { env: PATH_ENV });
    await failsWith(p, 'ENOENT');
  });

  it('a file that is not executable gives EACCES', async () => {
    const file = path.join(tmp, 'not-exec');
    fs.writeFileSync(file, 'echo no\n', { mode: 0o644 });
    const p = new Recorder();
    reactor.spawnProcess(p, file);
    await failsWith(p, 'EACCES');
  });

  it('a working directory that does not exist gives ENOENT', async () => {
    const p = new Recorder();
    reactor.spawnProcess(p, '/bin/sh', ['sh', '-c', 'exit 0'], { path: path.join(tmp, 'missing') });
    await failsWith(p, 'ENOENT');
  });

  it('a uid the process may not take gives EPERM (when not root)', async () => {
    if (process.getuid?.() === 0) {
      console.log('skipped: running as root, setuid cannot fail');
      return;
    }
    const p = new Recorder();
    reactor.spawnProcess(p, '/bin/sh', ['sh', '-c', 'exit 0'], { uid: 0 });
    await failsWith(p, 'EPERM');
  });
});

describe('spawnProcess: bad arguments are typed errors at once, and nothing starts', () => {
  const proto = (): Recorder => new Recorder();
  it.each([
    ['executable not a string', () => reactor.spawnProcess(proto(), 42 as never), TypeError, 'executable'],
    ['executable empty', () => reactor.spawnProcess(proto(), ''), TypeError, 'executable'],
    ['args not an array', () => reactor.spawnProcess(proto(), 'sh', 'sh' as never), TypeError, 'args'],
    ['args empty', () => reactor.spawnProcess(proto(), 'sh', []), TypeError, 'args'],
    ['args with a number', () => reactor.spawnProcess(proto(), 'sh', ['sh', 1 as never]), TypeError, 'args[1]'],
    ['args with a NUL', () => reactor.spawnProcess(proto(), 'sh', ['sh', 'a\0b']), TypeError, 'args[1]'],
    ['env with a number', () => reactor.spawnProcess(proto(), 'sh', ['sh'], { env: { A: 1 as never } }), TypeError, 'env.A'],
    ['env an array', () => reactor.spawnProcess(proto(), 'sh', ['sh'], { env: [] as never }), TypeError, 'env'],
    [
      'childFDs value',
      () => reactor.spawnProcess(proto(), 'sh', ['sh'], { childFDs: { 3: 'x' as never } }),
      TypeError,
      'childFDs[3]',
    ],
    [
      'childFDs key',
      () => reactor.spawnProcess(proto(), 'sh', ['sh'], { childFDs: { '-1': 'r' } as never }),
      RangeError,
      'childFDs',
    ],
    ['childFDs parent fd', () => reactor.spawnProcess(proto(), 'sh', ['sh'], { childFDs: { 1: -2 } }), RangeError, 'childFDs[1]'],
    ['uid negative', () => reactor.spawnProcess(proto(), 'sh', ['sh'], { uid: -1 }), RangeError, 'uid'],
    ['gid a string', () => reactor.spawnProcess(proto(), 'sh', ['sh'], { gid: '0' as never }), TypeError, 'gid'],
    ['path empty', () => reactor.spawnProcess(proto(), 'sh', ['sh'], { path: '' }), TypeError, 'path'],
    [
      'usePTY with childFDs',
      () => reactor.spawnProcess(proto(), 'sh', ['sh'], { usePTY: true, childFDs: { 0: 'w' } }),
      TypeError,
      'childFDs is not supported with usePTY',
    ],
    ['usePTY cols', () => reactor.spawnProcess(proto(), 'sh', ['sh'], { usePTY: { cols: 0 } }), RangeError, 'usePTY.cols'],
    ['no protocol', () => reactor.spawnProcess(null as never, 'sh'), TypeError, 'processProtocol'],
    [
      'a protocol without processEnded',
      () => reactor.spawnProcess({ makeConnection() {} } as never, 'sh'),
      TypeError,
      'processProtocol',
    ],
  ] as const)('%s', async (_name, call, type, mention) => {
    let thrown: unknown;
    try {
      call();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(type);
    expect((thrown as Error).message).toContain(mention);
    expect((thrown as { code: string }).code).toBe(type === TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_OUT_OF_RANGE');
    // The reactor is alive and the next spawn works.
    const p = sh('echo ok');
    await p.ended;
    expect(p.received(1).toString()).toBe('ok\n');
  });
});

describe('spawnProcess: flow control', () => {
  it('pauseProducing stops every child pipe, even across the child exit, until resumeProducing', async () => {
    const p = new (class extends Recorder {
      override connectionMade(): void {
        super.connectionMade();
        this.process.pauseProducing();
      }
    })();
    sh('echo hi; echo there >&2', p);
    await p.exited;
    await turns(20);
    expect(p.received(1).length + p.received(2).length).toBe(0);
    expect(p.events).not.toContain('ended');
    p.process.resumeProducing();
    await p.ended;
    expect(p.received(1).toString()).toBe('hi\n');
    expect(p.received(2).toString()).toBe('there\n');
  });

  it('a paused child blocks on a full pipe and finishes once resumed, nothing lost', async () => {
    let paused = false;
    const p = new (class extends Recorder {
      override childDataReceived(fd: number, data: Buffer): void {
        super.childDataReceived(fd, data);
        if (!paused) {
          paused = true;
          this.process.pauseProducing();
        }
      }
    })();
    reactor.spawnProcess(p, '/usr/bin/head', ['head', '-c', '8000000', '/dev/zero']);
    await p.waitFor(1, 1);
    const before = p.received(1).length;
    await turns(30);
    expect(p.received(1).length).toBe(before);
    expect(p.events).not.toContain('exited');
    p.process.resumeProducing();
    await p.ended;
    expect(p.received(1).length).toBe(8_000_000);
  });

  it('a streaming producer is paused over the high-water mark and resumed as the child drains stdin', async () => {
    const p = new Recorder();
    reactor.spawnProcess(p, 'cat', undefined, { env: PATH_ENV, childFDs: { 0: 'w', 2: 'r' } });
    const calls: string[] = [];
    let resumed!: () => void;
    const resumedP = new Promise<void>((r) => {
      resumed = r;
    });
    const producer: IPushProducer = {
      pauseProducing: () => calls.push('pause'),
      resumeProducing: () => {
        calls.push('resume');
        resumed();
      },
      stopProducing: () => calls.push('stop'),
    };
    p.process.setWriteBufferLimits(64 * 1024);
    p.process.registerProducer(producer, true);
    p.process.write(Buffer.alloc(4 * 1024 * 1024));
    // The batch leaves at the end of this tick (a microtask): then the buffer is over the mark.
    await Promise.resolve();
    expect(calls).toEqual(['pause']);
    expect(p.process.getWriteBufferSize()).toBeGreaterThan(64 * 1024);
    await resumedP;
    expect(calls).toEqual(['pause', 'resume']);
    p.process.unregisterProducer();
    p.process.closeStdin();
    await p.ended;
  });
});

describe('spawnProcess: callbacks go through the guard', () => {
  let events: LogEvent[];
  const observer = (e: LogEvent): void => {
    events.push(e);
  };
  beforeEach(() => {
    events = [];
    globalLogPublisher.addObserver(observer);
  });
  afterEach(() => globalLogPublisher.removeObserver(observer));

  it.each([
    [
      'throws',
      (): void => {
        throw new Error('boom');
      },
    ],
    ['rejects', (): Promise<void> => Promise.reject(new Error('boom'))],
  ])('an outReceived that %s is logged, closes the pipes, and processEnded still runs', async (_n, fail) => {
    const p = new (class extends Recorder {
      override outReceived(): unknown {
        return fail();
      }
    })();
    sh('echo x; exec sleep 1', p);
    await p.ended;
    expect(events.some((e) => e.message.includes('Unhandled error in childDataReceived'))).toBe(true);
    for (const fd of [0, 1, 2]) expect(p.events).toContain(`lost:${fd}`);
  });
});

describe('spawnProcess and reactor shutdown', () => {
  it('closes the pipes of a live child (childConnectionLost each), leaves it running, and never calls processExited/processEnded', async () => {
    const p = sh('exec sleep 30');
    const pid = p.process.pid!;
    await stop();
    expect(p.events.filter((e) => e.startsWith('lost:')).sort()).toEqual(['lost:0', 'lost:1', 'lost:2']);
    expect(p.events).not.toContain('exited');
    // Still alive: signal 0 succeeds.
    expect(() => process.kill(pid, 0)).not.toThrow();
    process.kill(pid, 'SIGKILL');
  });
});

describe('the process transport', () => {
  it('getPeer/getHost give ProcessAddress; logPrefix names the pid', async () => {
    const p = sh('exit 0');
    expect(p.process.getPeer().type).toBe('PROCESS');
    expect(p.process.getHost().type).toBe('PROCESS');
    expect((p.process as Process).logPrefix()).toMatch(/^Process\(pid=\d+\)$/);
    await p.ended;
  });

  it('processEnded gets the same reason object as processExited', async () => {
    const p = sh('exit 2');
    const ended: Failure = await p.ended;
    expect(ended).toBe(p.exitedReason);
  });
});
