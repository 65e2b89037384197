import fc from 'fast-check';
import { RuntimeError, TorsionError } from '../../src/errors';
import {
  Int16StringReceiver,
  Int32StringReceiver,
  Int8StringReceiver,
  IntNStringReceiver,
  StringTooLongError,
} from '../../src/framing';
import { StringTransport } from '../../src/testing';
import { arbitraryCuts, cutAt, oneByteChunks, standardChunkings, strs } from './chunking';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

type ReceiverClass = new () => Int8StringReceiver;

/** Twisted's TestMixin: records strings, MAX_LENGTH 50. */
function tester(Base: ReceiverClass) {
  return class Tester extends Base {
    override MAX_LENGTH = 50;
    received: Buffer[] = [];
    lengths: number[] = [];
    onString: ((s: Buffer) => void) | null = null;
    override stringReceived(s: Buffer): void {
      this.received.push(s);
      this.onString?.(s);
    }
  };
}

function prefixed(prefixLength: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(prefixLength);
  head.writeUIntBE(payload.length, 0, prefixLength);
  return Buffer.concat([head, payload]);
}

const cases = [
  {
    name: 'Int32StringReceiver',
    Base: Int32StringReceiver as ReceiverClass,
    prefixLength: 4,
    illegal: [b('\x10\x00\x00\x00aaaaaa')],
    partial: [b('\x00\x00\x00'), b('hello there'), b('')],
    data: { sent: b('\x00\x00\x00\x03foo'), recv: b('\x00\x00\x00\x04ubar') },
  },
  {
    name: 'Int16StringReceiver',
    Base: Int16StringReceiver as ReceiverClass,
    prefixLength: 2,
    illegal: [b('\x10\x00aaaaaa')],
    partial: [b('\x00'), b('hello there'), b('')],
    data: { sent: b('\x00\x03foo'), recv: b('\x00\x04ubar') },
  },
  {
    name: 'Int8StringReceiver',
    Base: Int8StringReceiver as ReceiverClass,
    prefixLength: 1,
    illegal: [b('\x00\x00aaaaaa')],
    partial: [b('\x08'), b('dzadz'), b('')],
    data: { sent: b('\x03foo'), recv: b('\x04ubar') },
  },
];

describe.each(cases)('$name (Twisted IntNTestCaseMixin)', ({ Base, prefixLength, illegal, partial, data }) => {
  const Tester = tester(Base);
  const strings = [b('a'), b('b'.repeat(16))];

  function getProtocol() {
    const p = new Tester();
    p.makeConnection(new StringTransport());
    return p;
  }
  const value = (p: IntNStringReceiver) => (p.transport as StringTransport).value();

  it('has the right prefix length', () => {
    expect(getProtocol().prefixLength).toBe(prefixLength);
  });

  it('receives strings sent one byte at a time', () => {
    const r = getProtocol();
    for (const s of strings) for (const c of oneByteChunks(prefixed(prefixLength, s))) r.dataReceived(c);
    expect(strs(r.received)).toEqual(strs(strings));
  });

  it('delivers nothing for partial strings', () => {
    for (const s of partial) {
      const r = getProtocol();
      for (const c of oneByteChunks(s)) r.dataReceived(c);
      expect(r.received).toEqual([]);
    }
  });

  it('sendString writes the big-endian length prefix and the string', () => {
    const r = getProtocol();
    r.sendString(b('b'.repeat(16)));
    expect(value(r)).toEqual(prefixed(prefixLength, b('b'.repeat(16))));
  });

  it('encodes and decodes the prefix as Twisted does', () => {
    const r = getProtocol();
    r.sendString(b('foo'));
    expect(value(r)).toEqual(data.sent);
    r.dataReceived(data.recv);
    expect(strs(r.received)).toEqual(['ubar']);
  });

  it('calls lengthLimitExceeded with a length prefix over MAX_LENGTH', () => {
    const r = getProtocol();
    const lengths: number[] = [];
    r.lengthLimitExceeded = (n) => lengths.push(n);
    r.MAX_LENGTH = 10;
    r.dataReceived(prefixed(prefixLength, Buffer.alloc(11)).subarray(0, prefixLength));
    expect(lengths).toEqual([11]);
  });

  it('does not deliver a string over MAX_LENGTH that arrives whole, and keeps it buffered', () => {
    const r = getProtocol();
    r.lengthLimitExceeded = () => {};
    r.MAX_LENGTH = 10;
    r.dataReceived(prefixed(prefixLength, Buffer.alloc(11, 'x')));
    expect(r.received).toEqual([]);
    // Parsing stopped at the prefix; raising the limit lets the same bytes through.
    r.MAX_LENGTH = 11;
    r.dataReceived(Buffer.alloc(0));
    expect(strs(r.received)).toEqual(['x'.repeat(11)]);
  });

  it('loses the connection on an illegal (too long) prefix, fed one byte at a time', () => {
    for (const s of illegal) {
      const r = getProtocol();
      for (const c of oneByteChunks(s)) r.dataReceived(c);
      expect(r.transport!.disconnecting).toBe(true);
    }
  });

  it('stringReceived throws RuntimeError unless overridden', () => {
    class Bare extends (Base as typeof Int8StringReceiver) {}
    expect(() => new Bare().stringReceived(b('foo'))).toThrow(RuntimeError);
  });

  it('sendString accepts 2^(8*prefixLength) - 1 bytes and refuses more with StringTooLongError, writing nothing', () => {
    const r = getProtocol();
    const limit = 2 ** (8 * prefixLength);
    // 4 GiB cannot be allocated here: a Buffer claiming that length exercises the same check.
    const sized = (n: number): Buffer => {
      if (n < 2 ** 20) return Buffer.alloc(n);
      const fake = Buffer.alloc(1);
      Object.defineProperty(fake, 'length', { value: n });
      return fake;
    };
    if (limit - 1 < 2 ** 20) {
      r.sendString(sized(limit - 1));
      expect(value(r).length).toBe(prefixLength + limit - 1);
      (r.transport as StringTransport).clear();
    }
    expect(() => r.sendString(sized(limit))).toThrow(StringTooLongError);
    expect(() => r.sendString(sized(limit + 1))).toThrow(expect.objectContaining({ code: 'ERR_STRING_TOO_LONG' }));
    expect(value(r).length).toBe(0);
  });

  it('sendString refuses a string argument with a TypeError', () => {
    expect(() => getProtocol().sendString('x' as unknown as Buffer)).toThrow(TypeError);
  });

  it('delivers the same strings however the stream is chunked', () => {
    const msgs = [b(''), b('hello'), b('x'.repeat(40)), b('\x00\x01\x02'), b('end')];
    const stream = Buffer.concat(msgs.map((m) => prefixed(prefixLength, m)));
    for (const chunks of standardChunkings(stream)) {
      const r = getProtocol();
      for (const c of chunks) r.dataReceived(c);
      expect(strs(r.received)).toEqual(strs(msgs));
    }
  });

  it('random strings under random chunkings arrive exactly once, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 10 }).chain((arrs) => {
          const msgs = arrs.map((a) => Buffer.from(a));
          const stream = Buffer.concat(msgs.map((m) => prefixed(prefixLength, m)));
          return fc.tuple(fc.constant(msgs), fc.constant(stream), arbitraryCuts(stream.length));
        }),
        ([msgs, stream, cuts]) => {
          const r = getProtocol();
          for (const c of cutAt(stream, cuts)) r.dataReceived(c);
          expect(r.received.map((x) => x.toString('hex'))).toEqual(msgs.map((x) => x.toString('hex')));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds strings while paused and delivers them on resumeProducing', () => {
    const r = getProtocol();
    r.onString = () => r.pauseProducing();
    r.dataReceived(Buffer.concat([prefixed(prefixLength, b('one')), prefixed(prefixLength, b('two'))]));
    expect(strs(r.received)).toEqual(['one']);
    expect(r.paused).toBe(true);
    expect((r.transport as StringTransport).producerState).toBe('paused');
    r.dataReceived(prefixed(prefixLength, b('three')));
    expect(strs(r.received)).toEqual(['one']);
    r.onString = null;
    r.resumeProducing();
    expect(strs(r.received)).toEqual(['one', 'two', 'three']);
    expect((r.transport as StringTransport).producerState).toBe('producing');
    r.stopProducing();
    r.dataReceived(prefixed(prefixLength, b('four')));
    expect(strs(r.received)).toEqual(['one', 'two', 'three']);
    expect((r.transport as StringTransport).producerState).toBe('stopped');
  });

  it('dataReceived from inside stringReceived only appends: strings keep their order', () => {
    const r = getProtocol();
    r.onString = (s) => {
      if (s.toString() === 'a') r.dataReceived(prefixed(prefixLength, b('x')));
    };
    r.dataReceived(Buffer.concat([prefixed(prefixLength, b('a')), prefixed(prefixLength, b('b'))]));
    expect(strs(r.received)).toEqual(['a', 'b', 'x']);
  });

  it('an exception from stringReceived propagates; the next dataReceived carries on after that string', () => {
    const r = getProtocol();
    r.onString = (s) => {
      if (s.toString() === 'boom') throw new Error('boom');
    };
    const two = Buffer.concat([prefixed(prefixLength, b('boom')), prefixed(prefixLength, b('a'))]);
    expect(() => r.dataReceived(two)).toThrow('boom');
    r.dataReceived(prefixed(prefixLength, b('b')));
    expect(strs(r.received)).toEqual(['boom', 'a', 'b']);
  });

  it('a string inside one chunk is a view of it; a string spanning chunks is one fresh copy', () => {
    const r = getProtocol();
    const msg = prefixed(prefixLength, b('inside'));
    const chunk = Buffer.alloc(msg.length + prefixLength + 2);
    msg.copy(chunk);
    prefixed(prefixLength, b('span')).copy(chunk, msg.length);
    const tail = Buffer.alloc(2);
    tail.write('an');
    r.dataReceived(chunk);
    r.dataReceived(tail);
    expect(strs(r.received)).toEqual(['inside', 'span']);
    expect(r.received[0]!.buffer).toBe(chunk.buffer);
    expect(r.received[1]!.buffer).not.toBe(chunk.buffer);
    expect(r.received[1]!.buffer).not.toBe(tail.buffer);
  });
});

describe('StringTooLongError', () => {
  it('is a TorsionError with its own name and code', () => {
    const e = new StringTooLongError();
    expect(e).toBeInstanceOf(TorsionError);
    expect(e.name).toBe('StringTooLongError');
    expect(e.code).toBe('ERR_STRING_TOO_LONG');
  });
});
