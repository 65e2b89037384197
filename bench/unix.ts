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
import { Samples, alternate, cpuSeconds, envInt, envNum, median, nowMs, progress, report, withReactor, type Row } from './common';

const MSG = Buffer.alloc(64, 0x61);
const SIZE = MSG.length;

interface Result {
  rate: number;
  cpuRate: number;
  p50: number;
  p99: number;
}

/** One message in flight per connection; counts round trips until the deadline. */
class Driver {
  readonly samples = new Samples();
  trips = 0;
  running = true;
  readonly #sentAt: Float64Array;
  readonly #got: Int32Array;
  readonly #send: (i: number) => void;
  #idle = 0;
  #whenIdle: (() => void) | null = null;
  constructor(conns: number, send: (i: number) => void) {
    this.#sentAt = new Float64Array(conns);
    this.#got = new Int32Array(conns);
    this.#send = send;
  }
  onEcho(i: number, n: number): void {
    let got = this.#got[i]! + n;
    while (got >= SIZE) {
      got -= SIZE;
      const t = nowMs();
      if (this.running) {
        this.trips++;
        this.samples.add(t - this.#sentAt[i]!);
        this.#sentAt[i] = t;
        this.#send(i);
      } else {
        this.#idle++;
        if (this.#idle === this.#sentAt.length) this.#whenIdle?.();
      }
    }
    this.#got[i] = got;
  }
  run(seconds: number): Promise<Result> {
    return new Promise((resolve) => {
      const t0 = nowMs();
      const c0 = cpuSeconds();
      let result: Result;
      this.#whenIdle = () => resolve(result);
      setTimeout(() => {
        const elapsed = (nowMs() - t0) / 1000;
        this.running = false;
        result = {
          rate: this.trips / elapsed,
          cpuRate: this.trips / (cpuSeconds() - c0),
          p50: this.samples.percentile(50) * 1000,
          p99: this.samples.percentile(99) * 1000,
        };
      }, seconds * 1000);
      for (let i = 0; i < this.#sentAt.length; i++) {
        this.#sentAt[i] = nowMs();
        this.#send(i);
      }
    });
  }
}

let dir = '';
let seq = 0;
const nextPath = (): string => path.join(dir, `b${seq++}.sock`);

/** Plain node:net on a UNIX socket path, as a Node developer writes it. */
async function rawRound(conns: number, seconds: number): Promise<Result> {
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
  const driver = new Driver(conns, (i) => sockets[i]!.write(MSG));
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
  driver: Driver | null = null;
  override dataReceived(data: Buffer): void {
    this.driver!.onEcho(this.index, data.length);
  }
}

/** torsion: the same echo server and clients as Protocols on a fresh Reactor. */
async function torsionRound(conns: number, seconds: number): Promise<Result> {
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
    const driver = new Driver(conns, (i) => clients[i]!.transport!.write(MSG));
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
      const pick = (side: 'raw' | 'torsion', k: keyof Result): number => median(res[side].map((r) => r[k]));
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
