/**
 * The UNIX socket sides of the transport conformance suite (unix): a real
 * Reactor with listenUNIX/connectUNIX on a socket file in a temp directory,
 * and MemoryReactorClock's unixServers/unixClients paired by
 * ConnectionCompleter. Helper module, not a spec.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { IListeningPort } from '../../src/interfaces/connector';
import { ConnectionCompleter, type IOPump } from '../../src/testing/io-pump';
import { MemoryReactorClock } from '../../src/testing/memory-reactor-clock';
import type { Recorder } from '../testing/recorder';
import { PairClientFactory, serverFactory, type Pair, type TransportHarness } from './harness';
import { sleep, startReactor } from './real-harness';

const SETTLE_LIMIT_MS = 5000;

/** Connections over real UNIX sockets, one fresh Reactor and temp directory per harness. */
export function makeRealUNIXTransportHarness(): TransportHarness {
  const { reactor, stop } = startReactor();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torsion-unix-conf-'));
  const ports: IListeningPort[] = [];
  let n = 0;
  const idle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) await sleep(10);
  };
  return {
    async connect<S extends Recorder, C extends Recorder>(makeServer: () => S, makeClient: () => C): Promise<Pair<S, C>> {
      let server: S | null = null;
      let client: C | null = null;
      const file = path.join(dir, `s${n++}.sock`);
      ports.push(
        reactor.listenUNIX(
          file,
          serverFactory(() => {
            if (server !== null) throw new Error('unix harness: a second connection arrived');
            server = makeServer();
            return server;
          }),
        ),
      );
      const clientFactory = new PairClientFactory(() => {
        client = makeClient();
        return client;
      });
      reactor.connectUNIX(file, clientFactory);
      const made = () => server !== null && client !== null && server.events.includes('made') && client.events.includes('made');
      const deadline = Date.now() + SETTLE_LIMIT_MS;
      while (!made()) {
        if (clientFactory.failures.length > 0) throw clientFactory.failures[0]!.value;
        if (Date.now() > deadline) throw new Error('unix harness: timed out waiting for the connection');
        await sleep(2);
      }
      const s = server as unknown as S;
      const c = client as unknown as C;
      return { server: s, client: c, serverTransport: s.transport!, clientTransport: c.transport! };
    },
    async settle(done: () => boolean, what: string): Promise<void> {
      const deadline = Date.now() + SETTLE_LIMIT_MS;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`unix harness: timed out waiting for ${what}`);
        await sleep(2);
      }
      await idle();
    },
    idle,
    async teardown(): Promise<void> {
      for (const p of ports) await p.stopListening();
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Connections through MemoryReactorClock's UNIX records + ConnectionCompleter + IOPump. */
export function makeFakeUNIXTransportHarness(): TransportHarness {
  const reactor = new MemoryReactorClock();
  const pumps: IOPump[] = [];
  const flushAll = (): void => {
    let moved = true;
    while (moved) {
      moved = false;
      for (const p of pumps) if (p.flush()) moved = true;
    }
  };
  return {
    async connect<S extends Recorder, C extends Recorder>(makeServer: () => S, makeClient: () => C): Promise<Pair<S, C>> {
      const port = reactor.listenUNIX('/run/torsion-conformance.sock', serverFactory(makeServer));
      reactor.connectUNIX('/run/torsion-conformance.sock', new PairClientFactory(makeClient));
      const pump = new ConnectionCompleter(reactor).succeedOnce({ clock: reactor });
      void port.stopListening();
      reactor.unixServers.length = 0;
      if (pump === null) throw new Error('fake unix harness: the connection was not completed');
      pumps.push(pump);
      return {
        server: pump.server as S,
        client: pump.client as C,
        serverTransport: pump.serverIO,
        clientTransport: pump.clientIO,
      };
    },
    async settle(done: () => boolean, what: string): Promise<void> {
      flushAll();
      if (!done()) throw new Error(`fake unix harness: the pumps went quiet before ${what}`);
    },
    async idle(): Promise<void> {
      flushAll();
    },
    async teardown(): Promise<void> {},
  };
}
