/**
 * A refused connectTCP names the address that refused it, on a real
 * reactor (the mapping itself: spec/tcp/unit/connect-error-from-errno.spec.ts).
 */
import type { Failure } from '../../src/defer/failure';
import { ConnectionRefusedError } from '../../src/errors';
import { ClientFactory, Factory } from '../../src/protocol/factory';
import { Protocol } from '../../src/protocol/protocol';
import { Signal, useReactor, within } from './harness';

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
