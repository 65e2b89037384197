import { isIPv4 } from 'node:net';
import { Deferred } from '../../src/defer/deferred';
import { CancelledError } from '../../src/defer/errors';
import { defaultResolver, type HostResolver, resolveHost } from '../../src/endpoints/resolver';
import { DNSLookupError } from '../../src/errors';
import { assertNoResult, failureResultOf, successResultOf } from './helpers';

const fixed =
  (answer: ReturnType<HostResolver>): HostResolver =>
  () =>
    answer;

describe('resolveHost', () => {
  it('fires synchronously with the addresses of a resolver answering with a list', () => {
    expect(successResultOf(resolveHost(fixed(['::1', '127.0.0.1']), 'h', 0))).toEqual(['::1', '127.0.0.1']);
  });

  it('passes the host and the family asked for to the resolver', () => {
    const calls: unknown[][] = [];
    resolveHost((...args) => (calls.push(args), ['::1']), 'db.internal', 6);
    expect(calls).toEqual([['db.internal', 6]]);
  });

  it('keeps only the requested family', () => {
    expect(successResultOf(resolveHost(fixed(['::1', '10.0.0.1', '::2']), 'h', 6))).toEqual(['::1', '::2']);
    expect(successResultOf(resolveHost(fixed(['::1', '10.0.0.1', '::2']), 'h', 4))).toEqual(['10.0.0.1']);
  });

  it('accepts dns.lookup-style objects and drops duplicates and entries that are not IP addresses', () => {
    const answer = [{ address: '10.0.0.1', family: 4 }, '10.0.0.1', 'example.com', 42, null, { address: 7 }, '::1'];
    expect(successResultOf(resolveHost(fixed(answer as never), 'h', 0))).toEqual(['10.0.0.1', '::1']);
  });

  it('follows a Deferred answer, synchronously when it fires', () => {
    const lookup = new Deferred<string[]>();
    const d = resolveHost(fixed(lookup), 'h', 0);
    assertNoResult(d);
    lookup.callback(['10.0.0.1']);
    expect(successResultOf(d)).toEqual(['10.0.0.1']);
  });

  it('follows a Promise answer', async () => {
    const d = resolveHost(fixed(Promise.resolve(['10.0.0.1'])), 'h', 0);
    await expect(d).resolves.toEqual(['10.0.0.1']);
  });

  it('fails with DNSLookupError, cause kept, when the resolver throws', () => {
    const cause = new Error('boom');
    const err = failureResultOf(
      resolveHost(
        () => {
          throw cause;
        },
        'h.example',
        0,
      ),
    ).value as DNSLookupError;
    expect(err).toBeInstanceOf(DNSLookupError);
    expect(err.cause).toBe(cause);
    expect(err.message).toBe("Couldn't find the hostname 'h.example': boom");
  });

  it('fails with DNSLookupError when the answer is a rejected Promise', async () => {
    const cause = new Error('SERVFAIL');
    const d = resolveHost(fixed(Promise.reject(cause)), 'h', 0);
    await expect(d).rejects.toBeInstanceOf(DNSLookupError);
  });

  it('passes a DNSLookupError from the resolver through unchanged', () => {
    const own = new DNSLookupError('custom');
    expect(
      failureResultOf(
        resolveHost(
          () => {
            throw own;
          },
          'h',
          0,
        ),
      ).value,
    ).toBe(own);
  });

  it('fails with DNSLookupError naming the host when nothing usable was found', () => {
    const err = failureResultOf(resolveHost(fixed(['10.0.0.1']), 'v4only.example', 6)).value as Error;
    expect(err).toBeInstanceOf(DNSLookupError);
    expect(err.message).toBe('No IPv6 results for hostname lookup: v4only.example');
  });

  it('fails with DNSLookupError when the answer is not a list', () => {
    const err = failureResultOf(resolveHost(fixed('10.0.0.1' as never), 'h', 0)).value as DNSLookupError;
    expect(err).toBeInstanceOf(DNSLookupError);
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it("cancels the resolver's Deferred when cancelled", () => {
    let cancelled = false;
    const lookup = new Deferred<string[]>(() => {
      cancelled = true;
    });
    const d = resolveHost(fixed(lookup), 'h', 0);
    d.cancel();
    expect(cancelled).toBe(true);
    expect(failureResultOf(d).value).toBeInstanceOf(CancelledError);
  });
});

describe('defaultResolver', () => {
  it("resolves 'localhost' through the operating system", async () => {
    const addresses = await resolveHost(defaultResolver, 'localhost', 0);
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.every((a) => a === '127.0.0.1' || a === '::1' || isIPv4(a))).toBe(true);
  });

  it('honours the family', async () => {
    const addresses = await resolveHost(defaultResolver, 'localhost', 4);
    expect(addresses.every((a) => isIPv4(a))).toBe(true);
  });

  it('passes IP literals through', async () => {
    await expect(resolveHost(defaultResolver, '127.0.0.1', 0)).resolves.toEqual(['127.0.0.1']);
  });
});
