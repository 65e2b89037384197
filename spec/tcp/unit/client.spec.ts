/**
 * The client transport (src/tcp/client.ts) on a FakeSocket: the connect
 * call, the connected path (buildProtocol, makeConnection, reading), a
 * buildProtocol that returns null or throws, the attempt timeout,
 * stopConnecting, and the failures of the socket before it connected.
 * Clock time, no packet sent.
 */
import { Failure } from '../../../src/defer/failure';
import {
  ConnectBindError,
  ConnectError,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  TimeoutError,
  UserError,
} from '../../../src/errors';
import type { IAddress } from '../../../src/interfaces/address';
import { captureLogEvents } from '../../../src/logger';
import { ClientFactory } from '../../../src/protocol/factory';
import { Client } from '../../../src/tcp/client';
import { Connector } from '../../../src/tcp/connector';
import { _setNativeClients } from '../../../src/tcp/native-client';
import type { TorsionSocket } from '../../../src/tcp/socket';
import { FakeTCPReactor } from '../harness';
import { FakeSocket } from './fake-socket';
import { Recorder, endOfTick, nextLoopPass } from './helpers';

/** A Client whose socket is a FakeSocket. */
class FakeClient extends Client {
  // `declare`: a field initialiser would run after super(), which is where
  // createInternetSocket() sets it.
  /** The socket this attempt got. */
  declare fake: FakeSocket;
  override createInternetSocket(): TorsionSocket {
    const socket = new FakeSocket();
    this.fake = socket;
    return socket as unknown as TorsionSocket;
  }
}

class FakeConnector extends Connector {
  override _makeTransport(): Client {
    return new FakeClient(this.host, this.port, this.bindAddress, this, this.reactor);
  }
}

/** Records the client factory callbacks. */
class Factory extends ClientFactory<Recorder> {
  readonly log: string[] = [];
  readonly reasons: Failure[] = [];
  readonly addrs: IAddress[] = [];
  readonly built: Recorder[] = [];
  build: (addr: IAddress) => Recorder | null = () => new Recorder();
  override buildProtocol(addr: IAddress): Recorder | null {
    this.log.push('buildProtocol');
    this.addrs.push(addr);
    const p = this.build(addr);
    if (p !== null) this.built.push(p);
    return p;
  }
  override clientConnectionFailed(_c: unknown, reason: Failure): void {
    this.log.push('clientConnectionFailed');
    this.reasons.push(reason);
  }
  override clientConnectionLost(_c: unknown, reason: Failure): void {
    this.log.push('clientConnectionLost');
    this.reasons.push(reason);
  }
}

function attempt(
  host = '10.1.2.3',
  options: { timeout?: number | null; bindAddress?: readonly [string, number] | null } = {},
): { reactor: FakeTCPReactor; factory: Factory; connector: FakeConnector; client: FakeClient; socket: FakeSocket } {
  const reactor = new FakeTCPReactor();
  const factory = new Factory();
  const timeout = options.timeout === undefined ? 30 : options.timeout;
  const connector = new FakeConnector(host, 4321, factory, timeout, options.bindAddress ?? null, reactor);
  connector.connect();
  const client = connector.transport as FakeClient;
  return { reactor, factory, connector, client, socket: client.fake };
}

function errno(code: string, syscall = 'connect'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${syscall} ${code} 10.1.2.3:4321`), { code, syscall });
}

beforeAll(() => {
  _setNativeClients(false);
});
afterAll(() => {
  _setNativeClients(true);
});
beforeEach(nextLoopPass);

describe('Client: connecting', () => {
  it('connects its socket to the address on the next reactor pass, owned by the transport, not yet reading', () => {
    const { reactor, client, socket } = attempt();
    expect(socket.owner).toBe(client);
    expect(socket.connects).toEqual([]);
    reactor.advance(0);
    expect(socket.connects).toEqual([{ host: '10.1.2.3', port: 4321 }]);
    expect(socket.reading).toBe(false);
    expect(reactor.tracked.has(client)).toBe(true);
  });

  it('binds the bind address first (a port of 0 lets the kernel choose)', () => {
    const a = attempt('10.1.2.3', { bindAddress: ['10.0.0.9', 0] });
    a.reactor.advance(0);
    expect(a.socket.connects).toEqual([{ host: '10.1.2.3', port: 4321, localAddress: '10.0.0.9' }]);
    const b = attempt('10.1.2.3', { bindAddress: ['10.0.0.9', 5000] });
    b.reactor.advance(0);
    expect(b.socket.connects).toEqual([{ host: '10.1.2.3', port: 4321, localAddress: '10.0.0.9', localPort: 5000 }]);
  });

  it('connects to the resolved address of a host name', () => {
    const { reactor, socket } = attempt('db.example.test');
    reactor.advance(0);
    expect(reactor.resolutions.map((r) => r.name)).toEqual(['db.example.test']);
    expect(socket.connects).toEqual([]);
    reactor.resolutions[0].d.callback('::1');
    expect(socket.connects).toEqual([{ host: '::1', port: 4321 }]);
  });
});

describe('Client: connected', () => {
  it('asks buildProtocol with the peer address, cancels the timeout, reads, and calls connectionMade', () => {
    const { reactor, factory, connector, client, socket } = attempt();
    reactor.advance(0);
    socket.connected();
    expect(factory.log).toEqual(['buildProtocol']);
    expect(factory.addrs[0]).toMatchObject({ type: 'TCP', host: '10.1.2.3', port: 4321 });
    const protocol = factory.built[0];
    expect(protocol.log).toEqual(['connectionMade']);
    expect(protocol.transport).toBe(client);
    expect(client.connected).toBe(true);
    expect(connector.state).toBe('connected');
    expect(reactor.getDelayedCalls()).toEqual([]);
    expect(reactor.getReaders()).toEqual([client]);
    expect(socket.reading).toBe(true);
    expect(client.logPrefix()).toBe('Recorder,client');
  });

  it('a second connect event does nothing', () => {
    const { reactor, factory, socket } = attempt();
    reactor.advance(0);
    socket.connected();
    socket.connected();
    expect(factory.log).toEqual(['buildProtocol']);
    expect(factory.built[0].log).toEqual(['connectionMade']);
  });

  it('once lost, calls the protocol connectionLost, then clientConnectionLost with the same reason', async () => {
    const { reactor, factory, client, socket } = attempt();
    reactor.advance(0);
    socket.connected();
    const protocol = factory.built[0];
    client.loseConnection();
    await endOfTick();
    socket.drain();
    expect(protocol.log).toEqual(['connectionMade', 'connectionLost']);
    expect(factory.log).toEqual(['buildProtocol', 'clientConnectionLost']);
    expect(factory.reasons[0]).toBe(protocol.reasons[0]);
    expect(factory.reasons[0].value).toBeInstanceOf(ConnectionDone);
  });

  it('a buildProtocol that returns null closes the connection at once (FIN), and the factory hears clientConnectionLost', async () => {
    const { reactor, factory, client, socket } = attempt();
    factory.build = () => null;
    reactor.advance(0);
    socket.connected();
    expect(reactor.getReaders()).toEqual([]);
    await endOfTick();
    socket.drain();
    expect(socket.wire).toEqual(['FIN']);
    expect(factory.log).toEqual(['buildProtocol', 'clientConnectionLost']);
    expect(client.disconnected).toBe(true);
  });

  it('a buildProtocol that throws fails the attempt with ConnectError naming it, and closes the socket', () => {
    const { reactor, factory, socket } = attempt();
    const boom = new Error('no protocol for you');
    factory.build = () => {
      throw boom;
    };
    const [, stop] = captureLogEvents();
    reactor.advance(0);
    socket.connected();
    stop();
    expect(factory.log).toEqual(['buildProtocol', 'clientConnectionFailed']);
    const reason = factory.reasons[0];
    expect(reason.value).toBeInstanceOf(ConnectError);
    expect(reason.getErrorMessage()).toMatch(/buildProtocol failed: no protocol for you/);
    expect((reason.value as Error).cause).toBe(boom);
    expect(socket.destroyed).toBe(true);
  });
});

describe('Client: attempts that fail', () => {
  it('time out after `timeout` seconds with TimeoutError: the socket is destroyed and a late connect does nothing', () => {
    const { reactor, factory, connector, client, socket } = attempt('10.1.2.3', { timeout: 5 });
    reactor.advance(0);
    reactor.advance(4.999);
    expect(factory.log).toEqual([]);
    reactor.advance(0.001);
    expect(factory.log).toEqual(['clientConnectionFailed']);
    expect(factory.reasons[0].value).toBeInstanceOf(TimeoutError);
    expect(socket.destroyed).toBe(true);
    expect(socket.owner).toBeNull();
    expect(connector.state).toBe('disconnected');
    expect(reactor.tracked.has(client)).toBe(false);
    socket.connected();
    expect(factory.log).toEqual(['clientConnectionFailed']);
  });

  it('stopConnecting during the connect fails with UserError and closes the socket; nothing follows', () => {
    const { reactor, factory, connector, socket } = attempt();
    reactor.advance(0);
    connector.stopConnecting();
    expect(factory.log).toEqual(['clientConnectionFailed']);
    expect(factory.reasons[0].value).toBeInstanceOf(UserError);
    expect(socket.destroyed).toBe(true);
    expect(reactor.getDelayedCalls()).toEqual([]);
    socket.connected();
    socket.peerError(errno('ECONNREFUSED'));
    reactor.advance(60);
    expect(factory.log).toEqual(['clientConnectionFailed']);
  });

  it('a refused connect is ConnectionRefusedError naming the address, with the Node error as cause', () => {
    const { reactor, factory, socket } = attempt();
    reactor.advance(0);
    const err = errno('ECONNREFUSED');
    socket.peerError(err);
    expect(factory.log).toEqual(['clientConnectionFailed']);
    const reason = factory.reasons[0];
    expect(reason.value).toBeInstanceOf(ConnectionRefusedError);
    expect(reason.getErrorMessage()).toContain('10.1.2.3:4321');
    expect((reason.value as Error).cause).toBe(err);
    expect(reactor.getDelayedCalls()).toEqual([]);
  });

  it('a bind that fails is ConnectBindError', () => {
    const { reactor, factory, socket } = attempt('10.1.2.3', { bindAddress: ['10.0.0.9', 5000] });
    reactor.advance(0);
    socket.peerError(errno('EADDRINUSE', 'bind'));
    expect(factory.reasons[0].value).toBeInstanceOf(ConnectBindError);
  });

  it('a socket that closes before connecting, without an error, is a ConnectError', () => {
    const { reactor, factory, socket } = attempt();
    reactor.advance(0);
    socket.close();
    expect(factory.log).toEqual(['clientConnectionFailed']);
    expect(factory.reasons[0].value).toBeInstanceOf(ConnectError);
    expect(factory.reasons[0].getErrorMessage()).toMatch(/closed before the connection was established/);
  });

  it('a connect() that throws synchronously fails the attempt: ConnectBindError with a bind address, else by its errno', () => {
    const a = attempt('10.1.2.3', { bindAddress: ['not-an-ip', 0] });
    a.socket.connectThrows = new TypeError('localAddress must be a valid IP: not-an-ip');
    a.reactor.advance(0);
    expect(a.factory.reasons[0].value).toBeInstanceOf(ConnectBindError);
    expect(a.factory.reasons[0].getErrorMessage()).toMatch(/Couldn't bind not-an-ip/);
    const b = attempt();
    b.socket.connectThrows = errno('ENETUNREACH');
    b.reactor.advance(0);
    expect(b.factory.reasons[0].value).toBeInstanceOf(ConnectError);
    expect(b.factory.reasons[0].getErrorMessage()).toMatch(/No route to host/);
    expect(b.socket.destroyed).toBe(true);
  });

  it('a connection lost before it was established (reactor shutdown) is a failed attempt, once', () => {
    const { reactor, factory, client } = attempt();
    reactor.advance(0);
    client.connectionLost(new Failure(new ConnectionLost('shutting down')));
    client.failIfNotConnected(new Error('again'));
    expect(factory.log).toEqual(['clientConnectionFailed']);
    expect(factory.reasons[0].value).toBeInstanceOf(ConnectError);
    expect(factory.reasons[0].getErrorMessage()).toMatch(/before it was established: shutting down/);
  });
});
