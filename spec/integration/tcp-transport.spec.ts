/**
 * The TCP transport on real sockets: writes, graceful/abortive close,
 * half-close both ways, TCP options, and both receive paths (owned Buffers
 * for dataReceived, lent buffers for BufferedProtocol).
 */
import { createHash } from 'node:crypto';
import type { Failure } from '../../src/defer/failure';
import { ConnectionAborted, ConnectionDone, ConnectionLost, RuntimeError } from '../../src/errors';
import { captureLogEvents } from '../../src/logger';
import { BufferedProtocol } from '../../src/protocol';
import type { Connection, Port } from '../../src/tcp';
import {
  RecordingClientFactory,
  RecordingProtocol,
  RecordingServerFactory,
  Signal,
  until,
  useReactor,
  within,
  TRANSPORT_MODES,
  useTransportMode,
} from '../tcp/harness';

function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) % 251;
  return b;
}
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe.each(TRANSPORT_MODES)('TCP transport (integration, %s)', (mode) => {
  useTransportMode(mode);
  const h = useReactor();
  let port: Port;
  let server: RecordingServerFactory;
  const connect = <P extends RecordingProtocol>(proto: new () => P = RecordingProtocol as unknown as new () => P) => {
    const f = new RecordingClientFactory<P>(proto);
    const connector = h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    return { f, connector };
  };
  const listen = <P extends RecordingProtocol>(proto: new () => P): RecordingServerFactory<P> => {
    const s = new RecordingServerFactory<P>(proto);
    port = h.r.listenTCP(0, s, { interface: '127.0.0.1' });
    return s;
  };
  const clientProtocol = async <P extends RecordingProtocol>(f: RecordingClientFactory<P>): Promise<P> => {
    await until(() => f.protocols.length > 0);
    return (await within(f.protocols[0].made)) as P;
  };

  it('refuses a string in write() and writeSequence() with a TypeError that says to encode it', async () => {
    server = listen(RecordingProtocol);
    const { f } = connect();
    const p = await clientProtocol(f);
    expect(() => p.transport!.write('text' as unknown as Buffer)).toThrow(TypeError);
    expect(() => p.transport!.write('text' as unknown as Buffer)).toThrow(/encode it first/);
    expect(() => p.transport!.writeSequence([Buffer.from('a'), 'b' as unknown as Buffer])).toThrow(/data\[1\].*encode it first/);
    p.transport!.loseConnection();
    await within(p.lost);
  });

  it.each([
    ['server to client', 'server'],
    ['client to server', 'client'],
  ])(
    'delivers every byte written before loseConnection (8 MiB, %s), then ConnectionDone on both sides',
    async (_what, writer) => {
      const payload = pattern(8 * 1024 * 1024 + 123);
      class Writer extends RecordingProtocol {
        override connectionMade(): void {
          super.connectionMade();
          for (let off = 0; off < payload.length; off += 65536) this.transport!.write(payload.subarray(off, off + 65536));
          this.transport!.loseConnection();
          expect(this.transport!.disconnecting).toBe(true);
          // Written after loseConnection, while the buffer drains: sent too (Twisted).
          this.transport!.write(Buffer.from('late'));
        }
      }
      server = listen(writer === 'server' ? Writer : RecordingProtocol);
      const { f } = connect(writer === 'client' ? Writer : RecordingProtocol);
      const sp = await within(server.built);
      const cp = await clientProtocol(f);
      const receiver = writer === 'server' ? cp : sp;
      const [r1, r2] = await within(Promise.all([cp.lost, sp.lost]), 20000);
      expect(r1.value).toBeInstanceOf(ConnectionDone);
      expect(r2.value).toBeInstanceOf(ConnectionDone);
      const got = receiver.data();
      const expected = Buffer.concat([payload, Buffer.from('late')]);
      expect(got.length).toBe(expected.length);
      expect(sha(got)).toBe(sha(expected));
    },
  );

  it('abortConnection drops the buffer, resets the peer and reports ConnectionAborted exactly once', async () => {
    server = listen(RecordingProtocol);
    const { f } = connect();
    const cp = await clientProtocol(f);
    const sp = await within(server.built);
    await within(sp.made);
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 1);
    for (let i = 0; i < total / chunk.length; i++) cp.transport!.write(chunk);
    cp.transport!.abortConnection();
    cp.transport!.abortConnection();
    const reason = await within(cp.lost);
    expect(reason.value).toBeInstanceOf(ConnectionAborted);
    const peerReason = await within(sp.lost);
    expect(peerReason.value).toBeInstanceOf(ConnectionLost);
    expect(peerReason.value).not.toBeInstanceOf(ConnectionAborted);
    expect(sp.data().length).toBeLessThan(total);
    expect(cp.events.filter((e) => e[0] === 'connectionLost')).toHaveLength(1);
    const lost = await within(f.lost);
    expect(lost).toBe(reason);
  });

  it('abortConnection from inside dataReceived runs connectionLost later, not re-entrantly', async () => {
    const order: string[] = [];
    class AbortOnData extends RecordingProtocol {
      override dataReceived(data: Buffer): void {
        super.dataReceived(data);
        this.transport!.abortConnection();
        order.push('after abort');
      }
      override connectionLost(reason: Failure): void {
        order.push('connectionLost');
        super.connectionLost(reason);
      }
    }
    server = listen(AbortOnData);
    const { f } = connect();
    const cp = await clientProtocol(f);
    cp.transport!.write(Buffer.from('x'));
    const sp = await within(server.built);
    const reason = await within(sp.lost);
    expect(reason.value).toBeInstanceOf(ConnectionAborted);
    expect(order).toEqual(['after abort', 'connectionLost']);
  });

  it('half-closes client to server: readConnectionLost keeps the server writable, writeConnectionLost follows our FIN', async () => {
    class HalfCloseServer extends RecordingProtocol {
      readConnectionLost(): void {
        this.events.push(['readConnectionLost']);
        this.transport!.write(Buffer.from(`got ${this.data().toString()}`));
        this.transport!.loseConnection();
      }
      writeConnectionLost(): void {
        this.events.push(['writeConnectionLost']);
      }
    }
    class HalfCloseClient extends RecordingProtocol {
      override connectionMade(): void {
        super.connectionMade();
        this.transport!.write(Buffer.from('request'));
        this.transport!.loseWriteConnection();
      }
      readConnectionLost(): void {
        this.events.push(['readConnectionLost']);
      }
      writeConnectionLost(): void {
        this.events.push(['writeConnectionLost']);
      }
    }
    const server = listen(HalfCloseServer);
    const { f } = connect(HalfCloseClient);
    const sp = await within(server.built);
    const cp = await clientProtocol(f);
    const [cr, sr] = await within(Promise.all([cp.lost, sp.lost]));
    expect(sr.value).toBeInstanceOf(ConnectionDone);
    expect(cr.value).toBeInstanceOf(ConnectionDone);
    expect(sp.events.map((e) => e[0])).toEqual(['connectionMade', 'dataReceived', 'readConnectionLost', 'connectionLost']);
    expect(cp.events.map((e) => e[0])).toEqual([
      'connectionMade',
      'writeConnectionLost',
      'dataReceived',
      'readConnectionLost',
      'connectionLost',
    ]);
    expect(cp.data().toString()).toBe('got request');
  });

  it('half-closes server to client: the client still writes after the server FIN', async () => {
    class ShutWrite extends RecordingProtocol {
      override connectionMade(): void {
        super.connectionMade();
        this.transport!.write(Buffer.from('banner'));
        this.transport!.loseWriteConnection();
      }
      writeConnectionLost(): void {
        this.events.push(['writeConnectionLost']);
      }
      override dataReceived(data: Buffer): void {
        super.dataReceived(data);
        if (this.data().toString() === 'reply') this.transport!.loseConnection();
      }
    }
    class Replier extends RecordingProtocol {
      readConnectionLost(): void {
        this.events.push(['readConnectionLost']);
        this.transport!.write(Buffer.from('reply'));
        this.transport!.loseConnection();
      }
    }
    const server = listen(ShutWrite);
    const { f } = connect(Replier);
    const sp = await within(server.built);
    const cp = await clientProtocol(f);
    const [cr, sr] = await within(Promise.all([cp.lost, sp.lost]));
    expect(sr.value).toBeInstanceOf(ConnectionDone);
    expect(cr.value).toBeInstanceOf(ConnectionDone);
    expect(cp.data().toString()).toBe('banner');
    expect(sp.data().toString()).toBe('reply');
    expect(sp.events.map((e) => e[0])).toEqual(['connectionMade', 'writeConnectionLost', 'dataReceived', 'connectionLost']);
  });

  it('closes after a double half-close (readConnectionLost -> loseWriteConnection -> writeConnectionLost -> loseConnection)', async () => {
    class Listener extends RecordingProtocol {
      readConnectionLost(): void {
        this.transport!.loseWriteConnection();
      }
      writeConnectionLost(): void {
        this.transport!.loseConnection();
      }
    }
    class Closer extends RecordingProtocol {
      override connectionMade(): void {
        super.connectionMade();
        this.transport!.loseConnection();
      }
    }
    const server = listen(Listener);
    const { f } = connect(Closer);
    const sp = await within(server.built);
    const cp = await clientProtocol(f);
    const [cr, sr] = await within(Promise.all([cp.lost, sp.lost]));
    expect(cr.value).toBeInstanceOf(ConnectionDone);
    expect(sr.value).toBeInstanceOf(ConnectionDone);
  });

  it('gives a protocol without readConnectionLost connectionLost(ConnectionDone) on the peer FIN', async () => {
    server = listen(RecordingProtocol);
    const { f } = connect();
    const cp = await clientProtocol(f);
    const sp = await within(server.built);
    cp.transport!.loseWriteConnection();
    const reason = await within(sp.lost);
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    await within(cp.lost);
  });

  it('sets and reports TCP_NODELAY and SO_KEEPALIVE', async () => {
    server = listen(RecordingProtocol);
    const { f } = connect();
    const cp = await clientProtocol(f);
    const t = cp.transport!;
    expect([t.getTcpNoDelay(), t.getTcpKeepAlive()]).toEqual([false, false]);
    t.setTcpNoDelay(true);
    t.setTcpKeepAlive(true);
    expect([t.getTcpNoDelay(), t.getTcpKeepAlive()]).toEqual([true, true]);
    t.setTcpNoDelay(false);
    expect(t.getTcpNoDelay()).toBe(false);
    t.loseConnection();
    await within(cp.lost);
  });

  it('hands dataReceived Buffers the protocol may keep (kept chunks stay intact)', async () => {
    const payload = pattern(3 * 1024 * 1024, 5);
    class Sender extends RecordingProtocol {
      override connectionMade(): void {
        super.connectionMade();
        // Small and large writes, so both the copy and the fresh-buffer paths run.
        let off = 0;
        let size = 1;
        while (off < payload.length) {
          this.transport!.write(payload.subarray(off, off + size));
          off += size;
          size = size >= 256 * 1024 ? 1 : size * 3;
        }
        this.transport!.loseConnection();
      }
    }
    server = listen(Sender);
    const { f } = connect();
    const cp = await clientProtocol(f);
    await within(cp.lost, 20000);
    expect(cp.received.length).toBeGreaterThan(1);
    expect(sha(cp.data())).toBe(sha(payload));
  });

  describe('BufferedProtocol (lent buffers)', () => {
    class Lender extends BufferedProtocol {
      readonly buf = Buffer.alloc(4096);
      chunks: Buffer[] = [];
      lentOut = 0;
      lost = new Signal<Failure>();
      made = new Signal<void>();
      override connectionMade(): void {
        this.made.fire();
      }
      getBuffer(_sizeHint: number): Uint8Array {
        this.lentOut += 1;
        return this.buf;
      }
      bufferUpdated(nbytes: number): void {
        this.chunks.push(Buffer.from(this.buf.subarray(0, nbytes)));
      }
      override connectionLost(reason: Failure): void {
        this.lost.fire(reason);
      }
    }

    it.each([
      ['the client', 'client'],
      ['the server', 'server'],
    ])('reads straight into the buffer %s lends, with getBuffer/bufferUpdated', async (_what, side) => {
      const payload = pattern(1024 * 1024, 9);
      class Sender extends RecordingProtocol {
        override connectionMade(): void {
          super.connectionMade();
          this.transport!.write(payload);
          this.transport!.loseConnection();
        }
      }
      let lender: Lender | null = null;
      class ServerLender extends Lender {
        constructor() {
          super();
          lender = this;
        }
      }
      const s = new RecordingServerFactory<RecordingProtocol>(side === 'server' ? (ServerLender as never) : Sender);
      port = h.r.listenTCP(0, s, { interface: '127.0.0.1' });
      const f = new RecordingClientFactory<RecordingProtocol>(side === 'client' ? (ServerLender as never) : Sender);
      h.r.connectTCP('127.0.0.1', port.getHost().port, f);
      await until(() => lender !== null);
      const l = lender as unknown as Lender;
      const reason = await within(l.lost, 20000);
      expect(reason.value).toBeInstanceOf(ConnectionDone);
      expect(Buffer.concat(l.chunks).equals(payload)).toBe(true);
      expect(l.chunks.length).toBeGreaterThanOrEqual(256);
      expect(l.chunks.every((c) => c.length <= 4096)).toBe(true);
      expect(l.lentOut).toBeGreaterThanOrEqual(l.chunks.length);
    });

    it('ends the connection with a RuntimeError when getBuffer returns an empty buffer', async () => {
      class Empty extends Lender {
        override getBuffer(): Uint8Array {
          return new Uint8Array(0);
        }
      }
      let lender: Empty | null = null;
      const s = new RecordingServerFactory<RecordingProtocol>(
        class extends Empty {
          constructor() {
            super();
            lender = this;
          }
        } as never,
      );
      port = h.r.listenTCP(0, s, { interface: '127.0.0.1' });
      const { f } = connect();
      const cp = await clientProtocol(f);
      const [events, stop] = captureLogEvents();
      try {
        cp.transport!.write(Buffer.from('data'));
        await until(() => lender !== null);
        const reason = await within((lender as unknown as Empty).lost);
        expect(reason.value).toBeInstanceOf(RuntimeError);
        expect(events.some((e) => e.failure?.value instanceof RuntimeError)).toBe(true);
      } finally {
        stop();
      }
      await within(cp.lost);
    });
  });

  it('exposes the transport as a Connection with connected/disconnected flags', async () => {
    server = listen(RecordingProtocol);
    const { f } = connect();
    const cp = await clientProtocol(f);
    const t = cp.transport as unknown as Connection;
    expect([t.connected, t.disconnected, t.disconnecting]).toEqual([true, false, false]);
    t.loseConnection();
    await within(cp.lost);
    expect([t.connected, t.disconnected]).toEqual([false, true]);
  });
});
