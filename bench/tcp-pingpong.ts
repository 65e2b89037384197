/**
 * W2: 64-byte ping-pong over 127.0.0.1 with 1 and with 100 connections.
 * Each connection keeps exactly one 64-byte message in flight: the client
 * sends, the server echoes, the client sends again when all 64 bytes are
 * back. Reports round trips/s (all connections together) and the p50/p99
 * latency of one round trip.
 *
 * Sizes: PINGPONG_SECONDS (per round, default 2), PINGPONG_ROUNDS (default 3),
 * PINGPONG_CONNS (comma list, default "1,100").
 *
 * Run: `npx tsx bench/tcp-pingpong.ts`
 * @internal
 */
import * as net from 'node:net';

import { Protocol } from '../src/protocol/protocol';
import { ClientFactory, Factory } from '../src/protocol/factory';
import type { Reactor } from '../src/reactor';
import {
  alternate,
  closeRaw,
  envInt,
  envNum,
  listenRaw,
  median,
  progress,
  report,
  withReactor,
  portOf,
  type Row,
  PingPongDriver,
  type PingPongResult,
} from './common';

const MSG = Buffer.alloc(64, 0x61);
const SIZE = MSG.length;

/** Plain node:net: an echo server and `conns` clients, as a Node developer writes them. */
async function rawRound(conns: number, seconds: number): Promise<PingPongResult> {
  const server = net.createServer((s) => {
    s.on('data', (d) => s.write(d));
  });
  const port = await listenRaw(server);
  const sockets: net.Socket[] = [];
  await Promise.all(
    Array.from(
      { length: conns },
      () =>
        new Promise<void>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1', () => resolve());
          s.once('error', reject);
          sockets.push(s);
        }),
    ),
  );
  const driver = new PingPongDriver(conns, (i) => sockets[i]!.write(MSG), SIZE);
  sockets.forEach((s, i) => s.on('data', (d: Buffer) => driver.onEcho(i, d.length)));
  const r = await driver.run(seconds);
  await Promise.all(sockets.map((s) => new Promise((res) => s.once('close', res).end())));
  await closeRaw(server);
  return r;
}

/** torsion: the same echo server and clients as Protocols on a fresh Reactor. */
class Echo extends Protocol {
  override dataReceived(data: Buffer): void {
    this.transport!.write(data);
  }
}

class PingClient extends Protocol {
  index = 0;
  driver: PingPongDriver | null = null;
  override dataReceived(data: Buffer): void {
    this.driver!.onEcho(this.index, data.length);
  }
}

async function torsionRound(conns: number, seconds: number): Promise<PingPongResult> {
  return withReactor(async (reactor: Reactor) => {
    const port = reactor.listenTCP(0, Factory.forProtocol(Echo), { interface: '127.0.0.1', backlog: 511 });
    const portNo = portOf(port);
    const clients: PingClient[] = [];
    await new Promise<void>((resolve) => {
      const cf = new (class extends ClientFactory<PingClient> {
        override buildProtocol(): PingClient {
          const p = new PingClient();
          p.factory = this;
          p.index = clients.length;
          clients.push(p);
          if (clients.length === conns) queueMicrotask(resolve);
          return p;
        }
      })();
      for (let i = 0; i < conns; i++) reactor.connectTCP('127.0.0.1', portNo, cf);
    });
    const driver = new PingPongDriver(conns, (i) => clients[i]!.transport!.write(MSG), SIZE);
    for (const c of clients) c.driver = driver;
    const r = await driver.run(seconds);
    for (const c of clients) c.transport!.loseConnection();
    await port.stopListening();
    return r;
  });
}

async function main(): Promise<void> {
  const seconds = envNum('PINGPONG_SECONDS', 2);
  const rounds = envInt('PINGPONG_ROUNDS', 3);
  const connsList = (process.env.PINGPONG_CONNS ?? '1,100').split(',').map((s) => Number(s.trim()));
  const rows: Row[] = [];
  for (const conns of connsList) {
    const res = await alternate(
      rounds,
      {
        raw: (warm) => rawRound(conns, warm ? seconds / 4 : seconds),
        torsion: (warm) => torsionRound(conns, warm ? seconds / 4 : seconds),
      },
      { onRound: (side, i, r) => progress(`${conns} conn round ${i} ${side}: ${Math.round(r.rate)} rt/s`) },
    );
    const pick = (side: 'raw' | 'torsion', k: keyof PingPongResult): number => median(res[side].map((r) => r[k]));
    const label = `W2 ping-pong 64 B, ${conns} conn`;
    rows.push(
      { name: label, unit: 'rt/s', raw: pick('raw', 'rate'), torsion: pick('torsion', 'rate'), better: 'higher', target: 1.25 },
      {
        name: `${label}, per CPU-s`,
        unit: 'rt/CPU-s',
        raw: pick('raw', 'cpuRate'),
        torsion: pick('torsion', 'cpuRate'),
        better: 'higher',
        target: 1.25,
      },
      { name: `${label} p50`, unit: 'µs', raw: pick('raw', 'p50'), torsion: pick('torsion', 'p50'), better: 'lower' },
      { name: `${label} p99`, unit: 'µs', raw: pick('raw', 'p99'), torsion: pick('torsion', 'p99'), better: 'lower' },
    );
  }
  report('tcp-pingpong', rows);
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
