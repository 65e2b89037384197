/**
 * The connection race behind `HostnameEndpoint`: RFC 8305 ("Happy Eyeballs
 * v2") address ordering and staggered connection attempts, timed by the
 * reactor's clock so that Clock-driven tests control it exactly.
 * @module
 */
import { isIPv6 } from 'node:net';
import { type HostnameAddress, IPv4Address, IPv6Address } from '../address';
import { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import { ConnectingCancelledError } from '../errors';
import type { IProtocol } from '../interfaces/protocol';
import type { IDelayedCall, IReactorTime } from '../interfaces/time';
import { ConnectAttemptsFailedError, type ConnectAttemptFailure } from './errors';

/**
 * Order addresses as RFC 8305 §4 asks: alternate the two families, starting
 * with the family of the first address (the resolver's preference), keeping
 * each family's own order; when one family runs out the rest of the other
 * follows. Duplicates are dropped.
 *
 * @example
 * ```ts
 * interleaveAddresses(['::1', '::2', '10.0.0.1', '10.0.0.2']);
 * // ['::1', '10.0.0.1', '::2', '10.0.0.2']
 * ```
 */
export function interleaveAddresses(addresses: readonly string[]): string[] {
  const unique = [...new Set(addresses)];
  if (unique.length === 0) return [];
  const firstIsV6 = isIPv6(unique[0]);
  const first = unique.filter((a) => isIPv6(a) === firstIsV6);
  const second = unique.filter((a) => isIPv6(a) !== firstIsV6);
  const out: string[] = [];
  for (let i = 0; i < Math.max(first.length, second.length); i++) {
    if (i < first.length) out.push(first[i]);
    if (i < second.length) out.push(second[i]);
  }
  return out;
}

/** What a {@link HostnameConnection} needs. @internal */
export interface HostnameConnectionOptions<P extends IProtocol> {
  /** Schedules the attempt delay. */
  readonly clock: IReactorTime;
  /** Seconds between the start of one attempt and the start of the next. */
  readonly attemptDelay: number;
  /** The name and port being connected (reported by cancellation and the aggregate error). */
  readonly address: HostnameAddress;
  /** Start one attempt to an IP literal. */
  readonly connect: (host: string) => Deferred<P>;
}

/**
 * One `HostnameEndpoint.connect()` call: waits for the addresses, then races
 * connection attempts.
 *
 * - Attempt 0 starts as soon as the addresses are known.
 * - Each later attempt starts `attemptDelay` seconds after the previous one
 *   started, or at once when every started attempt has failed.
 * - The first attempt to connect wins: the pending timer is cancelled and
 *   every other pending attempt is cancelled (its connector stops).
 * - When every attempt has failed, `result` fails once with
 *   `ConnectAttemptsFailedError` carrying each attempt's Failure in the
 *   order the attempts were started.
 * - Cancelling `result` cancels the lookup or the attempts, leaves no
 *   delayed call behind, and fails with `ConnectingCancelledError(address)`.
 * @internal
 */
export class HostnameConnection<P extends IProtocol> {
  /** Fires with the winning protocol, or fails as described above. */
  readonly result: Deferred<P>;
  readonly #options: HostnameConnectionOptions<P>;
  #addresses: string[] = [];
  #next = 0;
  readonly #pending = new Map<number, Deferred<P>>();
  readonly #failures: (ConnectAttemptFailure | undefined)[] = [];
  #lastFailure: Failure | undefined;
  #timer: IDelayedCall | null = null;
  #resolution: Deferred<string[]> | null = null;
  #done = false;
  #starting = false;
  #startAgain = false;

  constructor(options: HostnameConnectionOptions<P>) {
    this.#options = options;
    this.result = new Deferred<P>(() => this.#cancel());
  }

  /** Race the addresses `resolution` gives; its failure becomes `result`'s. */
  run(resolution: Deferred<string[]>): Deferred<P> {
    this.#resolution = resolution;
    resolution.addCallbacks(
      (addresses: string[]) => {
        this.#resolution = null;
        if (!this.#done) {
          this.#addresses = interleaveAddresses(addresses);
          this.#startNext();
        }
        return undefined;
      },
      (f: Failure) => {
        this.#resolution = null;
        if (!this.#done) {
          this.#done = true;
          this.result.errback(f);
        }
        return undefined;
      },
    );
    return this.result;
  }

  #startNext(): void {
    // A synchronous failure inside an attempt asks for the next one while
    // this loop is still running; the loop then takes it, instead of
    // recursing once per address.
    if (this.#starting) {
      this.#startAgain = true;
      return;
    }
    this.#starting = true;
    try {
      this.#cancelTimer();
      while (!this.#done && this.#next < this.#addresses.length) {
        this.#startAgain = false;
        this.#launch(this.#next++);
        if (!this.#startAgain) break;
      }
      if (!this.#done && this.#next < this.#addresses.length) {
        this.#timer = this.#options.clock.callLater(this.#options.attemptDelay, () => {
          this.#timer = null;
          this.#startNext();
        });
      }
    } finally {
      this.#starting = false;
    }
    this.#checkExhausted();
  }

  #launch(index: number): void {
    let attempt: Deferred<P>;
    try {
      attempt = this.#options.connect(this.#addresses[index]);
    } catch (err) {
      attempt = new Deferred<P>();
      attempt.errback(Failure.from(err));
    }
    this.#pending.set(index, attempt);
    attempt.addCallbacks(
      (proto: P) => {
        this.#attemptSucceeded(index, proto);
        return undefined;
      },
      (f: Failure) => {
        this.#attemptFailed(index, f);
        return undefined;
      },
    );
  }

  #attemptSucceeded(index: number, proto: P): void {
    this.#pending.delete(index);
    if (this.#done) {
      // Only reachable with a connect function that ignores cancellation:
      // the race is decided, so this connection is surplus.
      (proto as { transport?: { loseConnection?: () => void } | null }).transport?.loseConnection?.();
      return;
    }
    this.#done = true;
    this.#cancelTimer();
    this.#cancelPending();
    this.result.callback(proto);
  }

  #attemptFailed(index: number, failure: Failure): void {
    this.#pending.delete(index);
    if (this.#done) return;
    const host = this.#addresses[index];
    const port = this.#options.address.port;
    this.#failures[index] = {
      address: isIPv6(host) ? new IPv6Address('TCP', host, port) : new IPv4Address('TCP', host, port),
      failure,
    };
    this.#lastFailure = failure;
    if (this.#next < this.#addresses.length) this.#startNext();
    else this.#checkExhausted();
  }

  #checkExhausted(): void {
    if (this.#done || this.#starting || this.#pending.size > 0 || this.#next < this.#addresses.length) return;
    this.#done = true;
    this.#cancelTimer();
    const attempts = this.#failures.filter((a): a is ConnectAttemptFailure => a !== undefined);
    this.result.errback(new ConnectAttemptsFailedError(this.#options.address, attempts, this.#lastFailure));
  }

  #cancel(): void {
    if (this.#done) return;
    this.#done = true;
    this.#cancelTimer();
    const resolution = this.#resolution;
    this.#resolution = null;
    if (resolution !== null && !resolution.called) resolution.cancel();
    this.#cancelPending();
    this.result.errback(new ConnectingCancelledError(this.#options.address));
  }

  #cancelPending(): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const attempt of pending) attempt.cancel();
  }

  #cancelTimer(): void {
    const timer = this.#timer;
    this.#timer = null;
    if (timer !== null && timer.active()) timer.cancel();
  }
}
