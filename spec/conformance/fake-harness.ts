/**
 * The in-memory side of the conformance suites: MemoryReactorClock records
 * listenTCP/connectTCP, ConnectionCompleter pairs them, IOPump moves the
 * bytes. Helper module, not a spec.
 */
import { Clock } from '../../src/task/clock';
import { ConnectionCompleter, type IOPump } from '../../src/testing/io-pump';
import { MemoryReactorClock } from '../../src/testing/memory-reactor-clock';
import type { Recorder } from '../testing/recorder';
import { PairClientFactory, serverFactory, type Pair, type TimeHarness, type TransportHarness } from './harness';

const PORT = 4321;

/** Connections through MemoryReactorClock + ConnectionCompleter + IOPump. */
export function makeFakeTransportHarness(): TransportHarness {
  const reactor = new MemoryReactorClock();
  const pumps: IOPump[] = [];
  const flushAll = (): void => {
    // Keep going until every pump is quiet, since pumps share the clock.
    let moved = true;
    while (moved) {
      moved = false;
      for (const p of pumps) if (p.flush()) moved = true;
    }
  };
  return {
    async connect<S extends Recorder, C extends Recorder>(makeServer: () => S, makeClient: () => C): Promise<Pair<S, C>> {
      const port = reactor.listenTCP(PORT, serverFactory(makeServer));
      reactor.connectTCP('127.0.0.1', PORT, new PairClientFactory(makeClient));
      const pump = new ConnectionCompleter(reactor).succeedOnce({ clock: reactor });
      void port.stopListening();
      reactor.tcpServers.length = 0;
      if (pump === null) throw new Error('fake harness: the connection was not completed');
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
      if (!done()) throw new Error(`fake harness: the pumps went quiet before ${what}`);
    },
    async idle(): Promise<void> {
      flushAll();
    },
    async teardown(): Promise<void> {},
  };
}

/** Time on a Clock. */
export function makeClockHarness(): TimeHarness {
  const clock = new Clock();
  return {
    time: clock,
    async pass(seconds: number): Promise<void> {
      clock.advance(seconds);
    },
    async teardown(): Promise<void> {},
  };
}

/** Time on a MemoryReactorClock (which must behave as a Clock). */
export function makeMemoryReactorClockHarness(): TimeHarness {
  const reactor = new MemoryReactorClock();
  return {
    time: reactor,
    async pass(seconds: number): Promise<void> {
      reactor.advance(seconds);
    },
    async teardown(): Promise<void> {},
  };
}
