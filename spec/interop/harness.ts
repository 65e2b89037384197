/**
 * Helpers of the interop specs: find a Python that imports Twisted, start
 * the peers in ./peers as child processes and follow the JSON events they
 * print, the deterministic byte pattern both sides generate, and the set-up
 * every interop spec shares ({@link describeWithTwisted}: a fresh running
 * Reactor per test, peers stopped after it; {@link OneShotFactory}).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { Failure } from '../../src/defer/failure';
import { ClientFactory } from '../../src/protocol/factory';
import type { Protocol } from '../../src/protocol/protocol';
import { Reactor } from '../../src/reactor';

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

/** A promise with its settle functions outside, for protocol callbacks to fire. */
export function signal<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A client factory that hands out one given protocol; `failed` resolves if the attempt fails. */
export class OneShotFactory extends ClientFactory {
  readonly failed = signal<Failure>();
  constructor(readonly proto: Protocol) {
    super();
  }
  override buildProtocol(): Protocol {
    this.proto.factory = this;
    return this.proto;
  }
  override clientConnectionFailed(_c: unknown, reason: Failure): void {
    this.failed.resolve(reason);
  }
}

/** What {@link describeWithTwisted} hands its body: the current test's reactor, and a way to start peers. */
export interface InteropContext {
  /** The Python that imports Twisted. */
  readonly python: string;
  /** A fresh, running Reactor for the current test (stopped after it). */
  readonly reactor: Reactor;
  /** Start the peer `script` of ./peers (stopped after the test). */
  peer(script: string, args?: string[]): Peer;
}

/**
 * `describe(name + Twisted's version)` with a fresh running Reactor per
 * test and the peers it started stopped after it. Without a Python that
 * imports Twisted, one test reports why (`what` names the specs) and the
 * others are not defined.
 */
export function describeWithTwisted(name: string, what: string, body: (ctx: InteropContext) => void): void {
  const found = findTwistedPython();
  if (found.python === null) {
    const reason = found.reason;
    describe(name, () => {
      it('needs a Python with python3-twisted (reports why it did not run)', () => {
        console.warn(`${what} not run: ${reason}`);
        expect(reason).toMatch(/Twisted/);
      });
    });
    return;
  }
  const python = found.python;
  describe(`${name} ${found.version} (${python})`, () => {
    let reactor: Reactor | null = null;
    let done: Promise<void> = Promise.resolve();
    const peers: Peer[] = [];
    beforeEach(() => {
      reactor = new Reactor();
      done = reactor.run();
    });
    afterEach(async () => {
      if (reactor?.running) reactor.stop();
      await done;
      await Promise.all(peers.splice(0).map((p) => p.stop()));
    });
    body({
      python,
      get reactor(): Reactor {
        if (reactor === null) throw new Error('the interop reactor exists only while a test runs');
        return reactor;
      },
      peer(script: string, args: string[] = []): Peer {
        const p = new Peer(python, script, args);
        peers.push(p);
        return p;
      },
    });
  });
}
