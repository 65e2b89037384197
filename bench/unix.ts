/**
 * W8: 64-byte ping-pong over a UNIX socket, with 1 and with 100
 * connections, torsion (listenUNIX/connectUNIX) against plain node:net
 * (`net.createServer().listen(path)`, `net.connect(path)`) on the same
 * kind of path in a temp directory. Each connection keeps exactly one
 * 64-byte message in flight. Reports round trips/s, round trips per
 * CPU-second and the p50/p99 latency of one round trip.
 *
 * Sizes: UNIX_SECONDS (per round, default 2), UNIX_ROUNDS (default 3),
 * UNIX_CONNS (comma list, default "1,100").
 *
 * Run: `npx tsx bench/unix.ts`
 * @internal
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { ClientFactory, Factory } from '../src/protocol/factory';
import { Protocol } from '../src/protocol/protocol';
import type { Reactor } from '../src/reactor';
import {
  alternate,
  envInt,
  envNum,
  median,
  progress,
  report,
  withReactor,
  type Row,
  PingPongDriver,
  type PingPongResult,
} from './common';

const MSG = Buffer.alloc(64, 0x61);
const SIZE = MSG.length;

let dir = '';
let seq = 0;
const nextPath = (): string => path.join(dir, `b${seq++}.sock`);

/** Plain node:net on a UNIX socket path, as a Node developer writes it. */
async function rawRound(conns: number, seconds: number): Promise<PingPongResult> {
  const file = nextPath();
  const server = net.createServer((s) => {
    s.on('data', (d) => s.write(d));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: file, backlog: 511 }, () => resolve());
  });
  const sockets: net.Socket[] = [];
  await Promise.all(
    Array.from(
      { length: conns },
      () =>
        new Promise<void>((resolve, reject) => {
          const s = net.connect(file, () => resolve());
          s.once('error', reject);
          sockets.push(s);
        }),
    ),
  );
  const driver = new PingPongDriver(conns, (i) => sockets[i]!.write(MSG), SIZE);
  sockets.forEach((s, i) => s.on('data', (d: Buffer) => driver.onEcho(i, d.length)));
  const r = await driver.run(seconds);
  await Promise.all(sockets.map((s) => new Promise((res) => s.once('close', res).end())));
  await new Promise((resolve) => server.close(resolve));
  return r;
}

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

/** torsion: the same echo server and clients as Protocols on a fresh Reactor. */
async function torsionRound(conns: number, seconds: number): Promise<PingPongResult> {
  return withReactor(async (reactor: Reactor) => {
    const file = nextPath();
    const port = reactor.listenUNIX(file, Factory.forProtocol(Echo), { backlog: 511 });
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
      for (let i = 0; i < conns; i++) reactor.connectUNIX(file, cf);
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
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torsion-bench-unix-'));
  const seconds = envNum('UNIX_SECONDS', 2);
  const rounds = envInt('UNIX_ROUNDS', 3);
  const connsList = (process.env.UNIX_CONNS ?? '1,100').split(',').map((s) => Number(s.trim()));
  const rows: Row[] = [];
  try {
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
      const label = `W8 UNIX ping-pong 64 B, ${conns} conn`;
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
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  report('unix', rows);
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
