/**
 * Connector and the client lifecycle up to the connect() call, driven by a
 * deterministic fake reactor (Clock time, resolve() answered by the test):
 * no packet is sent by these specs.
 */
import { IPv4Address, IPv6Address } from '../../src/address';
import { Failure } from '../../src/defer/failure';
import {
  ConnectError,
  ConnectionLost,
  DNSLookupError,
  NotConnectingError,
  RuntimeError,
  TimeoutError,
  UserError,
} from '../../src/errors';
import { captureLogEvents } from '../../src/logger';
import { Client, Connector, connectTCP } from '../../src/tcp';
import { FakeTCPReactor, RecordingClientFactory } from './harness';

function setup(host = 'example.test', timeout: number | null = 30) {
  const reactor = new FakeTCPReactor();
  const factory = new RecordingClientFactory();
  const connector = connectTCP(reactor, host, 4321, factory, { timeout });
  return { reactor, factory, connector };
}

describe('Connector', () => {
  it('runs doStart then startedConnecting synchronously inside connectTCP, with the transport already set', () => {
    const reactor = new FakeTCPReactor();
    const factory = new RecordingClientFactory();
    let transportAtStart: unknown;
    factory.startedConnecting = (c) => {
      factory.events.push(['startedConnecting', c]);
      transportAtStart = c.transport;
    };
    const connector = connectTCP(reactor, 'example.test', 80, factory);
    expect(factory.names()).toEqual(['doStart', 'startFactory', 'startedConnecting']);
    expect(factory.events[2][1]).toBe(connector);
    expect(transportAtStart).toBeInstanceOf(Client);
    expect(transportAtStart).toBe(connector.transport);
    expect(connector.state).toBe('connecting');
  });

  it('starts the attempt on the next reactor pass (callLater(0, resolveAddress)) and resolves a host name', () => {
    const { reactor } = setup();
    expect(reactor.resolutions).toHaveLength(0);
    reactor.advance(0);
    expect(reactor.resolutions.map((r) => r.name)).toEqual(['example.test']);
  });

  it('throws RuntimeError from connect() unless disconnected', () => {
    const { connector } = setup();
    expect(() => connector.connect()).toThrow(RuntimeError);
  });

  it('classifies hosts: IPv4 and IPv6 literals need no resolution, names do', () => {
    const a = setup('10.1.2.3').connector.transport as Client;
    const b = setup('::1').connector.transport as Client;
    const c = setup('fe80::1%lo').connector.transport as Client;
    const d = setup('localhost').connector.transport as Client;
    expect([a._requiresResolution, a.addressFamily]).toEqual([false, 'IPv4']);
    expect([b._requiresResolution, b.addressFamily]).toEqual([false, 'IPv6']);
    expect([c._requiresResolution, c.addressFamily]).toEqual([false, 'IPv6']);
    expect([d._requiresResolution, d.addressFamily]).toEqual([true, 'IPv4']);
    expect(a.socketType).toBe('stream');
  });

  it('keeps addr as given and records the resolved address, whose family becomes addressFamily', () => {
    const { reactor, connector } = setup('example.test');
    const client = connector.transport as Client;
    expect(client.addr).toEqual(['example.test', 4321]);
    expect(client.realAddress).toBeNull();
    reactor.advance(0);
    reactor.resolutions[0].d.callback('::1');
    expect(client.realAddress).toEqual(['::1', 4321]);
    expect([client._requiresResolution, client.addressFamily]).toEqual([true, 'IPv6']);
    expect(client.addr).toEqual(['example.test', 4321]);
  });

  it('stores a real address whose port differs from the destination port as given', () => {
    const client = setup('10.1.2.3').connector.transport as Client;
    client.connector = null; // only the bookkeeping, no attempt
    client._setRealAddress(['10.9.9.9', 80]);
    expect(client.realAddress).toEqual(['10.9.9.9', 80]);
  });

  it('reports its destination as IPv4Address or IPv6Address of type TCP', () => {
    expect(setup('10.1.2.3').connector.getDestination()).toEqual(new IPv4Address('TCP', '10.1.2.3', 4321));
    expect(setup('::1').connector.getDestination()).toEqual(new IPv6Address('TCP', '::1', 4321));
    expect(setup('example.test').connector.getDestination()).toEqual(new IPv4Address('TCP', 'example.test', 4321));
  });

  it('stopConnecting during resolution fails the attempt with UserError, then doStop; a late answer connects nothing', () => {
    const { reactor, factory, connector } = setup();
    reactor.advance(0);
    const client = connector.transport as Client;
    connector.stopConnecting();
    expect(factory.names()).toEqual([
      'doStart',
      'startFactory',
      'startedConnecting',
      'clientConnectionFailed',
      'doStop',
      'stopFactory',
    ]);
    const [, who, reason] = factory.events[3] as [string, unknown, Failure];
    expect(who).toBe(connector);
    expect(reason.value).toBeInstanceOf(UserError);
    expect(connector.state).toBe('disconnected');
    expect(connector.transport).toBeNull();
    expect(reactor.getDelayedCalls()).toHaveLength(0);
    expect(reactor.tracked.has(client)).toBe(false);
    reactor.resolutions[0].d.callback('127.0.0.1');
    expect(client.realAddress).toBeNull();
    expect(factory.names()).toHaveLength(6);
  });

  it('stopConnecting when not connecting throws NotConnectingError', () => {
    const { connector } = setup();
    connector.stopConnecting();
    expect(() => connector.stopConnecting()).toThrow(NotConnectingError);
  });

  it('fails with TimeoutError after exactly `timeout` seconds', () => {
    const { reactor, factory, connector } = setup('example.test', 5);
    reactor.advance(0);
    reactor.advance(4.999);
    expect(factory.failed.called).toBe(false);
    reactor.advance(0.001);
    expect(factory.failed.called).toBe(true);
    expect((factory.failed.value as Failure).value).toBeInstanceOf(TimeoutError);
    expect(connector.state).toBe('disconnected');
  });

  it('schedules no timeout with timeout: null', () => {
    const { reactor } = setup('example.test', null);
    reactor.advance(0);
    expect(reactor.getDelayedCalls()).toHaveLength(0);
  });

  it('fails with DNSLookupError when the name does not resolve, and cancels the timeout', () => {
    const { reactor, factory } = setup();
    reactor.advance(0);
    reactor.resolutions[0].d.errback(new Failure(new DNSLookupError('no such host')));
    expect((factory.failed.value as Failure).value).toBeInstanceOf(DNSLookupError);
    expect(reactor.getDelayedCalls()).toHaveLength(0);
  });

  it('calls the factory once per failure even if failIfNotConnected runs twice', () => {
    const { reactor, factory, connector } = setup();
    reactor.advance(0);
    const client = connector.transport as Client;
    client.failIfNotConnected(new ConnectError('first'));
    client.failIfNotConnected(new ConnectError('second'));
    expect(factory.names().filter((n) => n === 'clientConnectionFailed')).toHaveLength(1);
    expect((factory.failed.value as Failure).getErrorMessage()).toBe('first');
  });

  it('reconnects when the factory calls connect() from clientConnectionFailed (no doStop, no second doStart)', () => {
    const reactor = new FakeTCPReactor();
    const factory = new RecordingClientFactory();
    let retries = 1;
    factory.clientConnectionFailed = (c, reason) => {
      factory.events.push(['clientConnectionFailed', c, reason]);
      if (retries-- > 0) c.connect();
    };
    const connector = connectTCP(reactor, 'example.test', 80, factory);
    const first = connector.transport;
    connector.stopConnecting();
    expect(connector.state).toBe('connecting');
    expect(connector.transport).not.toBe(first);
    expect(factory.names()).toEqual([
      'doStart',
      'startFactory',
      'startedConnecting',
      'clientConnectionFailed',
      'startedConnecting',
    ]);
    connector.stopConnecting();
    expect(factory.names().slice(-3)).toEqual(['clientConnectionFailed', 'doStop', 'stopFactory']);
  });

  it('runs doStart again when connect() is called after the factory was stopped', () => {
    const { factory, connector } = setup();
    connector.stopConnecting();
    connector.connect();
    expect(factory.names().filter((n) => n === 'doStart')).toHaveLength(2);
  });

  it('disconnect() stops a connecting attempt and does nothing when disconnected', () => {
    const { factory, connector } = setup();
    connector.disconnect();
    expect((factory.failed.value as Failure).value).toBeInstanceOf(UserError);
    expect(() => connector.disconnect()).not.toThrow();
    expect(factory.names().filter((n) => n === 'clientConnectionFailed')).toHaveLength(1);
  });

  it('turns a connection lost before it was established (reactor shutdown) into a ConnectError failure', () => {
    const { reactor, factory, connector } = setup();
    const client = connector.transport as Client;
    expect(reactor.tracked.has(client)).toBe(true);
    client.connectionLost(new Failure(new ConnectionLost()));
    const reason = factory.failed.value as Failure;
    expect(reason.value).toBeInstanceOf(ConnectError);
    expect((reason.value as ConnectError).cause).toBeInstanceOf(ConnectionLost);
  });

  it('logs an exception from clientConnectionFailed and still stops the factory', () => {
    const { factory, connector } = setup();
    factory.clientConnectionFailed = () => {
      throw new Error('boom');
    };
    const [events, stop] = captureLogEvents();
    try {
      connector.stopConnecting();
    } finally {
      stop();
    }
    expect(events.some((e) => e.failure?.getErrorMessage() === 'boom')).toBe(true);
    expect(factory.names().slice(-2)).toEqual(['doStop', 'stopFactory']);
  });

  it('refuses a string passed to write() with a TypeError that says to encode it, even before connecting', () => {
    const { connector } = setup();
    expect(() => (connector.transport as Client).write('hi' as unknown as Buffer)).toThrow(/encode it first/);
  });

  it('is a Connector built from the connectTCP arguments', () => {
    const { connector } = setup('example.test', 7);
    expect(connector).toBeInstanceOf(Connector);
    expect([connector.host, connector.port, connector.timeout, connector.bindAddress]).toEqual(['example.test', 4321, 7, null]);
  });
});
