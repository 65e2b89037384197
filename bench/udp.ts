/**
 * W6: 64-byte UDP datagram ping-pong over 127.0.0.1 with 1 and with 100
 * peers. Each peer keeps exactly one datagram in flight: it sends, the echo
 * server sends it back, the peer sends again when it is back. Reports round
 * trips/s (all peers together), round trips per CPU-second, and p50/p99.
 *
 * The raw side is what a Node developer writes with node:dgram:
 * `server.on('message', (m, r) => server.send(m, r.port, r.address))`.
 * The torsion side is a DatagramProtocol echo
 * (`this.transport.write(data, addr)`) and DatagramProtocol peers writing
 * to a `[host, port]` pair. A datagram lost on the way (UDP may drop) only
 * idles its peer for the rest of the round; the round ends on its timer.
 *
 * Sizes: UDP_SECONDS (per round, default 2), UDP_ROUNDS (default 3),
 * UDP_PEERS (comma list, default "1,100").
 *
 * Run: `npx tsx bench/udp.ts`
 * @internal
 */
import * as dgram from 'node:dgram';

import type { IPv4Address, IPv6Address } from '../src/address';
import { DatagramProtocol } from '../src/protocol/protocol';
import type { Reactor } from '../src/reactor';
import { Samples, alternate, cpuSeconds, envInt, envNum, median, nowMs, progress, report, type Row, withReactor } from './common';

const MSG = Buffer.alloc(64, 0x61);

interface Result {
  rate: number;
  cpuRate: number;
  p50: number;
  p99: number;
}

/** The shared driver: peer i sends with send(i); each echo calls onEcho(i). */
class Driver {
  readonly samples = new Samples();
  trips = 0;
  running = true;
  #sentAt: Float64Array;
  #send: (i: number) => void;
  constructor(peers: number, send: (i: number) => void) {
    this.#sentAt = new Float64Array(peers);
    this.#send = send;
  }
  onEcho(i: number): void {
    if (!this.running) return;
    const t = nowMs();
    this.trips++;
    this.samples.add(t - this.#sentAt[i]!);
    this.#sentAt[i] = t;
    this.#send(i);
  }
  run(seconds: number): Promise<Result> {
    return new Promise((resolve) => {
      const t0 = nowMs();
      const c0 = cpuSeconds();
      setTimeout(() => {
        const elapsed = (nowMs() - t0) / 1000;
        const cpu = cpuSeconds() - c0;
        this.running = false;
        const result: Result = {
          rate: this.trips / elapsed,
          cpuRate: this.trips / cpu,
          p50: this.samples.percentile(50) * 1000,
          p99: this.samples.percentile(99) * 1000,
        };
        // Let the datagrams still in flight land before the sockets close.
        setTimeout(() => resolve(result), 20);
      }, seconds * 1000);
      for (let i = 0; i < this.#sentAt.length; i++) {
        this.#sentAt[i] = nowMs();
        this.#send(i);
      }
    });
  }
}

function bindRaw(sock: dgram.Socket): Promise<number> {
  return new Promise((resolve) => sock.bind(0, '127.0.0.1', () => resolve(sock.address().port)));
}

/** Plain node:dgram: an echo server and `peers` client sockets. */
async function rawRound(peers: number, seconds: number): Promise<Result> {
  const server = dgram.createSocket('udp4');
  server.on('message', (m, r) => server.send(m, r.port, r.address));
  const port = await bindRaw(server);
  const clients: dgram.Socket[] = [];
  for (let i = 0; i < peers; i++) {
    const c = dgram.createSocket('udp4');
    await bindRaw(c);
    clients.push(c);
  }
  const driver = new Driver(peers, (i) => clients[i]!.send(MSG, port, '127.0.0.1'));
  clients.forEach((c, i) => c.on('message', () => driver.onEcho(i)));
  const r = await driver.run(seconds);
  await Promise.all([server, ...clients].map((s) => new Promise<void>((res) => s.close(() => res()))));
  return r;
}

class Echo extends DatagramProtocol {
  override datagramReceived(data: Buffer, addr: IPv4Address | IPv6Address): void {
    this.transport!.write(data, addr);
  }
}

class PingPeer extends DatagramProtocol {
  constructor(
    readonly index: number,
    readonly driver: { onEcho(i: number): void },
  ) {
    super();
  }
  override datagramReceived(): void {
    this.driver.onEcho(this.index);
  }
}

async function torsionRound(peers: number, seconds: number): Promise<Result> {
  return withReactor(async (reactor: Reactor) => {
    const server = reactor.listenUDP(0, new Echo(), { interface: '127.0.0.1' });
    const to: [string, number] = ['127.0.0.1', server.getHost().port];
    const ports: ReturnType<Reactor['listenUDP']>[] = [];
    const driver = new Driver(peers, (i) => ports[i]!.write(MSG, to));
    for (let i = 0; i < peers; i++) ports.push(reactor.listenUDP(0, new PingPeer(i, driver), { interface: '127.0.0.1' }));
    const r = await driver.run(seconds);
    for (const p of [server, ...ports]) await p.stopListening();
    return r;
  });
}

async function main(): Promise<void> {
  const seconds = envNum('UDP_SECONDS', 2);
  const rounds = envInt('UDP_ROUNDS', 3);
  const peersList = (process.env.UDP_PEERS ?? '1,100').split(',').map((s) => Number(s.trim()));
  const rows: Row[] = [];
  for (const peers of peersList) {
    const res = await alternate(
      rounds,
      {
        raw: (warm) => rawRound(peers, warm ? seconds / 4 : seconds),
        torsion: (warm) => torsionRound(peers, warm ? seconds / 4 : seconds),
      },
      { onRound: (side, i, r) => progress(`${peers} peer round ${i} ${side}: ${Math.round(r.rate)} rt/s`) },
    );
    const pick = (side: 'raw' | 'torsion', k: keyof Result): number => median(res[side].map((r) => r[k]));
    const label = `W6 UDP ping-pong 64 B, ${peers} peer${peers === 1 ? '' : 's'}`;
    rows.push(
      { name: label, unit: 'rt/s', raw: pick('raw', 'rate'), torsion: pick('torsion', 'rate'), better: 'higher', target: 1.2 },
      {
        name: `${label}, per CPU-s`,
        unit: 'rt/CPU-s',
        raw: pick('raw', 'cpuRate'),
        torsion: pick('torsion', 'cpuRate'),
        better: 'higher',
        target: 1.2,
      },
      { name: `${label} p50`, unit: 'µs', raw: pick('raw', 'p50'), torsion: pick('torsion', 'p50'), better: 'lower' },
      { name: `${label} p99`, unit: 'µs', raw: pick('raw', 'p99'), torsion: pick('torsion', 'p99'), better: 'lower' },
    );
  }
  report('udp', rows);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
