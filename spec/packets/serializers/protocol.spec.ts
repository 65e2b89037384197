import {
  BufferedStreamProtocol,
  DatagramProtocol,
  DatagramProtocolParseError,
  DeserializeError,
  type IIncrementalPacketSerializer,
  type IPacketConverter,
  JSONSerializer,
  PacketConversionError,
  StreamProtocol,
  StreamProtocolParseError,
  StringLineSerializer,
} from 'torsion/packets';
import { RuntimeError } from '../../../src/errors';
import { oneByteChunks, runBuffered, runChunks } from './drive';

/** A small dataclass-like packet and its converter to and from plain JSON objects. */
class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

class PointConverter implements IPacketConverter<Point, Point, { x: number; y: number }, unknown> {
  convertToDtoPacket(p: Point): { x: number; y: number } {
    return { x: p.x, y: p.y };
  }
  createFromDtoPacket(dto: unknown): Point {
    const d = dto as { x?: unknown; y?: unknown } | null;
    if (d === null || typeof d !== 'object' || typeof d.x !== 'number' || typeof d.y !== 'number') {
      throw new PacketConversionError('not a point', { errorInfo: { dto } });
    }
    return new Point(d.x, d.y);
  }
}

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

describe('StreamProtocol / BufferedStreamProtocol with a converter', () => {
  for (const buffered of [false, true]) {
    it(`${buffered ? 'buffered' : 'chunks'}: converts both ways; a PacketConversionError is a recoverable StreamProtocolParseError`, () => {
      const p = new BufferedStreamProtocol<Point, Point, Buffer>(new JSONSerializer(), new PointConverter());
      const data = Buffer.concat([
        ...p.generateChunks(new Point(1, 2)),
        Buffer.from('{"x":"nope"}\n'),
        ...p.generateChunks(new Point(3, 4)),
      ]);
      expect(data.toString()).toBe('{"x":1,"y":2}\n{"x":"nope"}\n{"x":3,"y":4}\n');
      for (const chunks of [[data], oneByteChunks(data)]) {
        const r = buffered ? runBuffered(p, chunks) : runChunks(p, chunks);
        expect(r.events.length).toBe(3);
        expect(r.events[0]).toEqual({ packet: new Point(1, 2) });
        const err = (r.events[1] as { error: StreamProtocolParseError }).error;
        expect(err).toBeInstanceOf(StreamProtocolParseError);
        expect(err.error).toBeInstanceOf(PacketConversionError);
        expect(err.error.errorInfo).toEqual({ dto: { x: 'nope' } });
        expect(err.code).toBe('ERR_STREAM_PROTOCOL_PARSE');
        expect(r.events[2]).toEqual({ packet: new Point(3, 4) });
      }
    });
  }

  it('the remainingData of a conversion error is what followed the packet', () => {
    const p = new StreamProtocol<Point, Point>(new JSONSerializer(), new PointConverter());
    const gen = p.buildPacketFromChunks();
    gen.next();
    const e = caught(() => gen.next(Buffer.from('[]\n{"x":0,"y":0}\n')));
    expect(e).toBeInstanceOf(StreamProtocolParseError);
    expect((e as StreamProtocolParseError).remainingData).toEqual(Buffer.from('{"x":0,"y":0}\n'));
  });

  it('a serializer that throws a plain DeserializeError from its generator is a bug: RuntimeError', () => {
    const bad: IIncrementalPacketSerializer<string> = {
      *incrementalSerialize(s: string) {
        yield Buffer.from(s);
      },
      *incrementalDeserialize(): Generator<void, [string, Buffer], Buffer> {
        yield;
        throw new DeserializeError('plain');
      },
    };
    const gen = new StreamProtocol<string, string>(bad).buildPacketFromChunks();
    gen.next();
    const e = caught(() => gen.next(Buffer.from('x')));
    expect(e).toBeInstanceOf(RuntimeError);
    expect((e as Error).cause).toBeInstanceOf(DeserializeError);
    // anything else passes through untouched
    const boom: IIncrementalPacketSerializer<string> = {
      ...bad,
      *incrementalDeserialize(): Generator<void, [string, Buffer], Buffer> {
        yield;
        throw new TypeError('boom');
      },
    };
    const g2 = new StreamProtocol<string, string>(boom).buildPacketFromChunks();
    g2.next();
    expect(() => g2.next(Buffer.from('x'))).toThrow(TypeError);
  });

  it('checks its arguments', () => {
    expect(() => new StreamProtocol({} as never)).toThrow(TypeError);
    expect(() => new StreamProtocol(new JSONSerializer(), {} as never)).toThrow(TypeError);
    const incrementalOnly = { incrementalSerialize() {}, incrementalDeserialize() {} };
    expect(() => new StreamProtocol(incrementalOnly as never)).not.toThrow();
    expect(() => new BufferedStreamProtocol(incrementalOnly as never)).toThrow(TypeError);
    const p = new BufferedStreamProtocol(new StringLineSerializer());
    expect(() => p.createBuffer(0)).toThrow(RangeError);
    expect(() => p.createBuffer('1' as never)).toThrow(TypeError);
    expect(p.createBuffer(1).length).toBe(65537);
    expect(p).toBeInstanceOf(StreamProtocol);
  });
});

describe('DatagramProtocol', () => {
  it('converts both ways', () => {
    const p = new DatagramProtocol<Point, Point>(new JSONSerializer(), new PointConverter());
    const d = p.makeDatagram(new Point(5, 6));
    expect(d.toString()).toBe('{"x":5,"y":6}');
    expect(p.buildPacketFromDatagram(d)).toEqual(new Point(5, 6));
  });

  it('wraps DeserializeError and PacketConversionError in DatagramProtocolParseError, with the sender', () => {
    const p = new DatagramProtocol<Point, Point>(new JSONSerializer(), new PointConverter());
    const sender = { host: '127.0.0.1', port: 9 };
    const bad = caught(() => p.buildPacketFromDatagram(Buffer.from('{'), sender));
    expect(bad).toBeInstanceOf(DatagramProtocolParseError);
    expect((bad as DatagramProtocolParseError).error).toBeInstanceOf(DeserializeError);
    expect((bad as DatagramProtocolParseError).senderAddress).toBe(sender);
    const conv = caught(() => p.buildPacketFromDatagram(Buffer.from('{"x":1}')));
    expect(conv).toBeInstanceOf(DatagramProtocolParseError);
    expect((conv as DatagramProtocolParseError).error).toBeInstanceOf(PacketConversionError);
    expect((conv as DatagramProtocolParseError).senderAddress).toBeNull();
  });

  it('needs a one-shot serializer', () => {
    expect(() => new DatagramProtocol({ serialize() {} } as never)).toThrow(TypeError);
    const p = new DatagramProtocol<string, string>(new StringLineSerializer());
    expect(p.buildPacketFromDatagram(Buffer.from('abc\n'))).toBe('abc');
  });
});
