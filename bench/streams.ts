/**
 * W10: read 1,000,000 lines of 64 bytes sent by a plain node:net server
 * over loopback.
 *
 * - torsion: `for await (const line of reader)` over the StreamReader of
 *   `openConnection` on a fresh Reactor;
 * - raw: Node's `readline.createInterface({ input: socket })` with
 *   `for await` over a `net.Socket` (the usual Node way to read lines);
 * - CPython: `asyncio.open_connection` + `async for line in reader`
 *   (/usr/bin/python3, or $PYTHON), against the same kind of server; its
 *   row reports python as the "raw" column.
 *
 * Reported in lines/s (and lines per CPU-second of this process for the
 * Node sides; the server shares it). The floor for torsion/raw is
 * 1.5×.
 *
 * Sizes: STREAMS_LINES (default 1000000), STREAMS_ROUNDS (default 3),
 * STREAMS_PYTHON=0 skips the CPython row.
 *
 * Run: `npx tsx bench/streams.ts` (quick: `STREAMS_LINES=100000 STREAMS_ROUNDS=1 npx tsx bench/streams.ts`)
 * @internal
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import * as readline from 'node:readline';

import { openConnection } from '../src/streams/asyncio';
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
  type Row,
} from './common';

const LINE = 64;
const BLOCK_LINES = 1024;
const BLOCK = Buffer.alloc(LINE * BLOCK_LINES, 0x61);
for (let i = LINE - 1; i < BLOCK.length; i += LINE) BLOCK[i] = 0x0a;

interface LineResult {
  rate: number;
  cpuRate: number;
}

/** A plain node:net server that sends `lines` lines of 64 bytes to each client, then ends. */
async function lineServer(lines: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    let left = lines;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, BLOCK_LINES);
        left -= n;
        const chunk = n === BLOCK_LINES ? BLOCK : BLOCK.subarray(0, n * LINE);
        if (!s.write(chunk)) {
          s.once('drain', pump);
          return;
        }
      }
      s.end();
    };
    pump();
  });
  const port = await listenRaw(server);
  return { port, close: () => closeRaw(server) };
}

function result(lines: number, ms: number, cpu: number): LineResult {
  return { rate: lines / (ms / 1000), cpuRate: lines / Math.max(cpu, 1e-9) };
}

async function rawRound(lines: number): Promise<LineResult> {
  const srv = await lineServer(lines);
  try {
    const t0 = nowMs();
    const c0 = cpuSeconds();
    const socket = net.connect(srv.port, '127.0.0.1');
    socket.on('error', () => {});
    const rl = readline.createInterface({ input: socket, crlfDelay: Infinity });
    let n = 0;
    for await (const line of rl) {
      if (line.length !== LINE - 1) throw new Error(`bad line length ${line.length}`);
      n++;
    }
    if (n !== lines) throw new Error(`raw read ${n} lines of ${lines}`);
    return result(lines, nowMs() - t0, cpuSeconds() - c0);
  } finally {
    await srv.close();
  }
}

async function torsionRound(lines: number): Promise<LineResult> {
  const srv = await lineServer(lines);
  try {
    return await withReactor(async (reactor) => {
      const t0 = nowMs();
      const c0 = cpuSeconds();
      const [reader, writer] = await openConnection('127.0.0.1', srv.port, { reactor });
      let n = 0;
      for await (const line of reader) {
        if (line.length !== LINE) throw new Error(`bad line length ${line.length}`);
        n++;
      }
      if (n !== lines) throw new Error(`torsion read ${n} lines of ${lines}`);
      const r = result(lines, nowMs() - t0, cpuSeconds() - c0);
      writer.close();
      await writer.waitClosed();
      return r;
    });
  } finally {
    await srv.close();
  }
}

const PY_CLIENT = `
import asyncio, sys, time
async def main(port, expected):
    t0 = time.perf_counter()
    c0 = time.process_time()
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    n = 0
    async for line in reader:
        n += 1
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    writer.close()
    await writer.wait_closed()
    if n != expected:
        raise SystemExit(f'python read {n} lines of {expected}')
    print(f'{expected / dt} {expected / max(cpu, 1e-9)}')
asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
`;

function pythonPath(): string | null {
  const p = process.env.PYTHON ?? '/usr/bin/python3';
  return existsSync(p) ? p : null;
}

async function pythonRound(python: string, lines: number): Promise<LineResult> {
  const srv = await lineServer(lines);
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(python, ['-c', PY_CLIENT, String(srv.port), String(lines)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`python exited ${code}: ${stderr}`))));
    });
    const [rate, cpuRate] = out.trim().split(/\s+/).map(Number);
    return { rate: rate!, cpuRate: cpuRate! };
  } finally {
    await srv.close();
  }
}

async function main(): Promise<void> {
  const lines = envInt('STREAMS_LINES', 1_000_000);
  const rounds = envInt('STREAMS_ROUNDS', 3);
  const res = await alternate(
    rounds,
    {
      raw: (warm) => rawRound(warm ? Math.min(lines, 100_000) : lines),
      torsion: (warm) => torsionRound(warm ? Math.min(lines, 100_000) : lines),
    },
    { onRound: (side, i, r) => progress(`round ${i} ${side}: ${Math.round(r.rate)} lines/s`) },
  );
  const pick = (side: 'raw' | 'torsion', k: keyof LineResult): number => median(res[side].map((r) => r[k]));
  const label = `W10 for-await lines 64 B (${lines})`;
  const rows: Row[] = [
    {
      name: `${label} vs readline`,
      unit: 'lines/s',
      raw: pick('raw', 'rate'),
      torsion: pick('torsion', 'rate'),
      better: 'higher',
      target: 1.5,
    },
    {
      name: `${label} vs readline, per CPU-s`,
      unit: 'lines/CPU-s',
      raw: pick('raw', 'cpuRate'),
      torsion: pick('torsion', 'cpuRate'),
      better: 'higher',
    },
  ];
  const notes = ['CPU-s counts this whole process, the node:net server included (same for both sides).'];
  const python = process.env.STREAMS_PYTHON === '0' ? null : pythonPath();
  if (python !== null) {
    const py: LineResult[] = [];
    for (let i = 0; i < Math.max(rounds, 1); i++) {
      const r = await pythonRound(python, lines);
      progress(`round ${i} python: ${Math.round(r.rate)} lines/s`);
      py.push(r);
    }
    rows.push({
      name: `${label} vs CPython asyncio`,
      unit: 'lines/s',
      raw: median(py.map((r) => r.rate)),
      torsion: pick('torsion', 'rate'),
      better: 'higher',
    });
    notes.push(`the CPython row's node:net column is ${python} asyncio (open_connection + async for), timed inside python.`);
  } else {
    notes.push('CPython row skipped (STREAMS_PYTHON=0 or no python3).');
  }
  report('streams', rows, notes);
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
