/**
 * MemoryReactor.spawnProcess and FakeProcessTransport: the records, the
 * drivers and Twisted's order.
 */
import { ProcessDone, ProcessExitedAlready, ProcessTerminated } from '../../src/errors';
import { FakeProcessTransport, MemoryReactor } from '../../src/testing';
import { Recorder } from './helpers';

describe('MemoryReactor.spawnProcess', () => {
  it('records the call with the defaults (empty env, [executable], the default childFDs) and connects the protocol', () => {
    const reactor = new MemoryReactor();
    const p = new Recorder();
    const t = reactor.spawnProcess(p, 'cat');
    expect(reactor.spawnedProcesses).toEqual([
      {
        processProtocol: p,
        executable: 'cat',
        args: ['cat'],
        env: {},
        path: null,
        uid: null,
        gid: null,
        usePTY: false,
        childFDs: { 0: 'w', 1: 'r', 2: 'r' },
        transport: t,
      },
    ]);
    expect(t).toBeInstanceOf(FakeProcessTransport);
    expect(p.events).toEqual(['CM']);
    expect(p.transport).toBe(t);
    expect(typeof t.pid).toBe('number');
  });

  it('records every option as given, including usePTY (no node-pty needed)', () => {
    const reactor = new MemoryReactor();
    reactor.spawnProcess(new Recorder(), 'sh', ['sh', '-c', 'x'], {
      env: null,
      path: '/tmp',
      uid: 1,
      gid: 2,
      usePTY: { cols: 100 },
    });
    const rec = reactor.spawnedProcesses[0];
    expect([rec.env, rec.path, rec.uid, rec.gid, rec.usePTY]).toEqual([null, '/tmp', 1, 2, { cols: 100 }]);
  });

  it('refuses bad arguments exactly as the real reactor does', () => {
    const reactor = new MemoryReactor();
    expect(() => reactor.spawnProcess(new Recorder(), '')).toThrow(TypeError);
    expect(() => reactor.spawnProcess(new Recorder(), 'sh', [])).toThrow(TypeError);
    expect(() => reactor.spawnProcess(new Recorder(), 'sh', ['sh'], { usePTY: true, childFDs: {} })).toThrow(
      'childFDs is not supported with usePTY',
    );
    expect(reactor.spawnedProcesses).toHaveLength(0);
  });
});

describe('FakeProcessTransport', () => {
  function spawn(childFDs?: Record<number, 'r' | 'w' | number>): { p: Recorder; t: FakeProcessTransport } {
    const reactor = new MemoryReactor();
    const p = new Recorder();
    const t = reactor.spawnProcess(p, 'x', undefined, childFDs ? { childFDs } : {});
    return { p, t };
  }

  it('records writes per fd, closes and signals', () => {
    const { t } = spawn({ 0: 'w', 1: 'r', 3: 'w' });
    t.write(Buffer.from('a'));
    t.writeSequence([Buffer.from('b')]);
    t.writeToChild(3, Buffer.from('c'));
    t.signalProcess('HUP');
    t.closeChildFD(3);
    t.writeToChild(3, Buffer.from('dropped'));
    expect(t.value(0).toString()).toBe('ab');
    expect(t.value(3).toString()).toBe('c');
    expect([...t.closedChildFDs]).toEqual([3]);
    expect(t.signals).toEqual(['HUP']);
  });

  it('exit() before the pipes close: processExited at once, processEnded after the last childConnectionLost', () => {
    const { p, t } = spawn();
    t.childDataReceived(1, Buffer.from('out'));
    t.exit(0);
    expect(p.events).toEqual(['CM', 'data:1', 'exited']);
    expect(t.pid).toBeNull();
    expect(() => t.signalProcess('TERM')).toThrow(ProcessExitedAlready);
    t.childConnectionLost(0);
    t.childConnectionLost(1);
    expect(p.events).not.toContain('ended');
    t.childConnectionLost(2);
    t.childConnectionLost(2);
    expect(p.events).toEqual(['CM', 'data:1', 'exited', 'lost:0', 'lost:1', 'lost:2', 'ended']);
    expect(p.endedReason!.value).toBeInstanceOf(ProcessDone);
  });

  it('kill(signal) ends with ProcessTerminated and the Node signal name', () => {
    const { p, t } = spawn();
    t.loseConnection();
    t.kill('KILL');
    const v = p.endedReason!.value as ProcessTerminated;
    expect([v.exitCode, v.signal, v.status]).toEqual([null, 'SIGKILL', 9]);
    expect(() => t.exit(0)).toThrow();
  });

  it('childDataReceived on an fd that is not an open read pipe is a RangeError', () => {
    const { t } = spawn();
    expect(() => t.childDataReceived(0, Buffer.from('x'))).toThrow(RangeError);
    t.closeStdout();
    expect(() => t.childDataReceived(1, Buffer.from('x'))).toThrow(RangeError);
  });

  it('a protocol callback that throws is logged and closes the pipes, as on the real transport', () => {
    const reactor = new MemoryReactor();
    const p = new (class extends Recorder {
      override outReceived(): void {
        throw new Error('boom');
      }
    })();
    const t = reactor.spawnProcess(p, 'x');
    t.childDataReceived(1, Buffer.from('x'));
    expect(p.events.filter((e) => e.startsWith('lost:')).sort()).toEqual(['lost:0', 'lost:1', 'lost:2']);
    t.exit(1);
    expect(p.events[p.events.length - 1]).toBe('ended');
  });

  it('records producers and the push-producer state', () => {
    const { t } = spawn();
    const producer = { pauseProducing() {}, resumeProducing() {}, stopProducing() {} };
    t.registerProducer(producer, true);
    expect([t.producer, t.streaming]).toEqual([producer, true]);
    expect(() => t.registerProducer(producer, true)).toThrow();
    t.unregisterProducer();
    t.pauseProducing();
    expect(t.producerState).toBe('paused');
    t.resumeProducing();
    expect(t.producerState).toBe('producing');
  });
});
