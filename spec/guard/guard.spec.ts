/**
 * One guard for every user callback (src/guard.ts): a synchronous throw and
 * a returned Promise that rejects are handled the same way at every site —
 * logged, the connection ended for protocol callbacks, the reactor running
 * on — and never an unhandled rejection.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Failure } from '../../src/defer/failure';
import { TCP4ClientEndpoint } from '../../src/endpoints';
import { ConnectError } from '../../src/errors';
import { LineReceiver } from '../../src/framing';
import { FAILED, guardCall, guardResult, type GuardOwner } from '../../src/guard';
import type { LogEvent } from '../../src/interfaces/logger';
import { captureLogEvents } from '../../src/logger';
import { ClientFactory, Factory, Protocol } from '../../src/protocol';
import { FakeTransport, MemoryReactorClock } from '../../src/testing';
import { connect as pumpConnect } from '../../src/testing/io-pump';
import {
  RecordingClientFactory,
  RecordingProtocol,
  RecordingServerFactory,
  Signal,
  until,
  useReactor,
  within,
} from '../tcp/harness';

class Boom extends Error {}

function recorder(): GuardOwner & { seen: Array<[unknown, string]> } {
  const seen: Array<[unknown, string]> = [];
  return { seen, _callbackFailed: (err, where) => void seen.push([err, where]) };
}

/** Let queued microtasks (a rejection's handlers) run. */
const microtasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('guardCall / guardResult', () => {
  it('hands a synchronous throw to the owner, named, and returns FAILED', () => {
    const owner = recorder();
    const err = new Boom('sync');
    const r = guardCall(
      owner,
      'dataReceived',
      () => {
        throw err;
      },
      null,
    );
    expect(r).toBe(FAILED);
    expect(owner.seen).toEqual([[err, 'dataReceived']]);
  });

  it('hands a rejection to the owner as it hands a throw, and passes results through', async () => {
    const owner = recorder();
    const err = new Boom('async');
    const p = Promise.reject(err);
    expect(guardCall(owner, 'lineReceived', () => p, null)).toBe(p);
    expect(guardCall(owner, 'x', (a?: unknown, b?: unknown) => [a, b], null, 1, 2)).toEqual([1, 2]);
    await microtasks();
    expect(owner.seen).toEqual([[err, 'lineReceived']]);
  });

  it('a resolved Promise or a plain value reports nothing', async () => {
    const owner = recorder();
    guardResult(owner, 'a', Promise.resolve(1));
    // biome-ignore lint/suspicious/noThenProperty: a non-callable then is the case under test
    guardResult(owner, 'b', { then: 3 });
    guardResult(owner, 'c', 42);
    await microtasks();
    expect(owner.seen).toEqual([]);
  });

  it('an owner that throws while handling is logged, never thrown', () => {
    const [events, stop] = captureLogEvents();
    try {
      const owner: GuardOwner = {
        _callbackFailed: () => {
          throw new Error('owner broke');
        },
      };
      expect(() =>
        guardCall(
          owner,
          'cb',
          () => {
            throw new Boom('first');
          },
          null,
        ),
      ).not.toThrow();
    } finally {
      stop();
    }
    const messages = events.map((e) => e.failure?.getErrorMessage());
    expect(messages).toEqual(expect.arrayContaining(['owner broke', 'first']));
  });
});

/** The failures logged with a message containing `where`. */
function failuresIn(events: LogEvent[], where: string): Failure[] {
  return events.filter((e) => e.failure !== undefined && e.message.includes(where)).map((e) => e.failure as Failure);
}

describe('protocol callbacks on a real reactor: a rejection ends the connection as a throw does', () => {
  const h = useReactor();
  let events: LogEvent[];
  let stop: () => void;
  beforeEach(() => {
    [events, stop] = captureLogEvents();
  });
  afterEach(() => stop());

  async function serve(
    P: new () => Protocol,
  ): Promise<{ client: RecordingProtocol; server: Protocol & { lostWith?: Signal<Failure> } }> {
    const sf = new RecordingServerFactory(P as unknown as typeof RecordingProtocol);
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    const cf = new RecordingClientFactory(RecordingProtocol);
    h.r.connectTCP('127.0.0.1', port.getHost().port, cf);
    const server = await within(sf.built);
    await until(() => cf.protocols.length > 0);
    const client = await within(cf.protocols[0].made);
    return { client, server };
  }

  for (const style of ['sync', 'async'] as const) {
    it(`${style} dataReceived failing: logged as dataReceived, that connection lost with the error, the port still serves`, async () => {
      const err = new Boom(`${style} dataReceived`);
      class Failing extends RecordingProtocol {
        override dataReceived(data: Buffer): void | Promise<void> {
          super.dataReceived(data);
          if (style === 'sync') throw err;
          return Promise.reject(err);
        }
      }
      const { client, server } = await serve(Failing);
      client.transport!.write(Buffer.from('x'));
      const reason = await within((server as RecordingProtocol).lost);
      expect(reason.value).toBe(err);
      await within(client.lost);
      expect(failuresIn(events, 'dataReceived').map((f) => f.value)).toEqual([err]);
      // The reactor and the port run on: a second connection works.
      const second = await serve(RecordingProtocol);
      second.client.transport!.write(Buffer.from('still here'));
      await until(() => (second.server as RecordingProtocol).data().toString() === 'still here');
    });

    it(`${style} connectionMade failing: logged as connectionMade (not makeConnection), the connection ends`, async () => {
      const err = new Boom(`${style} connectionMade`);
      class Failing extends RecordingProtocol {
        override connectionMade(): void | Promise<void> {
          super.connectionMade();
          if (style === 'sync') throw err;
          return (async () => {
            await Promise.resolve();
            throw err;
          })();
        }
      }
      const { client, server } = await serve(Failing);
      expect((await within((server as RecordingProtocol).lost)).value).toBe(err);
      await within(client.lost);
      const logged = events.filter((e) => e.failure?.value === err);
      expect(logged).toHaveLength(1);
      expect(logged[0].message).toMatch(/Unhandled error in connectionMade of /);
    });

    it(`${style} lineReceived of a LineReceiver failing ends the connection with the error`, async () => {
      const err = new Boom(`${style} lineReceived`);
      const lines: string[] = [];
      const lost = new Signal<Failure>();
      class Lines extends LineReceiver {
        override lineReceived(line: Buffer): unknown {
          lines.push(line.toString());
          if (line.toString() !== 'bad') return undefined;
          if (style === 'sync') throw err;
          return Promise.reject(err);
        }
        override connectionLost(reason: Failure): void {
          lost.fire(reason);
        }
      }
      const port = h.r.listenTCP(0, Factory.forProtocol(Lines), { interface: '127.0.0.1' });
      const cf = new RecordingClientFactory(RecordingProtocol);
      h.r.connectTCP('127.0.0.1', port.getHost().port, cf);
      await until(() => cf.protocols.length > 0);
      const client = await within(cf.protocols[0].made);
      client.transport!.write(Buffer.from('one\r\nbad\r\n'));
      expect((await within(lost)).value).toBe(err);
      expect(lines.slice(0, 2)).toEqual(['one', 'bad']);
      expect(failuresIn(events, 'lineReceived').map((f) => f.value)).toEqual([err]);
    });
  }

  it('async lineReceived: every line of one chunk is delivered (a Promise is not a reason to stop)', async () => {
    const lines: string[] = [];
    class Lines extends LineReceiver {
      override async lineReceived(line: Buffer): Promise<void> {
        lines.push(line.toString());
      }
    }
    const port = h.r.listenTCP(0, Factory.forProtocol(Lines), { interface: '127.0.0.1' });
    const cf = new RecordingClientFactory(RecordingProtocol);
    h.r.connectTCP('127.0.0.1', port.getHost().port, cf);
    await until(() => cf.protocols.length > 0);
    const client = await within(cf.protocols[0].made);
    client.transport!.write(Buffer.from('a\r\nb\r\nc\r\n'));
    await until(() => lines.length === 3);
    expect(lines).toEqual(['a', 'b', 'c']);
  });

  it('a rejecting connectionLost is logged once and nothing else happens', async () => {
    const err = new Boom('async connectionLost');
    const done = new Signal<void>();
    class Failing extends RecordingProtocol {
      override connectionLost(reason: Failure): void | Promise<void> {
        super.connectionLost(reason);
        done.fire();
        return Promise.reject(err);
      }
    }
    const { client, server } = await serve(Failing);
    client.transport!.loseConnection();
    await within(done);
    await within((server as RecordingProtocol).lost);
    await until(() => failuresIn(events, 'connectionLost').length > 0);
    expect(failuresIn(events, 'connectionLost').map((f) => f.value)).toEqual([err]);
  });

  it('an async buildProtocol is a clear error: the accepted connection is dropped, the port serves on', async () => {
    class AsyncFactory extends Factory {
      override buildProtocol(): Protocol | null {
        return Promise.resolve(new Protocol()) as unknown as Protocol;
      }
    }
    const port = h.r.listenTCP(0, new AsyncFactory(), { interface: '127.0.0.1' });
    const cf = new RecordingClientFactory(RecordingProtocol);
    h.r.connectTCP('127.0.0.1', port.getHost().port, cf);
    await until(() => cf.protocols.length > 0);
    await within(cf.protocols[0].lost);
    const [f] = failuresIn(events, 'buildProtocol');
    expect(f.value).toBeInstanceOf(TypeError);
    expect(f.getErrorMessage()).toMatch(/buildProtocol returned a Promise/);
  });

  it('async client factory callbacks that reject are logged; the reactor runs on', async () => {
    const err = new Boom('clientConnectionFailed');
    const called = new Signal<void>();
    class F extends ClientFactory {
      override async clientConnectionFailed(): Promise<void> {
        called.fire();
        throw err;
      }
    }
    const dead = h.r.listenTCP(0, Factory.forProtocol(Protocol), { interface: '127.0.0.1' });
    const deadPort = dead.getHost().port;
    await dead.stopListening();
    h.r.connectTCP('127.0.0.1', deadPort, new F());
    await within(called);
    await until(() => failuresIn(events, 'clientConnectionFailed').length > 0);
    expect(failuresIn(events, 'clientConnectionFailed')[0].value).toBe(err);
  });

  it('an async startFactory that rejects is logged', async () => {
    const err = new Boom('startFactory');
    class F extends Factory {
      override async startFactory(): Promise<void> {
        throw err;
      }
    }
    const f = new F();
    f.protocol = Protocol;
    h.r.listenTCP(0, f, { interface: '127.0.0.1' });
    await until(() => failuresIn(events, 'startFactory').length > 0);
    expect(failuresIn(events, 'startFactory')[0].value).toBe(err);
  });

  it('endpoint connect() waits for an async connectionMade, and fails with its rejection', async () => {
    const order: string[] = [];
    class Slow extends Protocol {
      override async connectionMade(): Promise<void> {
        await new Promise((resolve) => setImmediate(resolve));
        order.push('connectionMade done');
      }
    }
    const port = h.r.listenTCP(0, Factory.forProtocol(RecordingProtocol), { interface: '127.0.0.1' });
    const ep = new TCP4ClientEndpoint(h.r, '127.0.0.1', port.getHost().port);
    const proto = (await ep.connect(Factory.forProtocol(Slow))) as Slow;
    order.push('connect fired');
    expect(order).toEqual(['connectionMade done', 'connect fired']);
    proto.transport!.loseConnection();

    const err = new Boom('async connectionMade');
    class Bad extends Protocol {
      override async connectionMade(): Promise<void> {
        throw err;
      }
    }
    await expect(ep.connect(Factory.forProtocol(Bad)).asPromise()).rejects.toBe(err);
  });

  it('a buildProtocol that throws fails the client attempt with ConnectError', async () => {
    const port = h.r.listenTCP(0, Factory.forProtocol(RecordingProtocol), { interface: '127.0.0.1' });
    const failed = new Signal<Failure>();
    class F extends ClientFactory {
      override buildProtocol(): Protocol {
        throw new Boom('no protocol for you');
      }
      override clientConnectionFailed(_c: unknown, reason: Failure): void {
        failed.fire(reason);
      }
    }
    h.r.connectTCP('127.0.0.1', port.getHost().port, new F());
    const reason = await within(failed);
    expect(reason.value).toBeInstanceOf(ConnectError);
    expect(reason.getErrorMessage()).toMatch(/no protocol for you/);
  });
});

describe('timers and triggers: a rejection is logged as a throw is, and later calls still run', () => {
  const h = useReactor();

  it('callLater(…, async () => { throw }) and callWhenRunning are logged; the next timer fires', async () => {
    const [events, stop] = captureLogEvents();
    try {
      const err = new Boom('timer');
      const fired = new Signal<void>();
      h.r.callLater(0, async function asyncTimer() {
        throw err;
      });
      h.r.callLater(0.01, () => fired.fire());
      await within(fired);
      await until(() => events.some((e) => e.failure?.value === err));
      expect(events.find((e) => e.failure?.value === err)!.message).toMatch(/delayed call asyncTimer/);
    } finally {
      stop();
    }
  });
});

describe('the fakes use the same guard', () => {
  it('FakeTransport: an async dataReceived rejection ends the fake connection with it, logged', async () => {
    const [events, stop] = captureLogEvents();
    try {
      const err = new Boom('fake');
      const lost = new Signal<Failure>();
      class Failing extends Protocol {
        override async dataReceived(): Promise<void> {
          throw err;
        }
        override connectionLost(reason: Failure): void {
          lost.fire(reason);
        }
      }
      const server = new Failing();
      const client = new RecordingProtocol();
      const pump = pumpConnect(server, new FakeTransport(server, true), client, new FakeTransport(client, false));
      client.transport!.write(Buffer.from('x'));
      pump.flush();
      await microtasks();
      pump.flush();
      expect((await within(lost)).value).toBe(err);
      expect(failuresIn(events, 'dataReceived').map((f) => f.value)).toEqual([err]);
    } finally {
      stop();
    }
  });

  it('MemoryReactorClock: callWhenRunning functions that reject are logged', async () => {
    const [events, stop] = captureLogEvents();
    try {
      const r = new MemoryReactorClock();
      const err = new Boom('when running');
      r.callWhenRunning(async () => {
        throw err;
      });
      await r.run();
      await microtasks();
      expect(events.some((e) => e.failure?.value === err)).toBe(true);
    } finally {
      stop();
    }
  });
});

describe('a whole program (child process): rejections never kill it', () => {
  it('async dataReceived, lineReceived, connectionMade and timers that reject: logged, exit code 0, no unhandled rejection', () => {
    const fixture = join(__dirname, 'fixtures', 'rejecting-callbacks.ts');
    const res = spawnSync(process.execPath, ['--require', 'tsx/cjs', fixture], {
      cwd: join(__dirname, '..', '..'),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(res.stderr).not.toMatch(/UnhandledPromiseRejection|unhandled rejection|triggerUncaughtException/i);
    expect(res.stdout.trim().split('\n')).toEqual(['served 4 connections', 'failures logged: 5', 'done']);
    expect(res.status).toBe(0);
  });
});
