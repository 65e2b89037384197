/**
 * The real side of the conformance suites: a fresh Reactor per test, real
 * sockets on 127.0.0.1 port 0. Helper module, not a spec.
 */
import type { IPv4Address } from '../../src/address';
import type { IListeningPort } from '../../src/interfaces/connector';
import type { IClientFactory, IProtocolFactory } from '../../src/interfaces/protocol';
import { Reactor } from '../../src/reactor';
import type { Recorder } from '../testing/recorder';
import { PairClientFactory, serverFactory, type Pair, type TimeHarness, type TransportHarness } from './harness';

/** Wait `ms` milliseconds of wall time (only to let real I/O and timers happen). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A running Reactor and a way to stop it and wait for shutdown. */
export function startReactor(): { reactor: Reactor; stop(): Promise<void> } {
  const reactor = new Reactor();
  const done = reactor.run();
  return {
    reactor,
    async stop(): Promise<void> {
      if (reactor.running) reactor.stop();
      await done;
    },
  };
}

/** Time on a real, running Reactor: pass(s) waits s seconds plus a margin for the loop. */
export function makeReactorTimeHarness(): TimeHarness {
  const { reactor, stop } = startReactor();
  return {
    time: reactor,
    async pass(seconds: number): Promise<void> {
      await sleep(seconds * 1000 + 25);
    },
    teardown: stop,
  };
}

/** Connections over real sockets on 127.0.0.1 (port 0), one fresh Reactor per harness. */
export function makeRealTransportHarness(): TransportHarness {
  const { reactor, stop } = startReactor();
  const ports: IListeningPort[] = [];
  const listen = (f: IProtocolFactory): IListeningPort => reactor.listenTCP(0, f, { interface: '127.0.0.1' });
  const dial = (port: number, f: IClientFactory): void => {
    reactor.connectTCP('127.0.0.1', port, f);
  };
  const settle = async (done: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + SETTLE_LIMIT_MS;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`real harness: timed out waiting for ${what}`);
      await sleep(2);
    }
    await idle();
  };
  const idle = async (): Promise<void> => {
    // The loop's own turns, not a wall-clock window: each turn polls for I/O
    // again, so what the kernel already holds on loopback (bytes, a FIN, a
    // reset) and what it triggers in turn (a second, wrong callback) has
    // been delivered by the last one.
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return {
    async connect<S extends Recorder, C extends Recorder>(makeServer: () => S, makeClient: () => C): Promise<Pair<S, C>> {
      let server: S | null = null;
      let client: C | null = null;
      const port = listen(
        serverFactory(() => {
          if (server !== null) throw new Error('real harness: a second connection arrived');
          return (server = makeServer());
        }),
      );
      ports.push(port);
      const clientFactory = new PairClientFactory(() => (client = makeClient()));
      dial((port.getHost() as IPv4Address).port, clientFactory);
      const made = () => server !== null && client !== null && server.events.includes('made') && client.events.includes('made');
      const deadline = Date.now() + SETTLE_LIMIT_MS;
      while (!made()) {
        if (clientFactory.failures.length > 0) throw clientFactory.failures[0]!.value;
        if (Date.now() > deadline) throw new Error('real harness: timed out waiting for the connection');
        await sleep(2);
      }
      const s = server as unknown as S;
      const c = client as unknown as C;
      return { server: s, client: c, serverTransport: s.transport!, clientTransport: c.transport! };
    },
    settle,
    idle,
    async teardown(): Promise<void> {
      for (const p of ports) await p.stopListening();
      await stop();
    },
  };
}

const SETTLE_LIMIT_MS = 5000;
