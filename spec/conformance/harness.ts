/**
 * What a conformance suite needs from an implementation: a way to make a
 * connected client/server pair and to let I/O happen. One harness per
 * implementation (real sockets, in-memory fakes); the suites are the same.
 * Helper module, not a spec.
 */
import type { Failure } from '../../src/defer/failure';
import type { IConnector } from '../../src/interfaces/connector';
import type { IAddress } from '../../src/interfaces/address';
import type { IReactorTime } from '../../src/interfaces/time';
import type { ITCPTransport } from '../../src/interfaces/transport';
import { ClientFactory, Factory } from '../../src/protocol/factory';
import type { Recorder } from '../testing/recorder';

/** A connected pair, both connectionMade already run. */
export interface Pair<S extends Recorder = Recorder, C extends Recorder = Recorder> {
  server: S;
  client: C;
  serverTransport: ITCPTransport;
  clientTransport: ITCPTransport;
}

/** One implementation of TCP connections, as the transport suite sees it. */
export interface TransportHarness {
  /** Connect a fresh server protocol to a fresh client protocol. */
  connect<S extends Recorder, C extends Recorder>(makeServer: () => S, makeClient: () => C): Promise<Pair<S, C>>;
  /**
   * Let I/O happen until `done()` holds, then a little longer so that a
   * callback that should not come (a second connectionLost) would show.
   * @throws Error naming `what` if it never holds.
   */
  settle(done: () => boolean, what: string): Promise<void>;
  /**
   * Let the reactor take its own turns without waiting for anything (to show
   * that nothing arrives): a few loop turns on a real reactor, the pending
   * deliveries on a fake one.
   */
  idle(): Promise<void>;
  /** Release everything (reactor, sockets). */
  teardown(): Promise<void>;
}

/** One implementation of IReactorTime, as the time suite sees it. */
export interface TimeHarness {
  readonly time: IReactorTime;
  /**
   * Let at least `seconds` of this clock's time pass, running what is due
   * (Clock: advance; real reactor: wait).
   */
  pass(seconds: number): Promise<void>;
  teardown(): Promise<void>;
}

/** A server factory building `make()`'s protocols. */
export function serverFactory(make: () => Recorder): Factory {
  const f = new Factory();
  f.buildProtocol = (_addr: IAddress) => make();
  return f;
}

/** A client factory building `make()`'s protocols and recording failures. */
export class PairClientFactory extends ClientFactory {
  failures: Failure[] = [];
  constructor(readonly make: () => Recorder) {
    super();
  }
  override buildProtocol(_addr: IAddress): Recorder {
    return this.make();
  }
  override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    this.failures.push(reason);
  }
}
