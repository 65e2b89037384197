/**
 * The public path (no private bindings at all: listening handles from
 * net._createServerHandle, accepted handles and clients in net.Sockets),
 * used when Node's private bindings are off: the same transport behaviour
 * as the fast path.
 */
import { createHash } from 'node:crypto';
import type { Failure } from '../../src/defer/failure';
import { ConnectionAborted, ConnectionDone, ConnectionLost } from '../../src/errors';
import { BufferedProtocol } from '../../src/protocol';
import type { Port } from '../../src/tcp';
import { _setBindings, bindings } from '../../src/tcp/bindings';
import {
  RecordingClientFactory,
  RecordingProtocol,
  RecordingServerFactory,
  Signal,
  loopTurns,
  until,
  useReactor,
  within,
} from '../tcp/harness';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('accepted connections without the private binding (integration)', () => {
  const h = useReactor();
  beforeEach(() => {
    _setBindings(false);
    expect(bindings()).toBeNull();
  });
  afterEach(() => {
    _setBindings(true);
  });

  async function listening<P extends RecordingProtocol>(
    proto: new () => P,
  ): Promise<{ sf: RecordingServerFactory<P>; port: Port }> {
    const sf = new RecordingServerFactory<P>(proto);
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    expect(port.getHost().port).toBeGreaterThan(0);
    return { sf, port };
  }

  it('exchanges several MiB both ways and closes cleanly', async () => {
    const payload = Buffer.alloc(3 * 1024 * 1024 + 17, 0x33);
    class Echo extends RecordingProtocol {
      override dataReceived(data: Buffer): void {
        super.dataReceived(data);
        this.transport!.write(data);
      }
      readConnectionLost(): void {
        this.transport!.loseConnection();
      }
    }
    class Sender extends RecordingProtocol {
      override connectionMade(): void {
        super.connectionMade();
        this.transport!.write(payload);
        this.transport!.loseWriteConnection();
      }
      readConnectionLost(): void {}
    }
    const { sf, port } = await listening(Echo);
    const f = new RecordingClientFactory(Sender);
    h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    const reason = await within(f.lost, 20000);
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    expect(sha(f.protocols[0].data())).toBe(sha(payload));
    expect(sha(sf.protocols[0].data())).toBe(sha(payload));
    expect((await within(sf.protocols[0].lost)).value).toBeInstanceOf(ConnectionDone);
  });

  it('copies into the buffers a BufferedProtocol lends', async () => {
    const payload = Buffer.alloc(512 * 1024, 7);
    const done = new Signal<Buffer>();
    class Lender extends BufferedProtocol {
      buf = Buffer.alloc(1000);
      chunks: Buffer[] = [];
      getBuffer(): Uint8Array {
        return this.buf;
      }
      bufferUpdated(n: number): void {
        this.chunks.push(Buffer.from(this.buf.subarray(0, n)));
      }
      override connectionLost(_reason: Failure): void {
        done.fire(Buffer.concat(this.chunks));
      }
    }
    const sf = new RecordingServerFactory<RecordingProtocol>(Lender as never);
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    class Sender extends RecordingProtocol {
      override connectionMade(): void {
        super.connectionMade();
        this.transport!.write(payload);
        this.transport!.loseConnection();
      }
    }
    h.r.connectTCP('127.0.0.1', port.getHost().port, new RecordingClientFactory(Sender));
    const got = await within(done, 20000);
    expect(got.equals(payload)).toBe(true);
  });

  it('aborts with RST, holds connections back while the port is not a reader, and closes with the reactor', async () => {
    const { sf, port } = await listening(RecordingProtocol);
    h.r.removeReader(port);
    const f = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    await until(() => f.protocols.length === 1);
    // The client is connected: the kernel has queued the connection on the
    // port, and the next loop turns hand it to the port, which holds it.
    await loopTurns();
    expect(sf.protocols).toHaveLength(0);
    h.r.addReader(port);
    const sp = await within(sf.built);
    await within(sp.made);
    sp.transport!.abortConnection();
    expect((await within(sp.lost)).value).toBeInstanceOf(ConnectionAborted);
    const clientReason = await within(f.protocols[0].lost);
    expect(clientReason.value).toBeInstanceOf(ConnectionLost);
  });
});
