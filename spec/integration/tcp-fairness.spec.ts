/**
 * Fairness under streaming load (issue 7, defect 4): one connection's reads
 * must not hold the loop. 100 connections stream both ways through one
 * listening port (and two CPU-burning child processes make the loop slow);
 * while that load runs, 50 further connectTCP calls must all reach the
 * server side's connectionMade, and a callLater(0.05) must fire. Before the
 * fix a readable stream was drained up to 32 × 64 KiB per libuv event, a loop
 * pass took ~100 ms and the port accepted about one connection per pass, so
 * the load finished first.
 *
 * "While the load runs" is asserted on the load itself (bytes still to be
 * delivered), never on wall-clock time.
 */
import { type ChildProcess, spawn } from 'node:child_process';

import type { IPushProducer } from '../../src/interfaces/producer';
import { ClientFactory, Factory } from '../../src/protocol/factory';
import { Protocol } from '../../src/protocol/protocol';
import { _setNativeListen } from '../../src/tcp/socket';
import { ACCEPT_MODES, Signal, until, useAcceptMode, useReactor } from '../tcp/harness';

const CHUNK = Buffer.alloc(64 * 1024, 0x73);
const STREAMS = 100;
const NEWCOMERS = 50;
/**
 * Bytes each side of each streaming connection sends (the load's bound: 800
 * MiB in all). Measured on Node 20 (libuv accepts one connection per loop
 * pass): with reads bounded per pass the 50 newcomers are served while
 * ~460 MiB of the load is delivered; with libuv draining each stream up to
 * 32 reads per event, ~1600 MiB would have to be delivered first.
 */
const TOTAL = 64 * CHUNK.length;

/** The load's progress, shared by every streaming protocol. */
class Load {
  received = 0;
  readonly expected = STREAMS * 2 * TOTAL;
  get running(): boolean {
    return this.received < this.expected;
  }
}

/** Writes TOTAL bytes in 64 KiB chunks as a streaming producer, and counts what it reads. */
class Streamer extends Protocol implements IPushProducer {
  load!: Load;
  #sent = 0;
  #paused = false;
  override connectionMade(): void {
    this.transport!.registerProducer(this, true);
    this.resumeProducing();
  }
  override dataReceived(data: Buffer): void {
    this.load.received += data.length;
  }
  pauseProducing(): void {
    this.#paused = true;
  }
  resumeProducing(): void {
    this.#paused = false;
    const t = this.transport!;
    while (!this.#paused && this.#sent < TOTAL) {
      this.#sent += CHUNK.length;
      t.write(CHUNK);
    }
    if (this.#sent >= TOTAL && !this.#paused) t.unregisterProducer();
  }
  stopProducing(): void {
    this.#paused = true;
  }
}

/** A server-side protocol of the newcomers: records whether the load still ran when it was made. */
class Newcomer extends Protocol {
  static made = 0;
  static madeDuringLoad = 0;
  static load: Load;
  static all = new Signal<void>();
  override connectionMade(): void {
    Newcomer.made++;
    if (Newcomer.load.running) Newcomer.madeDuringLoad++;
    if (Newcomer.made === NEWCOMERS) Newcomer.all.fire();
  }
}

function streamerFactory<F extends Factory>(f: F, load: Load): F {
  f.protocol = Streamer;
  const build = f.buildProtocol.bind(f);
  f.buildProtocol = (addr) => {
    const p = build(addr) as Streamer;
    p.load = load;
    return p;
  };
  return f;
}

/** How the port accepts: on libuv's handle (as a native stream or a net.Socket), or through a public net.Server. */
const MODES = [...ACCEPT_MODES, 'public net.Server'] as const;

describe.each(MODES)('a listening port under streaming load (accepted: %s)', (mode) => {
  if (mode === 'public net.Server') {
    beforeAll(() => _setNativeListen(false));
    afterAll(() => _setNativeListen(true));
  } else {
    useAcceptMode(mode);
  }
  const h = useReactor();
  let burners: ChildProcess[] = [];

  // biome-ignore lint/suspicious/noDuplicateTestHooks: useReactor's hooks are the harness's, these are the CPU burners'
  beforeAll(() => {
    burners = [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  });
  // biome-ignore lint/suspicious/noDuplicateTestHooks: see beforeAll
  afterAll(() => {
    for (const b of burners) b.kill('SIGKILL');
    burners = [];
  });

  it('accepts 50 more connections and fires a 50 ms timer while 100 connections stream both ways', async () => {
    const load = new Load();
    Newcomer.made = Newcomer.madeDuringLoad = 0;
    Newcomer.load = load;
    Newcomer.all = new Signal<void>();

    // The streaming connections and the newcomers share one listening port:
    // the first STREAMS accepted stream, the rest are newcomers.
    let accepted = 0;
    const serverStreams = streamerFactory(new Factory(), load);
    const serverFactory = new (class extends Factory {
      override buildProtocol(addr: Parameters<Factory['buildProtocol']>[0]) {
        if (accepted++ < STREAMS) return serverStreams.buildProtocol(addr);
        const p = new Newcomer();
        p.factory = this;
        return p;
      }
    })();
    const port = h.r.listenTCP(0, serverFactory, { interface: '127.0.0.1', backlog: 511 });
    // (The public path binds a tick later.)
    await until(() => port.getHost().port !== 0);
    const portNo = port.getHost().port;

    const clientStreams = streamerFactory(new ClientFactory(), load);
    for (let i = 0; i < STREAMS; i++) h.r.connectTCP('127.0.0.1', portNo, clientStreams);
    await until(() => accepted >= STREAMS, 30_000, 'the streaming connections');
    // The load is under way in both directions.
    await until(() => load.received >= STREAMS * 2 * CHUNK.length, 30_000, 'the load to start');
    expect(load.running).toBe(true);

    let timerFiredDuringLoad: boolean | null = null;
    h.r.callLater(0.05, () => {
      timerFiredDuringLoad = load.running;
    });
    const newcomerClients = new ClientFactory();
    newcomerClients.protocol = Protocol;
    for (let i = 0; i < NEWCOMERS; i++) h.r.connectTCP('127.0.0.1', portNo, newcomerClients);

    // Either every newcomer is served or the load ends first (then the
    // count below says how many were served while it ran).
    await until(() => Newcomer.made === NEWCOMERS || !load.running, 110_000, 'the newcomers or the end of the load');
    const servedDuringLoad = Newcomer.madeDuringLoad;
    // (The newcomers may all be served before the 50 ms are up.)
    await until(() => timerFiredDuringLoad !== null || !load.running, 110_000, 'the timer or the end of the load');
    expect(timerFiredDuringLoad).toBe(true);
    expect(servedDuringLoad).toBe(NEWCOMERS);
  }, 120_000);
});
