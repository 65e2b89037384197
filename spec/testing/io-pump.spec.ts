import { Failure } from '../../src/defer/failure';
import { ConnectionAborted, ConnectionDone, ConnectionLost, ConnectionRefusedError } from '../../src/errors';
import { IPv4Address } from '../../src/address';
import type { IAddress } from '../../src/interfaces/address';
import type { IConnector } from '../../src/interfaces/connector';
import { captureLogEvents } from '../../src/logger';
import { ClientFactory, Factory } from '../../src/protocol/factory';
import { Clock } from '../../src/task/clock';
import { FakeTransport } from '../../src/testing/fake-transport';
import { ConnectionCompleter, IOPump, connect, connectedServerAndClient } from '../../src/testing/io-pump';
import { MemoryReactorClock } from '../../src/testing/memory-reactor-clock';
import { FlowRecorder, HalfCloseRecorder, Recorder, StrictPushProducer } from './recorder';

function pair(
  opts: { greet?: boolean; chunkSize?: number } = {},
  S: new () => Recorder = Recorder,
  C: new () => Recorder = Recorder,
): { server: Recorder; client: Recorder; sio: FakeTransport; cio: FakeTransport; pump: IOPump } {
  const server = new S();
  const client = new C();
  const sio = new FakeTransport(server, true);
  const cio = new FakeTransport(client, false);
  const pump = connect(server, sio, client, cio, opts);
  return { server, client, sio, cio, pump };
}

describe('connect / IOPump', () => {
  it('makes the server connection first, then the client one', () => {
    const order: string[] = [];
    const server = new Recorder();
    const client = new Recorder();
    server.onMade = () => order.push('server');
    client.onMade = () => order.push('client');
    connect(server, new FakeTransport(server, true), client, new FakeTransport(client, false));
    expect(order).toEqual(['server', 'client']);
  });

  it('flushes greetings by default, and not with greet: false', () => {
    const greeter = (r: Recorder) => r.transport!.write(Buffer.from('hello'));
    const a = new Recorder();
    a.onMade = greeter;
    const b = new Recorder();
    connect(a, new FakeTransport(a, true), b, new FakeTransport(b, false));
    expect(b.received().toString()).toBe('hello');

    const c = new Recorder();
    c.onMade = greeter;
    const d = new Recorder();
    const pump = connect(c, new FakeTransport(c, true), d, new FakeTransport(d, false), { greet: false });
    expect(d.chunks).toEqual([]);
    expect(pump.pump()).toBe(true);
    expect(d.received().toString()).toBe('hello');
  });

  it('moves nothing until pumped; pump() moves both directions once', () => {
    const { server, client, sio, cio, pump } = pair();
    cio.write(Buffer.from('ping'));
    sio.write(Buffer.from('pong'));
    expect(server.chunks).toEqual([]);
    expect(pump.pump()).toBe(true);
    expect(server.received().toString()).toBe('ping');
    expect(client.received().toString()).toBe('pong');
    expect(pump.pump()).toBe(false);
  });

  it('a reply written during delivery waits for the next round', () => {
    const { server, client, cio, pump } = pair();
    server.onData = (d, self) => self.transport!.write(Buffer.concat([Buffer.from('re:'), d]));
    cio.write(Buffer.from('x'));
    pump.pump();
    expect(client.chunks).toEqual([]);
    pump.pump();
    expect(client.received().toString()).toBe('re:x');
  });

  it('flush() pumps until quiet and reports whether anything moved', () => {
    const { server, client, cio, pump } = pair();
    let n = 0;
    server.onData = (_d, self) => {
      if (++n < 5) self.transport!.write(Buffer.from('s'));
    };
    client.onData = (_d, self) => self.transport!.write(Buffer.from('c'));
    cio.write(Buffer.from('c'));
    expect(pump.flush()).toBe(true);
    expect(server.chunks).toHaveLength(5);
    expect(pump.flush()).toBe(false);
  });

  it('flush() throws when the protocols never go quiet', () => {
    const { server, client, cio, pump } = pair();
    server.onData = (_d, self) => self.transport!.write(Buffer.from('s'));
    client.onData = (_d, self) => self.transport!.write(Buffer.from('c'));
    cio.write(Buffer.from('c'));
    expect(() => pump.flush()).toThrow(/ping-pong/);
  });

  it('chunkSize: 1 delivers one byte per dataReceived', () => {
    const { server, cio, pump } = pair({ chunkSize: 1 });
    cio.write(Buffer.from('abc'));
    cio.write(Buffer.from('de'));
    pump.flush();
    expect(server.chunks.map(String)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('deliverToServer() delivers the oldest write as written; deliverToServer(n) n bytes across writes', () => {
    const { server, cio, pump } = pair();
    cio.write(Buffer.from('abc'));
    cio.write(Buffer.from('def'));
    cio.write(Buffer.from('g'));
    expect(pump.deliverToServer()).toBe(3);
    expect(server.chunks.map(String)).toEqual(['abc']);
    expect(pump.deliverToServer(2)).toBe(2);
    expect(pump.deliverToServer(5)).toBe(2);
    expect(server.chunks.map(String)).toEqual(['abc', 'de', 'fg']);
    expect(pump.deliverToServer()).toBe(0);
  });

  it('deliverToClient mirrors deliverToServer', () => {
    const { client, sio, pump } = pair();
    sio.write(Buffer.from('hello'));
    expect(pump.deliverToClient(1)).toBe(1);
    expect(pump.deliverToClient()).toBe(4);
    expect(client.chunks.map(String)).toEqual(['h', 'ello']);
  });

  it('advances the given clock by 0 on every pump, so callLater(0) work runs between deliveries', () => {
    const clock = new Clock();
    const server = new Recorder();
    const client = new Recorder();
    client.onMade = (self) => clock.callLater(0, () => self.transport!.write(Buffer.from('later')));
    connect(server, new FakeTransport(server, true), client, new FakeTransport(client, false), { clock });
    expect(server.received().toString()).toBe('later');
  });

  describe('closing', () => {
    it('loseConnection: bytes written before it arrive, then both sides get ConnectionDone exactly once', () => {
      const { server, client, cio, pump } = pair();
      cio.write(Buffer.from('last words'));
      cio.loseConnection();
      cio.loseConnection();
      cio.write(Buffer.from(', then more'));
      pump.flush();
      expect(server.received().toString()).toBe('last words, then more');
      cio.write(Buffer.from('dropped: after the close'));
      pump.flush();
      expect(server.received().toString()).toBe('last words, then more');
      expect(server.events).toEqual(['made', 'data', 'lost']);
      expect(client.events).toEqual(['made', 'lost']);
      expect(server.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
      expect(client.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
      expect(cio.connected).toBe(false);
      pump.flush();
      expect(server.reasons).toHaveLength(1);
    });

    it('an unpaused streaming producer does not hold the close; it is stopped', () => {
      const { server, client, cio, pump } = pair();
      const p = new StrictPushProducer();
      cio.registerProducer(p, true);
      cio.loseConnection();
      pump.flush();
      expect(client.reasons).toHaveLength(1);
      expect(server.reasons).toHaveLength(1);
      expect(p.calls).toEqual(['stop']);
    });

    it('a transport registered as a producer leaves its consumer when its own connection is lost', () => {
      const a = pair();
      const b = pair();
      // b's client transport produces into a's (as a port forwarder wires them).
      a.cio.registerProducer(b.cio, true);
      b.cio.abortConnection();
      b.pump.flush();
      expect(a.cio.producer).toBeNull();
      a.cio.loseConnection();
      a.pump.flush();
      expect(a.client.reasons).toHaveLength(1);
    });

    it('a close waits for a registered pull producer to unregister', () => {
      const { server, client, cio, pump } = pair();
      const p = {
        calls: [] as string[],
        resumeProducing() {
          this.calls.push('resume');
        },
        stopProducing() {
          this.calls.push('stop');
        },
      };
      cio.registerProducer(p, false);
      p.calls.length = 0;
      cio.loseConnection();
      pump.flush();
      expect(client.reasons).toHaveLength(0);
      cio.unregisterProducer();
      pump.flush();
      expect(client.reasons).toHaveLength(1);
      expect(server.reasons).toHaveLength(1);
      expect(p.calls).toEqual([]);
    });

    it('abortConnection: buffered bytes are dropped, the aborting side gets ConnectionAborted and the peer ConnectionLost, once each', () => {
      const { server, client, cio, pump } = pair();
      cio.write(Buffer.from('never'));
      cio.abortConnection();
      cio.abortConnection();
      expect(client.reasons).toHaveLength(0);
      pump.flush();
      cio.abortConnection();
      pump.flush();
      expect(server.chunks).toEqual([]);
      expect(client.reasons).toHaveLength(1);
      expect(client.reasons[0]!.value).toBeInstanceOf(ConnectionAborted);
      expect(server.reasons).toHaveLength(1);
      expect(server.reasons[0]!.value).toBeInstanceOf(ConnectionLost);
      expect(server.reasons[0]!.value).not.toBeInstanceOf(ConnectionAborted);
    });

    it('the producer of a transport gets stopProducing when the connection is lost', () => {
      const { sio, cio, pump } = pair();
      const p = new StrictPushProducer();
      sio.registerProducer(p, true);
      cio.loseConnection();
      pump.flush();
      expect(p.calls).toEqual(['stop']);
      expect(sio.producer).toBeNull();
    });

    it('a peer without half-close hooks gets connectionLost(ConnectionDone) when the other side closes its write half', () => {
      const { server, client, cio, pump } = pair();
      cio.write(Buffer.from('req'));
      cio.loseWriteConnection();
      pump.flush();
      expect(server.events).toEqual(['made', 'data', 'lost']);
      expect(server.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
      expect(client.reasons).toHaveLength(1);
    });

    it('half-close: readConnectionLost on the peer, which can still answer; the connection ends when both halves are closed', () => {
      const { server, client, cio, sio, pump } = pair({}, HalfCloseRecorder, HalfCloseRecorder);
      cio.write(Buffer.from('request'));
      cio.loseWriteConnection();
      pump.flush();
      expect(client.events).toEqual(['made', 'writeLost']);
      expect(server.events).toEqual(['made', 'data', 'readLost']);
      sio.write(Buffer.from('response'));
      sio.loseConnection();
      pump.flush();
      expect(client.received().toString()).toBe('response');
      expect(client.events).toEqual(['made', 'writeLost', 'data', 'readLost', 'lost']);
      expect(server.events).toEqual(['made', 'data', 'readLost', 'lost']);
      expect(client.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
      expect(server.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
    });

    it('an exception in dataReceived is logged and ends that connection with it', () => {
      const { server, client, cio, pump } = pair();
      const boom = new Error('boom');
      server.onData = () => {
        throw boom;
      };
      const [events, stop] = captureLogEvents();
      try {
        cio.write(Buffer.from('x'));
        pump.flush();
      } finally {
        stop();
      }
      expect(events.some((e) => e.failure?.value === boom)).toBe(true);
      expect(server.reasons[0]!.value).toBe(boom);
      expect(client.reasons).toHaveLength(1);
    });
  });

  describe('flow control', () => {
    it('pauseProducing on a transport holds back delivery to its protocol; resumeProducing releases it', () => {
      const { server, sio, cio, pump } = pair();
      sio.pauseProducing();
      cio.write(Buffer.from('held'));
      expect(pump.flush()).toBe(false);
      expect(server.chunks).toEqual([]);
      expect(cio.getWriteBufferSize()).toBe(4);
      sio.resumeProducing();
      pump.flush();
      expect(server.received().toString()).toBe('held');
    });

    it('pauseWriting when the buffer goes strictly over the high-water mark, resumeWriting at the low-water mark', () => {
      const { client, cio, pump } = pair({}, Recorder, FlowRecorder);
      cio.setWriteBufferLimits(10, 4);
      cio.write(Buffer.alloc(10));
      expect(client.events).toEqual(['made']);
      cio.write(Buffer.alloc(1));
      expect(client.events).toEqual(['made', 'pauseWriting']);
      cio.write(Buffer.alloc(5));
      expect(client.events).toEqual(['made', 'pauseWriting']);
      pump.deliverToServer(11);
      expect(client.events).toEqual(['made', 'pauseWriting']);
      pump.deliverToServer(1);
      expect(client.events).toEqual(['made', 'pauseWriting', 'resumeWriting']);
    });

    it('pauses a streaming producer over the high-water mark and resumes it at the low-water mark', () => {
      const { cio, pump } = pair();
      const p = new StrictPushProducer();
      cio.registerProducer(p, true);
      cio.setWriteBufferLimits(4, 0);
      cio.write(Buffer.alloc(5));
      expect(p.state).toBe('paused');
      pump.flush();
      expect(p.state).toBe('running');
      expect(p.calls).toEqual(['pause', 'resume']);
    });

    it('does not call resumeProducing on a running push producer (client or server side)', () => {
      for (const side of ['client', 'server'] as const) {
        const { cio, sio, pump } = pair({ greet: false });
        const p = new StrictPushProducer();
        (side === 'client' ? cio : sio).registerProducer(p, true);
        pump.pump();
        expect(p.state).toBe('running');
        expect(p.calls).toEqual([]);
      }
    });

    it('asks a pull producer for more each time its buffer drains', () => {
      const { server, cio, pump } = pair();
      let left = 3;
      const producer = {
        resumeProducing: () => {
          if (left === 0) {
            cio.unregisterProducer();
            return;
          }
          cio.write(Buffer.from(String(left--)));
        },
        stopProducing: () => {},
      };
      cio.registerProducer(producer, false);
      pump.flush();
      expect(server.received().toString()).toBe('321');
      expect(cio.producer).toBeNull();
    });
  });
});

describe('connectedServerAndClient', () => {
  it('builds both protocols, connects them and returns [client, server, pump]', () => {
    class Greeter extends Recorder {
      override connectionMade(): void {
        super.connectionMade();
        this.transport!.write(Buffer.from('220 ready'));
      }
    }
    const [client, server, pump] = connectedServerAndClient(Greeter, Recorder);
    expect(server).toBeInstanceOf(Greeter);
    expect(client.received().toString()).toBe('220 ready');
    expect(pump).toBeInstanceOf(IOPump);
  });
});

describe('ConnectionCompleter', () => {
  class RecordingFactory extends ClientFactory {
    failed: Failure[] = [];
    addrs: IAddress[] = [];
    override buildProtocol(addr: IAddress): Recorder {
      this.addrs.push(addr);
      return new Recorder();
    }
    override clientConnectionFailed(_c: IConnector, reason: Failure): void {
      this.failed.push(reason);
    }
  }

  it('succeedOnce connects the oldest attempt to the server listening on its port, with matching addresses', () => {
    const reactor = new MemoryReactorClock();
    const serverFactory = new RecordingFactory();
    reactor.listenTCP(4321, serverFactory);
    const other = new RecordingFactory();
    reactor.connectTCP('127.0.0.1', 9999, other);
    const clientFactory = new RecordingFactory();
    const connector = reactor.connectTCP('127.0.0.1', 4321, clientFactory);
    const pump = new ConnectionCompleter(reactor).succeedOnce();
    expect(connector.state).toBe('connected');
    expect(pump).not.toBeNull();
    const client = pump!.client as Recorder;
    const server = pump!.server as Recorder;
    expect(client.events).toEqual(['made']);
    expect(server.events).toEqual(['made']);
    expect(clientFactory.addrs).toEqual([new IPv4Address('TCP', '127.0.0.1', 4321)]);
    expect(pump!.serverIO.getHost()).toEqual(pump!.clientIO.getPeer());
    expect(pump!.clientIO.getHost()).toEqual(serverFactory.addrs[0]);
    expect(reactor.tcpClients.map((c) => c.port)).toEqual([9999]);
    expect(reactor.connectors).toHaveLength(1);
    expect(reactor.connectors[0]!.getDestination()).toEqual(new IPv4Address('TCP', '127.0.0.1', 9999));
  });

  it('succeedOnce returns null when no attempt matches a listening port', () => {
    const reactor = new MemoryReactorClock();
    reactor.connectTCP('127.0.0.1', 1, new RecordingFactory());
    reactor.listenTCP(2, new Factory());
    expect(new ConnectionCompleter(reactor).succeedOnce()).toBeNull();
  });

  it('failOnce fails the oldest attempt with ConnectionRefusedError by default', () => {
    const reactor = new MemoryReactorClock();
    const f = new RecordingFactory();
    const connector = reactor.connectTCP('127.0.0.1', 1, f);
    new ConnectionCompleter(reactor).failOnce();
    expect(connector.state).toBe('disconnected');
    expect(f.failed[0]!.value).toBeInstanceOf(ConnectionRefusedError);
    expect(reactor.tcpClients).toEqual([]);
    expect(reactor.connectors).toEqual([]);
    expect(() => new ConnectionCompleter(reactor).failOnce()).toThrow(/no connection attempt/);
  });
});
