/**
 * The blocking packet client (`torsion/packets/sync` TCPNetworkClient)
 * against a hand-written node:net async client doing the same work:
 *
 * - connect: a new client until it is connected (for torsion this includes
 *   starting its worker thread and that thread's reactor), closed after;
 *   median of CONNECT_ROUNDS (default 15) per side;
 * - ping-pong: one JSON-lines request `{"op":"ping","n":i}` and its reply,
 *   serialized and parsed on the calling thread, for PINGPONG_SECONDS
 *   (default 3) per round, ROUNDS (default 3) rounds per side;
 * - RSS per client: MEMORY_CLIENTS (default 8) connected clients at once,
 *   RSS growth divided by their number.
 *
 * The echo server runs in a child process (the calling thread of a blocking
 * client cannot serve). There is no target: the numbers are for the docs.
 *
 * The client is the compiled JavaScript (as users get it): the bench builds
 * the package with tsc into a temporary directory first, unless
 * `PACKETS_SYNC_FROM=src` (the TypeScript sources; the worker then
 * transpiles through tsx, which is slow to start and not what users run).
 *
 * Run: `npx tsx bench/packets-sync.ts`
 * @internal
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { envInt, envNum, median, nowMs, progress, report, type Row } from './common';

type SyncModule = typeof import('../src/packets/sync');

interface LineProtocol {
  generateChunks(p: unknown): Iterable<Buffer>;
  buildPacketFromChunks(): Generator<void, [unknown, Buffer], Buffer>;
}

/** The shipped StreamProtocol(JSONSerializer()) when it exists, else an equivalent JSON-lines protocol. */
function jsonLines(root: string): { protocol: LineProtocol; which: string } {
  try {
    const packets = require(path.join(root, 'packets')) as Record<string, unknown>;
    const SP = packets.StreamProtocol as (new (s: unknown) => LineProtocol) | undefined;
    const JS = packets.JSONSerializer as (new () => unknown) | undefined;
    if (typeof SP === 'function' && typeof JS === 'function')
      return { protocol: new SP(new JS()), which: 'StreamProtocol(JSONSerializer())' };
  } catch {
    // not built yet: fall through
  }
  return {
    which: 'a JSON-lines protocol of the bench (the shipped serializers were not found)',
    protocol: {
      *generateChunks(p: unknown) {
        yield Buffer.from(`${JSON.stringify(p)}\n`);
      },
      *buildPacketFromChunks() {
        let buf: Buffer = Buffer.alloc(0);
        for (;;) {
          const c: Buffer = yield;
          buf = buf.length === 0 ? c : Buffer.concat([buf, c]);
          const i = buf.indexOf(10);
          if (i >= 0) return [JSON.parse(buf.subarray(0, i).toString()), buf.subarray(i + 1)];
        }
      },
    },
  };
}

/** Compile the package into a temporary directory; its root. */
function build(): string {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'torsion-bench-sync-'));
  const repo = path.join(__dirname, '..');
  progress(`building the package into ${out} ...`);
  execFileSync(
    process.execPath,
    [
      path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      path.join(repo, 'tsconfig.build.json'),
      '--outDir',
      out,
      '--declaration',
      'false',
    ],
    {
      stdio: 'inherit',
    },
  );
  // The build's own dependencies (iconv-lite) resolve as from an installed package.
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(out, 'node_modules'), 'dir');
  return out;
}

const ECHO = `
const net = require('node:net');
const s = net.createServer((c) => { c.setNoDelay(true); c.on('error', () => {}); c.pipe(c); });
s.listen(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));
`;

async function startEcho(): Promise<{ port: number; stop(): void }> {
  const child = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  return { port, stop: () => child.kill() };
}

/** node:net: connect and wait for 'connect'. */
function rawConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** node:net JSON-lines ping-pong for `seconds`; round trips per second. */
async function rawPingPong(port: number, seconds: number): Promise<number> {
  const s = await rawConnect(port);
  let n = 0;
  let buf = '';
  const t0 = nowMs();
  const end = t0 + seconds * 1000;
  await new Promise<void>((resolve) => {
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const msg = JSON.parse(buf.slice(0, i)) as { n: number };
        buf = buf.slice(i + 1);
        if (msg.n !== n) throw new Error(`bad reply ${msg.n} for ${n}`);
        n++;
        if (nowMs() >= end) {
          resolve();
          return;
        }
        s.write(`${JSON.stringify({ op: 'ping', n })}\n`);
      }
    });
    s.write(`${JSON.stringify({ op: 'ping', n })}\n`);
  });
  const rate = n / ((nowMs() - t0) / 1000);
  s.destroy();
  return rate;
}

function syncPingPong(mod: SyncModule, protocol: LineProtocol, port: number, seconds: number): number {
  const c = new mod.TCPNetworkClient(['127.0.0.1', port], protocol as never);
  try {
    let n = 0;
    const t0 = nowMs();
    const end = t0 + seconds * 1000;
    for (;;) {
      c.sendPacket({ op: 'ping', n });
      const msg = c.recvPacket() as { n: number };
      if (msg.n !== n) throw new Error(`bad reply ${msg.n} for ${n}`);
      n++;
      if (nowMs() >= end) break;
    }
    return n / ((nowMs() - t0) / 1000);
  } finally {
    c.close();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
}

async function main(): Promise<void> {
  const seconds = envNum('PINGPONG_SECONDS', 3);
  const rounds = envInt('ROUNDS', 3);
  const connectRounds = envInt('CONNECT_ROUNDS', 15);
  const memClients = envInt('MEMORY_CLIENTS', 8);
  const root = process.env.PACKETS_SYNC_FROM === 'src' ? path.join(__dirname, '..', 'src') : build();
  const mod = require(path.join(root, 'packets', 'sync')) as SyncModule;
  const { protocol, which } = jsonLines(root);
  const echo = await startEcho();
  const rows: Row[] = [];
  try {
    // connect
    const rawT: number[] = [];
    const syncT: number[] = [];
    for (let i = 0; i < connectRounds + 1; i++) {
      let t = nowMs();
      const s = await rawConnect(echo.port);
      const dr = nowMs() - t;
      s.destroy();
      t = nowMs();
      const c = new mod.TCPNetworkClient(['127.0.0.1', echo.port], protocol as never);
      const ds = nowMs() - t;
      c.close();
      if (i > 0) {
        rawT.push(dr);
        syncT.push(ds);
      }
      await settle();
    }
    rows.push({ name: 'connect (incl. worker start)', unit: 'ms', raw: median(rawT), torsion: median(syncT), better: 'lower' });
    progress(`connect: raw ${median(rawT).toFixed(2)} ms, sync ${median(syncT).toFixed(1)} ms`);

    // ping-pong, alternating
    const rawR: number[] = [];
    const syncR: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? ['raw', 'sync'] : ['sync', 'raw'];
      for (const side of order) {
        if (side === 'raw') rawR.push(await rawPingPong(echo.port, seconds));
        else syncR.push(syncPingPong(mod, protocol, echo.port, seconds));
        await settle();
      }
      progress(`ping-pong round ${i}: raw ${rawR.at(-1)!.toFixed(0)} rt/s, sync ${syncR.at(-1)!.toFixed(0)} rt/s`);
    }
    rows.push({
      name: 'JSON-lines ping-pong, 1 client',
      unit: 'rt/s',
      raw: median(rawR),
      torsion: median(syncR),
      better: 'higher',
    });

    // RSS per client
    await settle();
    const rss0 = process.memoryUsage().rss;
    const socks: net.Socket[] = [];
    for (let i = 0; i < memClients; i++) socks.push(await rawConnect(echo.port));
    await settle();
    const rawPer = (process.memoryUsage().rss - rss0) / memClients;
    for (const s of socks) s.destroy();
    await settle();
    const rss1 = process.memoryUsage().rss;
    const clients = [];
    for (let i = 0; i < memClients; i++) clients.push(new mod.TCPNetworkClient(['127.0.0.1', echo.port], protocol as never));
    for (const c of clients) {
      c.sendPacket({ op: 'ping', n: 0 });
      c.recvPacket();
    }
    await settle();
    const syncPer = (process.memoryUsage().rss - rss1) / memClients;
    for (const c of clients) c.close();
    rows.push({
      name: 'RSS per connected client',
      unit: 'MB',
      raw: rawPer / 2 ** 20,
      torsion: syncPer / 2 ** 20,
      better: 'lower',
    });
  } finally {
    echo.stop();
    if (root !== path.join(__dirname, '..', 'src')) fs.rmSync(root, { recursive: true, force: true });
  }
  report('packets-sync', rows, [
    `protocol: ${which}; client from ${process.env.PACKETS_SYNC_FROM === 'src' ? 'the TypeScript sources' : 'compiled JavaScript'}`,
    `cpus: ${os.cpus().length}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  ]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
