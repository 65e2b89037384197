/**
 * W4: connection setup rate over 127.0.0.1: 20,000 short connections, 50
 * at a time. A connection is: the client connects, the server accepts and
 * closes it at once (server first, so TIME_WAIT lands on the server side and
 * does not eat ephemeral ports), the client sees the close, and a new
 * connection takes its place. Reports connections/s (client side done) and
 * then waits until the server side has seen every close too.
 *
 * The "client closes first" row is the other order (every short-lived
 * client: health checks, HTTP/1.0, one-shot RPC): the client calls
 * loseConnection() in connectionMade, the server sees EOF and closes.
 *
 * The "reconnect" row drives the same load through `connector.connect()`
 * from clientConnectionLost (Twisted's reconnect idiom) instead of a new
 * connectTCP per connection; its raw column is the same node:net code.
 *
 * The wall-clock rate of this workload swings by up to 2× between identical
 * rounds on loopback (the kernel's TIME_WAIT table fills up across rounds,
 * and other processes' connections share it); the per-CPU-second rate is
 * the steadier comparison.
 *
 * Sizes: CONNECT_TOTAL (default 20000), CONNECT_CONCURRENCY (default 50),
 * CONNECT_ROUNDS (default 4), CONNECT_MODES (e.g. `2`: only the rows listed, 0-based).
 *
 * Run: `npx tsx bench/tcp-connect.ts`
 * @internal
 */
import * as net from 'node:net';

import type { Failure } from '../src/defer/failure';
import type { IConnector } from '../src/interfaces/connector';
import { ClientFactory, Factory } from '../src/protocol/factory';
import { Protocol } from '../src/protocol/protocol';
import type { Reactor } from '../src/reactor';
import {
  alternate,
  closeRaw,
  cpuSeconds,
  envInt,
  listenRaw,
  median,
  nowMs,
  progress,
  report,
  withReactor,
  portOf,
  type Row,
} from './common';

/** Connections per wall-clock second and per CPU-second. */
interface Rate {
  rate: number;
  cpuRate: number;
}

/** Counts one round's connections and resolves with conns/s once all are done on both sides. */
class Counter {
  started = 0;
  clientDone = 0;
  serverDone = 0;
  errors = 0;
  t0 = nowMs();
  c0 = cpuSeconds();
  rate: Rate = { rate: 0, cpuRate: 0 };
  #resolve: (rate: Rate) => void = () => {};
  readonly done: Promise<Rate>;
  constructor(
    readonly total: number,
    readonly concurrency: number,
  ) {
    this.done = new Promise((r) => (this.#resolve = r));
  }
  /** Start the clocks. */
  start(): void {
    this.t0 = nowMs();
    this.c0 = cpuSeconds();
  }
  /** A client connection ended; returns whether another should start. */
  clientEnded(): boolean {
    this.clientDone++;
    if (this.clientDone === this.total) {
      this.rate = { rate: this.total / ((nowMs() - this.t0) / 1000), cpuRate: this.total / (cpuSeconds() - this.c0) };
      this.#check();
    }
    if (this.started < this.total) {
      this.started++;
      return true;
    }
    return false;
  }
  serverEnded(): void {
    this.serverDone++;
    this.#check();
  }
  #check(): void {
    if (this.clientDone === this.total && this.serverDone === this.total - this.errors) {
      if (this.errors > 0) progress(`${this.errors} connections failed`);
      this.#resolve(this.rate);
    }
  }
}

async function rawRound(total: number, concurrency: number, clientCloses = false): Promise<Rate> {
  const c = new Counter(total, concurrency);
  const server = net.createServer((s) => {
    s.on('close', () => c.serverEnded());
    // Client first: the server sees EOF and (allowHalfOpen false) ends too.
    if (clientCloses) s.resume();
    else s.end();
  });
  const port = await listenRaw(server);
  const onClose = (): void => {
    if (c.clientEnded()) one();
  };
  const onError = (): void => {
    c.errors++;
  };
  const one = (): void => {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', onError);
    s.on('close', onClose);
    if (clientCloses) s.on('connect', () => s.end());
    s.resume();
  };
  c.start();
  for (let i = 0; i < Math.min(concurrency, total); i++) {
    c.started++;
    one();
  }
  const rate = await c.done;
  await closeRaw(server);
  return rate;
}

/** The server side: close each accepted connection at once. */
class Closer extends Protocol {
  counter!: Counter;
  override connectionMade(): void {
    this.transport!.loseConnection();
  }
  override connectionLost(): void {
    this.counter.serverEnded();
  }
}

/** The server side when the client closes first: it closes when it sees EOF. */
class Waiter extends Protocol {
  counter!: Counter;
  override connectionLost(): void {
    this.counter.serverEnded();
  }
}

/** The client that closes first, in connectionMade. */
class Leaver extends Protocol {
  override connectionMade(): void {
    this.transport!.loseConnection();
  }
}

/** The client side: a new connectTCP per connection, or the same connector again. */
class RateClientFactory extends ClientFactory {
  constructor(
    readonly counter: Counter,
    readonly connectAgain: (connector: IConnector) => void,
    clientCloses = false,
  ) {
    super();
    this.protocol = clientCloses ? Leaver : Protocol;
  }
  override clientConnectionLost(connector: IConnector, _reason: Failure): void {
    if (this.counter.clientEnded()) this.connectAgain(connector);
  }
  override clientConnectionFailed(connector: IConnector, _reason: Failure): void {
    this.counter.errors++;
    this.clientConnectionLost(connector, _reason);
  }
}

async function torsionRound(total: number, concurrency: number, reuse: boolean, clientCloses = false): Promise<Rate> {
  return withReactor(async (reactor: Reactor) => {
    const c = new Counter(total, concurrency);
    const sf = new (class extends Factory {
      override buildProtocol(): Closer | Waiter {
        const p = clientCloses ? new Waiter() : new Closer();
        p.factory = this;
        p.counter = c;
        return p;
      }
    })();
    const port = reactor.listenTCP(0, sf, { interface: '127.0.0.1', backlog: 511 });
    const portNo = portOf(port);
    const cf = new RateClientFactory(
      c,
      (connector) => {
        if (reuse) connector.connect();
        else reactor.connectTCP('127.0.0.1', portNo, cf);
      },
      clientCloses,
    );
    c.start();
    for (let i = 0; i < Math.min(concurrency, total); i++) {
      c.started++;
      reactor.connectTCP('127.0.0.1', portNo, cf);
    }
    const rate = await c.done;
    await port.stopListening();
    return rate;
  });
}

async function main(): Promise<void> {
  const total = envInt('CONNECT_TOTAL', 20000);
  const concurrency = envInt('CONNECT_CONCURRENCY', 50);
  const rounds = envInt('CONNECT_ROUNDS', 4);
  const rows: Row[] = [];
  const modes = [
    { reuse: false, clientCloses: false, note: '' },
    { reuse: true, clientCloses: false, note: ' (connector.connect() reuse)' },
    { reuse: false, clientCloses: true, note: ' (client closes first)' },
  ];
  // CONNECT_MODES=0,2 runs only those rows (0 server first, 1 reuse, 2 client first).
  const only = (process.env.CONNECT_MODES ?? '')
    .split(',')
    .filter((x) => x !== '')
    .map(Number);
  for (const [i, { reuse, clientCloses, note }] of modes.entries()) {
    if (only.length > 0 && !only.includes(i)) continue;
    const label = `W4 ${total} short conns, ${concurrency} at a time${note}`;
    const res = await alternate(
      rounds,
      {
        raw: (warm) => rawRound(warm ? total / 10 : total, concurrency, clientCloses),
        torsion: (warm) => torsionRound(warm ? total / 10 : total, concurrency, reuse, clientCloses),
      },
      { onRound: (side, i, r) => progress(`${label} round ${i} ${side}: ${r.rate.toFixed(0)} conn/s`) },
    );
    const pick = (side: 'raw' | 'torsion', k: keyof Rate): number => median(res[side].map((r) => r[k]));
    rows.push(
      { name: label, unit: 'conn/s', raw: pick('raw', 'rate'), torsion: pick('torsion', 'rate'), better: 'higher', target: 1.3 },
      {
        name: `${label}, per CPU-s`,
        unit: 'conn/CPU-s',
        raw: pick('raw', 'cpuRate'),
        torsion: pick('torsion', 'cpuRate'),
        better: 'higher',
        target: 1.3,
      },
    );
  }
  report('tcp-connect', rows, [
    'client and server in the same process; the server closes first unless the row says the client does',
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
