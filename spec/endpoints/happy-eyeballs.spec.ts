import { HostnameAddress, IPv4Address, IPv6Address } from '../../src/address';
import { Deferred } from '../../src/defer/deferred';
import { Failure } from '../../src/defer/failure';
import { ConnectAttemptsFailedError } from '../../src/endpoints/errors';
import { HostnameConnection, interleaveAddresses } from '../../src/endpoints/happy-eyeballs';
import { ConnectingCancelledError, ConnectionRefusedError, DNSLookupError, TimeoutError } from '../../src/errors';
import type { IProtocol } from '../../src/interfaces/protocol';
import { Protocol } from '../../src/protocol/protocol';
import { Clock } from '../../src/task/clock';
import { StringTransport } from '../../src/testing/string-transport';
import { assertNoResult, failureResultOf, successResultOf } from './helpers';

describe('interleaveAddresses (RFC 8305 §4)', () => {
  it('alternates families starting with IPv6 when the resolver listed IPv6 first', () => {
    expect(interleaveAddresses(['::1', '::2', '10.0.0.1', '10.0.0.2'])).toEqual(['::1', '10.0.0.1', '::2', '10.0.0.2']);
  });

  it('alternates families starting with IPv4 when the resolver listed IPv4 first', () => {
    expect(interleaveAddresses(['10.0.0.1', '10.0.0.2', '::1', '::2'])).toEqual(['10.0.0.1', '::1', '10.0.0.2', '::2']);
  });

  it("keeps each family's own order and appends the rest of the longer family", () => {
    expect(interleaveAddresses(['::1', '10.0.0.1', '10.0.0.2', '10.0.0.3', '::2'])).toEqual([
      '::1',
      '10.0.0.1',
      '::2',
      '10.0.0.2',
      '10.0.0.3',
    ]);
  });

  it('leaves a single-family list as it is', () => {
    expect(interleaveAddresses(['10.0.0.3', '10.0.0.1', '10.0.0.2'])).toEqual(['10.0.0.3', '10.0.0.1', '10.0.0.2']);
  });

  it('drops duplicate addresses', () => {
    expect(interleaveAddresses(['::1', '::1', '127.0.0.1', '127.0.0.1'])).toEqual(['::1', '127.0.0.1']);
  });

  it('gives nothing for nothing', () => {
    expect(interleaveAddresses([])).toEqual([]);
  });
});

/** A connect function whose attempts the test settles by hand. */
function harness(addresses: string[], attemptDelay = 0.25) {
  const clock = new Clock();
  const attempts: { host: string; d: Deferred<IProtocol>; cancelled: boolean }[] = [];
  const connection = new HostnameConnection<IProtocol>({
    clock,
    attemptDelay,
    address: new HostnameAddress('example.com', 80),
    connect: (host) => {
      const attempt = { host, d: null as unknown as Deferred<IProtocol>, cancelled: false };
      attempt.d = new Deferred<IProtocol>(() => {
        attempt.cancelled = true;
      });
      attempts.push(attempt);
      return attempt.d;
    },
  });
  const resolution = new Deferred<string[]>();
  const result = connection.run(resolution);
  resolution.callback(addresses);
  const started = (): string[] => attempts.map((a) => a.host);
  const fail = (i: number, err: Error = new ConnectionRefusedError()): void => attempts[i].d.errback(err);
  const win = (i: number): IProtocol => {
    const p = new Protocol();
    p.makeConnection(new StringTransport());
    attempts[i].d.callback(p);
    return p;
  };
  return { clock, attempts, result, started, fail, win };
}

describe('HostnameConnection timing', () => {
  it('starts the first attempt at once and the next one attemptDelay later', () => {
    const h = harness(['::1', '127.0.0.1']);
    expect(h.started()).toEqual(['::1']);
    h.clock.advance(0.249);
    expect(h.started()).toEqual(['::1']);
    h.clock.advance(0.001);
    expect(h.started()).toEqual(['::1', '127.0.0.1']);
    assertNoResult(h.result);
  });

  it('starts each further attempt attemptDelay after the previous one started', () => {
    const h = harness(['::1', '10.0.0.1', '::2', '10.0.0.2'], 1);
    const startedAt: number[] = [];
    // Steps of 1/8 s are exact in binary floating point.
    for (let t = 0; t <= 40; t++) {
      while (startedAt.length < h.started().length) startedAt.push(h.clock.seconds());
      h.clock.advance(0.125);
    }
    expect(startedAt).toEqual([0, 1, 2, 3]);
    expect(h.started()).toEqual(['::1', '10.0.0.1', '::2', '10.0.0.2']);
  });

  it('starts the next attempt at once when the current one fails, and restarts the delay from there', () => {
    const h = harness(['::1', '10.0.0.1', '::2']);
    h.clock.advance(0.1);
    h.fail(0);
    expect(h.started()).toEqual(['::1', '10.0.0.1']);
    // The third attempt is due attemptDelay after the second started (0.1 + 0.25).
    h.clock.advance(0.249);
    expect(h.started()).toHaveLength(2);
    h.clock.advance(0.001);
    expect(h.started()).toEqual(['::1', '10.0.0.1', '::2']);
  });

  it('does not start another attempt early while an earlier one is still pending', () => {
    const h = harness(['::1', '10.0.0.1', '::2']);
    h.clock.advance(0.25);
    expect(h.started()).toHaveLength(2);
    h.fail(1); // attempt 0 is still pending: the next starts anyway, since a failure frees a slot
    expect(h.started()).toHaveLength(3);
  });

  it('lets the first success win, cancels every other pending attempt and leaves no delayed call', () => {
    const h = harness(['::1', '10.0.0.1', '::2']);
    h.clock.advance(0.25);
    const p = h.win(1);
    expect(successResultOf(h.result)).toBe(p);
    expect(h.attempts.map((a) => a.cancelled)).toEqual([true, false]);
    expect(h.clock.getDelayedCalls()).toEqual([]);
    h.clock.advance(10);
    expect(h.started()).toHaveLength(2);
  });

  it('fails once, after the last attempt fails, with every failure in the order attempts started', () => {
    const h = harness(['::1', '10.0.0.1', '::2']);
    h.clock.advance(0.25);
    h.clock.advance(0.25);
    expect(h.started()).toHaveLength(3);
    const refused = new ConnectionRefusedError();
    const timedOut = new TimeoutError();
    const refused2 = new ConnectionRefusedError('second refusal');
    h.fail(2, refused2);
    h.fail(0, refused);
    assertNoResult(h.result);
    h.fail(1, timedOut);
    const err = failureResultOf(h.result).value as ConnectAttemptsFailedError;
    expect(err).toBeInstanceOf(ConnectAttemptsFailedError);
    expect(err.code).toBe('ERR_CONNECT_ATTEMPTS_FAILED');
    expect(err.errors).toEqual([refused, timedOut, refused2]);
    expect(err.failures.map((f) => f.value)).toEqual([refused, timedOut, refused2]);
    expect(err.attempts.map((a) => a.address)).toEqual([
      new IPv6Address('TCP', '::1', 80),
      new IPv4Address('TCP', '10.0.0.1', 80),
      new IPv6Address('TCP', '::2', 80),
    ]);
    // The cause is the failure that came last in time, Twisted's answer.
    expect(err.cause).toBe(timedOut);
    expect(err.address).toEqual(new HostnameAddress('example.com', 80));
    expect(err.message).toMatch(
      /All 3 connection attempts to example.com:80 failed: \[::1\]:80: .*; 10.0.0.1:80: .*; \[::2\]:80: /,
    );
    expect(h.clock.getDelayedCalls()).toEqual([]);
  });

  it('runs through synchronously failing attempts without waiting, in one pass', () => {
    const clock = new Clock();
    const tried: string[] = [];
    const connection = new HostnameConnection<IProtocol>({
      clock,
      attemptDelay: 0.25,
      address: new HostnameAddress('example.com', 80),
      connect: (host) => {
        tried.push(host);
        const d = new Deferred<IProtocol>();
        d.errback(new ConnectionRefusedError());
        return d;
      },
    });
    const resolution = new Deferred<string[]>();
    resolution.callback(['::1', '10.0.0.1', '::2', '10.0.0.2']);
    const result = connection.run(resolution);
    expect(tried).toEqual(['::1', '10.0.0.1', '::2', '10.0.0.2']);
    expect((failureResultOf(result).value as ConnectAttemptsFailedError).attempts).toHaveLength(4);
    expect(clock.getDelayedCalls()).toEqual([]);
  });

  it('turns a connect function that throws into a failed attempt', () => {
    const clock = new Clock();
    const boom = new Error('cannot even start');
    const connection = new HostnameConnection<IProtocol>({
      clock,
      attemptDelay: 0.25,
      address: new HostnameAddress('example.com', 80),
      connect: () => {
        throw boom;
      },
    });
    const resolution = new Deferred<string[]>();
    resolution.callback(['10.0.0.1']);
    expect((failureResultOf(connection.run(resolution)).value as ConnectAttemptsFailedError).errors).toEqual([boom]);
  });

  it('with attemptDelay 0 starts the next attempt on the next clock turn', () => {
    const h = harness(['::1', '10.0.0.1'], 0);
    expect(h.started()).toEqual(['::1']);
    h.clock.advance(0);
    expect(h.started()).toEqual(['::1', '10.0.0.1']);
  });

  it('schedules nothing for a single address', () => {
    const h = harness(['10.0.0.1']);
    expect(h.clock.getDelayedCalls()).toEqual([]);
    h.fail(0);
    expect(failureResultOf(h.result).value).toBeInstanceOf(ConnectAttemptsFailedError);
  });

  it('cancelled, cancels the pending attempts and the timer and fails with ConnectingCancelledError(HostnameAddress)', () => {
    const h = harness(['::1', '10.0.0.1', '::2']);
    h.clock.advance(0.3);
    h.result.cancel();
    const err = failureResultOf(h.result).value as ConnectingCancelledError;
    expect(err).toBeInstanceOf(ConnectingCancelledError);
    expect(err.address).toEqual(new HostnameAddress('example.com', 80));
    expect(h.attempts.map((a) => a.cancelled)).toEqual([true, true]);
    expect(h.clock.getDelayedCalls()).toEqual([]);
    h.clock.advance(10);
    expect(h.started()).toHaveLength(2);
  });

  it('cancelled while resolving, cancels the lookup and starts nothing', () => {
    const clock = new Clock();
    let started = 0;
    const connection = new HostnameConnection<IProtocol>({
      clock,
      attemptDelay: 0.25,
      address: new HostnameAddress('example.com', 80),
      connect: () => {
        started++;
        return new Deferred<IProtocol>();
      },
    });
    let lookupCancelled = false;
    const resolution = new Deferred<string[]>(() => {
      lookupCancelled = true;
    });
    const result = connection.run(resolution);
    result.cancel();
    expect(failureResultOf(result).value).toBeInstanceOf(ConnectingCancelledError);
    expect(lookupCancelled).toBe(true);
    expect(started).toBe(0);
  });

  it('passes a resolution failure through', () => {
    const clock = new Clock();
    const connection = new HostnameConnection<IProtocol>({
      clock,
      attemptDelay: 0.25,
      address: new HostnameAddress('example.com', 80),
      connect: () => new Deferred<IProtocol>(),
    });
    const resolution = new Deferred<string[]>();
    const result = connection.run(resolution);
    const lookupError = new DNSLookupError('nope');
    resolution.errback(new Failure(lookupError));
    expect(failureResultOf(result).value).toBe(lookupError);
  });
});
