/**
 * Port: synchronous bind, getHost, factory start/stop counting and
 * stopListening, on real sockets (127.0.0.1) without running a reactor.
 * The public fallback (net._createServerHandle, used when Node's private
 * bindings are off) is exercised too.
 */
import { IPv4Address, IPv6Address } from '../../src/address';
import { Failure } from '../../src/defer/failure';
import { CannotListenError } from '../../src/errors';
import { Factory, Protocol } from '../../src/protocol';
import { Reactor } from '../../src/reactor';
import { Port, listenTCP } from '../../src/tcp';
import { _setCreateServerHandle, _setNativeListen, nativeListenAvailable } from '../../src/tcp/socket';
import { within } from './harness';

class CountingFactory extends Factory {
  starts = 0;
  stops = 0;
  constructor() {
    super();
    this.protocol = Protocol;
  }
  override startFactory(): void {
    this.starts += 1;
  }
  override stopFactory(): void {
    this.stops += 1;
  }
}

describe('Port', () => {
  const ports: Port[] = [];
  let reactor: Reactor;
  const listen = (port: number, factory: Factory, options = {}): Port => {
    const p = listenTCP(reactor, port, factory, { interface: '127.0.0.1', ...options });
    ports.push(p);
    return p;
  };
  beforeEach(() => {
    reactor = new Reactor();
  });
  afterEach(async () => {
    for (const p of ports.splice(0)) await p.stopListening();
  });

  it('uses the synchronous private bind on this Node, unless TORSION_NO_BINDINGS is set', () => {
    expect(nativeListenAvailable()).toBe(process.env.TORSION_NO_BINDINGS === undefined);
  });

  it('reports the real port of port 0 in getHost(), synchronously', () => {
    const p = listen(0, new CountingFactory());
    const host = p.getHost();
    expect(host).toBeInstanceOf(IPv4Address);
    expect(host.type).toBe('TCP');
    expect(host.host).toBe('127.0.0.1');
    expect(host.port).toBeGreaterThan(0);
    expect(p.fileno()).toBeGreaterThan(2);
  });

  it("binds all IPv4 interfaces for interface ''", () => {
    const p = listen(0, new CountingFactory(), { interface: '' });
    expect(p.getHost()).toEqual(new IPv4Address('TCP', '0.0.0.0', p.getHost().port));
  });

  it('binds an IPv6 interface and reports an IPv6Address', () => {
    let p: Port;
    try {
      p = listen(0, new CountingFactory(), { interface: '::1' });
    } catch (err) {
      // No IPv6 loopback in this environment: nothing to check.
      expect(err).toBeInstanceOf(CannotListenError);
      return;
    }
    expect(p.getHost()).toBeInstanceOf(IPv6Address);
    expect(p.getHost().host).toBe('::1');
  });

  it('throws CannotListenError synchronously for a port in use, with the system error as cause', () => {
    const first = listen(0, new CountingFactory());
    const f = new CountingFactory();
    let error: unknown;
    try {
      listen(first.getHost().port, f);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CannotListenError);
    const e = error as CannotListenError;
    expect(e.port).toBe(first.getHost().port);
    expect(e.interface).toBe('127.0.0.1');
    expect((e.cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    expect(e.message).toMatch(/EADDRINUSE/);
    expect(f.starts).toBe(0);
  });

  it('throws CannotListenError for an interface that is not an IP literal', () => {
    expect(() => listen(0, new CountingFactory(), { interface: 'example.test' })).toThrow(CannotListenError);
  });

  it('counts doStart/doStop across ports: startFactory on the first, stopFactory after the last', async () => {
    const f = new CountingFactory();
    const a = listen(0, f);
    const b = listen(0, f);
    expect([f.starts, f.numPorts]).toEqual([1, 2]);
    await a.stopListening();
    expect([f.starts, f.stops, f.numPorts]).toEqual([1, 0, 1]);
    await b.stopListening();
    expect([f.stops, f.numPorts]).toEqual([1, 0]);
  });

  it('fires stopListening() after the socket is closed and doStop ran; the port can be bound again', async () => {
    const f = new CountingFactory();
    const p = listen(0, f);
    const port = p.getHost().port;
    let stopsWhenFired = -1;
    const d = p.stopListening().addCallback(() => {
      stopsWhenFired = f.stops;
    });
    expect(p.disconnecting).toBe(true);
    await within(d);
    expect(stopsWhenFired).toBe(1);
    expect(p.connected).toBe(false);
    expect(p.disconnecting).toBe(false);
    const again = listen(port, new CountingFactory());
    expect(again.getHost().port).toBe(port);
  });

  it('can listen again after stopListening()', async () => {
    const f = new CountingFactory();
    const p = listen(0, f);
    await p.stopListening();
    p.startListening();
    expect(p.connected).toBe(true);
    expect([f.starts, f.numPorts]).toEqual([2, 1]);
    await within(p.stopListening());
    expect([f.stops, f.numPorts]).toEqual([2, 0]);
  });

  it('fires at once when stopListening() is called on a port that is not listening', async () => {
    const p = listen(0, new CountingFactory());
    await p.stopListening();
    const d = p.stopListening();
    expect(d.called).toBe(true);
  });

  it('is a reader and a tracked connection of its reactor while listening', async () => {
    const p = listen(0, new CountingFactory());
    expect(reactor.getReaders()).toContain(p);
    await p.stopListening();
    expect(reactor.getReaders()).not.toContain(p);
  });

  it('closes on connectionLost (reactor shutdown) exactly once', () => {
    const f = new CountingFactory();
    const p = listen(0, f);
    p.connectionLost(new Failure(new Error('shutdown')));
    p.connectionLost(new Failure(new Error('again')));
    expect([f.starts, f.stops, p.connected]).toEqual([1, 1, false]);
  });
});

describe('Port without the private binding (the public fallback: net._createServerHandle)', () => {
  let reactor: Reactor;
  const ports: Port[] = [];
  beforeEach(() => {
    reactor = new Reactor();
    _setNativeListen(false);
  });
  afterEach(async () => {
    _setNativeListen(true);
    for (const p of ports.splice(0)) await p.stopListening();
  });

  it('knows the real port of port 0 right after listenTCP, and the port is bound', () => {
    const f = new CountingFactory();
    const p = listenTCP(reactor, 0, f, { interface: '127.0.0.1' });
    ports.push(p);
    expect(nativeListenAvailable()).toBe(false);
    expect(f.starts).toBe(1);
    expect(p.getHost().port).toBeGreaterThan(0);
    expect(p.fileno()).toBeGreaterThan(2);
    // Bound for real: the same port cannot be listened on again.
    expect(() => listenTCP(reactor, p.getHost().port, new CountingFactory(), { interface: '127.0.0.1' })).toThrow(
      CannotListenError,
    );
  });

  it('throws CannotListenError synchronously for a port in use, without starting the factory', async () => {
    _setNativeListen(true);
    const taken = listenTCP(reactor, 0, new CountingFactory(), { interface: '127.0.0.1' });
    ports.push(taken);
    _setNativeListen(false);
    const f = new CountingFactory();
    let caught: unknown;
    try {
      listenTCP(reactor, taken.getHost().port, f, { interface: '127.0.0.1' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CannotListenError);
    expect(((caught as Error).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    expect([f.starts, f.stops]).toEqual([0, 0]);
  });

  it('binds IPv6 literals too', () => {
    let p: Port;
    try {
      p = listenTCP(reactor, 0, new CountingFactory(), { interface: '::1' });
    } catch (err) {
      // (A machine without ::1 cannot run this one.)
      if (((err as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRNOTAVAIL') return;
      throw err;
    }
    ports.push(p);
    expect(p.getHost()).toBeInstanceOf(IPv6Address);
    expect(p.getHost().port).toBeGreaterThan(0);
  });

  it('fails clearly where Node offers no synchronous bind at all', () => {
    const prev = _setCreateServerHandle(null);
    try {
      let caught: unknown;
      try {
        listenTCP(reactor, 0, new CountingFactory(), { interface: '127.0.0.1' });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(CannotListenError);
      expect(((caught as Error).cause as NodeJS.ErrnoException).code).toBe('ERR_TORSION_NO_SYNC_BIND');
    } finally {
      _setCreateServerHandle(prev);
    }
  });
});
