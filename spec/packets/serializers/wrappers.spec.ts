/**
 * AutoSeparatedPacketSerializer, FixedSizePacketSerializer, Base64EncoderSerializer,
 * LengthPrefixedSerializer: framing at every chunk boundary, limits, recoverable errors.
 */
import fc from 'fast-check';
import {
  AutoSeparatedPacketSerializer,
  Base64EncoderSerializer,
  BufferedStreamProtocol,
  DatagramProtocol,
  DeserializeError,
  FixedSizePacketSerializer,
  IncrementalDeserializeError,
  type IPacketSerializer,
  JSONSerializer,
  LengthPrefixedSerializer,
  LimitOverrunError,
  StreamProtocol,
  StreamProtocolParseError,
  StringLineSerializer,
} from 'torsion/packets';
import { serializerCounters } from '../../../src/packets/serializers/tools';
import { cutAt, cuts, oneByteChunks, packetsOf, type Run, runBuffered, runChunks } from './drive';

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

function encodeAll<S>(p: StreamProtocol<S, unknown>, packets: S[]): Buffer {
  return Buffer.concat(packets.flatMap((x) => [...p.generateChunks(x)]));
}

/** A packet: bytes, kept as they are (the deserializer returns the Buffer it is given). */
class Raw implements IPacketSerializer<Buffer> {
  serialize(b: Buffer): Buffer {
    return b;
  }
  deserialize(b: Buffer): Buffer {
    if (b.length > 0 && b[0] === 0xee) throw new DeserializeError('bad packet', { errorInfo: { first: 0xee } });
    return b;
  }
}

/** Decimal numbers separated by `;`, a user subclass of AutoSeparatedPacketSerializer. */
class Numbers extends AutoSeparatedPacketSerializer<number> {
  constructor(opts?: { limit?: number; incrementalSerializeCheckSeparator?: boolean }) {
    super(Buffer.from(';;'), opts);
  }
  serialize(n: number): Buffer {
    return Buffer.from(String(n), 'latin1');
  }
  deserialize(data: Buffer): number {
    const text = data.toString('latin1');
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) throw new DeserializeError(`not a number: ${text}`, { errorInfo: { text } });
    return n;
  }
}

/** Keeps the Buffer it is given: the lent buffer must not be handed to it. */
class Keeper extends AutoSeparatedPacketSerializer<Buffer> {
  constructor() {
    super(Buffer.from('\n'));
  }
  serialize(b: Buffer): Buffer {
    return b;
  }
  deserialize(b: Buffer): Buffer {
    return b;
  }
}

/** 3-byte big-endian unsigned integers. */
class U24 extends FixedSizePacketSerializer<number> {
  constructor() {
    super(3);
  }
  serialize(n: number): Buffer {
    const b = Buffer.alloc(3);
    b.writeUIntBE(n, 0, 3);
    return b;
  }
  deserialize(b: Buffer): number {
    if (b[0] === 0xff) throw new DeserializeError('too big');
    return b.readUIntBE(0, 3);
  }
}

/** Packets Raw accepts (no leading 0xee). */
const rawBytes = (minLength: number, maxLength: number) =>
  fc.uint8Array({ minLength, maxLength }).map((u) => Buffer.from(u.map((x) => (x === 0xee ? 0 : x))));

type AnyBuffered = BufferedStreamProtocol<unknown, unknown, Buffer>;

function both(p: AnyBuffered, chunks: Buffer[], inPlace = false): [Run<unknown>, Run<unknown>] {
  return [runChunks(p, chunks), runBuffered(p, chunks, { inPlace })];
}

/** The property every stream serializer must hold: any cutting gives the same packets and remainder. */
function splitProperty<S>(
  name: string,
  makeProtocol: () => AnyBuffered,
  packet: fc.Arbitrary<S>,
  tail: Buffer,
  expected: (s: S) => unknown = (s) => s,
): void {
  it(`${name}: any cutting of several packets gives the same packets and remainder (chunks and buffered)`, () => {
    const p = makeProtocol();
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 8 }), cuts(500), fc.boolean(), (packets, cutPoints, inPlace) => {
        const data = Buffer.concat([encodeAll(p as StreamProtocol<unknown, unknown>, packets), tail]);
        for (const r of both(p, cutAt(data, cutPoints), inPlace)) {
          expect(packetsOf(r)).toEqual(packets.map(expected));
          expect(r.pending).toEqual(tail);
        }
      }),
      { numRuns: 100 },
    );
  });

  it(`${name}: one byte at a time and every cut in two give the same packets`, () => {
    const p = makeProtocol();
    const packets = fc.sample(packet, { numRuns: 6, seed: 42 });
    const data = Buffer.concat([encodeAll(p as StreamProtocol<unknown, unknown>, packets), tail]);
    for (const r of both(p, oneByteChunks(data))) {
      expect(packetsOf(r)).toEqual(packets.map(expected));
      expect(r.pending).toEqual(tail);
    }
    for (let i = 0; i <= data.length; i++) {
      for (const r of both(p, [data.subarray(0, i), data.subarray(i)], i % 2 === 0)) {
        expect(packetsOf(r)).toEqual(packets.map(expected));
        expect(r.pending).toEqual(tail);
      }
    }
  });
}

describe('AutoSeparatedPacketSerializer', () => {
  splitProperty(
    'a two-byte separator',
    () => new BufferedStreamProtocol(new Numbers()),
    fc.integer({ min: -1e6, max: 1e6 }),
    Buffer.from('12;'),
  );

  it('incrementalSerialize: strips trailing separators, refuses one inside, nothing for empty data', () => {
    class Echo extends AutoSeparatedPacketSerializer<string> {
      serialize(s: string): Buffer {
        return Buffer.from(s);
      }
      deserialize(b: Buffer): string {
        return b.toString();
      }
    }
    const checked = new Echo(Buffer.from('\r\n'));
    expect(Buffer.concat([...checked.incrementalSerialize('a\r\n\r\n')]).toString()).toBe('a\r\n');
    expect(() => [...checked.incrementalSerialize('a\r\nb')]).toThrow(RangeError);
    expect([...checked.incrementalSerialize('')]).toEqual([]);
    expect([...checked.incrementalSerialize('\r\n')]).toEqual([]);
    const unchecked = new Echo(Buffer.from('\r\n'), { incrementalSerializeCheckSeparator: false });
    expect(Buffer.concat([...unchecked.incrementalSerialize('a\r\nb')]).toString()).toBe('a\r\nb\r\n');
    expect(Buffer.concat([...unchecked.incrementalSerialize('a\r\n\r\n')]).toString()).toBe('a\r\n\r\n');
    expect(() => new Echo(Buffer.alloc(0))).toThrow(RangeError);
    expect(() => new Echo('x' as never)).toThrow(TypeError);
  });

  it('a DeserializeError becomes a recoverable IncrementalDeserializeError carrying its errorInfo', () => {
    const p = new BufferedStreamProtocol(new Numbers());
    const data = Buffer.from('1;;x;;2;;');
    for (const r of both(p, oneByteChunks(data))) {
      expect(r.events[0]).toEqual({ packet: 1 });
      const e = (r.events[1] as { error: StreamProtocolParseError }).error;
      expect(e.error).toBeInstanceOf(IncrementalDeserializeError);
      expect(e.error.message).toBe('Error when deserializing data: not a number: x');
      expect(e.error.errorInfo).toEqual({ text: 'x' });
      expect(r.events[2]).toEqual({ packet: 2 });
    }
  });

  it('limit: consumed and the remainder as EasyNetwork', () => {
    const s = new Numbers({ limit: 3 });
    const gen = s.incrementalDeserialize();
    gen.next();
    const e = caught(() => gen.next(Buffer.from('12345;;6;;')));
    expect(e).toBeInstanceOf(LimitOverrunError);
    expect((e as LimitOverrunError).consumed).toBe(5);
    expect((e as LimitOverrunError).remainingData).toEqual(Buffer.from('6;;'));
    const g2 = s.incrementalDeserialize();
    g2.next();
    const e2 = caught(() => g2.next(Buffer.from('12345;')));
    expect((e2 as LimitOverrunError).consumed).toBe(5);
    expect((e2 as LimitOverrunError).remainingData).toEqual(Buffer.from(';'));
  });

  it('the lent buffer is never handed to a deserialize that may keep it', () => {
    const p = new BufferedStreamProtocol(new Keeper());
    const r = runBuffered(p, [Buffer.from('first\nsecond\nthird\n')], { inPlace: true });
    expect(packetsOf(r).map((b) => (b as Buffer).toString())).toEqual(['first', 'second', 'third']);
  });
});

describe('FixedSizePacketSerializer', () => {
  splitProperty(
    '3-byte packets',
    () => new BufferedStreamProtocol(new U24()),
    fc.integer({ min: 0, max: 0xfeffff }),
    Buffer.from([1, 2]),
  );

  it('checks the size on both sides; errors are recoverable', () => {
    class Bad extends U24 {
      override serialize(): Buffer {
        return Buffer.alloc(2);
      }
    }
    expect(() => [...new Bad().incrementalSerialize(1)]).toThrow(RangeError);
    expect(() => new (class extends U24 {})().createDeserializerBuffer(1).length).not.toThrow();
    expect(new U24().createDeserializerBuffer(1).length).toBe(3);
    expect(new U24().createDeserializerBuffer(100).length).toBe(100);
    const p = new BufferedStreamProtocol(new U24());
    for (const r of both(p, oneByteChunks(Buffer.from([0, 0, 1, 0xff, 0, 0, 0, 0, 2])))) {
      expect(r.events[0]).toEqual({ packet: 1 });
      expect((r.events[1] as { error: StreamProtocolParseError }).error.error.message).toBe(
        'Error when deserializing data: too big',
      );
      expect(r.events[2]).toEqual({ packet: 2 });
    }
    expect(
      () =>
        new (class extends FixedSizePacketSerializer<number> {
          serialize(): Buffer {
            return Buffer.alloc(0);
          }
          deserialize(): number {
            return 0;
          }
        })(0),
    ).toThrow(RangeError);
  });
});

describe('Base64EncoderSerializer', () => {
  const bytes = rawBytes(1, 60);
  splitProperty(
    'urlsafe tokens',
    () => new BufferedStreamProtocol(new Base64EncoderSerializer(new Raw())),
    bytes,
    Buffer.from('QUJD'),
  );
  splitProperty(
    'standard tokens with a checksum and a custom separator',
    () =>
      new BufferedStreamProtocol(
        new Base64EncoderSerializer(new Raw(), { alphabet: 'standard', checksum: true, separator: Buffer.from('|') }),
      ),
    bytes,
    Buffer.from('QUJD'),
  );

  it("encodes as Python's base64 (urlsafe by default, padded)", () => {
    const data = Buffer.from([0xfb, 0xff, 0xbf, 0x41]);
    expect(new Base64EncoderSerializer(new Raw()).serialize(data).toString()).toBe('-_-_QQ==');
    expect(new Base64EncoderSerializer(new Raw(), { alphabet: 'standard' }).serialize(data).toString()).toBe('+/+/QQ==');
    const s = new Base64EncoderSerializer(new Raw());
    expect(Buffer.concat([...s.incrementalSerialize(data)]).toString()).toBe('-_-_QQ==\r\n');
    expect(s.deserialize(Buffer.from('-_-_QQ=='))).toEqual(data);
    // like b64decode(validate=False): bytes outside the alphabet are dropped; urlsafe also takes + and /
    expect(s.deserialize(Buffer.from('+/+/ Q Q=='))).toEqual(data);
    expect(() => s.deserialize(Buffer.from('QQ='))).toThrow(new DeserializeError('Invalid token'));
    expect(() => s.deserialize(Buffer.from('Q=Q='))).toThrow(DeserializeError);
  });

  it('checks checksums and signatures', () => {
    const sum = new Base64EncoderSerializer(new Raw(), { checksum: true });
    const token = sum.serialize(Buffer.from('hello'));
    expect(sum.deserialize(token)).toEqual(Buffer.from('hello'));
    const tampered = sum.serialize(Buffer.from('hellp')).subarray(0, 8);
    expect(() => sum.deserialize(Buffer.concat([tampered, token.subarray(8)]))).toThrow(DeserializeError);
    const key = Base64EncoderSerializer.generateKey();
    expect(key.length).toBe(44);
    const signed = new Base64EncoderSerializer(new Raw(), { checksum: key.toString() });
    const other = new Base64EncoderSerializer(new Raw(), { checksum: Base64EncoderSerializer.generateKey() });
    const t = signed.serialize(Buffer.from('x'));
    expect(signed.deserialize(t)).toEqual(Buffer.from('x'));
    expect(() => other.deserialize(t)).toThrow(DeserializeError);
    expect(() => new Base64EncoderSerializer(new Raw(), { checksum: 'c2hvcnQ=' })).toThrow(RangeError);
    expect(() => new Base64EncoderSerializer(new Raw(), { alphabet: 'hex' as never })).toThrow(RangeError);
    expect(() => new Base64EncoderSerializer({} as never)).toThrow(TypeError);
  });

  it('wraps a JSON serializer; a bad token is recoverable on a stream', () => {
    const p = new BufferedStreamProtocol(new Base64EncoderSerializer(new JSONSerializer()));
    const good = encodeAll(p as StreamProtocol<unknown, unknown>, [{ a: 1 }, [2]]);
    const cut = good.indexOf('\r\n') + 2;
    const data = Buffer.concat([good.subarray(0, cut), Buffer.from('!!!=\r\n'), good.subarray(cut)]);
    for (const r of both(p, oneByteChunks(data))) {
      expect(r.events.map((e) => ('packet' in e ? e.packet : (e.error as StreamProtocolParseError).error.message))).toEqual([
        { a: 1 },
        'Error when deserializing data: Invalid token',
        [2],
      ]);
    }
    expect(
      new DatagramProtocol(new Base64EncoderSerializer(new JSONSerializer())).buildPacketFromDatagram(Buffer.from('WzFd')),
    ).toEqual([1]);
  });
});

describe('LengthPrefixedSerializer', () => {
  for (const prefixLength of [1, 2, 4] as const) {
    splitProperty(
      `${prefixLength}-byte prefix`,
      () => new BufferedStreamProtocol(new LengthPrefixedSerializer(new Raw(), { prefixLength, maxLength: 200 })),
      rawBytes(0, 200),
      prefixLength === 1 ? Buffer.from([9, 1]) : Buffer.from([0, 1]),
    );
  }

  it("is Twisted's Int16StringReceiver framing", () => {
    const s = new LengthPrefixedSerializer(new StringLineSerializer(), { prefixLength: 2 });
    expect(Buffer.concat([...s.incrementalSerialize('hi')])).toEqual(Buffer.from([0, 2, 0x68, 0x69]));
    expect(Buffer.concat([...s.incrementalSerialize('')])).toEqual(Buffer.from([0, 0]));
    expect(new LengthPrefixedSerializer(new Raw()).maxLength).toBe(65536);
    expect(new LengthPrefixedSerializer(new Raw(), { prefixLength: 1 }).maxLength).toBe(255);
    expect(() => new LengthPrefixedSerializer(new Raw(), { prefixLength: 1, maxLength: 256 })).toThrow(RangeError);
    expect(() => new LengthPrefixedSerializer(new Raw(), { prefixLength: 3 as never })).toThrow(RangeError);
    expect(() => [...new LengthPrefixedSerializer(new Raw(), { maxLength: 2 }).incrementalSerialize(Buffer.alloc(3))]).toThrow(
      RangeError,
    );
  });

  it('an over-long payload is skipped as it comes (not held), then reported; the next packet parses', () => {
    const p = new BufferedStreamProtocol(new LengthPrefixedSerializer(new Raw(), { prefixLength: 2, maxLength: 4 }));
    const data = Buffer.concat([
      Buffer.from([0, 2, 7, 7]),
      Buffer.from([0, 10]),
      Buffer.alloc(10, 5),
      Buffer.from([0, 1, 8]),
      Buffer.from([0, 1, 0xee]),
      Buffer.from([0, 1, 9]),
    ]);
    for (const chunks of [[data], oneByteChunks(data), cutAt(data, [3, 7, 15])]) {
      for (const r of both(p, chunks)) {
        expect(
          r.events.map((e) => ('packet' in e ? [...(e.packet as Buffer)] : (e.error as StreamProtocolParseError).error.code)),
        ).toEqual([[7, 7], 'ERR_LIMIT_OVERRUN', [8], 'ERR_INCREMENTAL_DESERIALIZE', [9]]);
        const overrun = (r.events[1] as { error: StreamProtocolParseError }).error.error as LimitOverrunError;
        expect(overrun.consumed).toBe(12);
      }
    }
  });

  it('a 1 MB payload in 1-byte chunks is O(n) work', () => {
    const p = new BufferedStreamProtocol(new LengthPrefixedSerializer(new Raw(), { maxLength: 2 << 20 }));
    const n = 1 << 20;
    const data = encodeAll(p as StreamProtocol<unknown, unknown>, [Buffer.alloc(n, 1)]);
    serializerCounters.copied = 0;
    const r = runChunks(p, oneByteChunks(data));
    expect(r.events.length).toBe(1);
    expect(serializerCounters.copied).toBeLessThanOrEqual(3 * data.length);
  });
});
