/**
 * connectTCP on real sockets (127.0.0.1, port 0), a fresh running Reactor
 * per test: the factory/protocol call order, failures (refused, unknown
 * host, timeout, bind), stopConnecting in each phase, reconnecting, and
 * buildProtocol returning null on either side.
 */
import type { Socket } from 'node:net';
import { IPv4Address, IPv6Address } from '../../src/address';
import type { Failure } from '../../src/defer/failure';
import {
  ConnectBindError,
  ConnectionDone,
  ConnectionRefusedError,
  DNSLookupError,
  NotConnectingError,
  TimeoutError,
  UserError,
} from '../../src/errors';
import type { IConnector } from '../../src/interfaces/connector';
import type { Client, Port } from '../../src/tcp';
import {
  CLIENT_MODES,
  RecordingClientFactory,
  RecordingProtocol,
  RecordingServerFactory,
  Signal,
  blackHole,
  loopTurns,
  closeOf,
  until,
  useClientMode,
  useReactor,
  within,
} from '../tcp/harness';

class Greeter extends RecordingProtocol {
  override connectionMade(): void {
    super.connectionMade();
    this.transport!.write(Buffer.from('hello'));
  }
}
class CloseOnData extends RecordingProtocol {
  override dataReceived(data: Buffer): void {
    super.dataReceived(data);
    this.transport!.loseConnection();
  }
}

describe.each(CLIENT_MODES)('connectTCP (integration, client: %s)', (mode) => {
  useClientMode(mode);
  const h = useReactor();
  let server: RecordingServerFactory;
  let port: Port;
  beforeEach(() => {
    server = new RecordingServerFactory(Greeter);
    port = h.r.listenTCP(0, server, { interface: '127.0.0.1' });
  });

  it('calls the factory and protocol in Twisted order, with one connector throughout', async () => {
    const f = new RecordingClientFactory(CloseOnData);
    const connector = h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    const reason = await within(f.lost);
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    const p = f.protocols[0];
    expect(f.names()).toEqual([
      'doStart',
      'startFactory',
      'startedConnecting',
      'buildProtocol',
      'clientConnectionLost',
      'doStop',
      'stopFactory',
    ]);
    expect(p.events.map((e) => e[0])).toEqual(['connectionMade', 'dataReceived', 'connectionLost']);
    expect(p.data().toString()).toBe('hello');
    expect(f.events[3][1]).toEqual(new IPv4Address('TCP', '127.0.0.1', port.getHost().port));
    // The same connector everywhere, and the transport knows it.
    expect(f.connectors.every((c) => c === connector)).toBe(true);
    expect((p.transport as unknown as Client).connector).toBe(connector);
    expect(connector.transport).toBe(p.transport);
    expect(connector.state).toBe('disconnected');
    // The protocol's connectionLost ran before the factory's clientConnectionLost.
    expect(p.lost.called).toBe(true);
  });

  it('reports getPeer/getHost as IPv4Address with type TCP on both sides', async () => {
    const f = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    const sp = await within(server.built);
    await within(sp.made);
    await until(() => f.protocols.length > 0);
    const cp = await within(f.protocols[0].made);
    const ct = cp.transport!;
    const st = sp.transport!;
    expect(ct.getPeer()).toEqual(new IPv4Address('TCP', '127.0.0.1', port.getHost().port));
    expect(st.getHost()).toEqual(new IPv4Address('TCP', '127.0.0.1', port.getHost().port));
    expect(st.getPeer()).toEqual(ct.getHost());
    ct.loseConnection();
    await within(sp.lost);
  });

  it('fails with ConnectionRefusedError (Node error as cause) when nothing listens', async () => {
    const closed = port.getHost().port;
    await port.stopListening();
    const f = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', closed, f);
    const reason = await within(f.failed);
    expect(reason.value).toBeInstanceOf(ConnectionRefusedError);
    expect(((reason.value as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(((reason.value as Error).cause as Error).message).toBe(`connect ECONNREFUSED 127.0.0.1:${closed}`);
    expect(f.names().slice(-3)).toEqual(['clientConnectionFailed', 'doStop', 'stopFactory']);
  });

  it('fails with DNSLookupError for an unknown host', async () => {
    const f = new RecordingClientFactory();
    h.r.connectTCP('no-such-host.invalid', 80, f);
    const reason = await within(f.failed, 10000);
    expect(reason.value).toBeInstanceOf(DNSLookupError);
  });

  it('resolves a host name (localhost) and connects', async () => {
    const f = new RecordingClientFactory(CloseOnData);
    h.r.connectTCP('localhost', port.getHost().port, f);
    await within(f.lost);
    expect(f.protocols[0].data().toString()).toBe('hello');
  });

  it('fails with TimeoutError when the timeout elapses before the handshake completes', async () => {
    // timeout 0 fires in the same reactor pass that starts the attempt, after
    // connect() was issued and before libuv can report the connection.
    const f = new RecordingClientFactory();
    const connector = h.r.connectTCP('127.0.0.1', port.getHost().port, f, { timeout: 0 });
    const reason = await within(f.failed);
    expect(reason.value).toBeInstanceOf(TimeoutError);
    expect(connector.transport).toBeNull();
    expect(f.names()).not.toContain('buildProtocol');
  });

  it('fails with TimeoutError against a server that never completes the handshake', async () => {
    const hole = await blackHole();
    try {
      const f = new RecordingClientFactory();
      const started = h.r.seconds();
      h.r.connectTCP('127.0.0.1', hole.port, f, { timeout: 0.2 });
      const reason = await within(f.failed);
      expect(reason.value).toBeInstanceOf(TimeoutError);
      expect(h.r.seconds() - started).toBeGreaterThanOrEqual(0.19);
      expect(f.names()).not.toContain('buildProtocol');
    } finally {
      hole.close();
    }
  });

  it('stopConnecting during a handshake that does not complete fails with UserError and cancels the timeout', async () => {
    const hole = await blackHole();
    try {
      const f = new RecordingClientFactory();
      const connector = h.r.connectTCP('127.0.0.1', hole.port, f, { timeout: 5 });
      await until(() => (connector.transport as Client).realAddress !== null);
      // The connect was issued; a few reactor turns later the black hole
      // still has not completed the handshake.
      await loopTurns();
      expect(connector.state).toBe('connecting');
      connector.stopConnecting();
      expect((f.failed.value as Failure).value).toBeInstanceOf(UserError);
      expect(connector.timeoutID).toBeNull();
      expect(h.r.getDelayedCalls()).toHaveLength(0);
    } finally {
      hole.close();
    }
  });

  it('fails with ConnectBindError when bindAddress is in use', async () => {
    const f = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, f, { bindAddress: ['127.0.0.1', port.getHost().port] });
    const reason = await within(f.failed);
    expect(reason.value).toBeInstanceOf(ConnectBindError);
    expect(((reason.value as Error).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    expect((reason.value as Error).message).toBe(`Couldn't bind: bind EADDRINUSE 127.0.0.1:${port.getHost().port}`);
  });

  it('fails with ConnectBindError (cause EADDRNOTAVAIL) when bindAddress is not a local address', async () => {
    const f = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, f, { bindAddress: ['192.0.2.1', 0] });
    const reason = await within(f.failed);
    expect(reason.value).toBeInstanceOf(ConnectBindError);
    expect(((reason.value as Error).cause as NodeJS.ErrnoException).code).toBe('EADDRNOTAVAIL');
  });

  it('fails with ConnectBindError when bindAddress is not an IP address', async () => {
    const f = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, f, { bindAddress: 'not an address' });
    const reason = await within(f.failed);
    expect(reason.value).toBeInstanceOf(ConnectBindError);
    expect((reason.value as Error).message).toBe(
      "Couldn't bind not an address: TypeError [ERR_INVALID_IP_ADDRESS]: Invalid IP address: not an address",
    );
    expect(((reason.value as Error).cause as NodeJS.ErrnoException).code).toBe('ERR_INVALID_IP_ADDRESS');
  });

  it('binds bindAddress before connecting', async () => {
    const f = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, f, { bindAddress: '127.0.0.1' });
    const sp = await within(server.built);
    await within(sp.made);
    expect((sp.transport!.getPeer() as IPv4Address).host).toBe('127.0.0.1');
    sp.transport!.loseConnection();
    await within(f.lost);
  });

  it('stopConnecting while connecting (after connect() was issued) fails with UserError', async () => {
    const f = new RecordingClientFactory();
    const connector = h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    const client = connector.transport as Client;
    let addressWhenStopped: unknown = null;
    h.r.callLater(0, () => {
      addressWhenStopped = client.realAddress;
      connector.stopConnecting();
    });
    const reason = await within(f.failed);
    expect(addressWhenStopped).toEqual(['127.0.0.1', port.getHost().port]);
    expect(reason.value).toBeInstanceOf(UserError);
    expect(f.names()).not.toContain('buildProtocol');
    expect(connector.state).toBe('disconnected');
    // A later attempt to the same port gets connected: the stopped one's
    // handshake, begun earlier, would have completed (and shown) by then.
    const later = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, later);
    await until(() => later.protocols.length === 1);
    await within(later.protocols[0].made);
    await loopTurns();
    expect(f.names()).not.toContain('buildProtocol');
    expect(f.names().filter((n) => n === 'clientConnectionFailed')).toHaveLength(1);
    later.protocols[0].transport!.loseConnection();
    await within(later.lost);
  });

  it('stopConnecting once connected throws NotConnectingError', async () => {
    const f = new RecordingClientFactory();
    const connector = h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    await until(() => f.protocols.length === 1);
    await within(f.protocols[0].made);
    expect(connector.state).toBe('connected');
    expect(() => connector.stopConnecting()).toThrow(NotConnectingError);
    connector.disconnect();
    const reason = await within(f.lost);
    expect(reason.value).toBeInstanceOf(ConnectionDone);
  });

  it('reconnects when clientConnectionLost calls connector.connect()', async () => {
    const f = new RecordingClientFactory(CloseOnData);
    let lost = 0;
    const second = new Signal<void>();
    f.clientConnectionLost = (c: IConnector, reason: Failure) => {
      f.events.push(['clientConnectionLost', c, reason]);
      lost += 1;
      if (lost === 1) c.connect();
      else second.fire();
    };
    h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    await within(second);
    expect(f.protocols).toHaveLength(2);
    expect(f.protocols.map((p) => p.data().toString())).toEqual(['hello', 'hello']);
    expect(f.names()).toEqual([
      'doStart',
      'startFactory',
      'startedConnecting',
      'buildProtocol',
      'clientConnectionLost',
      'startedConnecting',
      'buildProtocol',
      'clientConnectionLost',
      'doStop',
      'stopFactory',
    ]);
  });

  it('closes the connection when the client factory builds no protocol', async () => {
    const f = new RecordingClientFactory();
    f.refuse = true;
    h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    const reason = await within(f.lost);
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    const sp = await within(server.built);
    await within(sp.lost);
  });

  it('closes the connection when the server factory builds no protocol', async () => {
    server.refuse = true;
    const f = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    const reason = await within(f.lost);
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    expect(f.protocols[0].data().length).toBe(0);
    expect(server.protocols).toHaveLength(0);
  });

  it('connects over IPv6 when ::1 is available', async () => {
    let p6: Port;
    try {
      p6 = h.r.listenTCP(0, server, { interface: '::1' });
    } catch {
      return; // no IPv6 loopback here
    }
    const f = new RecordingClientFactory(CloseOnData);
    const connector = h.r.connectTCP('::1', p6.getHost().port, f);
    expect(connector.getDestination()).toBeInstanceOf(IPv6Address);
    await within(f.lost);
    expect(f.protocols[0].transport!.getPeer()).toEqual(new IPv6Address('TCP', '::1', p6.getHost().port));
  });
});

describe('client socket reuse (integration, client: net.Socket)', () => {
  useClientMode('net.Socket');
  const h = useReactor();
  let port: Port;
  beforeEach(() => {
    port = h.r.listenTCP(0, new RecordingServerFactory(Greeter), { interface: '127.0.0.1' });
  });

  it('reuses a closed client socket for a later attempt, but never one handed out by getHandle()', async () => {
    const sockets: unknown[] = [];
    const closed: Promise<void>[] = [];
    class KeepSocket extends CloseOnData {
      override connectionMade(): void {
        const socket = (this.transport as unknown as { _socket: Socket })._socket;
        sockets.push(socket);
        closed.push(closeOf(socket));
        super.connectionMade();
      }
    }
    const f = new RecordingClientFactory(KeepSocket);
    const connector = h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    await within(f.lost);
    // The first socket emits 'close' shortly after connectionLost: only then may it be reused.
    await closed[0];
    connector.connect();
    await until(() => f.protocols.length === 2);
    const second = f.protocols[1];
    await within(second.lost);
    expect(second.data().toString()).toBe('hello');
    expect(second.transport).not.toBe(f.protocols[0].transport);
    expect(sockets).toHaveLength(2);
    expect(sockets[1]).toBe(sockets[0]);

    // A socket the application saw (getHandle) is not recycled.
    let exposed: unknown = null;
    class ExposeSocket extends KeepSocket {
      override connectionMade(): void {
        exposed = (this.transport as unknown as Client).getHandle();
        super.connectionMade();
      }
    }
    const g = new RecordingClientFactory(ExposeSocket);
    h.r.connectTCP('127.0.0.1', port.getHost().port, g);
    await within(g.lost);
    expect(exposed).toBe(sockets[2]);
    await closed[2];
    const k = new RecordingClientFactory(KeepSocket);
    h.r.connectTCP('127.0.0.1', port.getHost().port, k);
    await within(k.lost);
    expect(sockets[3]).not.toBe(exposed);
  });

  it('a socket reused after an abort in the middle of a write batch still writes', async () => {
    class Echo extends RecordingProtocol {
      override dataReceived(data: Buffer): void {
        super.dataReceived(data);
        this.transport!.write(data);
      }
    }
    const echo = h.r.listenTCP(0, new RecordingServerFactory(Echo), { interface: '127.0.0.1' });
    const sockets: unknown[] = [];
    const closed: Promise<void>[] = [];
    class WriteThenAbort extends RecordingProtocol {
      override connectionMade(): void {
        super.connectionMade();
        const socket = (this.transport as unknown as { _socket: Socket })._socket;
        sockets.push(socket);
        closed.push(closeOf(socket));
        this.transport!.write(Buffer.from('dropped'));
        this.transport!.abortConnection();
      }
    }
    const a = new RecordingClientFactory(WriteThenAbort);
    h.r.connectTCP('127.0.0.1', echo.getHost().port, a);
    await within(a.lost);
    await closed[0];
    const b = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', echo.getHost().port, b);
    await until(() => b.protocols.length === 1);
    const p = await within(b.protocols[0].made);
    expect((p.transport as unknown as { _socket: unknown })._socket).toBe(sockets[0]);
    p.transport!.write(Buffer.from('after reuse'));
    await until(() => p.data().toString() === 'after reuse');
    p.transport!.loseConnection();
    await within(p.lost);
  });
});
