/**
 * The server side: the Server transport (src/tcp/server.ts) on a
 * FakeSocket, and the Port's accept path up to the protocol (buildProtocol
 * returning null, throwing, or returning a Promise; a peer gone before it
 * is built; connections held back while the port is not reading), on a
 * fake listening handle in place of `net._createServerHandle`. No socket
 * is opened.
 */
import { IPv4Address, IPv6Address } from '../../../src/address';
import { Failure } from '../../../src/defer/failure';
import { ConnectionDone } from '../../../src/errors';
import type { IAddress } from '../../../src/interfaces/address';
import { captureLogEvents } from '../../../src/logger';
import { Factory } from '../../../src/protocol/factory';
import { Protocol } from '../../../src/protocol/protocol';
import { Port } from '../../../src/tcp/port';
import { Server } from '../../../src/tcp/server';
import {
  type NativeTCPClientHandle,
  type NativeTCPHandle,
  _setCreateServerHandle,
  _setNativeListen,
} from '../../../src/tcp/socket';
import { FakeTCPReactor } from '../harness';
import { FakeSocket } from './fake-socket';
import { Recorder, accepted, nextLoopPass } from './helpers';

beforeEach(nextLoopPass);

describe('Server', () => {
  it('is connected, reading (in the reader set) and tracked once created; connectionMade comes from makeConnection', () => {
    const reactor = new FakeTCPReactor();
    const socket = new FakeSocket();
    const protocol = new Recorder();
    const peer = new IPv4Address('TCP', '10.0.0.2', 5555);
    const t = new Server(socket, protocol, peer, null, 3, reactor);
    expect(protocol.log).toEqual([]);
    expect(t.connected).toBe(true);
    expect(t.protocol).toBe(protocol);
    expect(socket.owner).toBe(t);
    expect(socket.reading).toBe(true);
    expect(reactor.getReaders()).toEqual([t]);
    expect(reactor.tracked.has(t)).toBe(true);
    expect([t.getPeer(), t.client, t.sessionno, t.server]).toEqual([peer, peer, 3, null]);
    protocol.makeConnection(t);
    expect(protocol.log).toEqual(['connectionMade']);
  });

  it("names itself after the protocol (its logPrefix() if it has one), the session number and the peer's host", () => {
    class Named extends Protocol {
      override logPrefix(): string {
        return 'Named!';
      }
    }
    expect(accepted(new Recorder()).t.logPrefix()).toBe('Recorder,7,10.0.0.2');
    expect(accepted(new Named()).t.logPrefix()).toBe('Named!,7,10.0.0.2');
    expect(String(accepted(new Recorder()).t)).toBe('<Recorder #7 on ?>');
  });

  it('is forgotten by the reactor once lost', () => {
    const { reactor, t } = accepted(new Recorder());
    t.connectionLost(new Failure(new ConnectionDone()));
    expect(reactor.tracked.has(t)).toBe(false);
    expect(reactor.getReaders()).toEqual([]);
  });
});

/** A listening handle that accepts what the spec hands it. */
class FakeListenHandle implements NativeTCPHandle {
  onconnection: NativeTCPHandle['onconnection'] = null;
  closed = false;
  backlog = -1;
  constructor(
    readonly address: string,
    readonly port: number,
  ) {}
  bind(): number {
    return 0;
  }
  bind6(): number {
    return 0;
  }
  listen(backlog: number): number {
    this.backlog = backlog;
    return 0;
  }
  getsockname(out: { address?: string; port?: number; family?: string }): number {
    out.address = this.address;
    out.port = this.port === 0 ? 40000 : this.port;
    out.family = this.address.includes(':') ? 'IPv6' : 'IPv4';
    return 0;
  }
  close(cb?: () => void): void {
    this.closed = true;
    if (cb !== undefined) queueMicrotask(cb);
  }
  ref(): void {}
  unref(): void {}
  /** A peer connects. */
  accept(client: FakeClientHandle): void {
    this.onconnection?.call(this, 0, client);
  }
}

/** An accepted connection's handle. */
class FakeClientHandle implements NativeTCPClientHandle {
  closed = false;
  constructor(readonly peer: { address: string; port: number; family: string } | null) {}
  getpeername(out: { address?: string; port?: number; family?: string }): number {
    if (this.peer === null) return -107; // ENOTCONN: the peer is gone
    Object.assign(out, this.peer);
    return 0;
  }
  close(): void {
    this.closed = true;
  }
}

class RecordingFactory extends Factory<Protocol> {
  readonly addrs: IAddress[] = [];
  build: () => Protocol | null | Promise<Protocol> = () => null;
  override buildProtocol(addr: IAddress): Protocol | null {
    this.addrs.push(addr);
    return this.build() as Protocol | null;
  }
}

describe('Port accepting, up to the protocol', () => {
  let handles: FakeListenHandle[] = [];
  let previous: ReturnType<typeof _setCreateServerHandle>;
  beforeAll(() => {
    _setNativeListen(false);
    previous = _setCreateServerHandle((address, port) => {
      const h = new FakeListenHandle(address, port);
      handles.push(h);
      return h;
    });
  });
  afterAll(() => {
    _setCreateServerHandle(previous);
    _setNativeListen(true);
  });
  beforeEach(() => {
    handles = [];
  });

  function listen(iface = '127.0.0.1', backlog = 50) {
    const reactor = new FakeTCPReactor();
    const factory = new RecordingFactory();
    const port = new Port(0, factory, backlog, iface, reactor);
    port.startListening();
    return { reactor, factory, port, handle: handles[0] };
  }
  const peer4 = { address: '10.9.8.7', port: 6000, family: 'IPv4' };

  it('listens with the backlog, knows its port, and is a reader of its reactor', () => {
    const { reactor, port, handle } = listen('127.0.0.1', 7);
    expect(handle.backlog).toBe(7);
    expect(port.getHost()).toEqual(new IPv4Address('TCP', '127.0.0.1', 40000));
    expect(reactor.getReaders()).toEqual([port]);
  });

  it("asks buildProtocol with the peer's address; a null protocol closes the accepted handle, nothing else", () => {
    const { factory, port, handle } = listen();
    const client = new FakeClientHandle(peer4);
    handle.accept(client);
    expect(factory.addrs).toEqual([new IPv4Address('TCP', '10.9.8.7', 6000)]);
    expect(client.closed).toBe(true);
    expect(port.sessionno).toBe(0);
  });

  it('reports an IPv6 peer as an IPv6Address', () => {
    const { factory, handle } = listen('::1');
    handle.accept(new FakeClientHandle({ address: '::1', port: 6001, family: 'IPv6' }));
    expect(factory.addrs).toEqual([new IPv6Address('TCP', '::1', 6001)]);
  });

  it('a buildProtocol that throws is logged (naming the port) and the handle closed; the port accepts on', () => {
    const { factory, port, handle } = listen();
    factory.build = () => {
      throw new Error('build boom');
    };
    const [events, stop] = captureLogEvents();
    const first = new FakeClientHandle(peer4);
    handle.accept(first);
    stop();
    expect(first.closed).toBe(true);
    expect(events.map((e) => e.message).join('\n')).toMatch(/Unhandled error in buildProtocol of RecordingFactory/);
    expect(port.connected).toBe(true);
    factory.build = () => null;
    const second = new FakeClientHandle(peer4);
    handle.accept(second);
    expect(factory.addrs).toHaveLength(2);
  });

  it('a buildProtocol that returns a Promise is refused (it must return the protocol) and the handle closed', () => {
    const { factory, handle } = listen();
    factory.build = () => Promise.resolve(new Protocol());
    const [events, stop] = captureLogEvents();
    const client = new FakeClientHandle(peer4);
    handle.accept(client);
    stop();
    expect(client.closed).toBe(true);
    expect(events.map((e) => e.failure?.getErrorMessage() ?? '').join('\n')).toMatch(/buildProtocol returned a Promise/);
  });

  it('closes a connection whose peer is gone before buildProtocol, without asking the factory', () => {
    const { factory, handle } = listen();
    const client = new FakeClientHandle(null);
    handle.accept(client);
    expect(client.closed).toBe(true);
    expect(factory.addrs).toEqual([]);
  });

  it('holds connections back while out of the reader set (up to the backlog), and builds them once back in', () => {
    const { reactor, factory, port, handle } = listen('127.0.0.1', 2);
    port.stopReading();
    expect(reactor.getReaders()).toEqual([]);
    const held = [new FakeClientHandle(peer4), new FakeClientHandle(peer4)];
    const extra = new FakeClientHandle(peer4);
    for (const c of held) handle.accept(c);
    handle.accept(extra);
    expect(factory.addrs).toEqual([]);
    expect(held.map((c) => c.closed)).toEqual([false, false]);
    expect(extra.closed).toBe(true); // past the backlog
    port.startReading();
    expect(factory.addrs).toHaveLength(2);
    expect(held.map((c) => c.closed)).toEqual([true, true]); // the factory refused them (null)
  });

  it('closes held-back connections and its handle when it stops listening, and accepts nothing after', async () => {
    const { reactor, factory, port, handle } = listen();
    port.stopReading();
    const held = new FakeClientHandle(peer4);
    handle.accept(held);
    await port.stopListening();
    expect(handle.closed).toBe(true);
    expect(held.closed).toBe(true);
    expect(reactor.tracked.has(port)).toBe(false);
    const late = new FakeClientHandle(peer4);
    handle.accept(late);
    expect(late.closed).toBe(true);
    expect(factory.addrs).toEqual([]);
  });
});
