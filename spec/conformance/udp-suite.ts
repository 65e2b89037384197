/**
 * The UDP port behaviour suite, run against the real reactor and against
 * MemoryReactor's FakeDatagramTransport, so the fake cannot drift from the
 * real port (same callbacks, same errors for the same bad inputs).
 * Helper module, not a spec.
 */
import { IPv4Address, IPv6Address } from '../../src/address';
import { FeatureUnavailableError, InvalidAddressError, MessageLengthError, RuntimeError } from '../../src/errors';
import { DatagramRecorder, type UDPHarness } from './udp-harness';
import { dgramHasReusePort } from '../../src/udp/check';

/** Register the UDP behaviour suite for one implementation. */
export function udpConformance(name: string, makeHarness: () => Promise<UDPHarness>): void {
  describe(`${name}: UDP port behaviour`, () => {
    let h: UDPHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.teardown();
    });

    it('listenUDP attaches the port as transport and runs startProtocol once, inside the call', () => {
      const p = new DatagramRecorder();
      const port = h.listenUDP(p);
      expect(p.transport).toBe(port);
      expect(p.numPorts).toBe(1);
      expect(p.events).toEqual(['startProtocol']);
      expect(port.getHost().type).toBe('UDP');
      expect(port.getHost()).toBeInstanceOf(IPv4Address);
      expect(port.maxPacketSize).toBe(8192);
    });

    it('an echo protocol sends each datagram back to its sender, who is reported as an IPv4Address', async () => {
      const p = new DatagramRecorder();
      p.echo = true;
      const port = h.listenUDP(p);
      await h.deliver(port, p, Buffer.from('one'));
      await h.deliver(port, p, Buffer.from('two'));
      expect(p.datagrams.map((d) => d.data.toString())).toEqual(['one', 'two']);
      expect(p.datagrams[0]!.addr.equals(await h.peer())).toBe(true);
      expect((await h.peerGot(port, 2)).map(String)).toEqual(['one', 'two']);
    });

    it('write accepts a [host, port] pair and an address object alike, and writeSequence sends one joined datagram', async () => {
      const p = new DatagramRecorder();
      const port = h.listenUDP(p);
      const peer = await h.peer();
      port.write(Buffer.from('pair'), [peer.host, peer.port]);
      port.write(new Uint8Array([0x6f, 0x62, 0x6a]), peer);
      port.writeSequence([Buffer.from('se'), Buffer.from('q')], peer);
      expect((await h.peerGot(port, 3)).map(String)).toEqual(['pair', 'obj', 'seq']);
    });

    it('write refuses bad input at the call, with typed errors, and the port still works', async () => {
      const p = new DatagramRecorder();
      p.echo = true;
      const port = h.listenUDP(p);
      const peer = await h.peer();
      expect(() => port.write('text' as unknown as Buffer, peer)).toThrow(TypeError);
      expect(() => port.write('text' as unknown as Buffer, peer)).toThrow(/encode/);
      expect(() => port.write(Buffer.from('x'))).toThrow(TypeError);
      expect(() => port.write(Buffer.from('x'), ['localhost', 9])).toThrow(InvalidAddressError);
      expect(() => port.write(Buffer.from('x'), ['::1', 9])).toThrow(InvalidAddressError);
      expect(() => port.write(Buffer.from('x'), new IPv6Address('UDP', '::1', 9))).toThrow(InvalidAddressError);
      expect(() => port.write(Buffer.from('x'), ['127.0.0.1', 70000])).toThrow(RangeError);
      expect(() => port.write(Buffer.from('x'), ['127.0.0.1'] as unknown as [string, number])).toThrow(TypeError);
      let err: unknown;
      try {
        port.write(Buffer.alloc(65_508), peer);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MessageLengthError);
      expect(err).toMatchObject({ code: 'ERR_MESSAGE_LENGTH', size: 65_508, limit: 65_507 });
      expect(() => port.writeSequence([Buffer.alloc(65_000), Buffer.alloc(1000)], peer)).toThrow(MessageLengthError);
      expect(() => port.setBroadcastAllowed(1 as unknown as boolean)).toThrow(TypeError);
      await h.deliver(port, p, Buffer.from('still here'));
      expect((await h.peerGot(port, 1)).map(String)).toEqual(['still here']);
    });

    it('a connected port writes without an address, refuses another address and a second connect', async () => {
      const p = new DatagramRecorder();
      const port = h.listenUDP(p);
      const peer = await h.peer();
      expect(() => port.connect('localhost', peer.port)).toThrow(InvalidAddressError);
      port.connect(peer.host, peer.port);
      port.write(Buffer.from('a'));
      port.write(Buffer.from('b'), [peer.host, peer.port]);
      expect(() => port.write(Buffer.from('c'), [peer.host, peer.port + 1])).toThrow(RangeError);
      expect(() => port.connect(peer.host, peer.port)).toThrow(RuntimeError);
      expect(() => port.connect(peer.host, peer.port)).toThrow(/already connected, reconnecting is not currently supported/);
      expect((await h.peerGot(port, 2)).map(String)).toEqual(['a', 'b']);
    });

    it('stopListening runs stopProtocol once and fires; again, it returns a fired Deferred', async () => {
      const p = new DatagramRecorder();
      const port = h.listenUDP(p);
      await port.stopListening();
      expect(p.events).toEqual(['startProtocol', 'stopProtocol']);
      expect(p.transport).toBe(null);
      const again = port.stopListening();
      expect(again.called).toBe(true);
      expect(p.events).toEqual(['startProtocol', 'stopProtocol']);
    });

    it('startProtocol/stopProtocol are counted over ports like doStart/doStop', async () => {
      const p = new DatagramRecorder();
      const a = h.listenUDP(p);
      p.transport = null; // as Twisted: attaching again needs the transport cleared
      const b = h.listenUDP(p);
      expect(p.numPorts).toBe(2);
      expect(p.events).toEqual(['startProtocol']);
      await a.stopListening();
      expect(p.events).toEqual(['startProtocol']);
      await b.stopListening();
      expect(p.events).toEqual(['startProtocol', 'stopProtocol']);
    });

    it('listenUDP refuses bad arguments with typed errors', () => {
      const p = new DatagramRecorder();
      expect(() => h.listenUDP(p, { interface: 'localhost' })).toThrow(InvalidAddressError);
      expect(() => h.listenUDP(p, { interface: 7 as unknown as string })).toThrow(TypeError);
      expect(() => h.listenUDP(p, { interface: '127.0.0.1', maxPacketSize: 0 })).toThrow(RangeError);
      expect(() => h.listenUDP(p, { interface: '127.0.0.1', maxPacketSize: '9' as unknown as number })).toThrow(TypeError);
      // Node 20 has no SO_REUSEPORT for dgram: refused, never ignored (22.12+ and 24 have it).
      if (!dgramHasReusePort()) {
        expect(() => h.listenUDP(p, { interface: '127.0.0.1', reusePort: true })).toThrow(FeatureUnavailableError);
      }
      expect(() => h.listenUDP({} as DatagramRecorder)).toThrow(TypeError);
      expect(p.events).toEqual([]);
      h.listenUDP(p);
      expect(() => h.listenUDP(p)).toThrow(RuntimeError);
      expect(p.events).toEqual(['startProtocol']);
    });

    it('multicast settings report their defaults and the last value set; bad ones throw', () => {
      const port = h.listenMulticast(new DatagramRecorder(), { interface: '127.0.0.1', listenMultiple: true });
      expect([port.getTTL(), port.getLoopbackMode(), port.getOutgoingInterface(), port.getBroadcastAllowed()]).toEqual([
        1,
        true,
        '',
        false,
      ]);
      port.setTTL(4);
      port.setLoopbackMode(false);
      port.setBroadcastAllowed(true);
      expect([port.getTTL(), port.getLoopbackMode(), port.getBroadcastAllowed()]).toEqual([4, false, true]);
      expect(() => port.setTTL(256)).toThrow(RangeError);
      expect(() => port.setTTL(-1)).toThrow(RangeError);
      expect(() => port.setTTL('1' as unknown as number)).toThrow(TypeError);
      expect(() => port.setLoopbackMode(1 as unknown as boolean)).toThrow(TypeError);
      expect(port.getTTL()).toBe(4);
    });

    it('joinGroup and setOutgoingInterface fire for literals', async () => {
      const port = h.listenMulticast(new DatagramRecorder(), { interface: '', listenMultiple: true });
      await port.joinGroup('225.0.0.250', '127.0.0.1');
      await port.setOutgoingInterface('127.0.0.1');
      expect(port.getOutgoingInterface()).toBe('127.0.0.1');
      await port.leaveGroup('225.0.0.250', '127.0.0.1');
    });
  });
}
