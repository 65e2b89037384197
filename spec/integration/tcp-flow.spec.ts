/**
 * Flow control on real sockets: producers (push and pull), asyncio's
 * pauseWriting/resumeWriting with setWriteBufferLimits, the transport as a
 * push producer, the reactor's reader set as backpressure, and 1 GiB
 * pushed through a slow consumer with memory bounded by the watermarks.
 */
import { ConnectionDone, RuntimeError } from '../../src/errors';
import type { IPullProducer, IPushProducer } from '../../src/interfaces/producer';
import type { Connection, Port } from '../../src/tcp';
import {
  RecordingClientFactory,
  RecordingProtocol,
  RecordingServerFactory,
  Signal,
  loopTurns,
  until,
  useReactor,
  within,
  TRANSPORT_MODES,
  useTransportMode,
} from '../tcp/harness';

type Pair<C extends RecordingProtocol, S extends RecordingProtocol> = { client: C; server: S; port: Port };

describe.each(TRANSPORT_MODES)('TCP flow control (integration, %s)', (mode) => {
  useTransportMode(mode);
  const h = useReactor();

  async function pair<C extends RecordingProtocol, S extends RecordingProtocol>(
    clientProto: new () => C,
    serverProto: new () => S,
  ): Promise<Pair<C, S>> {
    const sf = new RecordingServerFactory<S>(serverProto);
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    const cf = new RecordingClientFactory<C>(clientProto);
    h.r.connectTCP('127.0.0.1', port.getHost().port, cf);
    const server = await within(sf.built);
    await within(server.made);
    await until(() => cf.protocols.length > 0);
    const client = (await within(cf.protocols[0].made)) as C;
    return { client, server, port };
  }
  const conn = (p: RecordingProtocol): Connection => p.transport as unknown as Connection;

  describe('asyncio write watermarks', () => {
    it('defaults to 64 KiB / 16 KiB and derives the missing limit as asyncio does', async () => {
      const { client } = await pair(RecordingProtocol, RecordingProtocol);
      const t = conn(client);
      expect(t.getWriteBufferLimits()).toEqual([65536, 16384]);
      t.setWriteBufferLimits(1000);
      expect(t.getWriteBufferLimits()).toEqual([1000, 250]);
      t.setWriteBufferLimits(undefined, 100);
      expect(t.getWriteBufferLimits()).toEqual([400, 100]);
      t.setWriteBufferLimits(0, 0);
      expect(t.getWriteBufferLimits()).toEqual([0, 0]);
      expect(() => t.setWriteBufferLimits(10, 20)).toThrow(RangeError);
      expect(() => t.setWriteBufferLimits(-1)).toThrow(RangeError);
      expect(() => t.setWriteBufferLimits('10' as unknown as number)).toThrow(TypeError);
      t.loseConnection();
    });

    it('calls pauseWriting only when the buffer goes strictly over high, resumeWriting once it drains to low', async () => {
      class Hooked extends RecordingProtocol {
        pauseWriting(): void {
          this.events.push(['pauseWriting', this.transport!.getWriteBufferSize()]);
        }
        resumeWriting(): void {
          this.events.push(['resumeWriting', this.transport!.getWriteBufferSize()]);
        }
      }
      const { client } = await pair(Hooked, RecordingProtocol);
      const t = conn(client);
      t.setWriteBufferLimits(10, 5);
      t.write(Buffer.alloc(10));
      expect(t.getWriteBufferSize()).toBe(10);
      expect(client.events.map((e) => e[0])).toEqual(['connectionMade']);
      t.write(Buffer.alloc(1));
      expect(client.events.slice(1)).toEqual([['pauseWriting', 11]]);
      t.write(Buffer.alloc(100));
      expect(client.events.filter((e) => e[0] === 'pauseWriting')).toHaveLength(1);
      await until(() => client.events.some((e) => e[0] === 'resumeWriting'));
      const resumed = client.events.find((e) => e[0] === 'resumeWriting') as [string, number];
      expect(resumed[1]).toBeLessThanOrEqual(5);
      expect(client.events.filter((e) => e[0] === 'resumeWriting')).toHaveLength(1);
      t.loseConnection();
    });

    it('pauses at once when new limits put the current buffer over high', async () => {
      const calls: string[] = [];
      class Hooked extends RecordingProtocol {
        pauseWriting(): void {
          calls.push('pause');
        }
        resumeWriting(): void {
          calls.push('resume');
        }
      }
      const { client } = await pair(Hooked, RecordingProtocol);
      const t = conn(client);
      t.write(Buffer.alloc(100));
      t.setWriteBufferLimits(50, 10);
      expect(calls).toEqual(['pause']);
      await until(() => calls.length === 2);
      expect(calls).toEqual(['pause', 'resume']);
      t.loseConnection();
    });
  });

  describe('producers', () => {
    it('asks a pull producer for more at once and on every drain, until it unregisters', async () => {
      const chunks = 20;
      const { client, server } = await pair(RecordingProtocol, RecordingProtocol);
      const t = conn(server);
      let n = 0;
      const producer: IPullProducer = {
        resumeProducing(): void {
          if (n === chunks) {
            t.unregisterProducer();
            t.loseConnection();
            return;
          }
          t.write(Buffer.alloc(50000, n++ % 256));
        },
        stopProducing(): void {},
      };
      t.registerProducer(producer, false);
      expect(n).toBe(1);
      const reason = await within(client.lost);
      expect(reason.value).toBeInstanceOf(ConnectionDone);
      const got = client.data();
      expect(got.length).toBe(chunks * 50000);
      for (let i = 0; i < chunks; i++) expect(got[i * 50000]).toBe(i);
    });

    it('pauses a push producer over the high-water mark and resumes it when the buffer drains', async () => {
      const { client, server } = await pair(RecordingProtocol, RecordingProtocol);
      const t = conn(server);
      const log: string[] = [];
      let maxBuffered = 0;
      let sent = 0;
      const total = 4 * 1024 * 1024;
      const done = new Signal<void>();
      const producer: IPushProducer = {
        pauseProducing: () => {
          log.push('pause');
        },
        resumeProducing: () => {
          log.push('resume');
          h.r.callLater(0, pump);
        },
        stopProducing: () => {
          log.push('stop');
        },
      };
      const pump = (): void => {
        while (log[log.length - 1] !== 'pause' && sent < total) {
          t.write(Buffer.alloc(32 * 1024, 7));
          sent += 32 * 1024;
          maxBuffered = Math.max(maxBuffered, t.getWriteBufferSize());
        }
        if (sent >= total) done.fire();
      };
      t.registerProducer(producer, true);
      // The consumer stops reading, so the kernel buffers fill and ours too.
      client.transport!.pauseProducing();
      h.r.callLater(0, pump);
      // Once the kernel buffers are full too, the producer stays paused.
      let stableSince = Date.now();
      let last = -1;
      await until(() => {
        if (sent !== last || log[log.length - 1] !== 'pause') {
          last = sent;
          stableSince = Date.now();
        }
        return Date.now() - stableSince > 50;
      }, 10000);
      expect(log[log.length - 1]).toBe('pause');
      expect(t.getWriteBufferSize()).toBeGreaterThan(16 * 1024);
      expect(sent).toBeLessThan(total);
      client.transport!.resumeProducing();
      await within(done, 20000);
      expect(log.filter((e) => e === 'resume').length).toBeGreaterThanOrEqual(1);
      expect(maxBuffered).toBeLessThanOrEqual(64 * 1024 + 32 * 1024);
      t.unregisterProducer();
      t.loseConnection();
      await within(client.lost);
      expect(client.data().length).toBe(total);
    });

    it('throws RuntimeError when a second producer is registered', async () => {
      const { server } = await pair(RecordingProtocol, RecordingProtocol);
      const p: IPushProducer = { pauseProducing() {}, resumeProducing() {}, stopProducing() {} };
      conn(server).registerProducer(p, true);
      expect(() => conn(server).registerProducer(p, true)).toThrow(RuntimeError);
      server.transport!.loseConnection();
      conn(server).unregisterProducer();
    });

    it('stops the producer on connectionLost, and stops one registered on a closed transport at once', async () => {
      const { client, server } = await pair(RecordingProtocol, RecordingProtocol);
      const stopped: string[] = [];
      const p = (name: string): IPushProducer => ({
        pauseProducing() {},
        resumeProducing() {},
        stopProducing: () => stopped.push(name),
      });
      conn(server).registerProducer(p('first'), true);
      client.transport!.abortConnection();
      await within(server.lost);
      expect(stopped).toEqual(['first']);
      expect(conn(server).producer).toBeNull();
      conn(server).registerProducer(p('late'), true);
      expect(stopped).toEqual(['first', 'late']);
      expect(conn(server).producer).toBeNull();
    });

    it('an unpaused streaming producer does not hold loseConnection; it is stopped (Twisted doWrite)', async () => {
      const { client, server } = await pair(RecordingProtocol, RecordingProtocol);
      const t = conn(server);
      const calls: string[] = [];
      t.registerProducer(
        {
          pauseProducing: () => calls.push('pause'),
          resumeProducing: () => calls.push('resume'),
          stopProducing: () => calls.push('stop'),
        },
        true,
      );
      t.write(Buffer.from('before'));
      t.loseConnection();
      t.write(Buffer.from(' during'));
      const reason = await within(client.lost);
      expect(reason.value).toBeInstanceOf(ConnectionDone);
      expect(client.data().toString()).toBe('before during');
      await within(server.lost);
      expect(calls).toEqual(['stop']);
      expect(t.producer).toBeNull();
    });

    it('makes loseConnection wait for a pull producer to unregister', async () => {
      const { client, server } = await pair(RecordingProtocol, RecordingProtocol);
      const t = conn(server);
      t.registerProducer({ resumeProducing() {}, stopProducing() {} }, false);
      t.write(Buffer.from('before'));
      t.loseConnection();
      t.write(Buffer.from(' during'));
      // Everything written has arrived and left the server's buffer: an
      // unheld close would have sent its FIN by now, and the client's next
      // loop turns would see it.
      await until(() => client.data().toString() === 'before during' && t.getWriteBufferSize() === 0);
      await loopTurns(5);
      expect(client.lost.called).toBe(false);
      expect(server.lost.called).toBe(false);
      t.unregisterProducer();
      const reason = await within(client.lost);
      expect(reason.value).toBeInstanceOf(ConnectionDone);
      expect(client.data().toString()).toBe('before during');
    });
  });

  describe('the transport as a push producer, and the reactor reader set', () => {
    it('lists reading transports and ports in getReaders()', async () => {
      const { client, server, port } = await pair(RecordingProtocol, RecordingProtocol);
      const readers = h.r.getReaders();
      expect(readers).toEqual(expect.arrayContaining([client.transport, server.transport, port]));
      client.transport!.pauseProducing();
      expect(h.r.getReaders()).not.toContain(client.transport);
      client.transport!.resumeProducing();
      expect(h.r.getReaders()).toContain(client.transport);
      client.transport!.loseConnection();
      expect(h.r.getReaders()).not.toContain(client.transport);
    });

    it('stops delivering data while removed from the reader set (backpressure) and resumes on addReader', async () => {
      class Hooked extends RecordingProtocol {
        paused = new Signal<void>();
        pauseWriting(): void {
          this.paused.fire();
        }
      }
      const { client, server } = await pair(RecordingProtocol, Hooked);
      h.r.removeReader(conn(client));
      const chunk = Buffer.alloc(64 * 1024, 3);
      let written = 0;
      // The server writes until its own buffer goes over its high-water mark:
      // the kernel buffers are full because the client does not read.
      while (!server.paused.called && written < 256 * 1024 * 1024) {
        server.transport!.write(chunk);
        written += chunk.length;
        if (written % (4 * 1024 * 1024) === 0) await loopTurns(1);
      }
      expect(server.paused.called).toBe(true);
      // Bytes are waiting in the client's kernel buffer: a client still
      // reading would get them in these turns.
      await loopTurns(5);
      expect(client.received.length).toBe(0);
      h.r.addReader(conn(client));
      await until(() => client.data().length === written, 20000);
      client.transport!.loseConnection();
    });

    it('holds accepted connections back while the port is not a reader', async () => {
      const sf = new RecordingServerFactory(RecordingProtocol);
      const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
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
      f.protocols[0].transport!.loseConnection();
      expect((await within(sp.lost)).value).toBeInstanceOf(ConnectionDone);
    });

    it('stopProducing on the transport is loseConnection', async () => {
      const { client, server } = await pair(RecordingProtocol, RecordingProtocol);
      client.transport!.stopProducing();
      expect(client.transport!.disconnecting).toBe(true);
      const reason = await within(server.lost);
      expect(reason.value).toBeInstanceOf(ConnectionDone);
    });
  });

  it('pushes 1 GiB through a slow consumer with the buffers bounded by the watermarks', async () => {
    const total = 1024 * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 0x5a);
    let maxBuffered = 0;
    let sent = 0;
    let pauses = 0;
    let maxArrayBuffers = 0;
    const baseline = process.memoryUsage();

    class Producer extends RecordingProtocol implements IPushProducer {
      paused = false;
      override connectionMade(): void {
        super.connectionMade();
        this.transport!.registerProducer(this, true);
        h.r.callLater(0, () => this.pump());
      }
      pump(): void {
        const t = this.transport!;
        while (!this.paused && sent < total) {
          t.write(chunk);
          sent += chunk.length;
          const size = t.getWriteBufferSize();
          if (size > maxBuffered) maxBuffered = size;
        }
        if (sent >= total) {
          t.unregisterProducer();
          t.loseConnection();
        }
      }
      pauseProducing(): void {
        this.paused = true;
        pauses += 1;
      }
      resumeProducing(): void {
        this.paused = false;
        h.r.callLater(0, () => this.pump());
      }
      stopProducing(): void {
        this.paused = true;
      }
    }
    class SlowConsumer extends RecordingProtocol {
      count = 0;
      nextBreak = 16 * 1024 * 1024;
      override dataReceived(data: Buffer): void {
        this.count += data.length;
        if (this.count >= this.nextBreak) {
          this.nextBreak += 16 * 1024 * 1024;
          const ab = process.memoryUsage().arrayBuffers;
          if (ab > maxArrayBuffers) maxArrayBuffers = ab;
          // Slow: stop reading for a moment every 16 MiB.
          this.transport!.pauseProducing();
          h.r.callLater(0.002, () => this.transport!.resumeProducing());
        }
      }
    }
    const sf = new RecordingServerFactory(Producer);
    const port = h.r.listenTCP(0, sf, { interface: '127.0.0.1' });
    const cf = new RecordingClientFactory(SlowConsumer);
    h.r.connectTCP('127.0.0.1', port.getHost().port, cf);
    const reason = await within(cf.lost, 120000, '1 GiB transfer');
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    const consumer = cf.protocols[0] as SlowConsumer;
    expect(consumer.count).toBe(total);
    expect(pauses).toBeGreaterThan(0);
    // Never more than the high-water mark plus the write that crossed it.
    expect(maxBuffered).toBeLessThanOrEqual(64 * 1024 + chunk.length);
    // Memory stays far below the 1 GiB that went through.
    expect(maxArrayBuffers - baseline.arrayBuffers).toBeLessThan(256 * 1024 * 1024);
  }, 180000);
});
