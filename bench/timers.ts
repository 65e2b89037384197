/**
 * W1: one million timers, ¼ cancelled — torsion's reactor against raw
 * setTimeout/clearTimeout in the same process.
 *
 * Run: `npx tsx bench/timers.ts [rounds] [--distinct]` (default 5 rounds of
 * each, alternating).
 *
 * Load per round: 1,000,000 timers with random integer-millisecond delays in
 * [0, 100] ms (the same pseudo-random sequence for both sides), every 4th
 * cancelled right after it is scheduled. A round is timed from the first
 * schedule until the last surviving timer has fired. torsion's side uses
 * one running `new Reactor()` for all rounds (`callLater(ms / 1000, fn)`
 * and `DelayedCall.cancel()`); the raw side uses `setTimeout(fn, ms)` and
 * `clearTimeout`. A full GC runs between rounds so one round's garbage is
 * not billed to the next. Both wall-clock time and the process's CPU time
 * (user + system, which includes the GC's helper threads) are reported; on
 * a shared, loaded machine CPU time is the steadier of the two. Only the
 * same-run ratio means anything. Ratio = raw time / torsion time (> 1 means
 * torsion is faster).
 *
 * `--distinct` measures the worst case instead: 300,000 timers whose
 * delays are all different fractions of a millisecond in [0, 100) ms
 * (jittered timeouts), where no two calls share a FIFO and torsion's queue
 * is a plain binary heap.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Reactor } from '../src/reactor';
import { report } from './common';

const DISTINCT = process.argv.includes('--distinct');
const N = DISTINCT ? 300_000 : 1_000_000;
const MAX_DELAY_MS = 100;
const ROUNDS = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 5);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// A fixed xorshift sequence, so both sides (and every run) see the same delays.
function delaysMs(): Uint8Array | Float64Array {
  const out = DISTINCT ? new Float64Array(N) : new Uint8Array(N);
  let x = 0x2545f491;
  for (let i = 0; i < N; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = DISTINCT ? ((x >>> 0) / 2 ** 32) * MAX_DELAY_MS : (x >>> 0) % (MAX_DELAY_MS + 1);
  }
  return out;
}

const DELAYS = delaysMs();
const EXPECTED = N - Math.floor(N / 4);

/** Wall-clock and CPU (user + system) milliseconds of one round. */
interface Timing {
  wall: number;
  cpu: number;
}

function stopwatch(): () => Timing {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
  };
}

function rawRound(): Promise<Timing> {
  return new Promise((resolve) => {
    let fired = 0;
    const lap = stopwatch();
    const onTimer = (): void => {
      if (++fired === EXPECTED) resolve(lap());
    };
    for (let i = 0; i < N; i++) {
      const h = setTimeout(onTimer, DELAYS[i]);
      if ((i & 3) === 3) clearTimeout(h);
    }
  });
}

function torsionRound(reactor: Reactor): Promise<Timing> {
  return new Promise<Timing>((resolve) => {
    let fired = 0;
    const lap = stopwatch();
    const onTimer = (): void => {
      if (++fired === EXPECTED) resolve(lap());
    };
    for (let i = 0; i < N; i++) {
      const call = reactor.callLater(DELAYS[i] / 1000, onTimer);
      if ((i & 3) === 3) call.cancel();
    }
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  console.log(
    DISTINCT
      ? `Worst case: ${N.toLocaleString('en')} timers, all-different fractional delays in [0, ${MAX_DELAY_MS}) ms, ` +
          `every 4th cancelled; ${ROUNDS} alternating rounds each`
      : `W1 timers: ${N.toLocaleString('en')} timers, random integer-millisecond delays in [0, ${MAX_DELAY_MS}] ms ` +
          `(0.000–0.${MAX_DELAY_MS} s for callLater), every 4th cancelled; ${ROUNDS} alternating rounds each`,
  );
  console.log(
    `node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  // One reactor for the whole run, as in an application: it runs for the
  // life of the process, like Node's own timer machinery.
  const reactor = new Reactor();
  const done = reactor.run();
  const raw: Timing[] = [];
  const torsion: Timing[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    gc();
    const tr = await rawRound();
    gc();
    const tt = await torsionRound(reactor);
    raw.push(tr);
    torsion.push(tt);
    console.log(
      `round ${r + 1}: raw setTimeout ${fmt(tr)}   torsion callLater ${fmt(tt)}   ratio ${(tr.wall / tt.wall).toFixed(2)} wall, ${(tr.cpu / tt.cpu).toFixed(2)} CPU`,
    );
  }
  reactor.stop();
  await done;
  const mr = { wall: median(raw.map((t) => t.wall)), cpu: median(raw.map((t) => t.cpu)) };
  const mt = { wall: median(torsion.map((t) => t.wall)), cpu: median(torsion.map((t) => t.cpu)) };
  console.log(`median:  raw setTimeout ${fmt(mr)}   torsion callLater ${fmt(mt)}`);
  console.log(
    `ratio (raw / torsion, > 1 = torsion faster): ${(mr.wall / mt.wall).toFixed(2)} wall-clock, ${(mr.cpu / mt.cpu).toFixed(2)} CPU time (medians)`,
  );
  // The same medians as rates, in the shared table format run-all.ts summarises.
  const what = DISTINCT ? 'W1 timers, all-distinct delays (worst case)' : 'W1 1M timers, 0–100 ms, ¼ cancelled';
  report('timers', [
    {
      name: what,
      unit: 'timers/s',
      raw: (N / mr.wall) * 1000,
      torsion: (N / mt.wall) * 1000,
      better: 'higher',
      target: DISTINCT ? undefined : 1.5,
    },
    {
      name: `${what}, per CPU-s`,
      unit: 'timers/CPU-s',
      raw: (N / mr.cpu) * 1000,
      torsion: (N / mt.cpu) * 1000,
      better: 'higher',
      target: DISTINCT ? undefined : 1.5,
    },
  ]);
}

function fmt(t: Timing): string {
  return `${t.wall.toFixed(0).padStart(5)} ms wall (${t.cpu.toFixed(0).padStart(5)} ms CPU)`;
}

void main();
