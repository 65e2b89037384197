import { IPv4Address, IPv6Address } from '../../src/address';
import { InvalidAddressError, RuntimeError } from '../../src/errors';
import { FakeDatagramTransport, MemoryReactor } from '../../src/testing';
import { DatagramRecorder } from './helpers';

describe('MemoryReactor.listenUDP / listenMulticast and FakeDatagramTransport', () => {
  it('records each call in udpPorts, with listenMultiple only for listenMulticast, and attaches the transport', () => {
    const reactor = new MemoryReactor();
    const a = new DatagramRecorder();
    const b = new DatagramRecorder();
    const ta = reactor.listenUDP(9999, a, { interface: '10.0.0.1', maxPacketSize: 512 });
    const tb = reactor.listenMulticast(8005, b, { listenMultiple: true });
    expect(reactor.udpPorts).toEqual([
      { port: 9999, protocol: a, interface: '10.0.0.1', maxPacketSize: 512, transport: ta },
      { port: 8005, protocol: b, interface: '', maxPacketSize: 8192, listenMultiple: true, transport: tb },
    ]);
    expect(ta).toBeInstanceOf(FakeDatagramTransport);
    expect(a.transport).toBe(ta);
    expect(a.events).toEqual(['startProtocol']);
    expect(ta.getHost()).toEqual(new IPv4Address('UDP', '10.0.0.1', 9999));
    expect(ta.maxPacketSize).toBe(512);
  });

  it('an IPv6 interface makes an IPv6 fake port that refuses IPv4 destinations', () => {
    const reactor = new MemoryReactor();
    const t = reactor.listenUDP(53, new DatagramRecorder(), { interface: '::' });
    expect(t.getHost()).toEqual(new IPv6Address('UDP', '::', 53));
    expect(() => t.write(Buffer.from('x'), ['10.0.0.1', 53])).toThrow(InvalidAddressError);
    t.write(Buffer.from('x'), ['::1', 53]);
    expect(t.written).toEqual([{ data: Buffer.from('x'), addr: new IPv6Address('UDP', '::1', 53) }]);
  });

  it('records writes with their address (null for a connected write without one), joins, TTL and stop', async () => {
    const p = new DatagramRecorder();
    const t = new FakeDatagramTransport({ protocol: p });
    p.makeConnection(t);
    const peer = new IPv4Address('UDP', '10.0.0.2', 7);
    p.echo = true;
    p.datagramReceived(Buffer.from('ping'), peer);
    t.writeSequence([Buffer.from('a'), Buffer.from('b')], ['10.0.0.3', 8]);
    expect(t.written).toEqual([
      { data: Buffer.from('ping'), addr: peer },
      { data: Buffer.from('ab'), addr: new IPv4Address('UDP', '10.0.0.3', 8) },
    ]);
    t.connect('10.0.0.2', 7);
    expect(t.connected).toEqual(peer);
    t.write(Buffer.from('c'));
    expect(t.written[2]).toEqual({ data: Buffer.from('c'), addr: null });
    expect(() => t.connect('10.0.0.2', 7)).toThrow(RuntimeError);
    await t.joinGroup('228.0.0.5');
    await t.joinGroup('228.0.0.6', 'eth0');
    await t.leaveGroup('228.0.0.5');
    expect(t.groups).toEqual([{ group: '228.0.0.6', interface: 'eth0' }]);
    t.setTTL(3);
    t.setLoopbackMode(false);
    t.setBroadcastAllowed(true);
    expect([t.ttl, t.loopback, t.broadcastAllowed]).toEqual([3, false, true]);
    const d = t.stopListening();
    expect(d.called).toBe(true);
    expect(t.stopped).toBe(true);
    expect(p.events).toEqual(['startProtocol', 'stopProtocol']);
    t.stopListening();
    expect(p.events).toEqual(['startProtocol', 'stopProtocol']);
  });

  it('refuses a protocol already attached, as the real reactor does', () => {
    const reactor = new MemoryReactor();
    const p = new DatagramRecorder();
    reactor.listenUDP(1, p);
    expect(() => reactor.listenUDP(2, p)).toThrow(RuntimeError);
    expect(reactor.udpPorts).toHaveLength(1);
  });
});
