/**
 * Name resolution for endpoints that need every address of a host name
 * (`HostnameEndpoint`) or one of a given family (`TCP6ClientEndpoint`).
 *
 * `IReactorCore.resolve()` returns a single address, which is not enough to
 * race IPv6 against IPv4, so these endpoints take a resolver function
 * instead; the default asks the operating system (`dns.lookup` with
 * `all: true`), and tests pass their own.
 * @module
 */
import { ArgTypeError } from '../validate';
import { isThenable } from '../guard';
import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import { Deferred } from '../defer/deferred';
import { Failure } from '../defer/failure';
import { DNSLookupError } from '../errors';

/** One resolved address: an IP literal, or an object with one (what `dns.lookup` returns). */
export type ResolvedAddress = string | { readonly address: string };

/** Which address family to ask for: 4, 6, or 0 for both. */
export type AddressFamily = 0 | 4 | 6;

/**
 * Resolves a host name to its addresses, in the order they should be tried
 * (the order `getaddrinfo` gives, which honours the system's preferences).
 *
 * May return the list directly, a `Deferred`, or a `Promise`. Entries that
 * are not IP literals, or not of the requested family, are ignored. A
 * thrown error or a rejection means the lookup failed.
 *
 * @example
 * ```ts
 * // A fixed table, as in tests:
 * const resolver: HostResolver = (host) => (host === 'db.internal' ? ['::1', '127.0.0.1'] : []);
 * ```
 */
export type HostResolver = (
  host: string,
  family: AddressFamily,
) => readonly ResolvedAddress[] | PromiseLike<readonly ResolvedAddress[]>;

/**
 * The default resolver: the operating system's resolver through
 * `dns.lookup(host, { all: true, family })`, so `/etc/hosts`, the system's
 * address ordering and `dns.setDefaultResultOrder()` all apply.
 */
export const defaultResolver: HostResolver = (host, family) => {
  const d = new Deferred<readonly ResolvedAddress[]>();
  lookup(host, { all: true, family }, (err, addresses) => {
    if (err) d.errback(err);
    else d.callback(addresses);
  });
  return d;
};

/**
 * Run `resolver` and return a Deferred of the IP literals of `family` it
 * found, in its order, without duplicates. Fires synchronously when the
 * resolver answers synchronously (a list or an already-fired Deferred).
 * Fails with `DNSLookupError` (the resolver's error as `cause`) when the
 * resolver fails or finds no usable address. Cancelling it cancels the
 * resolver's Deferred, if it returned one, and fails with CancelledError.
 * @internal
 */
export function resolveHost(resolver: HostResolver, host: string, family: AddressFamily): Deferred<string[]> {
  let inner: Deferred<unknown> | null = null;
  let cancelled = false;
  // Cancelled: the resolver's own outcome (its CancelledError included) no
  // longer matters; `result` fails with defer's CancelledError.
  const result = new Deferred<string[]>(() => {
    cancelled = true;
    if (inner !== null && !inner.called) inner.cancel();
  });
  const succeeded = (answer: unknown): void => {
    if (cancelled || result.called) return;
    let addresses: string[];
    try {
      addresses = usableAddresses(answer, family);
    } catch (err) {
      failed(err);
      return;
    }
    if (addresses.length === 0) {
      const what = family === 0 ? '' : ` IPv${family}`;
      result.errback(new DNSLookupError(`No${what} results for hostname lookup: ${host}`));
      return;
    }
    result.callback(addresses);
  };
  const failed = (reason: unknown): void => {
    if (cancelled || result.called) return;
    const value = reason instanceof Failure ? reason.value : reason;
    if (value instanceof DNSLookupError) {
      result.errback(value);
      return;
    }
    const why = value instanceof Error ? `: ${value.message}` : '';
    result.errback(new DNSLookupError(`Couldn't find the hostname '${host}'${why}`, { cause: value }));
  };

  let answer: ReturnType<HostResolver>;
  try {
    answer = resolver(host, family);
  } catch (err) {
    failed(err);
    return result;
  }
  if (answer instanceof Deferred) {
    inner = answer;
    answer.addCallbacks(
      (value: unknown) => {
        succeeded(value);
        return undefined;
      },
      (f: Failure) => {
        failed(f);
        return undefined;
      },
    );
  } else if (isThenable(answer)) {
    answer.then(succeeded, failed);
  } else {
    succeeded(answer);
  }
  return result;
}

function usableAddresses(answer: unknown, family: AddressFamily): string[] {
  if (!Array.isArray(answer)) {
    throw new ArgTypeError(`The resolver must give a list of addresses, got ${answer === null ? 'null' : typeof answer}`);
  }
  const seen = new Set<string>();
  for (const entry of answer as unknown[]) {
    const address =
      typeof entry === 'string'
        ? entry
        : entry !== null && typeof entry === 'object' && typeof (entry as { address?: unknown }).address === 'string'
          ? (entry as { address: string }).address
          : null;
    if (address === null) continue;
    const version = isIP(address);
    if (version === 0 || (family !== 0 && version !== family)) continue;
    seen.add(address);
  }
  return [...seen];
}
