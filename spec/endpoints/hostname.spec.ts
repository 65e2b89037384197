import { HostnameAddress, IPv4Address } from '../../src/address';
import { Deferred } from '../../src/defer/deferred';
import { Failure } from '../../src/defer/failure';
import { ConnectAttemptsFailedError } from '../../src/endpoints/errors';
import { DEFAULT_ATTEMPT_DELAY, HostnameEndpoint, type HostnameEndpointOptions } from '../../src/endpoints/hostname';
import type { HostResolver } from '../../src/endpoints/resolver';
import { WrappingFactory } from '../../src/endpoints/wrapping-factory';
import {
  ConnectError,
  ConnectingCancelledError,
  ConnectionRefusedError,
  DNSLookupError,
  NoProtocol,
  UserError,
} from '../../src/errors';
import type { IConnector } from '../../src/interfaces/connector';
import type { IClientFactory } from '../../src/interfaces/protocol';
import { MemoryReactorClock } from '../../src/testing/memory-reactor-clock';
import { StringTransport } from '../../src/testing/string-transport';
import { assertNoResult, failureResultOf, NoneFactory, RecordingFactory, RecordingProtocol, successResultOf } from './helpers';

function setup(answer: ReturnType<HostResolver>, options: HostnameEndpointOptions = {}, host = 'www.example.com') {
  const reactor = new MemoryReactorClock();
  const lookups: [string, number][] = [];
  const ep = new HostnameEndpoint(reactor, host, 80, {
    resolver: (name, family) => {
      lookups.push([name, family]);
      return answer;
    },
    ...options,
  });
  const hosts = (): string[] => reactor.tcpClients.map((c) => c.host);
  const connectAttempt = (i: number): { proto: RecordingProtocol; transport: StringTransport } => {
    const { host: h, port, factory } = reactor.tcpClients[i];
    const proto = factory.buildProtocol(new IPv4Address('TCP', h, port)) as RecordingProtocol;
    const transport = new StringTransport();
    proto.makeConnection(transport);
    return { proto, transport };
  };
  const failAttempt = (i: number, err: Error = new ConnectionRefusedError()): void =>
    reactor.tcpClients[i].factory.clientConnectionFailed(reactor.connectors[i], new Failure(err));
  return { reactor, ep, lookups, hosts, connectAttempt, failAttempt };
}

/** A MemoryReactorClock whose connectTCP throws for the hosts in `refuse`. */
class PickyReactor extends MemoryReactorClock {
  constructor(private readonly refuse: Map<string, Error>) {
    super();
  }
  override connectTCP(host: string, port: number, factory: IClientFactory, opts = {}) {
    const err = this.refuse.get(host);
    if (err) throw err;
    return super.connectTCP(host, port, factory, opts);
  }
}

describe('HostnameEndpoint', () => {
  it('resolves the name with both families and connects to the first address at once', () => {
    const t = setup(['1.2.3.4']);
    const d = t.ep.connect(new RecordingFactory());
    expect(t.lookups).toEqual([['www.example.com', 0]]);
    expect(t.reactor.tcpClients).toHaveLength(1);
    expect(t.reactor.tcpClients[0]).toMatchObject({ host: '1.2.3.4', port: 80, timeout: 30, bindAddress: null });
    assertNoResult(d);
  });

  it('passes its timeout and bindAddress to every attempt', () => {
    const t = setup(['1.2.3.4', '1:2::3:4'], { timeout: 10, bindAddress: ['localhost', 49595] });
    t.ep.connect(new RecordingFactory());
    t.reactor.advance(DEFAULT_ATTEMPT_DELAY);
    expect(t.reactor.tcpClients.map(({ host, timeout, bindAddress }) => ({ host, timeout, bindAddress }))).toEqual([
      { host: '1.2.3.4', timeout: 10, bindAddress: ['localhost', 49595] },
      { host: '1:2::3:4', timeout: 10, bindAddress: ['localhost', 49595] },
    ]);
  });

  it('has a default attempt delay of 0.25 s', () => {
    expect(DEFAULT_ATTEMPT_DELAY).toBe(0.25);
    const t = setup(['1.2.3.4', '1:2::3:4']);
    expect(t.ep.attemptDelay).toBe(0.25);
    t.ep.connect(new RecordingFactory());
    t.reactor.advance(0.2499);
    expect(t.hosts()).toEqual(['1.2.3.4']);
    t.reactor.advance(0.0001);
    expect(t.hosts()).toEqual(['1.2.3.4', '1:2::3:4']);
  });

  it('honours a custom attemptDelay', () => {
    const t = setup(['127.0.0.42', '127.0.0.43'], { attemptDelay: 12.5 });
    t.ep.connect(new RecordingFactory());
    t.reactor.advance(6);
    expect(t.hosts()).toEqual(['127.0.0.42']);
    t.reactor.advance(7);
    expect(t.hosts()).toEqual(['127.0.0.42', '127.0.0.43']);
  });

  it('interleaves the families of the resolved addresses, starting with the first one listed', () => {
    const t = setup(['::1', '::2', '10.0.0.1', '10.0.0.2'], { attemptDelay: 1 });
    t.ep.connect(new RecordingFactory());
    t.reactor.pump([1, 1, 1]);
    expect(t.hosts()).toEqual(['::1', '10.0.0.1', '::2', '10.0.0.2']);
  });

  it('ignores resolved entries that are not IP addresses', () => {
    const t = setup(['1.2.3.4', 'not-an-address', '1:2::3:4']);
    t.ep.connect(new RecordingFactory());
    t.reactor.advance(0.25);
    t.reactor.advance(0.25);
    expect(t.hosts()).toEqual(['1.2.3.4', '1:2::3:4']);
  });

  it("returns a connection to the IPv4 address when it is faster, with the user factory's protocol", () => {
    const t = setup(['1.2.3.4', '1:2::3:4']);
    const factory = new RecordingFactory();
    const d = t.ep.connect<RecordingProtocol>(factory);
    assertNoResult(d);
    const { proto } = t.connectAttempt(0);
    expect(successResultOf(d)).toBe(proto);
    expect(proto.factory).toBe(factory);
    expect(proto.events).toEqual(['makeConnection', 'connectionMade']);
    expect(t.reactor.getDelayedCalls()).toEqual([]);
    t.reactor.advance(1);
    expect(t.hosts()).toEqual(['1.2.3.4']);
  });

  it('returns a connection to the IPv6 address when it is faster and cancels the IPv4 attempt', () => {
    const t = setup(['1.2.3.4', '1:2::3:4']);
    const d = t.ep.connect<RecordingProtocol>(new RecordingFactory());
    t.reactor.advance(0.25);
    expect(t.hosts()[1]).toBe('1:2::3:4');
    const { proto } = t.connectAttempt(1);
    expect(successResultOf(d)).toBe(proto);
    expect(t.reactor.connectors[0].stoppedConnecting).toBe(true);
    expect(t.reactor.connectors[1].stoppedConnecting).toBe(false);
    expect(t.reactor.getDelayedCalls()).toEqual([]);
  });

  it('starts the next attempt at once when an attempt fails', () => {
    const t = setup(['1.2.3.4', '1:2::3:4', '5.6.7.8']);
    t.ep.connect(new RecordingFactory());
    t.reactor.advance(0.1);
    t.failAttempt(0);
    expect(t.hosts()).toEqual(['1.2.3.4', '1:2::3:4']);
    t.reactor.advance(0.25);
    expect(t.hosts()).toEqual(['1.2.3.4', '1:2::3:4', '5.6.7.8']);
  });

  it("fails with every attempt's failure once all have failed, leaving no delayed call", () => {
    const t = setup(['1.2.3.4', '1:2::3:4']);
    const d = t.ep.connect(new RecordingFactory());
    const first = new ConnectionRefusedError();
    const second = new ConnectError('Connection Failed');
    t.failAttempt(0, first);
    assertNoResult(d);
    t.failAttempt(1, second);
    const err = failureResultOf(d).value as ConnectAttemptsFailedError;
    expect(err).toBeInstanceOf(ConnectAttemptsFailedError);
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.errors).toEqual([first, second]);
    expect(err.address).toEqual(new HostnameAddress('www.example.com', 80));
    expect(t.reactor.getDelayedCalls()).toEqual([]);
  });

  it('fails at once, without waiting for the attempt delay, when connectTCP throws for every address', () => {
    const expected = new ConnectError('Connection Failed');
    const reactor = new PickyReactor(new Map([['1.2.3.4', expected]]));
    const ep = new HostnameEndpoint(reactor, 'example.com', 80, { resolver: () => ['1.2.3.4'] });
    const err = failureResultOf(ep.connect(new RecordingFactory())).value as ConnectAttemptsFailedError;
    expect(err.errors).toEqual([expected]);
    expect(err.cause).toBe(expected);
    expect(reactor.getDelayedCalls()).toEqual([]);
  });

  it('skips an address whose connectTCP throws and goes on with the next at once', () => {
    const reactor = new PickyReactor(new Map([['::1', new ConnectError('no IPv6 here')]]));
    const ep = new HostnameEndpoint(reactor, 'localhost', 80, { resolver: () => ['::1', '127.0.0.1'] });
    const d = ep.connect<RecordingProtocol>(new RecordingFactory());
    expect(reactor.tcpClients.map((c) => c.host)).toEqual(['127.0.0.1']);
    const { factory } = reactor.tcpClients[0];
    const proto = factory.buildProtocol(new IPv4Address('TCP', '127.0.0.1', 80))!;
    proto.makeConnection(new StringTransport());
    expect(successResultOf(d)).toBe(proto);
  });

  it('fails when the only attempt fails after the others were exhausted', () => {
    const t = setup(['1.2.3.4']);
    const d = t.ep.connect(new RecordingFactory());
    t.reactor.advance(0.3);
    const expected = new ConnectError('Connection Failed');
    t.failAttempt(0, expected);
    expect((failureResultOf(d).value as ConnectAttemptsFailedError).errors).toEqual([expected]);
    expect(t.reactor.getDelayedCalls()).toEqual([]);
  });

  it('succeeds when the only attempt connects after the attempt delay passed', () => {
    const t = setup(['1.2.3.4']);
    const d = t.ep.connect<RecordingProtocol>(new RecordingFactory());
    t.reactor.advance(0.3);
    const { proto } = t.connectAttempt(0);
    expect(successResultOf(d)).toBe(proto);
    expect(t.reactor.tcpClients).toHaveLength(1);
    expect(t.reactor.getDelayedCalls()).toEqual([]);
  });

  it('counts NoProtocol from the factory as a failed attempt', () => {
    const t = setup(['1.2.3.4']);
    const d = t.ep.connect(new NoneFactory());
    expect(t.reactor.tcpClients[0].factory.buildProtocol(new IPv4Address('TCP', '1.2.3.4', 80))).toBeNull();
    expect((failureResultOf(d).value as ConnectAttemptsFailedError).errors[0]).toBeInstanceOf(NoProtocol);
  });

  it('drops a second connection completed in the same turn as the winner', () => {
    const t = setup(['1.2.3.4', '1:2::3:4']);
    const d = t.ep.connect<RecordingProtocol>(new RecordingFactory());
    t.reactor.advance(0.25);
    const clients = t.reactor.tcpClients;
    const p0 = clients[0].factory.buildProtocol(new IPv4Address('TCP', '1.2.3.4', 80)) as RecordingProtocol;
    const p1 = clients[1].factory.buildProtocol(new IPv4Address('TCP', '1:2::3:4', 80)) as RecordingProtocol;
    const t0 = new StringTransport();
    const t1 = new StringTransport();
    p0.makeConnection(t0);
    p1.makeConnection(t1);
    expect(successResultOf(d)).toBe(p0);
    expect(t0.disconnecting).toBe(false);
    expect(t1.disconnecting).toBe(true);
  });

  describe('cancellation', () => {
    it.each([
      ['before any attempt settled', 0],
      ['after every attempt started', DEFAULT_ATTEMPT_DELAY * 1.5],
    ])('%s, fails with ConnectingCancelledError(HostnameAddress) and stops the connectors', (_name, advance) => {
      const t = setup(['1.2.3.4', '1:2::3:4']);
      const d = t.ep.connect(new RecordingFactory());
      t.reactor.advance(advance);
      d.cancel();
      // A real connector reports the stop as a UserError: it must not surface.
      for (let i = 0; i < t.reactor.tcpClients.length; i++) t.failAttempt(i, new UserError());
      const err = failureResultOf(d).value as ConnectingCancelledError;
      expect(err).toBeInstanceOf(ConnectingCancelledError);
      expect(err.address).toEqual(new HostnameAddress('www.example.com', 80));
      expect(t.reactor.connectors.every((c) => c.stoppedConnecting)).toBe(true);
      expect(t.reactor.getDelayedCalls()).toEqual([]);
    });

    it('while resolving, cancels the lookup and connects nowhere', () => {
      let lookupCancelled = false;
      const lookup = new Deferred<string[]>(() => {
        lookupCancelled = true;
      });
      const t = setup(lookup);
      const d = t.ep.connect(new RecordingFactory());
      d.cancel();
      expect(failureResultOf(d).value).toBeInstanceOf(ConnectingCancelledError);
      expect(lookupCancelled).toBe(true);
      expect(t.reactor.tcpClients).toHaveLength(0);
    });

    it('while a Promise resolver is pending, ignores its late answer', async () => {
      let answer!: (a: string[]) => void;
      const t = setup(new Promise<string[]>((resolve) => (answer = resolve)));
      const d = t.ep.connect(new RecordingFactory());
      d.cancel();
      answer(['1.2.3.4']);
      await new Promise((resolve) => setImmediate(resolve));
      expect(failureResultOf(d).value).toBeInstanceOf(ConnectingCancelledError);
      expect(t.reactor.tcpClients).toHaveLength(0);
    });
  });

  describe('name resolution', () => {
    it('fails with DNSLookupError naming the host when the resolver finds nothing', () => {
      const t = setup([]);
      const err = failureResultOf(t.ep.connect(new RecordingFactory())).value as Error;
      expect(err).toBeInstanceOf(DNSLookupError);
      expect(err.message).toContain('www.example.com');
    });

    it('fails with DNSLookupError keeping the resolver error as cause', () => {
      const cause = Object.assign(new Error('getaddrinfo EAI_NONAME'), { code: 'EAI_NONAME' });
      const reactor = new MemoryReactorClock();
      const ep = new HostnameEndpoint(reactor, 'nowhere.invalid', 80, {
        resolver: () => {
          throw cause;
        },
      });
      const err = failureResultOf(ep.connect(new RecordingFactory())).value as DNSLookupError;
      expect(err).toBeInstanceOf(DNSLookupError);
      expect(err.cause).toBe(cause);
    });

    it('fails with DNSLookupError when a Deferred resolver fails later', () => {
      const lookup = new Deferred<string[]>();
      const t = setup(lookup);
      const d = t.ep.connect(new RecordingFactory());
      assertNoResult(d);
      lookup.errback(new Error('SERVFAIL'));
      expect(failureResultOf(d).value).toBeInstanceOf(DNSLookupError);
    });

    it('waits for an asynchronous resolver, then races', async () => {
      const t = setup(Promise.resolve([{ address: '::1' }, { address: '127.0.0.1' }]));
      const d = t.ep.connect<RecordingProtocol>(new RecordingFactory());
      expect(t.reactor.tcpClients).toHaveLength(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(t.hosts()).toEqual(['::1']);
      t.failAttempt(0);
      expect(t.hosts()).toEqual(['::1', '127.0.0.1']);
      const { proto } = t.connectAttempt(1);
      expect(successResultOf(d)).toBe(proto);
    });

    it.each(['127.0.0.1', '::1'])('skips resolution for the IP literal %s', (literal) => {
      const t = setup(['10.9.9.9'], {}, literal);
      t.ep.connect(new RecordingFactory());
      expect(t.lookups).toEqual([]);
      expect(t.hosts()).toEqual([literal]);
    });

    it('passes an internationalised name to the resolver in its IDNA form', () => {
      const t = setup(['127.0.0.1'], {}, 'b\u00fccher.ch');
      t.ep.connect(new RecordingFactory());
      expect(t.lookups).toEqual([['xn--bcher-kva.ch', 0]]);
      expect(t.ep.host).toBe('b\u00fccher.ch');
    });

    it('normalises a decomposed (NFD) name to NFC', () => {
      const t = setup(['127.0.0.1'], {}, 'b\u00fccher.ch'.normalize('NFD'));
      t.ep.connect(new RecordingFactory());
      expect(t.ep.host).toBe('b\u00fccher.ch');
      expect(t.lookups).toEqual([['xn--bcher-kva.ch', 0]]);
    });

    it('reports an invalid host name from connect(), not from the constructor', () => {
      const t = setup(['127.0.0.1'], {}, '\u2ff0-garbage-\u2ff0');
      const err = failureResultOf(t.ep.connect(new RecordingFactory())).value as Error;
      expect(err).toBeInstanceOf(RangeError);
      expect(err.message).toContain('\u2ff0-garbage-\u2ff0');
      expect(t.lookups).toEqual([]);
    });
  });

  describe('toString', () => {
    it('shows host and port', () => {
      expect(String(setup([]).ep)).toBe('<HostnameEndpoint www.example.com:80>');
    });
    it('shows the punycode of an internationalised name', () => {
      expect(String(new HostnameEndpoint(new MemoryReactorClock(), 'b\u00fccher.ch', 443))).toBe(
        '<HostnameEndpoint xn--bcher-kva.ch:443>',
      );
    });
    it('brackets an IPv6 address', () => {
      expect(String(new HostnameEndpoint(new MemoryReactorClock(), '::1', 22))).toBe('<HostnameEndpoint [::1]:22>');
    });
  });

  it('refuses bad arguments at once, naming them', () => {
    const reactor = new MemoryReactorClock();
    expect(() => new HostnameEndpoint(reactor, 'x', '80' as unknown as number)).toThrow(TypeError);
    expect(() => new HostnameEndpoint(reactor, 'x', 80, { attemptDelay: -1 })).toThrow(/attemptDelay/);
    expect(() => new HostnameEndpoint(reactor, 'x', 80, { attemptDelay: NaN })).toThrow(RangeError);
    expect(() => new HostnameEndpoint(reactor, 'x', 80, { timeout: -3 })).toThrow(/timeout/);
    expect(() => new HostnameEndpoint(reactor, 'x', 80, { bindAddress: ['1.2.3.4', 1234, 'extra'] as never })).toThrow(
      /bindAddress/,
    );
    expect(() => new HostnameEndpoint(reactor, 'x', 80, { bindAddress: [4321, 1234] as never })).toThrow(/bindAddress/);
    expect(() => new HostnameEndpoint(reactor, 42 as unknown as string, 80)).toThrow(/host/);
    expect(() => new HostnameEndpoint(reactor, 'x', 80, { resolver: {} as never })).toThrow(/resolver/);
  });

  it('accepts a host, a [host, port] pair or nothing as bindAddress', () => {
    const reactor = new MemoryReactorClock();
    expect(new HostnameEndpoint(reactor, 'x', 80, { bindAddress: '1.2.3.4' }).bindAddress).toBe('1.2.3.4');
    expect(new HostnameEndpoint(reactor, 'x', 80, { bindAddress: ['1.2.3.4', 1234] }).bindAddress).toEqual(['1.2.3.4', 1234]);
    expect(new HostnameEndpoint(reactor, 'x', 80).bindAddress).toBeNull();
  });

  it("wraps the factory once per attempt and forwards each wrapper's doStart/doStop to it", () => {
    const t = setup(['1.2.3.4', '1:2::3:4']);
    const factory = new RecordingFactory();
    t.ep.connect(factory);
    t.reactor.advance(0.25);
    const wrappers = t.reactor.tcpClients.map((c) => c.factory as WrappingFactory);
    expect(wrappers.every((w) => w instanceof WrappingFactory && w.wrappedFactory === factory)).toBe(true);
    wrappers.forEach((w) => w.doStart());
    expect(factory.numPorts).toBe(2);
    const connector: IConnector = t.reactor.connectors[0];
    expect(connector.getDestination()).toEqual(new IPv4Address('TCP', '1.2.3.4', 80));
  });
});
