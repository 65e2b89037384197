/**
 * MemoryReactorClock (a MemoryReactor that also keeps time) and
 * RaisingMemoryReactor (whose connect/listen calls fail), as in Twisted's
 * `twisted.internet.testing`.
 * @module
 */
import { Clock, type ClockDelayedCall } from '../task/clock';
import type { IConnector, IListeningPort } from '../interfaces/connector';
import type { IReactorTime } from '../interfaces/time';
import { MemoryReactor } from './memory-reactor';

/**
 * A {@link MemoryReactor} that is also a deterministic {@link Clock}:
 * `callLater` schedules on the clock, and time moves only through
 * {@link MemoryReactorClock.advance} / {@link MemoryReactorClock.pump}.
 * Hand it to code that needs both a reactor's TCP methods and callLater
 * (connectors with timeouts, endpoints, reconnecting factories).
 *
 * @example
 * ```ts
 * import { Failure } from 'torsion/failure';
 * import { ConnectionRefusedError } from 'torsion/error';
 * import { Protocol, ReconnectingClientFactory } from 'torsion/protocol';
 * import { MemoryReactorClock } from 'torsion/testing';
 *
 * const reactor = new MemoryReactorClock();
 * const factory = new ReconnectingClientFactory();
 * factory.protocol = Protocol;
 * factory.clock = reactor; // retry on this fake clock, not on the global reactor
 * const connector = reactor.connectTCP('example.com', 80, factory);
 * factory.clientConnectionFailed(connector, new Failure(new ConnectionRefusedError()));
 * expect(reactor.connectors[0].connectCalls).toBe(0);
 * reactor.advance(factory.delay); // the retry is due now
 * // A retry is connector.connect() on the same connector (no new tcpClients record).
 * expect(reactor.connectors[0].connectCalls).toBe(1);
 * expect(reactor.tcpClients).toHaveLength(1);
 * ```
 */
export class MemoryReactorClock extends MemoryReactor implements IReactorTime {
  /** The clock behind the time methods (the same object on every call). */
  readonly clock = new Clock();

  /** The current time: 0 at creation, moved only by advance(). */
  seconds(): number {
    return this.clock.seconds();
  }
  /** Schedule `fn(...args)` in `delay` seconds of fake time. @throws RangeError / TypeError as Clock.callLater. */
  callLater<A extends unknown[]>(delay: number, fn: (...args: A) => unknown, ...args: A): ClockDelayedCall {
    return this.clock.callLater(delay, fn, ...args);
  }
  /** The pending calls. */
  getDelayedCalls(): ClockDelayedCall[] {
    return this.clock.getDelayedCalls();
  }
  /** Move time forward by `amount` seconds, running what is due (see Clock.advance). */
  advance(amount: number): void {
    this.clock.advance(amount);
  }
  /** Advance by each amount in turn (see Clock.pump). */
  pump(timings: Iterable<number>): void {
    this.clock.pump(timings);
  }
  /** The pending calls, earliest first (see Clock.calls). */
  get calls(): readonly ClockDelayedCall[] {
    return this.clock.calls;
  }
}

/**
 * A reactor whose connect and listen methods throw the errors it was given
 * (Twisted's RaisingMemoryReactor): for testing how code copes with
 * connectTCP/listenTCP failing synchronously (for example
 * CannotListenError from listenTCP).
 */
export class RaisingMemoryReactor {
  readonly #listenError: unknown;
  readonly #connectError: unknown;

  /**
   * @param listenException - thrown by listenTCP/listenUNIX.
   * @param connectException - thrown by connectTCP/connectUNIX.
   */
  constructor(listenException?: unknown, connectException?: unknown) {
    this.#listenError = listenException;
    this.#connectError = connectException;
  }
  /** @throws the listenException. */
  listenTCP(..._args: unknown[]): IListeningPort {
    throw this.#raise(this.#listenError, 'listenException');
  }
  /** @throws the connectException. */
  connectTCP(..._args: unknown[]): IConnector {
    throw this.#raise(this.#connectError, 'connectException');
  }
  /** @throws the listenException. */
  listenUNIX(..._args: unknown[]): IListeningPort {
    throw this.#raise(this.#listenError, 'listenException');
  }
  /** @throws the connectException. */
  connectUNIX(..._args: unknown[]): IConnector {
    throw this.#raise(this.#connectError, 'connectException');
  }
  #raise(err: unknown, name: string): unknown {
    return err !== undefined ? err : new Error(`RaisingMemoryReactor was constructed without a ${name} to throw`);
  }
}
