/**
 * Interop with the real Twisted (Debian's python3-twisted): torsion's TCP
 * client against Twisted servers, and Twisted's clients against torsion
 * servers, over 127.0.0.1 with a fresh Reactor per test. The peers live in
 * ./peers and print what Twisted saw as JSON lines.
 *
 * Without a Python that imports Twisted, a single test reports why and the
 * interop tests are not defined (.ci/run installs python3-twisted).
 */
import type { IPv4Address, IPv6Address } from '../../src/address';
import type { Failure } from '../../src/defer/failure';
import { ConnectionAborted, ConnectionDone } from '../../src/errors';
import type { IPushProducer } from '../../src/interfaces/producer';
import { LineReceiver } from '../../src/framing';
import { Factory } from '../../src/protocol/factory';
import { Protocol } from '../../src/protocol/protocol';
import type { Reactor } from '../../src/reactor';
import { OneShotFactory, describeWithTwisted, pattern, signal } from './harness';

const MiB = 1024 * 1024;

/** Writes `data` in 64 KiB pieces as a streaming producer; collects what comes back. */
class StreamingEcho extends Protocol implements IPushProducer {
  readonly chunks: Buffer[] = [];
  received = 0;
  readonly allBack = signal<Buffer>();
  readonly lost = signal<Failure>();
  #offset = 0;
  #paused = false;
  pauses = 0;
  constructor(readonly data: Buffer) {
    super();
  }
  override connectionMade(): void {
    this.transport!.registerProducer(this, true);
    this.resumeProducing();
  }
  pauseProducing(): void {
    this.#paused = true;
    this.pauses++;
  }
  resumeProducing(): void {
    this.#paused = false;
    while (!this.#paused && this.#offset < this.data.length) {
      const end = Math.min(this.#offset + 64 * 1024, this.data.length);
      this.transport!.write(this.data.subarray(this.#offset, end));
      this.#offset = end;
    }
    if (this.#offset === this.data.length && !this.#paused) this.transport!.unregisterProducer();
  }
  stopProducing(): void {
    this.#paused = true;
  }
  override dataReceived(data: Buffer): void {
    this.chunks.push(data);
    this.received += data.length;
    if (this.received >= this.data.length) this.allBack.resolve(Buffer.concat(this.chunks));
  }
  override connectionLost(reason: Failure): void {
    this.lost.resolve(reason);
  }
}

/** The line contract of peers/line_server.py: answer "<length> <line reversed>", QUIT closes. */
class ReversingLines extends LineReceiver {
  override MAX_LENGTH = 4 * MiB;
  readonly lost = signal<Failure>();
  override lineReceived(line: Buffer): void {
    if (line.equals(Buffer.from('QUIT'))) {
      this.transport!.loseConnection();
      return;
    }
    this.sendLine(Buffer.concat([Buffer.from(`${line.length} `), Buffer.from(line).reverse()]));
  }
  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    this.lost.resolve(reason);
  }
}

/** A LineReceiver client that collects lines. */
class LineCollector extends LineReceiver {
  override MAX_LENGTH = 4 * MiB;
  readonly lines: Buffer[] = [];
  #want = 0;
  #got = signal<Buffer[]>();
  readonly lost = signal<Failure>();
  readonly made = signal<void>();
  override connectionMade(): void {
    this.made.resolve();
  }
  /** Resolve once `n` more lines have arrived. */
  expect(n: number): Promise<Buffer[]> {
    this.#want = this.lines.length + n;
    this.#got = signal<Buffer[]>();
    return this.#got.promise;
  }
  override lineReceived(line: Buffer): void {
    this.lines.push(line);
    if (this.lines.length === this.#want) this.#got.resolve(this.lines.slice());
  }
  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    this.lost.resolve(reason);
  }
}

const reversed = (s: Buffer): Buffer => Buffer.concat([Buffer.from(`${s.length} `), Buffer.from(s).reverse()]);

describeWithTwisted('interop with the real Twisted', 'interop specs', (ctx) => {
  const peer = (script: string, args: string[] = []) => ctx.peer(script, args);
  let reactor!: Reactor;
  beforeEach(() => {
    reactor = ctx.reactor;
  });

  describe('torsion client → Twisted server', () => {
    it('8 MiB written through a streaming producer come back unchanged from a Twisted echo server, and both sides see a clean close', async () => {
      const server = peer('echo_server.py');
      const data = pattern(8 * MiB);
      const proto = new StreamingEcho(data);
      const f = new OneShotFactory(proto);
      reactor.connectTCP('127.0.0.1', await server.port(), f);
      const back = await Promise.race([proto.allBack.promise, f.failed.promise.then((r) => Promise.reject(r.value))]);
      expect(back.length).toBe(data.length);
      expect(back.equals(data)).toBe(true);
      proto.transport!.loseConnection();
      expect((await proto.lost.promise).check(ConnectionDone)).toBe(ConnectionDone);
      const lost = await server.next('lost');
      expect(lost).toMatchObject({ reason: 'ConnectionDone', received: data.length });
    });

    it('a Twisted LineReceiver server answers lines sent in 3-byte pieces, a 1,000-line burst is framed line by line, and its loseConnection reaches torsion as ConnectionDone', async () => {
      const server = peer('line_server.py');
      const proto = new LineCollector();
      reactor.connectTCP('127.0.0.1', await server.port(), new OneShotFactory(proto));
      const lines = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from('torsion ✓'), Buffer.alloc(200_000, 0x7a)];
      const answers = proto.expect(lines.length);
      await proto.made.promise;
      const stream = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\r\n')]));
      for (let i = 0; i < stream.length; i += 3) proto.transport!.write(stream.subarray(i, i + 3));
      expect((await answers).map((a) => a.toString('latin1'))).toEqual(lines.map((l) => reversed(l).toString('latin1')));

      const burst = proto.expect(1000);
      proto.sendLine(Buffer.from('SEND 1000 100'));
      const got = await burst;
      expect(got.slice(-1000).every((l) => l.equals(Buffer.alloc(100, 0x78)))).toBe(true);

      proto.sendLine(Buffer.from('QUIT'));
      expect((await proto.lost.promise).check(ConnectionDone)).toBe(ConnectionDone);
      expect(await server.next('lost')).toMatchObject({ reason: 'ConnectionDone', lines: lines.length + 2 });
    });

    it('abortConnection reaches a Twisted server as a non-clean ConnectionLost while torsion reports ConnectionAborted', async () => {
      const server = peer('echo_server.py');
      const proto = new StreamingEcho(pattern(1000));
      reactor.connectTCP('127.0.0.1', await server.port(), new OneShotFactory(proto));
      await proto.allBack.promise;
      proto.transport!.abortConnection();
      expect((await proto.lost.promise).check(ConnectionAborted)).toBe(ConnectionAborted);
      expect(await server.next('lost')).toMatchObject({ reason: 'ConnectionLost', received: 1000 });
    });
  });

  describe('Twisted client → torsion server', () => {
    it('a Twisted client gets its 8 MiB back from a torsion echo server, and its loseConnection reaches torsion as ConnectionDone', async () => {
      const lost = signal<Failure>();
      let received = 0;
      class Echo extends Protocol {
        override dataReceived(data: Buffer): void {
          received += data.length;
          this.transport!.write(data);
        }
        override connectionLost(reason: Failure): void {
          lost.resolve(reason);
        }
      }
      const port = reactor.listenTCP(0, Factory.forProtocol(Echo), { interface: '127.0.0.1' });
      const portNo = (port.getHost() as IPv4Address | IPv6Address).port;
      const client = peer('client.py', [String(portNo), 'echo', String(8 * MiB)]);
      const code = await client.exited;
      expect({ code, stderr: client.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await client.next('echo')).toMatchObject({ sent: 8 * MiB, received: 8 * MiB, match: true });
      expect(await client.next('lost')).toMatchObject({ reason: 'ConnectionDone' });
      expect((await lost.promise).check(ConnectionDone)).toBe(ConnectionDone);
      expect(received).toBe(8 * MiB);
    });

    it("a Twisted LineReceiver client's lines, cut every 7 bytes, are framed by a torsion LineReceiver server, answered, and QUIT closes cleanly on both sides", async () => {
      let proto: ReversingLines | null = null;
      const f = new (class extends Factory {
        override buildProtocol(): ReversingLines {
          proto = new ReversingLines();
          proto.factory = this;
          return proto;
        }
      })();
      const port = reactor.listenTCP(0, f, { interface: '127.0.0.1' });
      const portNo = (port.getHost() as IPv4Address | IPv6Address).port;
      const client = peer('client.py', [String(portNo), 'lines']);
      const code = await client.exited;
      expect({ code, stderr: client.stderr }).toEqual({ code: 0, stderr: '' });
      const answers = await client.next('lines');
      expect(answers).toMatchObject({ ok: true });
      expect((answers.answers as string[]).slice(0, 2)).toEqual(['5 olleh', '0 ']);
      expect(await client.next('lost')).toMatchObject({ reason: 'ConnectionDone' });
      expect((await proto!.lost.promise).check(ConnectionDone)).toBe(ConnectionDone);
    });
  });
});
