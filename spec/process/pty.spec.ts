/**
 * usePTY: through the optional node-pty. Without it, usePTY throws
 * FeatureUnavailableError at once (after the argument checks) and the PTY
 * specs skip, printing why.
 */
import { FeatureUnavailableError, ProcessTerminated } from '../../src/errors';
import { PTYProcess } from '../../src/process';
import { loadNodePty } from '../../src/process/pty-process';
import type { Reactor } from '../../src/reactor';
import { PATH_ENV, Recorder, startReactor } from './helpers';

let why: string | null = null;
try {
  loadNodePty();
} catch (err) {
  why = (err as Error).message;
}

let reactor: Reactor;
let stop: () => Promise<void>;
beforeEach(() => {
  ({ reactor, stop } = startReactor());
});
afterEach(() => stop());

describe('usePTY', () => {
  it('checks its arguments before node-pty is looked for', () => {
    expect(() => reactor.spawnProcess(new Recorder(), 'sh', ['sh'], { usePTY: true, childFDs: { 0: 'w' } })).toThrow(TypeError);
    expect(() => reactor.spawnProcess(new Recorder(), 'sh', [], { usePTY: true })).toThrow(TypeError);
  });

  (why === null ? it.skip : it)('without node-pty throws FeatureUnavailableError naming it, and starts nothing', () => {
    const p = new Recorder();
    let thrown: unknown;
    try {
      reactor.spawnProcess(p, 'sh', ['sh', '-c', 'exit 0'], { usePTY: true });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FeatureUnavailableError);
    expect((thrown as FeatureUnavailableError).feature).toBe('node-pty');
    expect((thrown as FeatureUnavailableError).code).toBe('ERR_FEATURE_UNAVAILABLE');
    expect(p.events).toEqual([]);
  });
});

describe('usePTY with node-pty', () => {
  if (why !== null) {
    it('is skipped', () => {
      console.log(`PTY specs skipped: ${why}`);
    });
    return;
  }

  it('runs the child on a terminal of the asked size and type; output is childDataReceived(1)', async () => {
    const p = new Recorder();
    const t = reactor.spawnProcess(p, 'sh', ['sh', '-c', 'tty; echo "$TERM"; stty size; exit 3'], {
      env: PATH_ENV,
      usePTY: { cols: 100, rows: 30, name: 'vt100' },
    });
    expect(t).toBeInstanceOf(PTYProcess);
    expect(typeof t.pid).toBe('number');
    const reason = (await p.ended).value as ProcessTerminated;
    const out = p.received(1).toString();
    expect(out).toMatch(/\/dev\/pts\/\d+/);
    expect(out).toContain('vt100');
    expect(out).toContain('30 100');
    expect(reason.exitCode).toBe(3);
    expect(p.events.indexOf('exited')).toBeLessThan(p.events.indexOf('ended'));
    expect(p.received(2).length).toBe(0);
  });

  it('writes go to the terminal; resize changes its size; closeChildFD and writeToChild throw', async () => {
    const p = new Recorder();
    const t = reactor.spawnProcess(p, 'sh', ['sh', '-c', 'read x; stty size; echo "got:$x"'], {
      env: PATH_ENV,
      usePTY: true,
    }) as PTYProcess;
    expect(() => t.closeChildFD(0)).toThrow(RangeError);
    expect(() => t.writeToChild(0, Buffer.from('x'))).toThrow(RangeError);
    t.closeStdin();
    t.resize(120, 40);
    t.write(Buffer.from('hello\n'));
    await p.ended;
    const out = p.received(1).toString();
    expect(out).toContain('got:hello');
    expect(out).toContain('40 120');
  });

  it('signalProcess kills it; afterwards ProcessExitedAlready', async () => {
    const p = new Recorder();
    const t = reactor.spawnProcess(p, 'sh', ['sh', '-c', 'exec sleep 30'], { env: PATH_ENV, usePTY: true });
    t.signalProcess('KILL');
    const reason = (await p.ended).value as ProcessTerminated;
    expect(reason.signal).toBe('SIGKILL');
    expect(() => t.signalProcess('TERM')).toThrow(/exited/);
  });

  it('a missing executable ends with ProcessTerminated(1)', async () => {
    const p = new Recorder();
    reactor.spawnProcess(p, 'torsion-no-such', undefined, { env: PATH_ENV, usePTY: true });
    const reason = (await p.ended).value as ProcessTerminated;
    expect(reason.exitCode).toBe(1);
  });
});
