import fc from 'fast-check';
import { RuntimeError, TorsionError } from '../../src/errors';
import { NetstringParseError, NetstringReceiver } from '../../src/framing';
import { StringTransport } from '../../src/testing';
import { arbitraryCuts, cutAt, oneByteChunks, packets, standardChunkings, strs } from './chunking';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Twisted's TestNetstring: MAX_LENGTH 50, records strings and echoes them. */
class TestNetstring extends NetstringReceiver {
  override MAX_LENGTH = 50;
  received: Buffer[] = [];
  errors: NetstringParseError[] = [];
  onString: ((s: Buffer) => void) | null = null;
  override stringReceived(s: Buffer): void {
    this.received.push(s);
    this.transport!.write(s);
    this.onString?.(s);
  }
  override _handleParseError(error: NetstringParseError): void {
    this.errors.push(error);
    super._handleParseError(error);
  }
}

describe('NetstringReceiver (Twisted NetstringReceiverTests)', () => {
  let transport: StringTransport;
  let proto: TestNetstring;
  beforeEach(() => {
    transport = new StringTransport();
    proto = new TestNetstring();
    proto.makeConnection(transport);
  });

  const strings = ['hello', 'world', 'how', 'are', 'you123', ':today', 'a'.repeat(515)].map(b);

  it('receives strings in packets of 1 to 9 bytes', () => {
    for (let size = 1; size < 10; size++) {
      const t = new StringTransport();
      const a = new TestNetstring();
      a.MAX_LENGTH = 699;
      a.makeConnection(t);
      for (const s of strings) a.sendString(s);
      const out = Buffer.from(t.value());
      for (const c of packets(out, size)) a.dataReceived(c);
      expect(strs(a.received)).toEqual(strs(strings));
    }
  });

  it('receives the same strings with every split and one byte at a time', () => {
    const stream = b('5:hello,0:,4:1:a,,3:abc,');
    for (const chunks of standardChunkings(stream)) {
      const t = new StringTransport();
      const a = new TestNetstring();
      a.makeConnection(t);
      for (const c of chunks) a.dataReceived(c);
      expect(strs(a.received)).toEqual(['hello', '', '1:a,', 'abc']);
      expect(a.brokenPeer).toBe(false);
    }
  });

  it.each([
    ['an empty netstring', '0:,', ['']],
    ['one character', '1:a,', ['a']],
    ['two characters', '2:ab,', ['ab']],
    ['a nested netstring', '4:1:a,,', ['1:a,']],
  ])('receives %s', (_name, input, expected) => {
    proto.dataReceived(b(input));
    expect(strs(proto.received)).toEqual(expected);
    expect(transport.disconnecting).toBe(false);
  });

  it.each([
    ['more data than the length says', '2:aaa,', 'not terminated by a comma'],
    ['data where the length says none', '0:a,', 'not terminated by a comma'],
    ['a missing length', ':aaa,', 'length specification'],
    ['a missing colon', '3aaa,', 'length specification'],
    ['neither length nor colon', 'aaa,', 'length specification'],
    ['only data', 'aaa', 'length specification'],
    ['a leading zero', '01:a,', 'length specification'],
    ['a length over MAX_LENGTH', `51:${'a'.repeat(51)},`, 'longer than the maximum 50'],
  ])('refuses %s: NetstringParseError, connection lost, brokenPeer', (_name, input, message) => {
    proto.dataReceived(b(input));
    expect(transport.disconnecting).toBe(true);
    expect(proto.brokenPeer).toBe(true);
    expect(proto.received).toEqual([]);
    expect(proto.errors).toHaveLength(1);
    expect(proto.errors[0]).toBeInstanceOf(NetstringParseError);
    expect(proto.errors[0]!.code).toBe('ERR_NETSTRING_PARSE');
    expect(proto.errors[0]!.message).toContain(message);
  });

  it.each([['9999999999999999999999'], ['abc'], ['4:abcde'], [`51:${'a'.repeat(50)}b,`]])(
    'loses the connection on the illegal string %s fed one byte at a time',
    (input) => {
      for (const c of oneByteChunks(b(input))) proto.dataReceived(c);
      expect(transport.disconnecting).toBe(true);
      expect(proto.brokenPeer).toBe(true);
    },
  );

  it('refuses an overlong length as soon as its digits exceed MAX_LENGTH, before any colon', () => {
    proto.dataReceived(b('5'));
    proto.dataReceived(b('0'));
    expect(proto.brokenPeer).toBe(false);
    proto.dataReceived(b('1'));
    expect(proto.brokenPeer).toBe(true);
    expect(proto.errors[0]!.message).toContain('maximum 50');
  });

  it('receives a netstring in two portions', () => {
    proto.dataReceived(b('4:aa'));
    proto.dataReceived(b('aa,'));
    expect(strs(proto.received)).toEqual(['aaaa']);
  });

  it('receives a netstring whose length is split across portions', () => {
    for (const part of ['1', '0:01234', '56789', ',']) proto.dataReceived(b(part));
    expect(strs(proto.received)).toEqual(['0123456789']);
  });

  it('receives a netstring one character at a time', () => {
    for (const part of ['2', ':', 'a', 'b', ',']) proto.dataReceived(b(part));
    expect(strs(proto.received)).toEqual(['ab']);
  });

  it('receives two netstrings when the first portion holds one and the start of the next', () => {
    proto.dataReceived(b('1:a,1'));
    expect(strs(proto.received)).toEqual(['a']);
    proto.dataReceived(b(':b,'));
    expect(strs(proto.received)).toEqual(['a', 'b']);
  });

  it('refuses a length one over MAX_LENGTH (Twisted test_maxReceiveLimit)', () => {
    const tooLong = proto.MAX_LENGTH + 1;
    proto.dataReceived(b(`${tooLong}:${'a'.repeat(tooLong)}`));
    expect(transport.disconnecting).toBe(true);
  });

  it.each([
    [12, '12:', true],
    [11, '12:', false],
    [11, '1000:', false],
  ])('with MAX_LENGTH %i the length spec %s is accepted: %s', (max, spec, ok) => {
    proto.MAX_LENGTH = max;
    proto.dataReceived(b(spec));
    expect(proto.brokenPeer).toBe(!ok);
    if (ok) {
      proto.dataReceived(b('x'.repeat(12) + ','));
      expect(strs(proto.received)).toEqual(['x'.repeat(12)]);
    }
  });

  it('parses nothing more once the peer is broken', () => {
    proto.dataReceived(b('x'));
    expect(proto.errors).toHaveLength(1);
    proto.dataReceived(b('3:abc,'));
    expect(proto.received).toEqual([]);
    expect(proto.errors).toHaveLength(1);
  });

  it('delivers the netstrings before an invalid one in the same chunk', () => {
    proto.dataReceived(b('1:a,2:bc,x:'));
    expect(strs(proto.received)).toEqual(['a', 'bc']);
    expect(proto.brokenPeer).toBe(true);
  });

  it('an exception from stringReceived propagates; the next dataReceived carries on after that string', () => {
    proto.onString = (s) => {
      if (s.toString() === 'boom') throw new Error('boom');
    };
    expect(() => proto.dataReceived(b('4:boom,1:a,'))).toThrow('boom');
    proto.dataReceived(b('1:b,'));
    expect(strs(proto.received)).toEqual(['boom', 'a', 'b']);
    expect(proto.brokenPeer).toBe(false);
  });

  it('NetstringParseError is a TorsionError with its own name and code', () => {
    const e = new NetstringParseError();
    expect(e).toBeInstanceOf(TorsionError);
    expect(e.name).toBe('NetstringParseError');
    expect(e.code).toBe('ERR_NETSTRING_PARSE');
  });

  it('stringReceived throws RuntimeError unless overridden', () => {
    expect(() => new NetstringReceiver().stringReceived(b('foo'))).toThrow(RuntimeError);
  });

  it('sendString writes <length>:<payload>, for small and large payloads', () => {
    proto.sendString(b('hello'));
    proto.sendString(new Uint8Array(0));
    proto.sendString(Buffer.alloc(10_000, 'q'));
    expect(transport.value().toString()).toBe(`5:hello,0:,10000:${'q'.repeat(10_000)},`);
    expect(() => proto.sendString('x' as unknown as Buffer)).toThrow(TypeError);
  });

  it('dataReceived from inside stringReceived only appends: strings keep their order', () => {
    proto.onString = (s) => {
      if (s.toString() === 'a') proto.dataReceived(b('1:x,'));
    };
    proto.dataReceived(b('1:a,1:b,'));
    expect(strs(proto.received)).toEqual(['a', 'b', 'x']);
  });

  it('a payload inside one chunk is a view of it; a payload spanning chunks is one fresh copy', () => {
    const chunk = Buffer.alloc(12);
    chunk.write('3:abc,4:de', 'latin1');
    const tail = Buffer.alloc(3);
    tail.write('fg,', 'latin1');
    proto.dataReceived(chunk.subarray(0, 10));
    proto.dataReceived(tail);
    expect(strs(proto.received)).toEqual(['abc', 'defg']);
    expect(proto.received[0]!.buffer).toBe(chunk.buffer);
    expect(proto.received[1]!.buffer).not.toBe(chunk.buffer);
    expect(proto.received[1]!.buffer).not.toBe(tail.buffer);
  });

  it('random payloads under random chunkings arrive exactly once, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 60 }), { maxLength: 10 }).chain((arrs) => {
          const msgs = arrs.map((a) => Buffer.from(a));
          const stream = Buffer.concat(msgs.flatMap((m) => [b(`${m.length}:`), m, b(',')]));
          return fc.tuple(fc.constant(msgs), fc.constant(stream), arbitraryCuts(stream.length));
        }),
        ([msgs, stream, cuts]) => {
          const p = new TestNetstring();
          p.MAX_LENGTH = 60;
          p.makeConnection(new StringTransport());
          for (const c of cutAt(stream, cuts)) p.dataReceived(c);
          expect(p.received.map((x) => x.toString('hex'))).toEqual(msgs.map((x) => x.toString('hex')));
          expect(p.brokenPeer).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
