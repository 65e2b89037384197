/**
 * A tiny line serializer for the client specs, written against the
 * contract's serializer interfaces and wrapped in the real protocol objects:
 * LF-separated latin-1 lines, a limit with LimitOverrunError semantics, a
 * converter that refuses one line, and a way to crash on demand.
 */
import { IncrementalDeserializeError, LimitOverrunError, PacketConversionError } from '../../../src/errors';
import type { IBufferedIncrementalPacketSerializer, IPacketConverter } from '../../../src/packets/abc';
import { BufferedStreamProtocol, StreamProtocol } from '../../../src/packets/protocol';

export interface LineOptions {
  limit?: number;
  /** A line equal to this throws a plain Error (a serializer bug). */
  crashOn?: string;
  /** A line equal to this is refused by the converter (PacketConversionError). */
  badOn?: string;
}

/** LF lines, both receive paths. */
export class TestLineSerializer implements IBufferedIncrementalPacketSerializer<string> {
  readonly limit: number;
  created: Uint8Array[] = [];
  constructor(readonly opts: LineOptions = {}) {
    this.limit = opts.limit ?? 1024;
  }

  *incrementalSerialize(packet: string): Generator<Buffer> {
    if (typeof packet !== 'string') throw new TypeError('packet must be a string');
    yield Buffer.from(`${packet}\n`, 'latin1');
  }

  *incrementalDeserialize(): Generator<void, [string, Buffer], Buffer> {
    let buf: Buffer = Buffer.alloc(0);
    for (;;) {
      const chunk: Buffer = yield;
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(0x0a);
      if (nl >= 0 && nl <= this.limit) return this.#packet(buf.subarray(0, nl), Buffer.from(buf.subarray(nl + 1)));
      if (buf.length > this.limit) {
        // EasyNetwork: drop up to and including the next separator, or all.
        const remaining = nl >= 0 ? Buffer.from(buf.subarray(nl + 1)) : Buffer.alloc(0);
        throw new LimitOverrunError('Line too long', nl >= 0 ? nl : buf.length, remaining);
      }
    }
  }

  createDeserializerBuffer(sizeHint: number): Uint8Array {
    const b = new Uint8Array(sizeHint);
    this.created.push(b);
    return b;
  }

  // biome-ignore lint/suspicious/noConfusingVoidType: the contract's generator type
  *bufferedIncrementalDeserialize(buffer: Uint8Array): Generator<number | void, [string, Buffer], number> {
    let filled = 0;
    for (;;) {
      const n: number = yield filled;
      const start = filled;
      filled += n;
      const b = Buffer.from(buffer.buffer, buffer.byteOffset, filled);
      const nl = b.indexOf(0x0a, start);
      if (nl > this.limit) {
        const remaining = Buffer.from(b.subarray(nl + 1));
        throw new LimitOverrunError('Line too long', nl, remaining);
      }
      if (nl >= 0) return this.#packet(b.subarray(0, nl), b.subarray(nl + 1, filled));
      if (filled > this.limit || filled >= buffer.length) {
        throw new LimitOverrunError('Line too long', filled, Buffer.alloc(0));
      }
    }
  }

  #packet(line: Buffer, rest: Buffer): [string, Buffer] {
    const text = line.toString('latin1');
    if (text === this.opts.crashOn) throw new Error('serializer bug');
    if (text === 'BADBYTES') throw new IncrementalDeserializeError('bad bytes', Buffer.from(rest));
    return [text, rest];
  }
}

/** Refuses the line `bad` with PacketConversionError. */
export class RefusingConverter implements IPacketConverter<string, string, string, string> {
  constructor(readonly bad: string) {}
  convertToDtoPacket(packet: string): string {
    return packet;
  }
  createFromDtoPacket(packet: string): string {
    if (packet === this.bad) throw new PacketConversionError(`bad packet ${packet}`);
    return packet;
  }
}

/** A StreamProtocol over TestLineSerializer (the chunk path). */
export function lineProtocol(opts: LineOptions = {}): StreamProtocol<string, string> {
  return new StreamProtocol<string, string>(
    new TestLineSerializer(opts),
    opts.badOn === undefined ? null : new RefusingConverter(opts.badOn),
  );
}

/** A BufferedStreamProtocol over TestLineSerializer (the buffer-lending path). */
export function bufferedLineProtocol(opts: LineOptions = {}): BufferedStreamProtocol<string, string> {
  return new BufferedStreamProtocol<string, string>(
    new TestLineSerializer(opts),
    opts.badOn === undefined ? null : new RefusingConverter(opts.badOn),
  );
}

/** A promise's outcome, readable synchronously after the microtasks ran. */
export function outcome<T>(p: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const o: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  p.then(
    (v) => {
      o.settled = true;
      o.value = v;
    },
    (e: unknown) => {
      o.settled = true;
      o.error = e;
    },
  );
  return o;
}

/** Let pending promise callbacks (several hops) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((r) => setImmediate(r));
}
