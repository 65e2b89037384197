import { IPv4Address, IPv6Address } from '../../src/address';
import type { Failure } from '../../src/defer/failure';
import { ConnectionAborted, ConnectionDone, RuntimeError } from '../../src/errors';
import type { IPushProducer } from '../../src/interfaces/producer';
import type { ITCPTransport } from '../../src/interfaces/transport';
import { Protocol } from '../../src/protocol/protocol';
import { StringTransport, StringTransportWithDisconnection } from '../../src/testing/string-transport';

function producer(): IPushProducer {
  return { pauseProducing() {}, resumeProducing() {}, stopProducing() {} };
}

describe('StringTransport', () => {
  let transport: StringTransport;
  beforeEach(() => {
    transport = new StringTransport();
  });

  describe('recording writes', () => {
    it('value() starts empty', () => {
      expect(transport.value()).toEqual(Buffer.alloc(0));
    });

    it('value() returns every byte written, in order, across write and writeSequence', () => {
      transport.write(Buffer.from('ab'));
      transport.writeSequence([Buffer.from('c'), new Uint8Array([0x64, 0x65])]);
      transport.write(Buffer.from('f'));
      expect(transport.value().toString()).toBe('abcdef');
      expect(Buffer.isBuffer(transport.value())).toBe(true);
    });

    it('clear() forgets what was written so far, later writes are kept', () => {
      transport.write(Buffer.from('old'));
      transport.clear();
      expect(transport.value().length).toBe(0);
      transport.write(Buffer.from('new'));
      expect(transport.value().toString()).toBe('new');
    });

    it('keeps a copy, so reusing the written buffer does not change value()', () => {
      const buf = Buffer.from('abc');
      transport.write(buf);
      buf.fill(0x7a);
      expect(transport.value().toString()).toBe('abc');
    });

    it('write(string) throws a TypeError that says to encode it', () => {
      expect(() => transport.write('text' as unknown as Buffer)).toThrow(TypeError);
      expect(() => transport.write('text' as unknown as Buffer)).toThrow(/encode/);
      expect(transport.value().length).toBe(0);
    });

    it('write of a non-bytes value (number, null) throws a TypeError', () => {
      expect(() => transport.write(5 as unknown as Buffer)).toThrow(TypeError);
      expect(() => transport.write(null as unknown as Buffer)).toThrow(TypeError);
    });

    it('writeSequence with a string element throws TypeError and records nothing of that call', () => {
      transport.write(Buffer.from('x'));
      expect(() => transport.writeSequence([Buffer.from('a'), 'b' as unknown as Buffer])).toThrow(/encode/);
      expect(transport.value().toString()).toBe('x');
    });

    it('records writes made after loseConnection (as Twisted does), so tests can see them', () => {
      transport.loseConnection();
      transport.write(Buffer.from('late'));
      expect(transport.value().toString()).toBe('late');
    });
  });

  describe('connection state flags', () => {
    it('loseConnection() only sets disconnecting', () => {
      expect(transport.disconnecting).toBe(false);
      transport.loseConnection();
      expect(transport.disconnecting).toBe(true);
      expect(transport.disconnected).toBe(false);
      expect(transport.connected).toBe(true);
    });

    it('abortConnection() sets both disconnected and disconnecting', () => {
      transport.abortConnection();
      expect(transport.disconnected).toBe(true);
      expect(transport.disconnecting).toBe(true);
    });

    it('loseWriteConnection() is recorded in writeDisconnecting and leaves disconnecting alone', () => {
      expect(transport.writeDisconnecting).toBe(false);
      transport.loseWriteConnection();
      expect(transport.writeDisconnecting).toBe(true);
      expect(transport.disconnecting).toBe(false);
    });
  });

  describe('addresses', () => {
    it('defaults: host IPv4Address(TCP, 10.0.0.1, 12345), peer IPv4Address(TCP, 192.168.1.1, 54321)', () => {
      expect(transport.getHost()).toEqual(new IPv4Address('TCP', '10.0.0.1', 12345));
      expect(transport.getPeer()).toEqual(new IPv4Address('TCP', '192.168.1.1', 54321));
      expect(transport.getHost()).toBeInstanceOf(IPv4Address);
      expect(transport.getPeer()).toBeInstanceOf(IPv4Address);
    });

    it('returns the host address given to the constructor, as the same object', () => {
      const host = new IPv6Address('TCP', '::1', 80);
      expect(new StringTransport({ hostAddress: host }).getHost()).toBe(host);
    });

    it('returns the peer address given to the constructor, as the same object', () => {
      const peer = new IPv4Address('TCP', '127.0.0.1', 4242);
      expect(new StringTransport({ peerAddress: peer }).getPeer()).toBe(peer);
    });
  });

  describe('as a consumer (producer registration)', () => {
    it('registerProducer records the producer and the streaming flag', () => {
      const p = producer();
      transport.registerProducer(p, true);
      expect(transport.producer).toBe(p);
      expect(transport.streaming).toBe(true);
    });

    it('registering a second producer throws RuntimeError and keeps the first', () => {
      const p = producer();
      transport.registerProducer(p, true);
      expect(() => transport.registerProducer(producer(), false)).toThrow(RuntimeError);
      expect(() => transport.registerProducer(producer(), false)).toThrow('Cannot register two producers');
      expect(transport.producer).toBe(p);
      expect(transport.streaming).toBe(true);
    });

    it('unregisterProducer forgets the producer so another can be registered', () => {
      transport.registerProducer(producer(), false);
      transport.unregisterProducer();
      expect(transport.producer).toBeNull();
      expect(transport.streaming).toBeNull();
      const q = producer();
      transport.registerProducer(q, true);
      expect(transport.producer).toBe(q);
      expect(transport.streaming).toBe(true);
    });

    it('unregisterProducer with none registered throws RuntimeError', () => {
      expect(() => transport.unregisterProducer()).toThrow(RuntimeError);
    });
  });

  describe('as a push producer', () => {
    it("producerState starts as 'producing'", () => {
      expect(transport.producerState).toBe('producing');
    });

    it("pauseProducing makes it 'paused' and resumeProducing 'producing' again", () => {
      transport.pauseProducing();
      expect(transport.producerState).toBe('paused');
      transport.resumeProducing();
      expect(transport.producerState).toBe('producing');
    });

    it("stopProducing makes it 'stopped'", () => {
      transport.stopProducing();
      expect(transport.producerState).toBe('stopped');
    });

    it('a stopped transport cannot be paused or resumed (RuntimeError)', () => {
      transport.stopProducing();
      expect(() => transport.pauseProducing()).toThrow(RuntimeError);
      expect(() => transport.resumeProducing()).toThrow(RuntimeError);
      expect(transport.producerState).toBe('stopped');
    });

    it('a disconnecting transport cannot be paused or resumed (RuntimeError)', () => {
      transport.loseConnection();
      expect(() => transport.pauseProducing()).toThrow(RuntimeError);
      expect(() => transport.resumeProducing()).toThrow(RuntimeError);
    });

    it('a lenient transport can be paused and resumed after loseConnection', () => {
      const lenient = new StringTransport({ lenient: true });
      lenient.loseConnection();
      lenient.pauseProducing();
      expect(lenient.producerState).toBe('paused');
      lenient.resumeProducing();
      expect(lenient.producerState).toBe('producing');
    });
  });

  describe('TCP options', () => {
    it('setTcpNoDelay / setTcpKeepAlive are reported by their getters (default false)', () => {
      expect(transport.getTcpNoDelay()).toBe(false);
      expect(transport.getTcpKeepAlive()).toBe(false);
      transport.setTcpNoDelay(true);
      transport.setTcpKeepAlive(true);
      expect(transport.getTcpNoDelay()).toBe(true);
      expect(transport.getTcpKeepAlive()).toBe(true);
    });

    it('setTcpNoDelay refuses a non-boolean with TypeError', () => {
      expect(() => transport.setTcpNoDelay(1 as unknown as boolean)).toThrow(TypeError);
    });

    it('write buffer limits default to 64 KiB / 16 KiB, low defaults to high/4', () => {
      expect(transport.getWriteBufferLimits()).toEqual([65536, 16384]);
      transport.setWriteBufferLimits(1000);
      expect(transport.getWriteBufferLimits()).toEqual([1000, 250]);
      transport.setWriteBufferLimits(100, 0);
      expect(transport.getWriteBufferLimits()).toEqual([100, 0]);
    });

    it('setWriteBufferLimits throws RangeError unless high >= low >= 0', () => {
      expect(() => transport.setWriteBufferLimits(10, 11)).toThrow(RangeError);
      expect(() => transport.setWriteBufferLimits(-1)).toThrow(RangeError);
      expect(() => transport.setWriteBufferLimits(10, -1)).toThrow(RangeError);
      expect(transport.getWriteBufferLimits()).toEqual([65536, 16384]);
    });

    it('getWriteBufferSize() is 0: written bytes never wait', () => {
      transport.write(Buffer.alloc(100_000));
      expect(transport.getWriteBufferSize()).toBe(0);
    });
  });

  it('is accepted by a Protocol<ITCPTransport> and records what the protocol writes', () => {
    class Greeter extends Protocol<ITCPTransport> {
      override connectionMade(): void {
        this.transport!.write(Buffer.from('hello\r\n'));
      }
      override dataReceived(data: Buffer): void {
        this.transport!.write(data);
        this.transport!.loseConnection();
      }
    }
    const p = new Greeter();
    p.makeConnection(transport);
    expect(transport.value().toString()).toBe('hello\r\n');
    transport.clear();
    p.dataReceived(Buffer.from('echo'));
    expect(transport.value().toString()).toBe('echo');
    expect(transport.disconnecting).toBe(true);
  });
});

describe('StringTransportWithDisconnection', () => {
  class Recorder extends Protocol<ITCPTransport> {
    reasons: Failure[] = [];
    override connectionLost(reason: Failure): void {
      super.connectionLost(reason);
      this.reasons.push(reason);
    }
  }

  function setup(): [StringTransportWithDisconnection, Recorder] {
    const tr = new StringTransportWithDisconnection();
    const proto = new Recorder();
    tr.protocol = proto;
    proto.makeConnection(tr);
    return [tr, proto];
  }

  it('loseConnection calls protocol.connectionLost with a ConnectionDone failure', () => {
    const [tr, proto] = setup();
    tr.loseConnection();
    expect(proto.reasons).toHaveLength(1);
    expect(proto.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
    expect(tr.connected).toBe(false);
    expect(tr.disconnecting).toBe(true);
  });

  it('calls connectionLost only once when loseConnection is called twice', () => {
    const [tr, proto] = setup();
    tr.loseConnection();
    tr.loseConnection();
    expect(proto.reasons).toHaveLength(1);
  });

  it('abortConnection reports ConnectionAborted once, and a later loseConnection adds nothing', () => {
    const [tr, proto] = setup();
    tr.abortConnection();
    tr.abortConnection();
    tr.loseConnection();
    expect(proto.reasons).toHaveLength(1);
    expect(proto.reasons[0]!.value).toBeInstanceOf(ConnectionAborted);
    expect(tr.disconnected).toBe(true);
  });

  it('a protocol that closes from inside dataReceived is told at once', () => {
    class Quitter extends Recorder {
      override dataReceived(data: Buffer): void {
        if (data.toString() === 'QUIT') this.transport!.loseConnection();
      }
    }
    const tr = new StringTransportWithDisconnection();
    const proto = new Quitter();
    tr.protocol = proto;
    proto.makeConnection(tr);
    proto.dataReceived(Buffer.from('QUIT'));
    expect(proto.reasons).toHaveLength(1);
  });

  it('closing without a protocol set throws a TypeError that says to set it', () => {
    const tr = new StringTransportWithDisconnection();
    expect(() => tr.loseConnection()).toThrow(/protocol is not set/);
  });

  it('still records writes like a StringTransport', () => {
    const [tr] = setup();
    tr.write(Buffer.from('x'));
    expect(tr.value().toString()).toBe('x');
  });
});
