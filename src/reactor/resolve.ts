/**
 * `reactor.resolve(name)`: one address for a host name, as a Deferred.
 * @module
 */
import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import { Deferred } from '../defer/deferred';
import { DNSLookupError } from '../errors';
import type { IDelayedCall, IReactorTime } from '../interfaces/time';
import { checkDelay, checkString, describe, ArgTypeError } from '../validate';

/** Twisted's default resolver timeouts; the lookup gives up after their sum. @internal */
export const DEFAULT_RESOLVE_TIMEOUTS: readonly number[] = [1, 3, 11, 45];

/**
 * Resolve `name` to one address: `''` gives `'0.0.0.0'`, an IPv4 or IPv6
 * literal gives itself (synchronously fired), anything else goes through
 * Node's resolver (`dns.lookup`, i.e. getaddrinfo): IPv4 first, IPv6 when the
 * name has no IPv4 address. Failure, or no answer within the sum of
 * `timeouts` seconds on `clock`, fails the Deferred with DNSLookupError
 * (the resolver's error as `cause`). Cancelling it abandons the lookup.
 * @internal
 */
export function resolveName(name: string, timeouts: readonly number[] | undefined, clock: IReactorTime): Deferred<string> {
  checkString('name', name);
  let total = 0;
  if (timeouts !== undefined) {
    if (!Array.isArray(timeouts)) throw new ArgTypeError(`timeouts must be an array of seconds, got ${describe(timeouts)}`);
    timeouts.forEach((t, i) => checkDelay(`timeouts[${i}]`, t));
    for (const t of timeouts) total += t;
  } else {
    for (const t of DEFAULT_RESOLVE_TIMEOUTS) total += t;
  }

  if (name === '') return fired('0.0.0.0');
  if (isIP(name) !== 0) return fired(name);

  let timer: IDelayedCall | null = null;
  const d = new Deferred<string>(() => {
    // getaddrinfo cannot be interrupted: forget the answer instead.
    if (timer !== null && timer.active()) timer.cancel();
  });
  const finish = (address: string | null, err?: unknown): void => {
    if (timer !== null && timer.active()) timer.cancel();
    if (d.called) return; // cancelled or timed out meanwhile
    if (address !== null) d.callback(address);
    else d.errback(new DNSLookupError(`Address ${JSON.stringify(name)} not found: ${errMessage(err)}`, { cause: err }));
  };
  timer = clock.callLater(total, () => {
    if (!d.called) {
      d.errback(new DNSLookupError(`Address ${JSON.stringify(name)} not found: timeout error after ${total} s`));
    }
  });
  lookup(name, { family: 4 }, (err4, address4) => {
    if (!err4) {
      finish(address4);
      return;
    }
    lookup(name, { family: 6 }, (err6, address6) => {
      if (!err6) finish(address6);
      else finish(null, err4);
    });
  });
  return d;
}

function fired(address: string): Deferred<string> {
  const d = new Deferred<string>();
  d.callback(address);
  return d;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
