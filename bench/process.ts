/**
 * W9: child processes, torsion's spawnProcess against the
 * `child_process.spawn` code a Node user writes.
 *
 * - spawn-to-exit rate: `/bin/true` with stdin/stdout/stderr pipes, 20 in
 *   flight; one spawn counts when the child exited and its pipes closed
 *   (raw: 'close'; torsion: processEnded). Both inherit the environment.
 * - child stdout bulk: `head -c 100000000 /dev/zero` read into a protocol
 *   (raw: a 'data' listener; torsion: outReceived), MB/s from the spawn to
 *   the end.
 *
 * CPU-seconds are this (parent) process's only: the children's time is not
 * counted on either side.
 *
 * Sizes: PROC_SPAWNS (per round, default 400), PROC_CONCURRENCY (20),
 * PROC_BYTES (default 100000000), PROC_ROUNDS (default 3).
 *
 * Run: `npx tsx bench/process.ts`
 * @internal
 */
import { spawn } from 'node:child_process';

import type { Failure } from '../src/defer/failure';
import { ProcessProtocol } from '../src/protocol/protocol';
import type { Reactor } from '../src/reactor';
import { alternate, cpuSeconds, envInt, median, nowMs, pool, progress, report, type Row, withReactor } from './common';

interface Rate {
  perSec: number;
  perCpuSec: number;
}

function measure(count: number, t0: number, c0: number): Rate {
  return { perSec: count / ((nowMs() - t0) / 1000), perCpuSec: count / (cpuSeconds() - c0) };
}

// ---- spawn-to-exit ------------------------------------------------------------

function rawSpawnOne(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/true');
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  });
}

class Waiter extends ProcessProtocol {
  constructor(readonly done: (err?: Error) => void) {
    super();
  }
  override processEnded(reason: Failure): void {
    const v = reason.value as { exitCode?: number | null };
    this.done(v.exitCode === 0 ? undefined : new Error(`exit ${v.exitCode}`));
  }
}

function torsionSpawnOne(reactor: Reactor): Promise<void> {
  return new Promise((resolve, reject) => {
    reactor.spawnProcess(new Waiter((err) => (err ? reject(err) : resolve())), '/bin/true', undefined, { env: null });
  });
}

async function rawSpawns(count: number, concurrency: number): Promise<Rate> {
  const t0 = nowMs();
  const c0 = cpuSeconds();
  await pool(count, concurrency, () => rawSpawnOne());
  return measure(count, t0, c0);
}

async function torsionSpawns(count: number, concurrency: number): Promise<Rate> {
  return withReactor(async (reactor) => {
    const t0 = nowMs();
    const c0 = cpuSeconds();
    await pool(count, concurrency, () => torsionSpawnOne(reactor));
    return measure(count, t0, c0);
  });
}

// ---- child stdout bulk ----------------------------------------------------------

function rawBulk(bytes: number): Promise<Rate> {
  return new Promise((resolve, reject) => {
    const t0 = nowMs();
    const c0 = cpuSeconds();
    let got = 0;
    const child = spawn('/usr/bin/head', ['-c', String(bytes), '/dev/zero']);
    child.stdout.on('data', (d: Buffer) => {
      got += d.length;
    });
    child.on('error', reject);
    child.on('close', () => {
      if (got !== bytes) reject(new Error(`got ${got} of ${bytes}`));
      else resolve(measure(bytes / 2 ** 20, t0, c0));
    });
  });
}

class Counter extends ProcessProtocol {
  got = 0;
  constructor(readonly done: () => void) {
    super();
  }
  override outReceived(data: Buffer): void {
    this.got += data.length;
  }
  override processEnded(): void {
    this.done();
  }
}

function torsionBulk(bytes: number): Promise<Rate> {
  return withReactor(
    (reactor) =>
      new Promise<Rate>((resolve, reject) => {
        const t0 = nowMs();
        const c0 = cpuSeconds();
        const p: Counter = new Counter(() => {
          if (p.got !== bytes) reject(new Error(`got ${p.got} of ${bytes}`));
          else resolve(measure(bytes / 2 ** 20, t0, c0));
        });
        reactor.spawnProcess(p, '/usr/bin/head', ['head', '-c', String(bytes), '/dev/zero'], { env: null });
      }),
  );
}

async function main(): Promise<void> {
  const spawns = envInt('PROC_SPAWNS', 400);
  const concurrency = envInt('PROC_CONCURRENCY', 20);
  const bytes = envInt('PROC_BYTES', 100_000_000);
  const rounds = envInt('PROC_ROUNDS', 3);
  const rows: Row[] = [];
  const pick = (res: Record<'raw' | 'torsion', Rate[]>, side: 'raw' | 'torsion', k: keyof Rate): number =>
    median(res[side].map((r) => r[k]));

  const label1 = `W9 spawn-to-exit /bin/true, ${concurrency} concurrent`;
  const r1 = await alternate(
    rounds,
    {
      raw: (warm) => rawSpawns(warm ? spawns / 4 : spawns, concurrency),
      torsion: (warm) => torsionSpawns(warm ? spawns / 4 : spawns, concurrency),
    },
    { onRound: (side, i, r) => progress(`${label1} round ${i} ${side}: ${r.perSec.toFixed(0)} spawns/s`) },
  );
  rows.push(
    {
      name: label1,
      unit: 'spawns/s',
      raw: pick(r1, 'raw', 'perSec'),
      torsion: pick(r1, 'torsion', 'perSec'),
      better: 'higher',
      target: 1.0,
    },
    {
      name: `${label1}, per CPU-s`,
      unit: 'spawns/CPU-s',
      raw: pick(r1, 'raw', 'perCpuSec'),
      torsion: pick(r1, 'torsion', 'perCpuSec'),
      better: 'higher',
      target: 1.0,
    },
  );

  const label2 = `W9 child stdout ${(bytes / 1e6).toFixed(0)} MB into a protocol`;
  const r2 = await alternate(
    rounds,
    { raw: (warm) => rawBulk(warm ? bytes / 8 : bytes), torsion: (warm) => torsionBulk(warm ? bytes / 8 : bytes) },
    { onRound: (side, i, r) => progress(`${label2} round ${i} ${side}: ${r.perSec.toFixed(0)} MB/s`) },
  );
  rows.push(
    {
      name: label2,
      unit: 'MB/s',
      raw: pick(r2, 'raw', 'perSec'),
      torsion: pick(r2, 'torsion', 'perSec'),
      better: 'higher',
      target: 1.0,
    },
    {
      name: `${label2}, per CPU-s`,
      unit: 'MB/CPU-s',
      raw: pick(r2, 'raw', 'perCpuSec'),
      torsion: pick(r2, 'torsion', 'perCpuSec'),
      better: 'higher',
      target: 1.0,
    },
  );
  report('process', rows, ['1 MB = 2^20 bytes; CPU-seconds of the parent process only']);
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
