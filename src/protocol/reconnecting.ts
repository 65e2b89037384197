/**
 * `ReconnectingClientFactory`: a client factory that reconnects with
 * exponential back-off, as Twisted's `protocol.ReconnectingClientFactory`.
 * @module
 */
import { ArgTypeError } from '../validate';
import type { Failure } from '../defer/failure';
import { NotConnectingError } from '../errors';
import type { IConnector } from '../interfaces/connector';
import type { IProtocol } from '../interfaces/protocol';
import type { IDelayedCall, IReactorTime } from '../interfaces/time';
import { Logger } from '../logger';
import { getGlobalReactor } from '../task/default-reactor';
import { ClientFactory, Factory, type ProtocolClass } from './factory';

const log = new Logger('torsion.protocol');

/**
 * A {@link ClientFactory} whose clients reconnect with an exponential
 * back-off after a failed or lost connection.
 *
 * On every failure or loss (while {@link continueTrying}), {@link retry}
 * multiplies {@link delay} by {@link factor} (capped at {@link maxDelay}),
 * then, when {@link jitter} is set, replaces it with a normal variate of
 * mean `delay` and standard deviation `delay * jitter`. The jittered value
 * is *stored*, so the jitter compounds from one retry to the next, exactly
 * as in Twisted. The first retry therefore comes after about `e` seconds,
 * not `initialDelay`.
 *
 * The factory does not know when a connection succeeded: call
 * {@link resetDelay} from your protocol's `connectionMade` (usually through
 * `this.factory`), or the back-off keeps growing across reconnections.
 *
 * @example
 * ```ts
 * class EchoClientFactory extends ReconnectingClientFactory {
 *   override buildProtocol(addr: IAddress) {
 *     this.resetDelay(); // connected: start the back-off from scratch next time
 *     return super.buildProtocol(addr);
 *   }
 * }
 * const f = EchoClientFactory.forProtocol(Echo);
 * reactor.connectTCP('example.com', 7, f);
 * // later: f.stopTrying();
 * ```
 */
export class ReconnectingClientFactory<P extends IProtocol = IProtocol> extends ClientFactory<P> {
  /** A ReconnectingClientFactory (or subclass) whose buildProtocol makes `new P()`. */
  static override forProtocol<P extends IProtocol>(
    this: typeof ReconnectingClientFactory,
    protocol: ProtocolClass<P>,
  ): ReconnectingClientFactory<P>;
  static override forProtocol<F extends Factory<P>, P extends IProtocol>(this: new () => F, protocol: ProtocolClass<P>): F;
  static override forProtocol(this: new () => Factory, protocol: ProtocolClass): Factory {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being built, as in Factory.forProtocol
    return Factory.forProtocol.call(this, protocol);
  }

  /** The longest wait between attempts, in seconds. Default 3600. */
  maxDelay = 3600;
  /** The delay {@link resetDelay} restores (the first retry waits `initialDelay * factor`). Default 1. */
  initialDelay = 1.0;
  /** How much the delay grows per retry. Default `e` (Math.E). */
  factor = Math.E;
  /** Relative standard deviation of the random jitter; 0 turns jitter off. Default 0.119626565582. */
  jitter = 0.119626565582;
  /** The current delay, in seconds: the wait before the last scheduled retry. */
  delay = this.initialDelay;
  /** Consecutive retries since the last {@link resetDelay}. */
  retries = 0;
  /** Give up after this many consecutive retries; null means never. */
  maxRetries: number | null = null;
  /** False once {@link stopTrying} was called: no more retries. */
  continueTrying = true;
  /** Schedules the retries; null means the global reactor (looked up on first use). */
  clock: IReactorTime | null = null;
  /** The connector of the last failed or lost connection, which {@link retry} reconnects. */
  connector: IConnector | null = null;
  /**
   * The uniform random source in [0, 1) the jitter is drawn from. Replace
   * it with a seeded generator to make retries reproducible in tests.
   */
  random: () => number = Math.random;

  #callID: IDelayedCall | null = null;

  /** Remembers the connector and retries, while {@link continueTrying}. */
  override clientConnectionFailed(connector: IConnector, _reason: Failure): void {
    if (this.continueTrying) {
      this.connector = connector;
      this.retry();
    }
  }

  /** Remembers the connector and retries, while {@link continueTrying}. */
  override clientConnectionLost(connector: IConnector, _reason: Failure): void {
    if (this.continueTrying) {
      this.connector = connector;
      this.retry();
    }
  }

  /**
   * Schedule `connector.connect()` after the next back-off delay. Does
   * nothing once {@link stopTrying} was called or after {@link maxRetries}
   * consecutive retries.
   * @param connector - the connector to reconnect; defaults to {@link ReconnectingClientFactory.connector}.
   * @throws TypeError when there is no connector to retry.
   */
  retry(connector?: IConnector): void {
    if (!this.continueTrying) {
      if (this.noisy) log.info(`Abandoning ${describe(connector ?? this.connector)} on explicit request`);
      return;
    }
    const target = connector ?? this.connector;
    if (target === null || target === undefined) {
      throw new ArgTypeError('retry() has no connector to retry: pass one, or let clientConnectionFailed/Lost record it');
    }
    this.retries += 1;
    if (this.maxRetries !== null && this.retries > this.maxRetries) {
      if (this.noisy) log.info(`Abandoning ${describe(target)} after ${this.retries} retries`);
      return;
    }
    this.delay = Math.min(this.delay * this.factor, this.maxDelay);
    if (this.jitter) {
      const jittered = this.#normalVariate(this.delay, this.delay * this.jitter);
      // A negative variate is about 8 standard deviations away with the default
      // jitter; keeping the unjittered delay then avoids scheduling in the past.
      if (jittered >= 0) this.delay = jittered;
    }
    if (this.noisy) log.info(`${describe(target)} will retry in ${this.delay.toFixed(3)} seconds`);
    if (this.clock === null) this.clock = getGlobalReactor();
    this.#callID = this.clock.callLater(this.delay, () => {
      this.#callID = null;
      target.connect();
    });
  }

  /**
   * Stop reconnecting: cancel a scheduled retry, set {@link continueTrying}
   * to false, and stop an attempt in progress (`connector.stopConnecting()`,
   * ignoring NotConnectingError).
   */
  stopTrying(): void {
    if (this.#callID !== null) {
      if (this.#callID.active()) this.#callID.cancel();
      this.#callID = null;
    }
    this.continueTrying = false;
    if (this.connector !== null) {
      try {
        this.connector.stopConnecting();
      } catch (err) {
        if (!(err instanceof NotConnectingError)) throw err;
      }
    }
  }

  /**
   * Call after a successful connection: restores {@link delay} to
   * {@link initialDelay}, {@link retries} to 0 and {@link continueTrying} to true.
   */
  resetDelay(): void {
    this.delay = this.initialDelay;
    this.retries = 0;
    this.#callID = null;
    this.continueTrying = true;
  }

  // A normal variate from two uniforms (Box–Muller). Python's normalvariate
  // uses another method; only the distribution matters here.
  #normalVariate(mu: number, sigma: number): number {
    const u1 = 1 - this.random(); // (0, 1]: log() stays finite
    const u2 = this.random();
    return mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

function describe(connector: IConnector | null | undefined): string {
  if (!connector) return 'connector';
  try {
    return `connector to ${String(connector.getDestination())}`;
  } catch {
    return 'connector';
  }
}
