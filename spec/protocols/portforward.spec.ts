/**
 * torsion/protocols/portforward on real sockets: a client, the forwarder
 * and a destination on one reactor. Every byte arrives both ways, and a
 * close on either end closes the other end too: nothing stays half-open
 * (the destination sees its EOF, no socket is left in the forwarder).
 */
import { createHash } from 'node:crypto';
import type { Failure } from '../../src/defer/failure';
import { ConnectionDone } from '../../src/errors';
import { Protocol } from '../../src/protocol/protocol';
import { ProxyFactory, ProxyServer } from '../../src/protocols/portforward';
import { Discard, Echo } from '../../src/protocols/wire';
import type { Port } from '../../src/tcp';
import {
  RecordingClientFactory,
  RecordingProtocol,
  RecordingServerFactory,
  TRANSPORT_MODES,
  until,
  useReactor,
  useTransportMode,
  within,
} from '../tcp/harness';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
function payload(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 9)) & 255;
  return b;
}

describe('ProxyFactory arguments', () => {
  it('refuses a bad host or port with a typed error naming it', () => {
    expect(() => new ProxyFactory(42 as unknown as string, 80)).toThrow(/host/);
    expect(() => new ProxyFactory('127.0.0.1', 70000)).toThrow(RangeError);
    expect(() => new ProxyFactory('127.0.0.1', 70000)).toThrow(/port/);
  });
});

describe.each(TRANSPORT_MODES)('port forwarder (%s)', (mode) => {
  useTransportMode(mode);
  const h = useReactor();

  /** Destination (with `Dest` protocols), forwarder in front of it; returns the forwarder's port. */
  function setUp<D extends Protocol>(Dest: new () => D): { dest: RecordingServerFactory<D>; proxyPort: Port; destPort: Port } {
    const dest = new RecordingServerFactory<D>(Dest);
    const destPort = h.r.listenTCP(0, dest, { interface: '127.0.0.1' });
    const proxyPort = h.r.listenTCP(0, new ProxyFactory('127.0.0.1', destPort.getHost().port, h.r), { interface: '127.0.0.1' });
    return { dest, proxyPort, destPort };
  }
  /** Only the two listening ports are left in the reactor (no forwarded socket lingers). */
  const onlyPortsLeft = (...ports: Port[]): boolean =>
    h.r.getReaders().length === ports.length && ports.every((p) => h.r.getReaders().includes(p));

  class RecordingEcho extends RecordingProtocol {
    override dataReceived(data: Buffer): void {
      super.dataReceived(data);
      this.transport!.write(data);
    }
  }

  it('forwards 4 MiB both ways; the client closes first and the destination sees its EOF', async () => {
    const { dest, proxyPort, destPort } = setUp(RecordingEcho);
    const data = payload(4 * 1024 * 1024 + 17);
    class Sender extends RecordingProtocol {
      override connectionMade(): void {
        super.connectionMade();
        this.transport!.write(data);
      }
      override dataReceived(chunk: Buffer): void {
        super.dataReceived(chunk);
        if (this.data().length === data.length) this.transport!.loseConnection();
      }
    }
    const cf = new RecordingClientFactory(Sender);
    h.r.connectTCP('127.0.0.1', proxyPort.getHost().port, cf);
    const destProto = await within(dest.built);
    await until(() => cf.protocols.length > 0);
    const client = cf.protocols[0];
    const reason = await within(destProto.lost, 20000);
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    expect((await within(client.lost)).value).toBeInstanceOf(ConnectionDone);
    expect(sha(destProto.data())).toBe(sha(data));
    expect(sha(client.data())).toBe(sha(data));
    await until(() => onlyPortsLeft(proxyPort, destPort), 5000, 'the forwarder to drop both sockets');
  });

  it('the destination closes first (after 2 MiB): the client gets every byte, then ConnectionDone', async () => {
    const data = payload(2 * 1024 * 1024);
    class Talker extends RecordingProtocol {
      override connectionMade(): void {
        super.connectionMade();
        this.transport!.write(data);
        this.transport!.loseConnection();
      }
    }
    const { dest, proxyPort, destPort } = setUp(Talker);
    const cf = new RecordingClientFactory(RecordingProtocol);
    h.r.connectTCP('127.0.0.1', proxyPort.getHost().port, cf);
    const destProto = await within(dest.built);
    await until(() => cf.protocols.length > 0);
    const client = cf.protocols[0];
    expect((await within(client.lost, 20000)).value).toBeInstanceOf(ConnectionDone);
    expect((await within(destProto.lost)).value).toBeInstanceOf(ConnectionDone);
    expect(client.data().length).toBe(data.length);
    expect(sha(client.data())).toBe(sha(data));
    await until(() => onlyPortsLeft(proxyPort, destPort), 5000, 'the forwarder to drop both sockets');
  });

  it('a slow client holds the destination back (flow control) and still gets everything', async () => {
    const data = payload(8 * 1024 * 1024);
    let pauses = 0;
    class Talker extends RecordingProtocol {
      override connectionMade(): void {
        super.connectionMade();
        // One write at a time: producer-driven, as a well-behaved server writes.
        let off = 0;
        const t = this.transport!;
        const producer = {
          paused: false,
          pauseProducing(): void {
            this.paused = true;
            pauses++;
          },
          resumeProducing(): void {
            this.paused = false;
            pump();
          },
          stopProducing(): void {
            off = data.length;
          },
        };
        const pump = (): void => {
          while (!producer.paused && off < data.length) {
            t.write(data.subarray(off, off + 65536));
            off += 65536;
          }
          if (off >= data.length) {
            t.unregisterProducer();
            t.loseConnection();
          }
        };
        t.registerProducer(producer, true);
        pump();
      }
    }
    const { dest, proxyPort } = setUp(Talker);
    const cf = new RecordingClientFactory(RecordingProtocol);
    h.r.connectTCP('127.0.0.1', proxyPort.getHost().port, cf);
    await within(dest.built);
    await until(() => cf.protocols.length > 0);
    const client = cf.protocols[0];
    await within(client.made);
    client.transport!.pauseProducing();
    // While the client does not read, the forwarder's buffers stay bounded:
    // the destination gets paused instead of the forwarder buffering 8 MiB.
    await until(() => pauses > 0, 10000, 'the destination to be paused by the forwarder');
    expect(client.data().length).toBeLessThan(data.length);
    client.transport!.resumeProducing();
    expect((await within(client.lost, 20000)).value).toBeInstanceOf(ConnectionDone);
    expect(sha(client.data())).toBe(sha(data));
  });

  it('an unreachable destination closes the accepted connection', async () => {
    const dead = h.r.listenTCP(0, new RecordingServerFactory(Discard), { interface: '127.0.0.1' });
    const deadPort = dead.getHost().port;
    await dead.stopListening();
    const proxyPort = h.r.listenTCP(0, new ProxyFactory('127.0.0.1', deadPort, h.r), { interface: '127.0.0.1' });
    const cf = new RecordingClientFactory(RecordingProtocol);
    h.r.connectTCP('127.0.0.1', proxyPort.getHost().port, cf);
    await until(() => cf.protocols.length > 0);
    const reason: Failure = await within(cf.protocols[0].lost);
    expect(reason.value).toBeInstanceOf(ConnectionDone);
  });

  it('ProxyServer reads nothing until the far side is connected', async () => {
    const { dest, proxyPort } = setUp(RecordingEcho);
    const cf = new RecordingClientFactory(RecordingProtocol);
    h.r.connectTCP('127.0.0.1', proxyPort.getHost().port, cf);
    await until(() => cf.protocols.length > 0);
    const client = await within(cf.protocols[0].made);
    client.transport!.write(Buffer.from('early'));
    const destProto = await within(dest.built);
    await until(() => client.data().toString() === 'early');
    expect(destProto.data().toString()).toBe('early');
    expect(ProxyServer).toBeDefined();
    client.transport!.loseConnection();
    expect((await within(destProto.lost)).value).toBeInstanceOf(ConnectionDone);
  });

  it('Echo and Discard from torsion/protocols/wire', async () => {
    const echoPort = h.r.listenTCP(0, new RecordingServerFactory(Echo), { interface: '127.0.0.1' });
    const cf = new RecordingClientFactory(RecordingProtocol);
    h.r.connectTCP('127.0.0.1', echoPort.getHost().port, cf);
    await until(() => cf.protocols.length > 0);
    const client = await within(cf.protocols[0].made);
    client.transport!.write(Buffer.from('hello'));
    await until(() => client.data().toString() === 'hello');
    const discardPort = h.r.listenTCP(0, new RecordingServerFactory(Discard), { interface: '127.0.0.1' });
    const df = new RecordingClientFactory(RecordingProtocol);
    h.r.connectTCP('127.0.0.1', discardPort.getHost().port, df);
    await until(() => df.protocols.length > 0);
    const d = await within(df.protocols[0].made);
    d.transport!.write(Buffer.from('into the void'));
    // The echo round trip after it proves the discard server had time to answer, had it answered.
    client.transport!.write(Buffer.from('!'));
    await until(() => client.data().toString() === 'hello!');
    d.transport!.loseConnection();
    expect((await within(d.lost)).value).toBeInstanceOf(ConnectionDone);
    expect(d.data().length).toBe(0);
  });
});
