/**
 * Raw fds: reading a FIFO that a child (`head -c N /dev/zero`) fills, to
 * end of file. torsion: `reactor.addReader` with a doRead that calls
 * `fdesc.readFromFD` (Twisted's 8 KiB reads, level-triggered poll handle).
 * Plain Node: what a user would write instead, `fs.createReadStream(fifo)`
 * (thread-pool reads) and `new net.Socket({ fd })` (a libuv pipe handle).
 * Reports MB/s (2^20 bytes) from open to end of file, wall and per CPU-second.
 *
 * Sizes: FDESC_MB (per round, default 256), FDESC_ROUNDS (default 3).
 * Needs the native addon (`npm run build:native`).
 *
 * Run: `npx tsx bench/fdesc.ts`
 * @internal
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { nativeAddonStatus, readFromFD } from '../src/fdesc';
import type { Reactor } from '../src/reactor';
import { alternate, cpuSeconds, envInt, median, nowMs, progress, report, type Row, withReactor } from './common';

const MB = envInt('FDESC_MB', 256);
const ROUNDS = envInt('FDESC_ROUNDS', 3);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torsion-bench-fdesc-'));
const fifo = path.join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);

interface Speed {
  mbps: number;
  cpuMbps: number;
}

/** Start the writer; resolves when it exited. */
function writer(mb: number): Promise<void> {
  const child = spawn('sh', ['-c', `head -c ${mb * 1048576} /dev/zero > "${fifo}"`], { stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function speed(bytes: number, t0: number, c0: number): Speed {
  const mb = bytes / 1048576;
  return { mbps: mb / ((nowMs() - t0) / 1000), cpuMbps: mb / Math.max(cpuSeconds() - c0, 1e-9) };
}

async function torsionRound(reactor: Reactor, mb: number): Promise<Speed> {
  const exited = writer(mb);
  const t0 = nowMs();
  const c0 = cpuSeconds();
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  let bytes = 0;
  const done = new Promise<void>((resolve) => {
    reactor.addReader({
      fileno: () => fd,
      logPrefix: () => 'bench fifo',
      doRead: () =>
        readFromFD(fd, (d) => {
          bytes += d.length;
        }),
      connectionLost: () => resolve(),
    });
  });
  await done;
  const s = speed(bytes, t0, c0);
  fs.closeSync(fd);
  await exited;
  if (bytes !== mb * 1048576) throw new Error(`torsion read ${bytes} bytes`);
  return s;
}

async function streamRound(mb: number): Promise<Speed> {
  const exited = writer(mb);
  const t0 = nowMs();
  const c0 = cpuSeconds();
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(fifo)
      .on('data', (d) => {
        bytes += (d as Buffer).length;
      })
      .on('end', resolve)
      .on('error', reject);
  });
  const s = speed(bytes, t0, c0);
  await exited;
  return s;
}

async function socketRound(mb: number): Promise<Speed> {
  const exited = writer(mb);
  const t0 = nowMs();
  const c0 = cpuSeconds();
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  let bytes = 0;
  await new Promise<void>((resolve) => {
    const sock = new net.Socket({ fd, readable: true, writable: false });
    sock.on('data', (d: Buffer) => {
      bytes += d.length;
    });
    sock.on('end', () => resolve());
  });
  const s = speed(bytes, t0, c0);
  await exited;
  return s;
}

async function main(): Promise<void> {
  const status = nativeAddonStatus();
  if (!status.available) {
    console.log(`fdesc bench skipped: the native addon is unavailable (${status.reason})`);
    return;
  }
  const rows: Row[] = [];
  await withReactor(async (reactor) => {
    for (const [name, raw] of [
      ['fs.createReadStream', streamRound],
      ['net.Socket({ fd })', socketRound],
    ] as const) {
      progress(`fifo read vs ${name}`);
      const r = await alternate(ROUNDS, { raw: () => raw(MB), torsion: () => torsionRound(reactor, MB) });
      rows.push(
        {
          name: `F1 FIFO read to EOF vs ${name}`,
          unit: 'MB/s',
          better: 'higher',
          raw: median(r.raw.map((x) => x.mbps)),
          torsion: median(r.torsion.map((x) => x.mbps)),
        },
        {
          name: `F1 FIFO read vs ${name}, per CPU-s`,
          unit: 'MB/cpu-s',
          better: 'higher',
          raw: median(r.raw.map((x) => x.cpuMbps)),
          torsion: median(r.torsion.map((x) => x.cpuMbps)),
        },
      );
    }
  });
  fs.rmSync(dir, { recursive: true, force: true });
  report('fdesc', rows, [`${MB} MB per round, ${ROUNDS} rounds; torsion reads 8 KiB per doRead (Twisted's fdesc size)`]);
}

void main();
