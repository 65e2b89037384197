import { HostnameAddress, IPv4Address, IPv6Address } from '../../src/address';
import { Deferred } from '../../src/defer/deferred';
import { Failure } from '../../src/defer/failure';
import { TCP4ClientEndpoint, TCP4ServerEndpoint, TCP6ClientEndpoint, TCP6ServerEndpoint } from '../../src/endpoints/tcp';
import { WrappingFactory } from '../../src/endpoints/wrapping-factory';
import {
  CannotListenError,
  ConnectError,
  ConnectingCancelledError,
  ConnectionRefusedError,
  DNSLookupError,
  NoProtocol,
  UserError,
} from '../../src/errors';
import type { IReactorTCP } from '../../src/interfaces/tcp';
import { Factory } from '../../src/protocol/factory';
import { Protocol } from '../../src/protocol/protocol';
import { MemoryReactor } from '../../src/testing/memory-reactor';
import { RaisingMemoryReactor } from '../../src/testing/memory-reactor-clock';
import { StringTransport } from '../../src/testing/string-transport';
import { assertNoResult, failureResultOf, NoneFactory, RecordingFactory, RecordingProtocol, successResultOf } from './helpers';

/** Play the network for the only connectTCP call: the connection is made. */
function completeConnection(reactor: MemoryReactor, index = 0): RecordingProtocol {
  const { host, port, factory } = reactor.tcpClients[index];
  const proto = factory.buildProtocol(new IPv4Address('TCP', host, port)) as RecordingProtocol;
  proto.makeConnection(new StringTransport());
  return proto;
}

const clientCases = [
  { name: 'TCP4ClientEndpoint', make: TCP4ClientEndpoint, host: 'example.com', address: IPv4Address },
  { name: 'TCP6ClientEndpoint', make: TCP6ClientEndpoint, host: '::1', address: IPv6Address },
] as const;

describe.each(clientCases)('$name', ({ make, host, address }) => {
  it('connects through connectTCP with the default timeout (30) and no bindAddress', () => {
    const reactor = new MemoryReactor();
    new make(reactor, host, 80).connect(new RecordingFactory());
    expect(reactor.tcpClients).toHaveLength(1);
    expect(reactor.tcpClients[0]).toMatchObject({ host, port: 80, timeout: 30, bindAddress: null });
  });

  it('passes its timeout and bindAddress to connectTCP', () => {
    const reactor = new MemoryReactor();
    new make(reactor, host, 80, { timeout: 10, bindAddress: ['localhost', 49595] }).connect(new RecordingFactory());
    expect(reactor.tcpClients[0]).toMatchObject({ host, port: 80, timeout: 10, bindAddress: ['localhost', 49595] });
  });

  it('passes a null timeout (no timeout) through', () => {
    const reactor = new MemoryReactor();
    new make(reactor, host, 80, { timeout: null }).connect(new RecordingFactory());
    expect(reactor.tcpClients[0].timeout).toBeNull();
  });

  it("fires with the user's own protocol once its connectionMade has run", () => {
    const reactor = new MemoryReactor();
    const factory = new RecordingFactory();
    const d = new make(reactor, host, 80).connect<RecordingProtocol>(factory);
    assertNoResult(d);
    const wrapper = reactor.tcpClients[0].factory as WrappingFactory;
    expect(wrapper).toBeInstanceOf(WrappingFactory);
    expect(wrapper.wrappedFactory).toBe(factory);
    const proto = completeConnection(reactor);
    const result = successResultOf(d);
    expect(result).toBe(proto);
    expect(result).toBe(factory.built[0]);
    expect(result.events).toEqual(['makeConnection', 'connectionMade']);
  });

  it('fails with the very error connectTCP threw synchronously', () => {
    const expected = new ConnectError('Connection Failed');
    const reactor = new RaisingMemoryReactor(undefined, expected) as unknown as IReactorTCP;
    const d = new make(reactor, host, 80).connect(Factory.forProtocol(Protocol));
    expect(failureResultOf(d).value).toBe(expected);
  });

  it('fails with the reason of a failed connection', () => {
    const reactor = new MemoryReactor();
    const d = new make(reactor, host, 80).connect(new RecordingFactory());
    const reason = new Failure(new ConnectionRefusedError());
    reactor.tcpClients[0].factory.clientConnectionFailed(reactor.connectors[0], reason);
    expect(failureResultOf(d)).toBe(reason);
  });

  it('fails with NoProtocol when buildProtocol returns null', () => {
    const reactor = new MemoryReactor();
    const d = new make(reactor, host, 80).connect(new NoneFactory());
    const { factory } = reactor.tcpClients[0];
    expect(factory.buildProtocol(new address('TCP', host, 80))).toBeNull();
    expect(failureResultOf(d).value).toBeInstanceOf(NoProtocol);
  });

  it('fails with what buildProtocol threw', () => {
    const boom = new Error('no protocol for you');
    const reactor = new MemoryReactor();
    const d = new make(reactor, host, 80).connect({
      doStart() {},
      doStop() {},
      buildProtocol: () => {
        throw boom;
      },
    });
    reactor.tcpClients[0].factory.buildProtocol(new address('TCP', host, 80));
    expect(failureResultOf(d).value).toBe(boom);
  });

  it('cancelled, fails once with ConnectingCancelledError(destination) and stops the connector', () => {
    const reactor = new MemoryReactor();
    const d = new make(reactor, host, 80).connect(new RecordingFactory());
    const failures: Failure[] = [];
    d.addErrback((f) => {
      failures.push(f);
      return null;
    });
    d.cancel();
    // A real connector reports the stopped attempt as a UserError failure.
    reactor.tcpClients[0].factory.clientConnectionFailed(reactor.connectors[0], new Failure(new UserError()));
    expect(failures).toHaveLength(1);
    const err = failures[0].value as ConnectingCancelledError;
    expect(err).toBeInstanceOf(ConnectingCancelledError);
    expect(err.address).toEqual(new address('TCP', host, 80));
    expect(reactor.connectors[0].stoppedConnecting).toBe(true);
  });

  it('forwards doStart and doStop to the user factory', () => {
    const reactor = new MemoryReactor();
    const factory = new RecordingFactory();
    new make(reactor, host, 80).connect(factory);
    const wrapper = reactor.tcpClients[0].factory;
    wrapper.doStart();
    expect(factory.numPorts).toBe(1);
    wrapper.doStop();
    expect(factory.numPorts).toBe(0);
  });

  it('refuses bad arguments at once, naming them', () => {
    const reactor = new MemoryReactor();
    expect(() => new make(reactor, host, '80' as unknown as number)).toThrow(/port/);
    expect(() => new make(reactor, host, '80' as unknown as number)).toThrow(TypeError);
    expect(() => new make(reactor, host, 1.5)).toThrow(RangeError);
    expect(() => new make(reactor, host, 70000)).toThrow(RangeError);
    expect(() => new make(reactor, 42 as unknown as string, 80)).toThrow(TypeError);
    expect(() => new make(reactor, host, 80, { timeout: -1 })).toThrow(/timeout/);
    expect(() => new make(reactor, host, 80, { bindAddress: ['x', 99999] })).toThrow(RangeError);
    expect(() => new make(reactor, host, 80, { bindAddress: 5 as unknown as string })).toThrow(/bindAddress/);
    expect(() => new make(null as unknown as IReactorTCP, host, 80)).toThrow(/reactor/);
  });

  it('exposes what it was built with', () => {
    const reactor = new MemoryReactor();
    const ep = new make(reactor, host, 443, { timeout: 7, bindAddress: '10.0.0.2' });
    expect(ep).toMatchObject({ reactor, host, port: 443, timeout: 7, bindAddress: '10.0.0.2' });
  });
});

describe('TCP4ClientEndpoint with a host name', () => {
  it('leaves resolution to connectTCP', () => {
    const reactor = new MemoryReactor();
    new TCP4ClientEndpoint(reactor, 'localhost', 80).connect(new RecordingFactory());
    expect(reactor.tcpClients[0].host).toBe('localhost');
  });
});

describe('TCP6ClientEndpoint with a host name', () => {
  it("resolves IPv6 addresses only and connects to the resolver's first one", () => {
    const reactor = new MemoryReactor();
    const calls: unknown[][] = [];
    const ep = new TCP6ClientEndpoint(reactor, 'ipv6.example.com', 80, {
      resolver: (...args) => {
        calls.push(args);
        return ['1.2.3.4', '::2', '::3', '::4'];
      },
    });
    const d = ep.connect<RecordingProtocol>(new RecordingFactory());
    expect(calls).toEqual([['ipv6.example.com', 6]]);
    expect(reactor.tcpClients.map((c) => c.host)).toEqual(['::2']);
    const proto = completeConnection(reactor);
    expect(successResultOf(d)).toBe(proto);
  });

  it('fails with DNSLookupError, keeping the cause, when the lookup fails', () => {
    const reactor = new MemoryReactor();
    const cause = Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    const ep = new TCP6ClientEndpoint(reactor, 'nowhere.invalid', 80, {
      resolver: () => {
        throw cause;
      },
    });
    const err = failureResultOf(ep.connect(new RecordingFactory())).value as DNSLookupError;
    expect(err).toBeInstanceOf(DNSLookupError);
    expect(err.cause).toBe(cause);
    expect(reactor.tcpClients).toHaveLength(0);
  });

  it('fails with DNSLookupError when the name has no IPv6 address', () => {
    const reactor = new MemoryReactor();
    const ep = new TCP6ClientEndpoint(reactor, 'v4only.example.com', 80, { resolver: () => ['1.2.3.4'] });
    const err = failureResultOf(ep.connect(new RecordingFactory())).value as Error;
    expect(err).toBeInstanceOf(DNSLookupError);
    expect(err.message).toContain('v4only.example.com');
  });

  it('cancelled during the lookup, cancels the lookup and fails with ConnectingCancelledError(HostnameAddress)', () => {
    const reactor = new MemoryReactor();
    const lookup = new Deferred<string[]>();
    const ep = new TCP6ClientEndpoint(reactor, 'slow.example.com', 80, { resolver: () => lookup });
    const d = ep.connect(new RecordingFactory());
    assertNoResult(d);
    d.cancel();
    const err = failureResultOf(d).value as ConnectingCancelledError;
    expect(err).toBeInstanceOf(ConnectingCancelledError);
    expect(err.address).toEqual(new HostnameAddress('slow.example.com', 80));
    expect(lookup.called).toBe(true);
    expect(reactor.tcpClients).toHaveLength(0);
  });

  it('cancelled after the lookup, stops the connector and reports the IPv6 destination', () => {
    const reactor = new MemoryReactor();
    const lookup = new Deferred<string[]>();
    const d = new TCP6ClientEndpoint(reactor, 'example.com', 80, { resolver: () => lookup }).connect(new RecordingFactory());
    lookup.callback(['::5']);
    d.cancel();
    expect((failureResultOf(d).value as ConnectingCancelledError).address).toEqual(new IPv6Address('TCP', '::5', 80));
    expect(reactor.connectors[0].stoppedConnecting).toBe(true);
  });

  it('accepts a resolver returning a Promise', async () => {
    const reactor = new MemoryReactor();
    const d = new TCP6ClientEndpoint(reactor, 'example.com', 80, {
      resolver: async () => [{ address: '::7' }],
    }).connect(new RecordingFactory());
    await new Promise((resolve) => setImmediate(resolve));
    expect(reactor.tcpClients.map((c) => c.host)).toEqual(['::7']);
    completeConnection(reactor);
    expect(successResultOf(d)).toBeInstanceOf(RecordingProtocol);
  });

  it('refuses a resolver that is not a function', () => {
    expect(() => new TCP6ClientEndpoint(new MemoryReactor(), 'x', 80, { resolver: 'dns' as never })).toThrow(TypeError);
  });
});

const serverCases = [
  { name: 'TCP4ServerEndpoint', make: TCP4ServerEndpoint, defaultInterface: '', host: new IPv4Address('TCP', '0.0.0.0', 0) },
  { name: 'TCP6ServerEndpoint', make: TCP6ServerEndpoint, defaultInterface: '::', host: new IPv6Address('TCP', '::', 0) },
] as const;

describe.each(serverCases)('$name', ({ make, defaultInterface, host }) => {
  it('fires with the listening port from listenTCP, with the default backlog and interface', () => {
    const reactor = new MemoryReactor();
    const factory = new RecordingFactory();
    const port = successResultOf(new make(reactor, 0).listen(factory));
    expect(port.getHost()).toEqual(host);
    expect(reactor.tcpServers).toEqual([{ port: 0, factory, backlog: 50, interface: defaultInterface }]);
  });

  it('passes its backlog and interface to listenTCP', () => {
    const reactor = new MemoryReactor();
    const factory = new RecordingFactory();
    new make(reactor, 8080, { backlog: 100, interface: '::1' }).listen(factory);
    expect(reactor.tcpServers).toEqual([{ port: 8080, factory, backlog: 100, interface: '::1' }]);
  });

  it('fails with the error listenTCP threw', () => {
    const exception = new CannotListenError('', 80);
    const reactor = new RaisingMemoryReactor(exception) as unknown as IReactorTCP;
    expect(failureResultOf(new make(reactor, 80).listen(new RecordingFactory())).value).toBe(exception);
  });

  it('refuses bad arguments at once', () => {
    const reactor = new MemoryReactor();
    expect(() => new make(reactor, '80' as unknown as number)).toThrow(TypeError);
    expect(() => new make(reactor, -1)).toThrow(RangeError);
    expect(() => new make(reactor, 80, { backlog: -5 })).toThrow(/backlog/);
    expect(() => new make(reactor, 80, { interface: 1 as unknown as string })).toThrow(/interface/);
  });

  it('exposes what it was built with', () => {
    const reactor = new MemoryReactor();
    expect(new make(reactor, 1234, { backlog: 12 })).toMatchObject({
      reactor,
      port: 1234,
      backlog: 12,
      interface: defaultInterface,
    });
  });
});
