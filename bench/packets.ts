/**
 * W11: JSON-lines request/response ping-pong. One client keeps exactly one
 * `{"seq":n,...}` object in flight against a node:net echo server on
 * 127.0.0.1: it sends, awaits the echoed object, checks `seq`, sends the
 * next. torsion's side is an `AsyncTCPNetworkClient` with
 * `StreamProtocol(new JSONSerializer())` (and, in a second row, a
 * `BufferedStreamProtocol`); the plain side is a hand-written node:net
 * client doing the same: JSON.stringify + "\n", split on "\n", JSON.parse,
 * one awaited Promise per reply. Reports round trips/s, torsion/plain.
 *
 * Sizes: PACKETS_SECONDS (per round, default 2), PACKETS_ROUNDS (default 3).
 *
 * Run: `npx tsx bench/packets.ts`
 * @internal
 */
import * as net from 'node:net';

import { AsyncTCPNetworkClient } from '../src/packets/clients';
import { BufferedStreamProtocol, JSONSerializer, StreamProtocol } from '../src/packets/serializers';
import type { Reactor } from '../src/reactor';
import { alternate, closeRaw, envInt, envNum, listenRaw, median, nowMs, progress, report, type Row, withReactor } from './common';

interface Request {
  seq: number;
  op: string;
  args: { key: string; value: number[] };
}

const request = (seq: number): Request => ({ seq, op: 'echo', args: { key: `k${seq % 100}`, value: [seq, seq + 1, seq + 2] } });

/** A node:net echo server (the same one for both sides). */
async function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('error', () => {});
    s.on('data', (d) => s.write(d));
    s.on('close', () => sockets.delete(s));
  });
  const port = await listenRaw(server);
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await closeRaw(server);
    },
  };
}

/** The plain client: what a Node developer writes by hand for JSON lines. */
class PlainJSONLinesClient {
  readonly #socket: net.Socket;
  #buffer = '';
  #waiting: ((v: unknown) => void) | null = null;
  #ready: unknown[] = [];

  constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        const obj: unknown = JSON.parse(line);
        const w = this.#waiting;
        if (w !== null) {
          this.#waiting = null;
          w(obj);
        } else this.#ready.push(obj);
      }
    });
  }

  send(obj: unknown): Promise<void> {
    this.#socket.write(`${JSON.stringify(obj)}\n`);
    return Promise.resolve();
  }

  recv(): Promise<unknown> {
    if (this.#ready.length > 0) return Promise.resolve(this.#ready.shift());
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }
}

async function pingPong(seconds: number, send: (r: Request) => Promise<void>, recv: () => Promise<unknown>): Promise<number> {
  const end = nowMs() + seconds * 1000;
  let seq = 0;
  const start = nowMs();
  while (nowMs() < end) {
    for (let i = 0; i < 64; i++) {
      await send(request(seq));
      const reply = (await recv()) as Request;
      if (reply.seq !== seq) throw new Error(`out of order: ${reply.seq} != ${seq}`);
      seq++;
    }
  }
  return seq / ((nowMs() - start) / 1000);
}

async function plainRound(seconds: number): Promise<number> {
  const server = await echoServer();
  const socket = net.connect(server.port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const client = new PlainJSONLinesClient(socket);
  const rate = await pingPong(
    seconds,
    (r) => client.send(r),
    () => client.recv(),
  );
  await new Promise<void>((r) => socket.end(() => r()));
  socket.destroy();
  await server.close();
  return rate;
}

async function torsionRound(seconds: number, buffered: boolean): Promise<number> {
  return withReactor(async (reactor: Reactor) => {
    const server = await echoServer();
    const serializer = new JSONSerializer<Request, Request>();
    const protocol = buffered
      ? new BufferedStreamProtocol<Request, Request>(serializer)
      : new StreamProtocol<Request, Request>(serializer);
    const client = new AsyncTCPNetworkClient<Request, Request>(['127.0.0.1', server.port], protocol, { reactor });
    await client.waitConnected();
    const rate = await pingPong(
      seconds,
      (r) => client.sendPacket(r),
      () => client.recvPacket(),
    );
    await client.aclose();
    await server.close();
    return rate;
  });
}

async function main(): Promise<void> {
  const seconds = envNum('PACKETS_SECONDS', 2);
  const rounds = envInt('PACKETS_ROUNDS', 3);
  const rows: Row[] = [];
  for (const buffered of [false, true]) {
    const res = await alternate(
      rounds,
      {
        raw: (warm) => plainRound(warm ? seconds / 4 : seconds),
        torsion: (warm) => torsionRound(warm ? seconds / 4 : seconds, buffered),
      },
      { onRound: (side, i, r) => progress(`${buffered ? 'buffered' : 'chunks'} round ${i} ${side}: ${Math.round(r)} rt/s`) },
    );
    rows.push({
      name: `W11 JSON-lines ping-pong, ${buffered ? 'BufferedStreamProtocol' : 'StreamProtocol'}`,
      unit: 'rt/s',
      raw: median(res.raw),
      torsion: median(res.torsion),
      better: 'higher',
      target: 1.0,
    });
  }
  report('packets', rows, ['plain = a hand-written node:net client (split on "\\n", JSON.parse, one Promise per reply)']);
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
