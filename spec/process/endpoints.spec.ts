/**
 * ProcessEndpoint (a stream protocol on a child's stdin/stdout) and the
 * `stdio:` server string, with real children.
 */
import type { Failure } from '../../src/defer/failure';
import { ProcessEndpoint, StandardIOEndpoint, connectProtocol, serverFromString } from '../../src/endpoints';
import { ConnectionDone, ProcessDone, ProcessTerminated } from '../../src/errors';
import type { IProcessTransport } from '../../src/interfaces/process';
import type { LogEvent } from '../../src/interfaces/logger';
import { globalLogPublisher } from '../../src/logger';
import { Factory, Protocol } from '../../src/protocol';
import type { Reactor } from '../../src/reactor';
import { MemoryReactor } from '../../src/testing';
import { PATH_ENV, startReactor } from './helpers';

let reactor: Reactor;
let stop: () => Promise<void>;
beforeEach(() => {
  ({ reactor, stop } = startReactor());
});
afterEach(() => stop());

class Collect extends Protocol {
  chunks: Buffer[] = [];
  reason: Failure | null = null;
  readonly lost: Promise<Failure>;
  #done!: (f: Failure) => void;
  constructor() {
    super();
    this.lost = new Promise((r) => {
      this.#done = r;
    });
  }
  override dataReceived(data: Buffer): void {
    this.chunks.push(data);
  }
  override connectionLost(reason: Failure): void {
    this.reason = reason;
    this.#done(reason);
  }
}

describe('ProcessEndpoint', () => {
  it("connects a stream protocol to cat: writes reach the child's stdin, its stdout is dataReceived, exit 0 is ConnectionDone", async () => {
    const ep = new ProcessEndpoint(reactor, 'cat', undefined, { env: PATH_ENV });
    const proto = await ep.connect(Factory.forProtocol(Collect));
    expect(proto).toBeInstanceOf(Collect);
    proto.transport!.write(Buffer.from('round trip'));
    // The transport is the process's: closeStdin lets cat finish (loseConnection, as in Twisted, closes stdout too).
    (proto.transport as unknown as IProcessTransport).closeStdin();
    const reason = await proto.lost;
    expect(Buffer.concat(proto.chunks).toString()).toBe('round trip');
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    expect(reason.value).not.toBeInstanceOf(ProcessDone);
  });

  it('connectProtocol works over it; a failing child ends with its ProcessTerminated; stderr is logged by default', async () => {
    const events: LogEvent[] = [];
    const observer = (e: LogEvent): void => {
      events.push(e);
    };
    globalLogPublisher.addObserver(observer);
    try {
      const ep = new ProcessEndpoint(reactor, '/bin/sh', ['sh', '-c', 'echo complaint >&2; exit 2']);
      const proto = await connectProtocol(ep, new Collect());
      const reason = await proto.lost;
      expect((reason.value as ProcessTerminated).exitCode).toBe(2);
      expect(events.some((e) => e.level === 'error' && e.message.includes('complaint'))).toBe(true);
    } finally {
      globalLogPublisher.removeObserver(observer);
    }
  });

  it("errFlag 'drop' drops stderr", async () => {
    const events: LogEvent[] = [];
    const observer = (e: LogEvent): void => {
      events.push(e);
    };
    globalLogPublisher.addObserver(observer);
    try {
      const ep = new ProcessEndpoint(reactor, '/bin/sh', ['sh', '-c', 'echo quiet >&2'], { errFlag: 'drop' });
      const proto = await connectProtocol(ep, new Collect());
      await proto.lost;
      expect(events.some((e) => e.message.includes('quiet'))).toBe(false);
    } finally {
      globalLogPublisher.removeObserver(observer);
    }
  });

  it('loseConnection closes the pipes and ends with ConnectionDone once cat exits', async () => {
    const proto = await new ProcessEndpoint(reactor, 'cat', undefined, { env: PATH_ENV }).connect(Factory.forProtocol(Collect));
    proto.transport!.loseConnection();
    expect((await proto.lost).value).toBeInstanceOf(ConnectionDone);
  });

  it('fails the Deferred with what spawnProcess threw for a bad argument', async () => {
    const ep = new ProcessEndpoint(reactor, '', []);
    await expect(ep.connect(Factory.forProtocol(Collect)).asPromise()).rejects.toBeInstanceOf(TypeError);
  });

  it('checks errFlag and the reactor at construction', () => {
    expect(() => new ProcessEndpoint(reactor, 'cat', undefined, { errFlag: 'loud' as never })).toThrow(TypeError);
    expect(() => new ProcessEndpoint(null as never, 'cat')).toThrow(TypeError);
  });

  it('records the spawn on a MemoryReactor (the fakes run it too)', async () => {
    const mr = new MemoryReactor();
    const proto = await new ProcessEndpoint(mr, 'cat', ['cat'], { env: null }).connect(Factory.forProtocol(Collect)).asPromise();
    const rec = mr.spawnedProcesses[0];
    expect(rec.executable).toBe('cat');
    expect(rec.env).toBeNull();
    proto.transport!.write(Buffer.from('x'));
    expect(rec.transport.value(0).toString()).toBe('x');
    rec.transport.childDataReceived(1, Buffer.from('back'));
    expect(Buffer.concat(proto.chunks).toString()).toBe('back');
    for (const fd of [0, 1, 2]) rec.transport.childConnectionLost(fd);
    rec.transport.exit(0);
    expect(proto.reason!.value).toBeInstanceOf(ConnectionDone);
  });
});

describe("the 'stdio:' server string", () => {
  it('gives a StandardIOEndpoint and refuses fields', () => {
    expect(serverFromString(reactor, 'stdio:')).toBeInstanceOf(StandardIOEndpoint);
    expect(() => serverFromString(reactor, 'stdio:foo')).toThrow(/takes no fields/);
    expect(() => serverFromString(reactor, 'stdio:fd=3')).toThrow(/Unknown field/);
  });
});
