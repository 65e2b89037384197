/**
 * Runs every benchmark in sequence, each in its own child process (so one
 * bench's heap, JIT state and sockets cannot colour the next), streams
 * their output, and prints one summary table from their `##BENCH` lines.
 *
 * Run: `npm run bench` or `npx tsx bench/run-all.ts [name ...]`, where a
 * name filters the benches by substring (e.g. `pingpong bulk`).
 * A bench that crashes makes the exit status 1; a missed target does not
 * (benchmarks are reported, never asserted).
 * @internal
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

import { formatTable, type Row } from './common';

/** The benches, in the order they run; missing files are skipped (timers.ts belongs to another part). */
const BENCHES = [
  'timers.ts',
  'tcp-pingpong.ts',
  'tcp-bulk.ts',
  'tcp-connect.ts',
  'tcp-memory.ts',
  'udp.ts',
  'tls.ts',
  'unix.ts',
  'process.ts',
  'fdesc.ts',
  'streams.ts',
  'packets.ts',
  'packets-sync.ts',
  'telnet-negotiation.ts',
];

interface Outcome {
  bench: string;
  status: number | null;
  seconds: number;
  rows: Row[];
}

/** Run one bench file with the same loader flags as this process (tsx), plus --expose-gc. */
function runOne(file: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const rows: Row[] = [];
    const child = spawn(process.execPath, ['--expose-gc', ...process.execArgv, file], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      process.stdout.write(chunk);
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith('##BENCH ')) {
          const parsed = JSON.parse(line.slice(8)) as { rows: Row[] };
          // JSON turns NaN (a side that did not run) into null.
          for (const r of parsed.rows) rows.push({ ...r, raw: r.raw ?? NaN, torsion: r.torsion ?? NaN });
        }
      }
    });
    child.on('close', (status) => {
      resolve({ bench: path.basename(file), status, seconds: (Date.now() - t0) / 1000, rows });
    });
  });
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = BENCHES.map((b) => path.join(__dirname, b))
    .filter((f) => existsSync(f))
    .filter((f) => filters.length === 0 || filters.some((x) => path.basename(f).includes(x)));
  const outcomes: Outcome[] = [];
  for (const f of files) {
    console.log(`\n### ${path.basename(f)}`);
    outcomes.push(await runOne(f));
  }
  console.log(`\n## Summary (node ${process.version}, ${new Date().toISOString()})`);
  const rows = outcomes.flatMap((o) => o.rows);
  if (rows.length > 0) console.log(formatTable(rows));
  for (const o of outcomes) {
    const state = o.status === 0 ? 'ok' : `FAILED (exit ${o.status})`;
    const note = o.rows.length === 0 && o.status === 0 ? ', printed no ##BENCH rows' : '';
    console.log(`  ${o.bench}: ${state} in ${o.seconds.toFixed(1)} s${note}`);
  }
  return outcomes.every((o) => o.status === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
