/**
 * Helpers of the interop specs: find a Python that imports Twisted, start
 * the peers in ./peers as child processes and follow the JSON events they
 * print, and the deterministic byte pattern both sides generate.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';

/** Where a usable Python is, or why there is none. */
export type TwistedPython = { python: string; version: string } | { python: null; reason: string };

/**
 * The first of /usr/bin/python3 (Debian's, where python3-twisted installs)
 * and `python3` on PATH (often a pyenv build without Twisted) that can
 * `import twisted`.
 */
export function findTwistedPython(): TwistedPython {
  const tried: string[] = [];
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import twisted; print(twisted.__version__)'], { encoding: 'utf8', timeout: 15000 });
    if (r.status === 0) return { python, version: r.stdout.trim() };
    tried.push(`${python}: ${r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`}`);
  }
  return { python: null, reason: `no Python with Twisted found (${tried.join('; ')}); install python3-twisted` };
}

/** One line a peer printed. */
export interface PeerEvent {
  event: string;
  [field: string]: unknown;
}

/**
 * A running peer script. Its stdin stays open: closing it (stop()) tells a
 * server to stop its reactor, so a crashed spec never leaves one behind.
 */
export class Peer {
  readonly events: PeerEvent[] = [];
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;
  #stderr = '';
  #waiters: { pred: (e: PeerEvent) => boolean; resolve: (e: PeerEvent) => void }[] = [];

  constructor(python: string, script: string, args: string[] = []) {
    this.#child = spawn(python, [path.join(__dirname, 'peers', script), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // No __pycache__ in the source tree.
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
    });
    let pending = '';
    this.#child.stdout!.setEncoding('utf8');
    this.#child.stdout!.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.trim() !== '') this.#push(JSON.parse(line) as PeerEvent);
      }
    });
    this.#child.stderr!.setEncoding('utf8');
    this.#child.stderr!.on('data', (chunk: string) => (this.#stderr += chunk));
    this.exited = new Promise((resolve) => this.#child.once('close', (code) => resolve(code)));
  }

  /** What the peer wrote to stderr (for failure messages). */
  get stderr(): string {
    return this.#stderr;
  }

  #push(e: PeerEvent): void {
    this.events.push(e);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.pred(e)) return true;
      w.resolve(e);
      return false;
    });
  }

  /** The first event (already printed or still to come) named `name` that satisfies `pred`. */
  next(name: string, pred: (e: PeerEvent) => boolean = () => true): Promise<PeerEvent> {
    const match = (e: PeerEvent): boolean => e.event === name && pred(e);
    const seen = this.events.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ pred: match, resolve });
      void this.exited.then((code) =>
        reject(new Error(`peer exited (${code}) before printing ${name}; stderr: ${this.#stderr}`)),
      );
    });
  }

  /** The port a server peer listens on. */
  async port(): Promise<number> {
    return (await this.next('listening')).port as number;
  }

  /** Close stdin and wait for the exit; kill it if it lingers. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.stdin!.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** n bytes of the pattern the peers use too: byte i is (i * 7 + floor(i / 251)) mod 256. */
export function pattern(n: number): Buffer {
  const period = 251 * 256;
  const block = Buffer.alloc(period);
  for (let i = 0; i < period; i++) block[i] = (i * 7 + Math.floor(i / 251)) % 256;
  const out = Buffer.alloc(n);
  for (let off = 0; off < n; off += period) block.copy(out, off, 0, Math.min(period, n - off));
  return out;
}
