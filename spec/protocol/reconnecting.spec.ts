import { IPv4Address } from '../../src/address';
import { Failure } from '../../src/defer/failure';
import { ConnectionLost, ConnectionRefusedError, NotConnectingError, RuntimeError } from '../../src/errors';
import type { ConnectorState, IConnector } from '../../src/interfaces/connector';
import { captureLogEvents } from '../../src/logger';
import { Protocol } from '../../src/protocol/protocol';
import { Reactor, reactor } from '../../src/reactor';
import { connectTCP, listenTCP } from '../../src/tcp';
import { Factory } from '../../src/protocol/factory';
import { ReconnectingClientFactory } from '../../src/protocol/reconnecting';
import { Clock } from '../../src/task/clock';

/** A connector that records what the factory asks of it. */
class FakeConnector implements IConnector {
  state: ConnectorState = 'disconnected';
  transport = null;
  connects = 0;
  stops = 0;
  connect(): void {
    this.connects += 1;
  }
  stopConnecting(): void {
    this.stops += 1;
    throw new NotConnectingError();
  }
  disconnect(): void {}
  getDestination(): IPv4Address {
    return new IPv4Address('TCP', '127.0.0.1', 4321);
  }
}

const lost = () => new Failure(new ConnectionLost());
const refused = () => new Failure(new ConnectionRefusedError());

/** A small deterministic uniform generator (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function factoryWithClock(): [ReconnectingClientFactory, Clock] {
  const clock = new Clock();
  const f = new ReconnectingClientFactory();
  f.clock = clock;
  return [f, clock];
}

describe('ReconnectingClientFactory', () => {
  it("has Twisted's default parameters", () => {
    const f = new ReconnectingClientFactory();
    expect(f.maxDelay).toBe(3600);
    expect(f.initialDelay).toBe(1.0);
    expect(f.factor).toBe(Math.E);
    expect(f.jitter).toBe(0.119626565582);
    expect(f.delay).toBe(1.0);
    expect(f.retries).toBe(0);
    expect(f.maxRetries).toBeNull();
    expect(f.continueTrying).toBe(true);
    expect(f.clock).toBeNull();
    expect(f.connector).toBeNull();
  });

  it('without a clock, retries are scheduled on the global reactor', () => {
    const f = new ReconnectingClientFactory();
    const connector = new FakeConnector();
    const before = reactor.getDelayedCalls().length;
    f.clientConnectionLost(connector, lost());
    expect(f.clock).toBe(reactor);
    expect(reactor.getDelayedCalls()).toHaveLength(before + 1);
    f.stopTrying();
    expect(reactor.getDelayedCalls()).toHaveLength(before);
  });

  it('a lost connection schedules one reconnection on the parametrized clock', () => {
    const [f, clock] = factoryWithClock();
    const connector = new FakeConnector();
    f.clientConnectionLost(connector, lost());
    expect(clock.calls).toHaveLength(1);
    expect(f.connector).toBe(connector);
    expect(f.retries).toBe(1);
  });

  it('a failed connection reconnects through the same connector once the delay has passed', () => {
    const [f, clock] = factoryWithClock();
    f.jitter = 0;
    const connector = new FakeConnector();
    f.clientConnectionFailed(connector, refused());
    expect(clock.calls[0].getTime()).toBeCloseTo(Math.E, 12);
    clock.advance(Math.E - 0.001);
    expect(connector.connects).toBe(0);
    clock.advance(0.001);
    expect(connector.connects).toBe(1);
    expect(clock.calls).toHaveLength(0);
  });

  it('without jitter the delays grow by e from initialDelay and cap at maxDelay', () => {
    const [f, clock] = factoryWithClock();
    f.jitter = 0;
    const connector = new FakeConnector();
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      f.clientConnectionFailed(connector, refused());
      delays.push(clock.calls[0].getTime() - clock.seconds());
      clock.advance(delays[i]);
    }
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: e, e², … rounded as in Twisted's test, then the cap
    const expected = [2.718, 7.389, 20.09, 54.6, 148.4, 403.4, 1096.6, 2981.0, 3600, 3600];
    delays.forEach((d, i) => expect(d).toBeCloseTo(expected[i], i < 3 ? 2 : 0));
    expect(connector.connects).toBe(10);
    expect(f.retries).toBe(10);
  });

  it('stores the jittered delay, so the jitter compounds from retry to retry', () => {
    const [f, clock] = factoryWithClock();
    // Box–Muller with u1 = e^-0.5 and u2 = 0 gives exactly one standard deviation.
    const draws = [1 - Math.exp(-0.5), 0];
    let i = 0;
    f.random = () => draws[i++ % 2];
    const j = f.jitter;
    f.clientConnectionFailed(new FakeConnector(), refused());
    expect(f.delay).toBeCloseTo(Math.E * (1 + j), 12);
    expect(clock.calls[0].getTime()).toBeCloseTo(Math.E * (1 + j), 12);
    f.clientConnectionFailed(new FakeConnector(), refused());
    expect(f.delay).toBeCloseTo(Math.E * Math.E * (1 + j) * (1 + j), 10);
  });

  it('draws the jitter from a normal distribution with sd = delay * jitter', () => {
    const random = seeded(12345);
    const samples: number[] = [];
    for (let k = 0; k < 4000; k++) {
      const f = new ReconnectingClientFactory();
      f.clock = new Clock();
      f.random = random;
      f.retry(new FakeConnector());
      samples.push(f.delay);
    }
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    const sd = Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / samples.length);
    expect(mean).toBeGreaterThan(Math.E * 0.99);
    expect(mean).toBeLessThan(Math.E * 1.01);
    expect(sd / Math.E).toBeGreaterThan(0.119626565582 * 0.93);
    expect(sd / Math.E).toBeLessThan(0.119626565582 * 1.07);
  });

  it('the jittered value is not clamped to maxDelay again', () => {
    const [f] = factoryWithClock();
    f.maxDelay = 10;
    f.delay = 100;
    const draws = [1 - Math.exp(-0.5), 0];
    let i = 0;
    f.random = () => draws[i++ % 2];
    f.retry(new FakeConnector());
    expect(f.delay).toBeCloseTo(10 * (1 + f.jitter), 12);
  });

  it('gives up after maxRetries consecutive retries', () => {
    const [f, clock] = factoryWithClock();
    f.maxRetries = 2;
    const connector = new FakeConnector();
    for (let k = 0; k < 3; k++) {
      f.clientConnectionFailed(connector, refused());
      clock.advance(10_000);
    }
    expect(connector.connects).toBe(2);
    expect(f.retries).toBe(3);
    expect(clock.calls).toHaveLength(0);
  });

  it('maxRetries 0 never retries', () => {
    const [f, clock] = factoryWithClock();
    f.maxRetries = 0;
    f.clientConnectionLost(new FakeConnector(), lost());
    expect(clock.calls).toHaveLength(0);
  });

  it('resetDelay restores delay, retries and continueTrying', () => {
    const [f, clock] = factoryWithClock();
    f.clientConnectionFailed(new FakeConnector(), refused());
    clock.advance(10);
    f.clientConnectionFailed(new FakeConnector(), refused());
    f.stopTrying();
    expect(f.delay).not.toBe(1);
    f.resetDelay();
    expect(f.delay).toBe(1.0);
    expect(f.retries).toBe(0);
    expect(f.continueTrying).toBe(true);
  });

  it('stopTrying cancels a pending retry and stops trying', () => {
    const [f, clock] = factoryWithClock();
    const connector = new FakeConnector();
    f.clientConnectionLost(connector, lost());
    f.stopTrying();
    expect(clock.getDelayedCalls()).toEqual([]);
    expect(f.continueTrying).toBe(false);
    expect(connector.stops).toBe(1); // NotConnectingError from the idle connector is ignored
    clock.advance(10_000);
    expect(connector.connects).toBe(0);
  });

  it('stopTrying while connected does not reconnect when the connection is later lost', () => {
    const f = new ReconnectingClientFactory();
    f.clock = new Clock();
    f.protocol = Protocol;
    f.buildProtocol(new IPv4Address('TCP', '127.0.0.1', 1));
    f.stopTrying();
    const connector = new FakeConnector();
    f.clientConnectionLost(connector, lost());
    expect(f.continueTrying).toBe(false);
    expect(connector.connects).toBe(0);
    expect(f.clock.getDelayedCalls()).toEqual([]);
  });

  it('stopTrying does not retry when stopping the attempt reports a failure synchronously', () => {
    const f = new ReconnectingClientFactory();
    const clock = new Clock();
    f.clock = clock;
    let attemptedRetry = false;
    const connector = new FakeConnector();
    connector.stopConnecting = () => f.clientConnectionFailed(connector, refused());
    connector.connect = () => {
      attemptedRetry = true;
    };
    f.connector = connector;
    f.stopTrying();
    expect(attemptedRetry).toBe(false);
    expect(clock.getDelayedCalls()).toEqual([]);
  });

  it('stopTrying lets errors other than NotConnectingError through', () => {
    const [f] = factoryWithClock();
    const connector = new FakeConnector();
    connector.stopConnecting = () => {
      throw new RuntimeError('boom');
    };
    f.connector = connector;
    expect(() => f.stopTrying()).toThrow('boom');
  });

  it('stopTrying after the retry already ran does not throw', () => {
    const [f, clock] = factoryWithClock();
    const connector = new FakeConnector();
    f.clientConnectionLost(connector, lost());
    clock.advance(10_000);
    expect(connector.connects).toBe(1);
    expect(() => f.stopTrying()).not.toThrow();
  });

  it('retry without any connector is a TypeError', () => {
    const [f] = factoryWithClock();
    expect(() => f.retry()).toThrow(TypeError);
  });

  it('a reconnection can be started from clientConnectionLost of the reconnected attempt (repeated losses)', () => {
    const [f, clock] = factoryWithClock();
    const connector = new FakeConnector();
    connector.connect = () => {
      connector.connects += 1;
      // Each attempt fails again at once, as a refused connection would.
      f.clientConnectionFailed(connector, refused());
    };
    f.maxRetries = 4;
    f.clientConnectionFailed(connector, refused());
    clock.pump(Array(20).fill(100));
    expect(connector.connects).toBe(4);
    expect(clock.calls).toHaveLength(0);
  });

  it('a noisy factory logs when it schedules a retry and when it abandons', () => {
    const [events, stop] = captureLogEvents();
    try {
      const [f] = factoryWithClock();
      f.noisy = true;
      f.maxRetries = 0;
      f.clientConnectionLost(new FakeConnector(), lost());
      f.maxRetries = null;
      f.retry();
      f.stopTrying();
      f.retry();
      const messages = events.map((e) => e.message);
      expect(messages.some((m) => /Abandoning .* after 1 retries/.test(m))).toBe(true);
      expect(messages.some((m) => /will retry in/.test(m))).toBe(true);
      expect(messages.some((m) => /on explicit request/.test(m))).toBe(true);
    } finally {
      stop();
    }
  });
});

describe('ReconnectingClientFactory over real TCP on 127.0.0.1', () => {
  let r: Reactor;
  let running: Promise<void>;
  beforeEach(() => {
    r = new Reactor();
    running = r.run();
  });
  afterEach(async () => {
    if (r.running) r.stop();
    await running;
  });

  /** A fast, deterministic back-off: 10 ms every time. */
  class CountingFactory extends ReconnectingClientFactory {
    attempts = 0;
    failures: Failure[] = [];
    losses: Failure[] = [];
    starts = 0;
    stops = 0;
    /** Resolves when retry() abandons after maxRetries. */
    gaveUp: Promise<void>;
    #resolveGaveUp!: () => void;
    constructor() {
      super();
      this.initialDelay = this.delay = 0.01;
      this.factor = 1;
      this.jitter = 0;
      this.protocol = Protocol;
      this.gaveUp = new Promise((resolve) => (this.#resolveGaveUp = resolve));
    }
    override startedConnecting(): void {
      this.attempts += 1;
    }
    override clientConnectionFailed(connector: IConnector, reason: Failure): void {
      this.failures.push(reason);
      super.clientConnectionFailed(connector, reason);
    }
    override clientConnectionLost(connector: IConnector, reason: Failure): void {
      this.losses.push(reason);
      super.clientConnectionLost(connector, reason);
    }
    override retry(connector?: IConnector): void {
      super.retry(connector);
      if (this.maxRetries !== null && this.retries > this.maxRetries) this.#resolveGaveUp();
    }
    override startFactory(): void {
      this.starts += 1;
    }
    override stopFactory(): void {
      this.stops += 1;
    }
  }

  it('retries a refused connection through the same connector until maxRetries, then stops the factory', async () => {
    // A port that was just free: bind, note it, close.
    const probe = listenTCP(r, 0, Factory.forProtocol(Protocol), { interface: '127.0.0.1' });
    const port = (probe.getHost() as IPv4Address).port;
    await probe.stopListening();

    const f = new CountingFactory();
    f.clock = r;
    f.maxRetries = 3;
    const connector = connectTCP(r, '127.0.0.1', port, f);
    await f.gaveUp;
    expect(f.attempts).toBe(4);
    // The connector stays disconnected between attempts, so the factory stops and restarts each time.
    expect(f.starts).toBe(4);
    expect(f.stops).toBe(4);
    expect(r.getDelayedCalls()).toHaveLength(0);
    expect(f.failures).toHaveLength(4);
    expect(f.failures.every((x) => x.check(ConnectionRefusedError) === ConnectionRefusedError)).toBe(true);
    expect(f.connector).toBe(connector);
    expect(connector.state).toBe('disconnected');
  });

  it('reconnects after the server drops each connection, and stopTrying ends it', async () => {
    let accepted = 0;
    class Dropper extends Protocol {
      override connectionMade(): void {
        accepted += 1;
        this.transport!.loseConnection();
      }
    }
    const server = listenTCP(r, 0, Factory.forProtocol(Dropper), { interface: '127.0.0.1' });
    try {
      const f = new CountingFactory();
      f.clock = r;
      f.maxRetries = 2;
      connectTCP(r, '127.0.0.1', (server.getHost() as IPv4Address).port, f);
      await f.gaveUp;
      expect(accepted).toBe(3);
      expect(f.losses).toHaveLength(3);
      f.stopTrying();
      expect(f.continueTrying).toBe(false);
    } finally {
      await server.stopListening();
    }
  });
});
