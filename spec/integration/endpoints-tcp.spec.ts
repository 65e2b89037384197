/**
 * TCP endpoints against real sockets on the loopback interface.
 */
import { IPv4Address, IPv6Address } from '../../src/address';
import { TCP4ClientEndpoint, TCP4ServerEndpoint, TCP6ClientEndpoint, TCP6ServerEndpoint } from '../../src/endpoints';
import { Deferred } from '../../src/defer/deferred';
import {
  CannotListenError,
  ConnectingCancelledError,
  ConnectionDone,
  ConnectionRefusedError,
  NoProtocol,
} from '../../src/errors';
import { captureLogEvents } from '../../src/logger';
import type { IListeningPort } from '../../src/interfaces/connector';
import { ClientFactory, Factory } from '../../src/protocol/factory';
import {
  closePort,
  Collector,
  type Echo,
  EchoFactory,
  ipv6LoopbackAvailable,
  startReactor,
  type TCPReactorUnderTest,
  unusedPort,
} from '../endpoints/integration-helpers';
import { NoneFactory } from '../endpoints/helpers';

let reactor: TCPReactorUnderTest;
let stopReactor: () => Promise<void>;
const ports: IListeningPort[] = [];

beforeEach(() => {
  ({ reactor, stop: stopReactor } = startReactor());
});

afterEach(async () => {
  for (const port of ports.splice(0)) await closePort(port).catch(() => undefined);
  await stopReactor();
});

async function listen(endpoint: TCP4ServerEndpoint | TCP6ServerEndpoint, factory = new EchoFactory()): Promise<IListeningPort> {
  const port = await endpoint.listen(factory);
  ports.push(port);
  return port;
}

describe('TCP4ServerEndpoint and TCP4ClientEndpoint on 127.0.0.1', () => {
  it('listen() gives a port bound on the interface; connect() gives the connected protocol, bytes flow both ways', async () => {
    const serverFactory = new EchoFactory();
    const port = await listen(new TCP4ServerEndpoint(reactor, 0, { interface: '127.0.0.1' }), serverFactory);
    const host = port.getHost() as IPv4Address;
    expect(host).toBeInstanceOf(IPv4Address);
    expect(host.host).toBe('127.0.0.1');
    expect(host.port).toBeGreaterThan(0);

    const clientFactory = Factory.forProtocol(Collector);
    const proto = await new TCP4ClientEndpoint(reactor, '127.0.0.1', host.port).connect<Collector>(clientFactory);
    expect(proto).toBeInstanceOf(Collector);
    expect(proto.factory).toBe(clientFactory);
    expect(proto.connected).toBe(true);
    expect((proto.transport!.getPeer() as IPv4Address).port).toBe(host.port);

    proto.transport!.write(Buffer.from('hello, endpoint'));
    expect((await proto.waitFor(15)).toString()).toBe('hello, endpoint');
    expect(serverFactory.accepted).toBe(1);

    proto.transport!.loseConnection();
    expect(await proto.closed).toBeInstanceOf(ConnectionDone);
  });

  it('balances doStart and doStop on the client factory over a connection', async () => {
    const port = await listen(new TCP4ServerEndpoint(reactor, 0, { interface: '127.0.0.1' }));
    const clientFactory = Factory.forProtocol(Collector);
    const proto = await new TCP4ClientEndpoint(reactor, '127.0.0.1', (port.getHost() as IPv4Address).port).connect<Collector>(
      clientFactory,
    );
    expect(clientFactory.numPorts).toBe(1);
    proto.transport!.loseConnection();
    await proto.closed;
    // The connector calls doStop after clientConnectionLost, once the close is reported.
    await new Promise((resolve) => setImmediate(resolve));
    expect(clientFactory.numPorts).toBe(0);
  });

  it('fails with ConnectionRefusedError when nothing listens', async () => {
    const closed = await unusedPort('127.0.0.1');
    await expect(
      new TCP4ClientEndpoint(reactor, '127.0.0.1', closed).connect(Factory.forProtocol(Collector)),
    ).rejects.toBeInstanceOf(ConnectionRefusedError);
  });

  it('fails listen() with CannotListenError when the port is taken', async () => {
    const port = await listen(new TCP4ServerEndpoint(reactor, 0, { interface: '127.0.0.1' }));
    const taken = (port.getHost() as IPv4Address).port;
    const err = await new TCP4ServerEndpoint(reactor, taken, { interface: '127.0.0.1' }).listen(new EchoFactory()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CannotListenError);
    expect((err as CannotListenError).port).toBe(taken);
  });

  it('fails with NoProtocol when the factory builds nothing, and the server sees the connection close', async () => {
    const serverFactory = new (class extends EchoFactory {
      readonly lost = new Deferred<unknown>();
      override buildProtocol(addr: IPv4Address): Echo | null {
        const p = super.buildProtocol(addr)!;
        p.connectionLost = (reason) => this.lost.callback(reason.value);
        return p;
      }
    })();
    const port = await listen(new TCP4ServerEndpoint(reactor, 0, { interface: '127.0.0.1' }), serverFactory);
    const d = new TCP4ClientEndpoint(reactor, '127.0.0.1', (port.getHost() as IPv4Address).port).connect(new NoneFactory());
    await expect(d).rejects.toBeInstanceOf(NoProtocol);
    expect(await serverFactory.lost).toBeInstanceOf(ConnectionDone);
  });

  it("fails with what the protocol's connectionMade threw, and the connection is dropped", async () => {
    const port = await listen(new TCP4ServerEndpoint(reactor, 0, { interface: '127.0.0.1' }));
    const boom = new Error('connectionMade exploded');
    class Exploding extends Collector {
      override connectionMade(): void {
        throw boom;
      }
    }
    const [events, stopCapture] = captureLogEvents();
    let proto: Exploding | null = null;
    const factory = new (class extends Factory<Exploding> {
      override buildProtocol(): Exploding {
        return (proto = new Exploding());
      }
    })();
    try {
      const d = new TCP4ClientEndpoint(reactor, '127.0.0.1', (port.getHost() as IPv4Address).port).connect(factory);
      await expect(d).rejects.toBe(boom);
      expect(await proto!.closed).toBeInstanceOf(Error);
      // The transport logged the exception, as for any protocol callback that throws.
      expect(events.some((e) => e.failure?.value === boom)).toBe(true);
    } finally {
      stopCapture();
    }
  });

  it('cancelling connect() fails it with ConnectingCancelledError and no connection reaches the server', async () => {
    const serverFactory = new EchoFactory();
    const port = await listen(new TCP4ServerEndpoint(reactor, 0, { interface: '127.0.0.1' }), serverFactory);
    const portNumber = (port.getHost() as IPv4Address).port;
    const clientFactory = new (class extends ClientFactory<Collector> {
      built = 0;
      override buildProtocol(): Collector {
        this.built++;
        return new Collector();
      }
    })();
    const d = new TCP4ClientEndpoint(reactor, '127.0.0.1', portNumber).connect(clientFactory);
    d.cancel();
    const err = await d.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectingCancelledError);
    expect((err as ConnectingCancelledError).address).toEqual(new IPv4Address('TCP', '127.0.0.1', portNumber));
    // A later connection proves the server is reachable and saw nothing from the cancelled one.
    const proto = await new TCP4ClientEndpoint(reactor, '127.0.0.1', portNumber).connect<Collector>(
      Factory.forProtocol(Collector),
    );
    proto.transport!.write(Buffer.from('x'));
    await proto.waitFor(1);
    expect(serverFactory.accepted).toBe(1);
    expect(clientFactory.built).toBe(0);
    proto.transport!.loseConnection();
    await proto.closed;
  });
});

describe('TCP6ServerEndpoint and TCP6ClientEndpoint on ::1', () => {
  it('listen on ::1 and connect to it (or CannotListenError where the machine has no IPv6 loopback)', async () => {
    const v6 = await ipv6LoopbackAvailable();
    const listening = new TCP6ServerEndpoint(reactor, 0, { interface: '::1' }).listen(new EchoFactory());
    if (!v6) {
      await expect(listening).rejects.toBeInstanceOf(CannotListenError);
      return;
    }
    const port = await listening;
    ports.push(port);
    const host = port.getHost() as IPv6Address;
    expect(host).toBeInstanceOf(IPv6Address);
    expect(host.host).toBe('::1');
    const proto = await new TCP6ClientEndpoint(reactor, '::1', host.port).connect<Collector>(Factory.forProtocol(Collector));
    expect((proto.transport!.getPeer() as IPv6Address).host).toBe('::1');
    proto.transport!.write(Buffer.from('six'));
    expect((await proto.waitFor(3)).toString()).toBe('six');
    proto.transport!.loseConnection();
    await proto.closed;
  });

  it('a TCP6ClientEndpoint resolves a name to its IPv6 address before connecting', async () => {
    const v6 = await ipv6LoopbackAvailable();
    if (!v6) {
      // Without IPv6 the name has no usable address: the lookup fails, not the connect.
      const d = new TCP6ClientEndpoint(reactor, 'v6.test', 1, { resolver: () => ['127.0.0.1'] }).connect(
        Factory.forProtocol(Collector),
      );
      await expect(d).rejects.toThrow(/IPv6/);
      return;
    }
    const port = await listen(new TCP6ServerEndpoint(reactor, 0, { interface: '::1' }));
    const lookups: string[] = [];
    const ep = new TCP6ClientEndpoint(reactor, 'v6.test', (port.getHost() as IPv6Address).port, {
      resolver: (name) => {
        lookups.push(name);
        return ['127.0.0.1', '::1'];
      },
    });
    const proto = await ep.connect<Collector>(Factory.forProtocol(Collector));
    expect(lookups).toEqual(['v6.test']);
    expect((proto.transport!.getPeer() as IPv6Address).host).toBe('::1');
    proto.transport!.loseConnection();
    await proto.closed;
  });
});
