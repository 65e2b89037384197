import { HostnameAddress, IPv4Address, IPv6Address } from '../../src/address';
import { Failure } from '../../src/defer/failure';
import { ConnectAttemptsFailedError, EndpointParseError, formatHostPort } from '../../src/endpoints/errors';
import { ConnectError, ConnectionRefusedError, TimeoutError, TorsionError } from '../../src/errors';

describe('ConnectAttemptsFailedError', () => {
  const refused = new ConnectionRefusedError();
  const timedOut = new TimeoutError();
  const attempts = [
    { address: new IPv6Address('TCP', '::1', 443), failure: new Failure(refused) },
    { address: new IPv4Address('TCP', '127.0.0.1', 443), failure: new Failure(timedOut) },
  ];
  const err = new ConnectAttemptsFailedError(new HostnameAddress('example.com', 443), attempts);

  it('is a ConnectError with a stable code and its own name', () => {
    expect(err).toBeInstanceOf(ConnectError);
    expect(err).toBeInstanceOf(TorsionError);
    expect(err.code).toBe('ERR_CONNECT_ATTEMPTS_FAILED');
    expect(err.name).toBe('ConnectAttemptsFailedError');
  });

  it('names every attempt and its reason in the message', () => {
    expect(err.message).toBe(
      `All 2 connection attempts to example.com:443 failed: [::1]:443: ${refused.message}; 127.0.0.1:443: ${timedOut.message}`,
    );
  });

  it('keeps the attempts in order, as failures and as error values', () => {
    expect(err.failures).toEqual([attempts[0].failure, attempts[1].failure]);
    expect(err.errors).toEqual([refused, timedOut]);
    expect(err.attempts.map((a) => a.address)).toEqual([attempts[0].address, attempts[1].address]);
  });

  it("uses the last attempt's error as cause unless told which failure came last", () => {
    expect(err.cause).toBe(timedOut);
    const told = new ConnectAttemptsFailedError(new HostnameAddress('example.com', 443), attempts, attempts[0].failure);
    expect(told.cause).toBe(refused);
  });

  it('does not change when the list it was given does', () => {
    const list = [...attempts];
    const e = new ConnectAttemptsFailedError(new HostnameAddress('h', 1), list);
    list.pop();
    expect(e.attempts).toHaveLength(2);
    expect(Object.isFrozen(e.attempts)).toBe(true);
  });

  it('says "attempt" for a single one', () => {
    const one = new ConnectAttemptsFailedError(new HostnameAddress('h', 1), [attempts[1]]);
    expect(one.message).toMatch(/^All 1 connection attempt to h:1 failed: /);
  });
});

describe('EndpointParseError', () => {
  it('derives its code from its kind and keeps the description and field', () => {
    const err = new EndpointParseError('BAD_VALUE', "The field 'port' is wrong", 'tcp:x', 'port');
    expect(err).toBeInstanceOf(TorsionError);
    expect(err.code).toBe('ERR_ENDPOINT_BAD_VALUE');
    expect(err.kind).toBe('BAD_VALUE');
    expect(err.field).toBe('port');
    expect(err.description).toBe('tcp:x');
    expect(err.message).toBe(`The field 'port' is wrong (in endpoint description "tcp:x")`);
  });
});

describe('formatHostPort', () => {
  it('brackets IPv6 literals only', () => {
    expect(formatHostPort('::1', 80)).toBe('[::1]:80');
    expect(formatHostPort('example.com', 80)).toBe('example.com:80');
  });
});
