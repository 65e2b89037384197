/**
 * Shared plumbing for the TCP benchmarks: sizes from the environment,
 * alternating rounds, percentiles, memory snapshots and the result table.
 *
 * Every bench runs torsion and plain node:net in the same process, round by
 * round (raw, torsion, raw, torsion, ...), because the machine is shared and
 * noisy: only same-run ratios mean anything. Each bench prints a table and
 * one machine-readable `##BENCH {json}` line that bench/run-all.ts collects.
 *
 * @internal
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';

import type { IPv4Address, IPv6Address } from '../src/address';
import type { IListeningPort } from '../src/interfaces/connector';
import { Reactor } from '../src/reactor';

/** An integer size from the environment, e.g. `PINGPONG_SECONDS=5`. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a non-negative number, got ${raw}`);
  return Math.floor(n);
}

/** A float from the environment. */
export function envNum(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a non-negative number, got ${raw}`);
  return n;
}

/** Milliseconds, sub-millisecond resolution. */
export const nowMs = (): number => performance.now();

/**
 * CPU seconds (user + system) this process has used. On a shared machine a
 * rate per CPU-second is steadier than a rate per wall-clock second, since
 * it does not count the time the process waited for a core.
 */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Median of a list (the value reported for a set of rounds). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Latency samples in a growable Float64Array, so that recording one sample
 * costs the same on both sides and allocates nothing per round trip.
 */
export class Samples {
  #buf: Float64Array;
  #n = 0;
  constructor(capacity = 1 << 16) {
    this.#buf = new Float64Array(capacity);
  }
  /** Record one sample. */
  add(v: number): void {
    if (this.#n === this.#buf.length) {
      const bigger = new Float64Array(this.#buf.length * 2);
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    this.#buf[this.#n++] = v;
  }
  /** Number of samples. */
  get count(): number {
    return this.#n;
  }
  /** The p-th percentile (0–100), nearest rank. */
  percentile(p: number): number {
    if (this.#n === 0) return NaN;
    const s = this.#buf.slice(0, this.#n).sort();
    const rank = Math.min(this.#n - 1, Math.max(0, Math.ceil((p / 100) * this.#n) - 1));
    return s[rank]!;
  }
}

/** One contender of a round. */
export type Side = 'raw' | 'torsion';

/**
 * Run `rounds` rounds, alternating the sides (the order flips every round
 * so that neither side always runs warm or cold), and collect each side's
 * results. A `warmup` round of each side runs first and is discarded.
 * `BENCH_SIDES=raw` runs one side only (a baseline; the ratio is then NaN).
 */
export async function alternate<T>(
  rounds: number,
  run: Record<Side, (warmup: boolean) => Promise<T>>,
  opts: { warmup?: boolean; onRound?: (side: Side, round: number, r: T) => void } = {},
): Promise<Record<Side, T[]>> {
  const out: Record<Side, T[]> = { raw: [], torsion: [] };
  const sides = (process.env.BENCH_SIDES ?? 'raw,torsion').split(',') as Side[];
  if (opts.warmup ?? true) {
    for (const side of sides) await run[side](true);
  }
  for (let i = 0; i < rounds; i++) {
    const order: Side[] = i % 2 === 0 ? ['raw', 'torsion'] : ['torsion', 'raw'];
    for (const side of order) {
      if (!sides.includes(side)) continue;
      const r = await run[side](false);
      out[side].push(r);
      opts.onRound?.(side, i, r);
    }
  }
  return out;
}

/** `global.gc` when the process runs with --expose-gc. */
export function gcOrNull(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  return typeof g === 'function' ? g : null;
}

/**
 * Collect garbage until the heap stops shrinking. Node frees a closed
 * socket's objects only after the weak callbacks of its native handle have
 * run, a turn or more after 'close', so one gc() right after closing
 * undercounts the next baseline.
 */
export async function fullGc(): Promise<void> {
  const gc = gcOrNull();
  if (gc === null) throw new Error('Run with `node --expose-gc --import tsx bench/<file>.ts` to measure memory');
  let last = Infinity;
  for (let i = 0; i < 50; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
    const used = process.memoryUsage().heapUsed;
    if (i >= 3 && last - used < 4096) return;
    last = used;
  }
}

/** What counts as memory in W5. */
export interface MemSnapshot {
  heap: number;
  external: number;
  rss: number;
}

/** A memory snapshot (call fullGc first). */
export function memSnapshot(): MemSnapshot {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external + m.arrayBuffers, rss: m.rss };
}

/** One line of a result table. */
export interface Row {
  /** What was measured, e.g. "W2 ping-pong, 1 conn". */
  name: string;
  /** The unit of raw/torsion, e.g. "rt/s". */
  unit: string;
  raw: number;
  torsion: number;
  /** Whether a higher number is better (throughput) or a lower one (latency, memory). */
  better: 'higher' | 'lower';
  /** The target for torsion/raw, if any (≥ for higher-better, ≤ for lower-better). */
  target?: number;
}

/** torsion / raw: above 1 is faster for throughput, above 1 is worse for latency and memory. */
export function ratio(row: Row): number {
  return row.torsion / row.raw;
}

/** Whether a row meets its target ('' when it has none). */
export function verdict(row: Row): string {
  const r = ratio(row);
  if (row.target === undefined || !Number.isFinite(r)) return '';
  const ok = row.better === 'higher' ? r >= row.target : r <= row.target;
  return `${ok ? 'ok' : 'MISS'} (target ${row.better === 'higher' ? '≥' : '≤'}${row.target}×)`;
}

/** A number printed with 3 significant digits and thousands separators. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Render rows as an aligned text table. */
export function formatTable(rows: readonly Row[]): string {
  const head = ['workload', 'unit', 'node:net', 'torsion', 'torsion/raw', 'better', 'verdict'];
  const body = rows.map((r) => [r.name, r.unit, fmt(r.raw), fmt(r.torsion), `${ratio(r).toFixed(2)}×`, r.better, verdict(r)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Print the table and the `##BENCH` line that run-all collects. */
export function report(bench: string, rows: readonly Row[], notes: readonly string[] = []): void {
  console.log(`\n== ${bench} (node ${process.version}, raw and torsion in alternating rounds of one run; median of rounds) ==`);
  console.log(formatTable(rows));
  for (const n of notes) console.log(`  note: ${n}`);
  console.log(`##BENCH ${JSON.stringify({ bench, rows })}`);
}

/** Print progress to stderr so that stdout stays the table. */
export function progress(msg: string): void {
  if (process.env.BENCH_QUIET !== '1') process.stderr.write(`  ${msg}\n`);
}

/** Listen a node:net server on 127.0.0.1, port 0; resolves the port. */
export function listenRaw(server: net.Server, backlog = 511): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog }, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** Close a node:net server (after its connections are gone). */
export function closeRaw(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Run `count` tasks with at most `concurrency` in flight. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/**
 * Run `body` on a fresh Reactor: run() it, await the body, stop() it and
 * wait until shutdown has fully run (every connection lost, ports closed).
 */
export async function withReactor<T>(body: (r: Reactor) => Promise<T>): Promise<T> {
  const r = new Reactor();
  const done = r.run({ installSignalHandlers: false });
  try {
    return await body(r);
  } finally {
    if (r.running) r.stop();
    await done;
  }
}

/** The port number a listening port got (listenTCP on port 0). */
export function portOf(port: IListeningPort): number {
  return (port.getHost() as IPv4Address | IPv6Address).port;
}

/** What one ping-pong round measured. */
export interface PingPongResult {
  rate: number;
  /** Round trips per CPU-second of this process. */
  cpuRate: number;
  p50: number;
  p99: number;
}

/**
 * The ping-pong driver of the stream benches (W2 TCP, W8 UNIX): given a way
 * to send one `size`-byte message on connection i, run for `seconds`
 * and count round trips completed before the deadline. `onEcho(i, n)` is
 * what each side's receive path calls with the number of bytes that came in.
 */
export class PingPongDriver {
  readonly samples = new Samples();
  trips = 0;
  running = true;
  #sentAt: Float64Array;
  #got: Int32Array;
  #send: (i: number) => void;
  #idle = 0;
  #whenIdle: (() => void) | null = null;
  constructor(
    conns: number,
    send: (i: number) => void,
    readonly size: number,
  ) {
    this.#sentAt = new Float64Array(conns);
    this.#got = new Int32Array(conns);
    this.#send = send;
  }
  start(i: number): void {
    this.#sentAt[i] = nowMs();
    this.#send(i);
  }
  onEcho(i: number, n: number): void {
    let got = this.#got[i]! + n;
    while (got >= this.size) {
      got -= this.size;
      const t = nowMs();
      if (this.running) {
        this.trips++;
        this.samples.add(t - this.#sentAt[i]!);
        this.#sentAt[i] = t;
        this.#send(i);
      } else {
        this.#idle++;
        if (this.#idle === this.#sentAt.length) this.#whenIdle?.();
      }
    }
    this.#got[i] = got;
  }
  /** Run every connection for `seconds`; resolve once each is idle again. */
  run(seconds: number): Promise<PingPongResult> {
    return new Promise((resolve) => {
      const t0 = nowMs();
      const c0 = cpuSeconds();
      let result: PingPongResult;
      this.#whenIdle = () => resolve(result);
      setTimeout(() => {
        const elapsed = (nowMs() - t0) / 1000;
        this.running = false;
        result = {
          rate: this.trips / elapsed,
          cpuRate: this.trips / (cpuSeconds() - c0),
          p50: this.samples.percentile(50) * 1000,
          p99: this.samples.percentile(99) * 1000,
        };
      }, seconds * 1000);
      for (let i = 0; i < this.#sentAt.length; i++) this.start(i);
    });
  }
}
