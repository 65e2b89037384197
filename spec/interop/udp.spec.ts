/**
 * UDP interop with the real Twisted (Debian's python3-twisted): torsion's
 * DatagramProtocol against a Twisted UDP echo server (IPv4 and IPv6), and
 * a Twisted connected-UDP client against torsion's echo server.
 *
 * Without a Python that imports Twisted, a single test reports why.
 */
import type { IPv4Address, IPv6Address } from '../../src/address';
import { DatagramProtocol } from '../../src/protocol/protocol';
import { Reactor } from '../../src/reactor';
import { until } from '../udp/helpers';
import { Peer, findTwistedPython, pattern } from './harness';

const found = findTwistedPython();

class Collect extends DatagramProtocol {
  readonly got: { data: Buffer; addr: IPv4Address | IPv6Address }[] = [];
  refused = 0;
  override datagramReceived(data: Buffer, addr: IPv4Address | IPv6Address): void {
    this.got.push({ data, addr });
  }
  override connectionRefused(): void {
    this.refused++;
  }
}

class Echo extends DatagramProtocol {
  override datagramReceived(data: Buffer, addr: IPv4Address | IPv6Address): void {
    this.transport!.write(data, addr);
  }
}

if (found.python === null) {
  it('UDP interop with Twisted is skipped', () => {
    console.log(`UDP interop specs skipped: ${found.reason}`);
  });
} else {
  const python = found.python;
  describe(`UDP interop with Twisted ${found.version}`, () => {
    let reactor: Reactor;
    let done: Promise<void>;
    const peers: Peer[] = [];
    beforeEach(() => {
      reactor = new Reactor();
      done = reactor.run();
    });
    afterEach(async () => {
      for (const p of peers.splice(0)) await p.stop();
      if (reactor.running) reactor.stop();
      await done;
    });

    it('a Twisted UDP echo server returns torsion datagrams of 1 byte to 8 KiB intact, from the address torsion wrote to', async () => {
      const peer = new Peer(python, 'udp_echo.py');
      peers.push(peer);
      const twistedPort = await peer.port();
      const c = new Collect();
      const port = reactor.listenUDP(0, c, { interface: '127.0.0.1' });
      const sizes = [1, 64, 1400, 8192];
      for (const n of sizes) port.write(pattern(n), ['127.0.0.1', twistedPort]);
      await until(() => c.got.length === sizes.length, 'four echoes');
      expect(c.got.map((g) => g.data.length).sort((a, b) => a - b)).toEqual(sizes);
      for (const g of c.got) expect(g.data.equals(pattern(g.data.length))).toBe(true);
      expect(c.got[0]!.addr).toMatchObject({ type: 'UDP', host: '127.0.0.1', port: twistedPort });
      const seen = await peer.next('datagram', (e) => e.size === 8192);
      expect(seen.peer).toEqual(['127.0.0.1', port.getHost().port]);
    });

    it('over IPv6 (::1) too', async () => {
      const peer = new Peer(python, 'udp_echo.py', ['ipv6']);
      peers.push(peer);
      const twistedPort = await peer.port();
      const c = new Collect();
      const port = reactor.listenUDP(0, c, { interface: '::1' });
      port.write(Buffer.from('six'), ['::1', twistedPort]);
      await until(() => c.got.length === 1, 'the echo');
      expect(c.got[0]!.addr).toMatchObject({ type: 'UDP', host: '::1', port: twistedPort });
    });

    it('a connected torsion port writes to Twisted without an address, and gets connectionRefused once Twisted is gone', async () => {
      const peer = new Peer(python, 'udp_echo.py');
      peers.push(peer);
      const twistedPort = await peer.port();
      const c = new Collect();
      const port = reactor.listenUDP(0, c, { interface: '127.0.0.1' });
      port.connect('127.0.0.1', twistedPort);
      port.write(Buffer.from('connected'));
      await until(() => c.got.length === 1, 'the echo');
      await peer.stop();
      port.write(Buffer.from('gone?'));
      await until(() => c.refused > 0, 'connectionRefused');
      expect(port.connected).toBe(true);
    });

    it("Twisted's connected UDP client gets every echo from torsion's server, from the address it connected to", async () => {
      const port = reactor.listenUDP(0, new Echo(), { interface: '127.0.0.1' });
      const peer = new Peer(python, 'udp_client.py', [String(port.getHost().port), 'one', 'two', 'three']);
      peers.push(peer);
      await peer.next('done');
      const echoes = peer.events.filter((e) => e.event === 'echo');
      expect(echoes.map((e) => e.data).sort()).toEqual(['one', 'three', 'two']);
      for (const e of echoes) expect(e.peer).toEqual(['127.0.0.1', port.getHost().port]);
    });
  });
}
