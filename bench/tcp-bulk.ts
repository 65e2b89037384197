/**
 * W3: one-way bulk stream over 127.0.0.1 with 64 KiB writes, in both
 * directions: "server receives" (client writes, the accepted socket reads)
 * and "client receives" (the accepted socket writes, the client reads).
 * Reports MB/s (1 MB = 2^20 bytes) from the writer's first write to the
 * receiver's last byte. Writers respect backpressure: node:net through
 * write()'s return value and 'drain', torsion through a streaming producer.
 * The BufferedProtocol rows use torsion's buffer-lending receive path
 * (getBuffer/bufferUpdated) on the receiving side; their raw column is the
 * same idiomatic node:net code.
 *
 * Sizes: BULK_MB (per round, default 512), BULK_ROUNDS (default 5).
 *
 * Run: `npx tsx bench/tcp-bulk.ts`
 * @internal
 */
import * as net from 'node:net';

import type { IPushProducer } from '../src/interfaces/producer';
import { ClientFactory } from '../src/protocol/factory';
import { BufferedProtocol, Protocol } from '../src/protocol/protocol';
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

const CHUNK = Buffer.alloc(64 * 1024, 0x62);

type Direction = 'server receives' | 'client receives';

/** Where a round's bytes and times are tallied. */
/** MB/s over wall-clock time and per CPU-second. */
interface Speed {
  mbps: number;
  cpuMbps: number;
}

class Tally {
  received = 0;
  t0 = 0;
  c0 = 0;
  #resolve: (speed: Speed) => void = () => {};
  #lost = 0;
  #resolveClosed: () => void = () => {};
  /** Fires with the speed when the receiver has every byte. */
  readonly done: Promise<Speed>;
  /** Fires when both ends have seen the connection end (torsion side). */
  readonly closed: Promise<void>;
  constructor(readonly total: number) {
    this.done = new Promise((r) => (this.#resolve = r));
    this.closed = new Promise((r) => (this.#resolveClosed = r));
  }
  lost(): void {
    if (++this.#lost === 2) this.#resolveClosed();
  }
  start(): void {
    this.t0 = nowMs();
    this.c0 = cpuSeconds();
  }
  add(n: number): void {
    this.received += n;
    if (this.received === this.total) {
      const seconds = (nowMs() - this.t0) / 1000;
      const mb = this.total / 2 ** 20;
      this.#resolve({ mbps: mb / seconds, cpuMbps: mb / (cpuSeconds() - this.c0) });
    } else if (this.received > this.total) {
      throw new Error(`received ${this.received} bytes, expected ${this.total}`);
    }
  }
}

/** The node:net writer: write until write() says stop, resume on 'drain', then end(). */
function rawPump(sock: net.Socket, tally: Tally): void {
  let sent = 0;
  const write = (): void => {
    while (sent < tally.total) {
      sent += CHUNK.length;
      if (!sock.write(CHUNK)) {
        sock.once('drain', write);
        return;
      }
    }
    sock.end();
  };
  tally.start();
  write();
}

async function rawRound(dir: Direction, total: number): Promise<Speed> {
  const tally = new Tally(total);
  const closed: Promise<unknown>[] = [];
  const receive = (s: net.Socket): void => {
    s.on('data', (d: Buffer) => tally.add(d.length));
  };
  const server = net.createServer((s) => {
    closed.push(new Promise((r) => s.once('close', r)));
    if (dir === 'server receives') receive(s);
    else rawPump(s, tally);
  });
  const port = await listenRaw(server);
  const client = net.connect(port, '127.0.0.1', () => {
    if (dir === 'client receives') receive(client);
    else rawPump(client, tally);
  });
  closed.push(new Promise((r) => client.once('close', r)));
  const speed = await tally.done;
  await Promise.all(closed);
  await closeRaw(server);
  return speed;
}

/** torsion's writer: a streaming producer that writes until the transport pauses it. */
class Sender extends Protocol implements IPushProducer {
  tally!: Tally;
  #sent = 0;
  #paused = false;
  override connectionMade(): void {
    this.transport!.registerProducer(this, true);
    this.tally.start();
    this.resumeProducing();
  }
  pauseProducing(): void {
    this.#paused = true;
  }
  resumeProducing(): void {
    this.#paused = false;
    const t = this.transport!;
    while (!this.#paused && this.#sent < this.tally.total) {
      this.#sent += CHUNK.length;
      t.write(CHUNK);
    }
    if (this.#sent >= this.tally.total && !t.disconnecting) {
      t.unregisterProducer();
      t.loseConnection();
    }
  }
  stopProducing(): void {
    this.#paused = true;
  }
  override connectionLost(): void {
    this.tally.lost();
  }
}

/** torsion's receiver with dataReceived (an owned Buffer per read). */
class Receiver extends Protocol {
  tally!: Tally;
  override dataReceived(data: Buffer): void {
    this.tally.add(data.length);
  }
  override connectionLost(): void {
    this.tally.lost();
  }
}

/** torsion's receiver on the buffer-lending path: one 64 KiB buffer, reused. */
class LentReceiver extends BufferedProtocol {
  tally!: Tally;
  #buf = Buffer.allocUnsafe(64 * 1024);
  getBuffer(_sizeHint: number): Uint8Array {
    return this.#buf;
  }
  bufferUpdated(nbytes: number): void {
    this.tally.add(nbytes);
  }
  override connectionLost(): void {
    this.tally.lost();
  }
}

/** A factory whose protocols share the round's tally. */
function factoryFor(Kind: new () => Protocol & { tally: Tally }, tally: Tally): ClientFactory {
  return new (class extends ClientFactory {
    override buildProtocol(): Protocol {
      const p = new Kind();
      p.factory = this;
      p.tally = tally;
      return p;
    }
  })();
}

async function torsionRound(dir: Direction, total: number, lent: boolean): Promise<Speed> {
  return withReactor(async (reactor: Reactor) => {
    const tally = new Tally(total);
    const Recv = lent ? LentReceiver : Receiver;
    const serverKind = dir === 'server receives' ? Recv : Sender;
    const clientKind = dir === 'server receives' ? Sender : Recv;
    const port = reactor.listenTCP(0, factoryFor(serverKind, tally), { interface: '127.0.0.1' });
    const portNo = portOf(port);
    reactor.connectTCP('127.0.0.1', portNo, factoryFor(clientKind, tally));
    const speed = await tally.done;
    await tally.closed;
    await port.stopListening();
    return speed;
  });
}

async function main(): Promise<void> {
  const total = envInt('BULK_MB', 512) * 2 ** 20;
  const rounds = envInt('BULK_ROUNDS', 5);
  const rows: Row[] = [];
  const variants: Array<[Direction, boolean]> = [
    ['server receives', false],
    ['client receives', false],
    ['server receives', true],
    ['client receives', true],
  ];
  for (const [dir, lent] of variants) {
    const label = `W3 bulk 64 KiB writes, ${dir}${lent ? ' (BufferedProtocol)' : ''}`;
    const res = await alternate(
      rounds,
      {
        raw: (warm) => rawRound(dir, warm ? total / 8 : total),
        torsion: (warm) => torsionRound(dir, warm ? total / 8 : total, lent),
      },
      { onRound: (side, i, r) => progress(`${label} round ${i} ${side}: ${r.mbps.toFixed(0)} MB/s`) },
    );
    const pick = (side: 'raw' | 'torsion', k: keyof Speed): number => median(res[side].map((r) => r[k]));
    // Issue 7's floor is for the copying dataReceived path; the lent path has no floor of its own.
    const target = lent ? undefined : 1.2;
    rows.push(
      { name: label, unit: 'MB/s', raw: pick('raw', 'mbps'), torsion: pick('torsion', 'mbps'), better: 'higher', target },
      {
        name: `${label}, per CPU-s`,
        unit: 'MB/CPU-s',
        raw: pick('raw', 'cpuMbps'),
        torsion: pick('torsion', 'cpuMbps'),
        better: 'higher',
        target,
      },
    );
  }
  report('tcp-bulk', rows, ['1 MB = 2^20 bytes; writer and receiver in the same process']);
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
