/**
 * connectErrorFromErrno: every errno a connect attempt can fail with maps
 * to Twisted's class, keeps the Node error as `cause`, and a refused
 * connection names the address that refused it (also on a real reactor).
 */
import type { Failure } from '../../src/defer/failure';
import {
  ConnectBindError,
  ConnectError,
  ConnectionRefusedError,
  NoRouteError,
  TCPTimedOutError,
  UnknownHostError,
  connectErrorFromErrno,
} from '../../src/errors';
import { ClientFactory, Factory } from '../../src/protocol/factory';
import { Protocol } from '../../src/protocol/protocol';
import { Signal, useReactor, within } from './harness';

function errno(code: string): NodeJS.ErrnoException {
  const e = new Error(`connect ${code} 127.0.0.1:9`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

describe('connectErrorFromErrno', () => {
  it.each([
    ['ECONNREFUSED', ConnectionRefusedError],
    ['ETIMEDOUT', TCPTimedOutError],
    ['ENETUNREACH', NoRouteError],
    ['EHOSTUNREACH', NoRouteError],
    ['ENOTFOUND', UnknownHostError],
    ['EAI_AGAIN', UnknownHostError],
    ['EAI_FAIL', UnknownHostError],
    ['EAI_NONAME', UnknownHostError],
    ['EADDRINUSE', ConnectBindError],
    ['EADDRNOTAVAIL', ConnectBindError],
    ['ECONNRESET', ConnectError],
    ['EPERM', ConnectError],
  ] as const)('%s becomes %p with the Node error as cause', (code, Cls) => {
    const err = errno(code);
    const mapped = connectErrorFromErrno(err);
    expect(mapped).toBeInstanceOf(Cls);
    expect(mapped).toBeInstanceOf(ConnectError);
    expect(mapped.cause).toBe(err);
    expect(mapped.code).toMatch(/^ERR_[A-Z_]+$/);
  });

  it('a refused connection names the address (IPv6 in brackets)', () => {
    expect(connectErrorFromErrno(errno('ECONNREFUSED'), ['127.0.0.1', 4321]).message).toMatch(/127\.0\.0\.1:4321 was refused/);
    expect(connectErrorFromErrno(errno('ECONNREFUSED'), ['::1', 4321]).message).toMatch(/\[::1\]:4321 was refused/);
    expect(connectErrorFromErrno(errno('ECONNREFUSED')).message).toMatch(/refused/);
  });

  it('a non-Error is described, not lost', () => {
    expect(connectErrorFromErrno('weird').message).toMatch(/weird/);
  });
});

describe('a refused connectTCP names the address', () => {
  const h = useReactor();
  it('ConnectionRefusedError says which host:port refused', async () => {
    const dead = h.r.listenTCP(0, Factory.forProtocol(Protocol), { interface: '127.0.0.1' });
    const port = (dead.getHost() as { port: number }).port;
    await dead.stopListening();
    const failed = new Signal<Failure>();
    const cf = new (class extends ClientFactory {
      override clientConnectionFailed(_c: unknown, reason: Failure): void {
        failed.fire(reason);
      }
    })();
    h.r.connectTCP('127.0.0.1', port, cf);
    const reason = await within(failed);
    expect(reason.value).toBeInstanceOf(ConnectionRefusedError);
    expect(reason.getErrorMessage()).toContain(`127.0.0.1:${port}`);
  });
});
