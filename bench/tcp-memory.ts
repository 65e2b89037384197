/**
 * W5: memory per idle connection. Opens 5,000 connections over 127.0.0.1
 * (50 at a time, both ends in this process), lets them sit idle, collects
 * garbage, and divides the growth by the number of connections. A
 * "connection" is therefore both of its ends: the client socket and the
 * accepted one. Reports heap+external (the number the target applies to)
 * and RSS (informational: the allocator does not always return memory, so
 * RSS deltas are noisy).
 *
 * Each measurement runs in a child process of this script started with
 * --expose-gc (raw and torsion alternating), so `npx tsx bench/tcp-memory.ts`
 * just works. Sizes: MEMORY_CONNS (default 5000), MEMORY_ROUNDS (default 3).
 * @internal
 */
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';

import { ClientFactory } from '../src/protocol/factory';
import { Protocol } from '../src/protocol/protocol';
import type { Reactor } from '../src/reactor';
import {
  alternate,
  closeRaw,
  envInt,
  fullGc,
  listenRaw,
  median,
  memSnapshot,
  progress,
  report,
  withReactor,
  portOf,
  type MemSnapshot,
  type Row,
  type Side,
} from './common';

const CONCURRENCY = 50;

/** Bytes per connection: heap+external and RSS. */
interface Result {
  heapExt: number;
  heap: number;
  rss: number;
}

function perConn(before: MemSnapshot, after: MemSnapshot, n: number): Result {
  return {
    heapExt: (after.heap + after.external - before.heap - before.external) / n,
    heap: (after.heap - before.heap) / n,
    rss: (after.rss - before.rss) / n,
  };
}

/** Resolves when `count` reaches `target` (checked by whoever bumps it). */
class Gate {
  count = 0;
  #resolve: () => void = () => {};
  readonly reached: Promise<void>;
  constructor(readonly target: number) {
    this.reached = new Promise((r) => (this.#resolve = r));
  }
  bump(): void {
    if (++this.count === this.target) this.#resolve();
  }
}

async function rawRound(n: number): Promise<Result> {
  const accepted: net.Socket[] = [];
  const serverUp = new Gate(n);
  const server = net.createServer((s) => {
    accepted.push(s);
    serverUp.bump();
  });
  const port = await listenRaw(server);
  await fullGc();
  const before = memSnapshot();
  const clients: net.Socket[] = [];
  const clientUp = new Gate(n);
  let next = 0;
  const one = (): void => {
    if (next >= n) return;
    next++;
    const s = net.connect(port, '127.0.0.1', () => {
      clientUp.bump();
      one();
    });
    clients.push(s);
  };
  for (let i = 0; i < CONCURRENCY; i++) one();
  await Promise.all([serverUp.reached, clientUp.reached]);
  await fullGc();
  const after = memSnapshot();
  const closed = new Gate(2 * n);
  for (const s of [...clients, ...accepted]) s.once('close', () => closed.bump());
  for (const s of clients) s.destroy();
  for (const s of accepted) s.destroy();
  await closed.reached;
  // Something in node:net keeps the last round's closure alive for a while; drop the sockets
  // explicitly so that a following round starts from a clean baseline.
  clients.length = 0;
  accepted.length = 0;
  await closeRaw(server);
  return perConn(before, after, n);
}

/** An idle protocol that tells the gate it is up. */
class Idle extends Protocol {
  gate!: Gate;
  override connectionMade(): void {
    this.gate.bump();
  }
}

/** Builds Idle protocols; `then` runs after each one is built (the next connect). */
function idleFactory(gate: Gate, then?: () => void): ClientFactory {
  return new (class extends ClientFactory {
    override buildProtocol(): Idle {
      const p = new Idle();
      p.factory = this;
      p.gate = gate;
      if (then !== undefined) queueMicrotask(then);
      return p;
    }
    override clientConnectionFailed(): void {
      throw new Error('A connection failed during the memory bench');
    }
  })();
}

async function torsionRound(n: number): Promise<Result> {
  return withReactor(async (reactor: Reactor) => {
    const serverUp = new Gate(n);
    const port = reactor.listenTCP(0, idleFactory(serverUp), { interface: '127.0.0.1', backlog: 511 });
    const portNo = portOf(port);
    await fullGc();
    const before = memSnapshot();
    const clientUp = new Gate(n);
    let next = 0;
    const one = (): void => {
      if (next >= n) return;
      next++;
      reactor.connectTCP('127.0.0.1', portNo, cf);
    };
    const cf = idleFactory(clientUp, one);
    for (let i = 0; i < CONCURRENCY; i++) one();
    await Promise.all([serverUp.reached, clientUp.reached]);
    await fullGc();
    const after = memSnapshot();
    // stop() (in withReactor) gives every connection connectionLost and closes the port.
    return perConn(before, after, n);
  });
}

/** Child mode: one side, a small warm-up round (JIT), then the measured round. */
async function child(side: Side, n: number): Promise<void> {
  const round = side === 'raw' ? rawRound : torsionRound;
  await round(Math.min(100, n));
  const r = await round(n);
  console.log(`##MEM ${JSON.stringify(r)}`);
}

/** Run one side in a fresh process with --expose-gc, so RSS starts from a clean allocator. */
function spawnChild(side: Side): Result {
  const out = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, process.argv[1]!, `--child=${side}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
  });
  const line = out.stdout.split('\n').find((l) => l.startsWith('##MEM '));
  if (out.status !== 0 || line === undefined) throw new Error(`${side} child failed (status ${out.status}): ${out.stdout}`);
  return JSON.parse(line.slice(6)) as Result;
}

async function main(): Promise<void> {
  const n = envInt('MEMORY_CONNS', 5000);
  const childArg = process.argv.find((a) => a.startsWith('--child='));
  if (childArg !== undefined) return child(childArg.slice(8) as Side, n);
  const rounds = envInt('MEMORY_ROUNDS', 3);
  const res = await alternate(
    rounds,
    { raw: async () => spawnChild('raw'), torsion: async () => spawnChild('torsion') },
    {
      warmup: false,
      onRound: (side, i, r) =>
        progress(`round ${i} ${side}: ${r.heapExt.toFixed(0)} B heap+ext, ${r.rss.toFixed(0)} B rss per conn`),
    },
  );
  const pick = (side: Side, k: keyof Result): number => median(res[side].map((r) => r[k]));
  const label = `W5 memory per idle conn (${n}, both ends)`;
  const rows: Row[] = [
    {
      name: `${label} heap+external`,
      unit: 'B',
      raw: pick('raw', 'heapExt'),
      torsion: pick('torsion', 'heapExt'),
      better: 'lower',
      target: 0.5,
    },
    { name: `${label} heap only`, unit: 'B', raw: pick('raw', 'heap'), torsion: pick('torsion', 'heap'), better: 'lower' },
    { name: `${label} rss`, unit: 'B', raw: pick('raw', 'rss'), torsion: pick('torsion', 'rss'), better: 'lower' },
  ];
  report('tcp-memory', rows, [
    'per connection = client socket + accepted socket, measured after gc',
    'each measurement runs in a fresh child process (alternating sides), so RSS starts from a clean allocator',
  ]);
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
