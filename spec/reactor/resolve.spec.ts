import dns from 'node:dns';
import { CancelledError } from '../../src/defer/errors';
import type { Deferred } from '../../src/defer/deferred';
import type { Failure } from '../../src/defer/failure';
import { DNSLookupError } from '../../src/errors';
import { Reactor } from '../../src/reactor';
import { resolveName } from '../../src/reactor/resolve';
import { Clock } from '../../src/task/clock';

type LookupCallback = (err: NodeJS.ErrnoException | null, address?: string, family?: number) => void;

/** Outcome of a Deferred, observed synchronously. */
function outcome<T>(d: Deferred<T>): { result?: T; failure?: Failure } {
  const seen: { result?: T; failure?: Failure } = {};
  d.addCallbacks(
    (r) => {
      seen.result = r;
    },
    (f) => {
      seen.failure = f;
    },
  );
  return seen;
}

function lookupError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ${code} example.test`), { code });
}

afterEach(() => jest.restoreAllMocks());

describe('reactor.resolve: literals', () => {
  const reactor = new Reactor();
  it.each([
    ['', '0.0.0.0'],
    ['127.0.0.1', '127.0.0.1'],
    ['10.1.2.3', '10.1.2.3'],
    ['::1', '::1'],
    ['fe80::1', 'fe80::1'],
  ])('resolve(%p) fires at once with %p', (name, address) => {
    const spy = jest.spyOn(dns, 'lookup');
    const d = reactor.resolve(name);
    expect(d.called).toBe(true);
    expect(outcome(d).result).toBe(address);
    expect(spy).not.toHaveBeenCalled();
  });

  it('refuses a non-string name and bad timeouts', () => {
    expect(() => reactor.resolve(5 as unknown as string)).toThrow(TypeError);
    expect(() => reactor.resolve('localhost', [-1])).toThrow(RangeError);
    expect(() => reactor.resolve('localhost', 'soon' as unknown as number[])).toThrow(TypeError);
  });
});

describe('reactor.resolve: names through the system resolver', () => {
  it('resolves localhost to a loopback address', async () => {
    const reactor = new Reactor();
    await expect(reactor.resolve('localhost')).resolves.toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('fails with DNSLookupError for a name that does not exist, with the resolver error as cause', async () => {
    const reactor = new Reactor();
    const err: unknown = await reactor.resolve('no-such-host.invalid').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DNSLookupError);
    expect((err as DNSLookupError).message).toContain('no-such-host.invalid');
    expect(((err as DNSLookupError).cause as NodeJS.ErrnoException).code).toBeDefined();
  });
});

describe('resolveName with a scripted resolver and a Clock', () => {
  it('asks for IPv4 first and returns its answer', () => {
    const families: number[] = [];
    jest.spyOn(dns, 'lookup').mockImplementation(((_name: string, opts: { family: number }, cb: LookupCallback) => {
      families.push(opts.family);
      cb(null, '192.0.2.7', 4);
    }) as unknown as typeof dns.lookup);
    const d = resolveName('example.test', undefined, new Clock());
    expect(outcome(d).result).toBe('192.0.2.7');
    expect(families).toEqual([4]);
  });

  it('falls back to IPv6 when the name has no IPv4 address', () => {
    const families: number[] = [];
    jest.spyOn(dns, 'lookup').mockImplementation(((_name: string, opts: { family: number }, cb: LookupCallback) => {
      families.push(opts.family);
      if (opts.family === 4) cb(lookupError('ENOTFOUND'));
      else cb(null, '2001:db8::7', 6);
    }) as unknown as typeof dns.lookup);
    const clock = new Clock();
    const d = resolveName('example.test', undefined, clock);
    expect(outcome(d).result).toBe('2001:db8::7');
    expect(families).toEqual([4, 6]);
    expect(clock.getDelayedCalls()).toEqual([]);
  });

  it('fails with DNSLookupError (IPv4 error as cause) when both families fail', () => {
    const v4 = lookupError('ENOTFOUND');
    jest.spyOn(dns, 'lookup').mockImplementation(((_name: string, opts: { family: number }, cb: LookupCallback) => {
      cb(opts.family === 4 ? v4 : lookupError('ENODATA'));
    }) as unknown as typeof dns.lookup);
    const f = outcome(resolveName('example.test', undefined, new Clock())).failure;
    expect(f?.value).toBeInstanceOf(DNSLookupError);
    expect((f?.value as DNSLookupError).cause).toBe(v4);
  });

  it('times out after the sum of the timeouts with DNSLookupError, and ignores a late answer', () => {
    let answer: LookupCallback | undefined;
    jest.spyOn(dns, 'lookup').mockImplementation(((_name: string, _opts: unknown, cb: LookupCallback) => {
      answer = cb;
    }) as unknown as typeof dns.lookup);
    const clock = new Clock();
    const d = resolveName('slow.test', [1, 2], clock);
    const seen = outcome(d);
    clock.advance(2.9);
    expect(d.called).toBe(false);
    clock.advance(0.1);
    expect(seen.failure?.value).toBeInstanceOf(DNSLookupError);
    expect((seen.failure?.value as Error).message).toContain('timeout');
    expect(() => answer?.(null, '192.0.2.1', 4)).not.toThrow();
    expect(seen.result).toBeUndefined();
  });

  it('cancelling abandons the lookup: CancelledError, no timeout left, a late answer ignored', () => {
    let answer: LookupCallback | undefined;
    jest.spyOn(dns, 'lookup').mockImplementation(((_name: string, _opts: unknown, cb: LookupCallback) => {
      answer = cb;
    }) as unknown as typeof dns.lookup);
    const clock = new Clock();
    const d = resolveName('slow.test', undefined, clock);
    const seen = outcome(d);
    d.cancel();
    expect(seen.failure?.value).toBeInstanceOf(CancelledError);
    expect(clock.getDelayedCalls()).toEqual([]);
    expect(() => answer?.(null, '192.0.2.1', 4)).not.toThrow();
  });
});
