/**
 * connectErrorFromErrno (src/errors.ts): every errno it maps becomes
 * Twisted's class with its stable code, keeps the Node error as `cause`
 * and its message; anything else is a plain ConnectError; a refused
 * connection names the address that refused it.
 */
import {
  ConnectBindError,
  ConnectError,
  ConnectionRefusedError,
  NoRouteError,
  TCPTimedOutError,
  UnknownHostError,
  connectErrorFromErrno,
} from '../../../src/errors';

function errno(code: string | undefined): NodeJS.ErrnoException {
  const e = new Error(`connect ${code ?? 'FAILED'} 127.0.0.1:9`) as NodeJS.ErrnoException;
  if (code !== undefined) e.code = code;
  return e;
}

describe('connectErrorFromErrno', () => {
  it.each([
    ['ECONNREFUSED', ConnectionRefusedError, 'ERR_CONNECTION_REFUSED', /refused by the other side/],
    ['ETIMEDOUT', TCPTimedOutError, 'ERR_TCP_TIMED_OUT', /^TCP connection timed out: connect ETIMEDOUT 127\.0\.0\.1:9$/],
    ['ENETUNREACH', NoRouteError, 'ERR_NO_ROUTE', /^No route to host: connect ENETUNREACH/],
    ['EHOSTUNREACH', NoRouteError, 'ERR_NO_ROUTE', /^No route to host: connect EHOSTUNREACH/],
    ['ENOTFOUND', UnknownHostError, 'ERR_UNKNOWN_HOST', /^Hostname could not be looked up: connect ENOTFOUND/],
    ['EAI_AGAIN', UnknownHostError, 'ERR_UNKNOWN_HOST', /^Hostname could not be looked up: connect EAI_AGAIN/],
    ['EAI_FAIL', UnknownHostError, 'ERR_UNKNOWN_HOST', /^Hostname could not be looked up: connect EAI_FAIL/],
    ['EAI_NONAME', UnknownHostError, 'ERR_UNKNOWN_HOST', /^Hostname could not be looked up: connect EAI_NONAME/],
    ['EADDRINUSE', ConnectBindError, 'ERR_CONNECT_BIND', /^Couldn't bind: connect EADDRINUSE/],
    ['EADDRNOTAVAIL', ConnectBindError, 'ERR_CONNECT_BIND', /^Couldn't bind: connect EADDRNOTAVAIL/],
  ] as const)('%s becomes %p (%s) with the Node error as cause', (code, Cls, errCode, message) => {
    const err = errno(code);
    const mapped = connectErrorFromErrno(err);
    expect(mapped).toBeInstanceOf(Cls);
    expect(mapped).toBeInstanceOf(ConnectError);
    expect(mapped.code).toBe(errCode);
    expect(mapped.cause).toBe(err);
    expect(mapped.message).toMatch(message);
  });

  it.each(['ECONNRESET', 'EPERM', 'EWHATEVER', undefined])(
    'an errno it does not map (%s) is a plain ConnectError keeping the message',
    (code) => {
      const err = errno(code);
      const mapped = connectErrorFromErrno(err);
      expect(mapped.constructor).toBe(ConnectError);
      expect(mapped.code).toBe('ERR_CONNECT');
      expect(mapped.cause).toBe(err);
      expect(mapped.message).toBe(`An error occurred while connecting: ${err.message}`);
    },
  );

  it('a refused connection names the address that refused it (IPv6 in brackets); without one, the default message', () => {
    expect(connectErrorFromErrno(errno('ECONNREFUSED'), ['127.0.0.1', 4321]).message).toBe(
      'Connection to 127.0.0.1:4321 was refused by the other side; is the server listening?',
    );
    expect(connectErrorFromErrno(errno('ECONNREFUSED'), ['::1', 4321]).message).toMatch(
      /^Connection to \[::1\]:4321 was refused/,
    );
    expect(connectErrorFromErrno(errno('ECONNREFUSED'), null).message).toBe(
      'Connection was refused by the other side; is the server listening?',
    );
    expect(connectErrorFromErrno(errno('ECONNREFUSED')).message).toBe(
      'Connection was refused by the other side; is the server listening?',
    );
  });

  it('the address is named only for a refused connection', () => {
    expect(connectErrorFromErrno(errno('ETIMEDOUT'), ['10.0.0.1', 80]).message).not.toContain('10.0.0.1:80');
  });

  it('a non-Error is described, not lost', () => {
    const mapped = connectErrorFromErrno('weird');
    expect(mapped).toBeInstanceOf(ConnectError);
    expect(mapped.message).toMatch(/weird/);
    expect(mapped.cause).toBe('weird');
  });
});
