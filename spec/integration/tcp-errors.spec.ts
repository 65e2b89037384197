/**
 * A protocol that throws: the exception is logged and ends that connection
 * with the failure as the reason; the reactor and other connections keep
 * running.
 */
import type { Failure } from '../../src/defer/failure';
import { ConnectionDone } from '../../src/errors';
import type { LogEvent } from '../../src/logger';
import { captureLogEvents } from '../../src/logger';
import type { Port } from '../../src/tcp';
import {
  RecordingClientFactory,
  RecordingProtocol,
  RecordingServerFactory,
  until,
  useReactor,
  within,
  TRANSPORT_MODES,
  useTransportMode,
} from '../tcp/harness';

class Boom extends Error {}

class Echo extends RecordingProtocol {
  override dataReceived(data: Buffer): void {
    super.dataReceived(data);
    this.transport!.write(data);
  }
}

type Hook =
  | 'connectionMade'
  | 'dataReceived'
  | 'connectionLost'
  | 'readConnectionLost'
  | 'writeConnectionLost'
  | 'pauseWriting'
  | 'resumeWriting';

/**
 * Echoes; the instance built for the `victim`-th connection (0-based) also
 * throws Boom from `hook`.
 */
function throwingProtocol(hook: Hook, reasons: Failure[], victim = 1): new () => RecordingProtocol {
  let built = 0;
  return class Thrower extends RecordingProtocol {
    readonly victim = built++ === victim;
    override connectionMade(): void {
      super.connectionMade();
      if (!this.victim) return;
      if (hook === 'connectionMade') throw new Boom('connectionMade');
      if (hook === 'pauseWriting' || hook === 'resumeWriting') {
        this.transport!.setWriteBufferLimits(1, 0);
        this.transport!.write(Buffer.from('over the limit'));
      }
    }
    override dataReceived(data: Buffer): void {
      super.dataReceived(data);
      if (this.victim && hook === 'dataReceived') throw new Boom('dataReceived');
      this.transport!.write(data);
      if (this.victim && hook === 'writeConnectionLost') this.transport!.loseWriteConnection();
    }
    override connectionLost(reason: Failure): void {
      reasons.push(reason);
      super.connectionLost(reason);
      if (this.victim && hook === 'connectionLost') throw new Boom('connectionLost');
    }
    readConnectionLost(): void {
      if (this.victim && hook === 'readConnectionLost') throw new Boom('readConnectionLost');
      this.transport!.loseConnection();
    }
    writeConnectionLost(): void {
      if (this.victim && hook === 'writeConnectionLost') throw new Boom('writeConnectionLost');
    }
    pauseWriting(): void {
      if (this.victim && hook === 'pauseWriting') throw new Boom('pauseWriting');
    }
    resumeWriting(): void {
      if (this.victim && hook === 'resumeWriting') throw new Boom('resumeWriting');
    }
  };
}

describe.each(TRANSPORT_MODES)('a protocol callback that throws (integration, %s)', (mode) => {
  useTransportMode(mode);
  const h = useReactor();
  let events: LogEvent[];
  let stopCapture: () => void;
  beforeEach(() => {
    [events, stopCapture] = captureLogEvents();
  });
  afterEach(() => stopCapture());

  async function echoWorks(port: Port): Promise<void> {
    const f = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    await until(() => f.protocols.length > 0);
    const p = await within(f.protocols[0].made);
    p.transport!.write(Buffer.from('still alive'));
    await until(() => p.data().toString() === 'still alive');
    p.transport!.loseConnection();
    await within(p.lost);
  }

  it.each<[Hook]>([
    ['connectionMade'],
    ['dataReceived'],
    ['readConnectionLost'],
    ['writeConnectionLost'],
    ['pauseWriting'],
    ['resumeWriting'],
  ])('in %s: logged, that connection ends with the failure, the reactor and another connection carry on', async (hook) => {
    const reasons: Failure[] = [];
    const sf = new RecordingServerFactory(throwingProtocol(hook, reasons));
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });

    // A bystander connection, open before and after the failure.
    const bystanderFactory = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, bystanderFactory);
    await until(() => bystanderFactory.protocols.length > 0);
    const bystander = await within(bystanderFactory.protocols[0].made);
    await until(() => sf.protocols.length === 1);

    // The victim connection triggers the hook.
    const f = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    await until(() => f.protocols.length > 0);
    const victim = await within(f.protocols[0].made);
    victim.transport!.write(Buffer.from('x'));
    if (hook === 'readConnectionLost') victim.transport!.loseWriteConnection();
    await until(() => sf.protocols.length === 2);
    const serverSide = sf.protocols[1];
    const reason = await within(serverSide.lost);
    expect(reason.value).toBeInstanceOf(Boom);
    expect((reason.value as Error).message).toBe(hook);
    expect(events.some((e) => e.failure?.value === reason.value)).toBe(true);
    expect(serverSide.events.filter((e) => e[0] === 'connectionLost')).toHaveLength(1);
    await within(victim.lost);

    expect(h.r.running).toBe(true);
    bystander.transport!.write(Buffer.from('ping'));
    await until(() => bystander.data().toString() === 'ping');
    await echoWorks(port);
    bystander.transport!.loseConnection();
    await within(bystander.lost);
  });

  it('in connectionLost: logged; the client factory still hears clientConnectionLost', async () => {
    const reasons: Failure[] = [];
    const sf = new RecordingServerFactory(Echo);
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    const f = new RecordingClientFactory(throwingProtocol('connectionLost', reasons, 0));
    h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    const sp = await within(sf.built);
    await within(sp.made);
    sp.transport!.loseConnection();
    const lost = await within(f.lost);
    expect(lost.value).toBeInstanceOf(ConnectionDone);
    expect(reasons).toHaveLength(1);
    expect(events.some((e) => e.failure?.value instanceof Boom)).toBe(true);
    expect(f.names().slice(-2)).toEqual(['doStop', 'stopFactory']);
    await echoWorks(port);
  });

  it('in the client connectionMade: the connector reports clientConnectionLost with the failure', async () => {
    const sf = new RecordingServerFactory(RecordingProtocol);
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    const f = new RecordingClientFactory(throwingProtocol('connectionMade', [], 0));
    h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    const reason = await within(f.lost);
    expect(reason.value).toBeInstanceOf(Boom);
    const sp = await within(sf.built);
    await within(sp.lost);
  });

  it('in buildProtocol on the server: logged, the connection is closed, the port keeps accepting', async () => {
    let first = true;
    const sf = new RecordingServerFactory(Echo);
    const original = sf.buildProtocol.bind(sf);
    sf.buildProtocol = (addr) => {
      if (first) {
        first = false;
        throw new Boom('buildProtocol');
      }
      return original(addr);
    };
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    const f = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    const reason = await within(f.lost);
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    expect(events.some((e) => e.failure?.value instanceof Boom)).toBe(true);
    await echoWorks(port);
  });

  it('in buildProtocol on the client: logged, and the attempt fails with a ConnectError', async () => {
    const sf = new RecordingServerFactory(RecordingProtocol);
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    const f = new RecordingClientFactory();
    f.buildProtocol = () => {
      throw new Boom('client buildProtocol');
    };
    const connector = h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    const reason = await within(f.failed);
    expect((reason.value as Error).cause).toBeInstanceOf(Boom);
    expect(connector.state).toBe('disconnected');
    expect(events.some((e) => e.failure?.value instanceof Boom)).toBe(true);
  });
});
