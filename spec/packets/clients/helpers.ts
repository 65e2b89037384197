/**
 * A tiny line protocol for the client specs, written against the contract's
 * generator shapes (so the client is tested without the shipped
 * serializers): LF-separated ASCII lines, a limit with LimitOverrunError
 * semantics, converter-style "bad" lines, and a way to crash on demand.
 */
import {
  IncrementalDeserializeError,
  LimitOverrunError,
  PacketConversionError,
  StreamProtocolParseError,
} from '../../../src/errors';

export interface LineOptions {
  limit?: number;
  /** A line equal to this throws a plain Error (a serializer bug). */
  crashOn?: string;
  /** A line equal to this is a PacketConversionError. */
  badOn?: string;
}

/** A StreamProtocol-shaped object over LF lines (the chunk path). */
export class TestLineProtocol {
  readonly limit: number;
  constructor(readonly opts: LineOptions = {}) {
    this.limit = opts.limit ?? 1024;
  }

  *generateChunks(packet: string): Generator<Buffer> {
    if (typeof packet !== 'string') throw new TypeError('packet must be a string');
    yield Buffer.from(`${packet}\n`, 'latin1');
  }

  *buildPacketFromChunks(): Generator<void, [string, Buffer], Buffer> {
    let buf: Buffer = Buffer.alloc(0);
    for (;;) {
      const chunk: Buffer = yield;
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(0x0a);
      if (nl >= 0 && nl <= this.limit) return this.#packet(buf.subarray(0, nl), buf.subarray(nl + 1));
      if (buf.length > this.limit) {
        // EasyNetwork: drop up to and including the next separator, or all.
        const remaining = nl >= 0 ? buf.subarray(nl + 1) : Buffer.alloc(0);
        const err = new LimitOverrunError('Line too long', nl >= 0 ? nl : buf.length, remaining);
        throw new StreamProtocolParseError(remaining, err);
      }
    }
  }

  #packet(line: Buffer, rest: Buffer): [string, Buffer] {
    const text = line.toString('latin1');
    if (text === this.opts.crashOn) throw new Error('serializer bug');
    if (text === this.opts.badOn) {
      throw new StreamProtocolParseError(Buffer.from(rest), new PacketConversionError(`bad packet ${text}`));
    }
    if (text === 'BADBYTES') {
      throw new StreamProtocolParseError(Buffer.from(rest), new IncrementalDeserializeError('bad bytes', Buffer.from(rest)));
    }
    return [text, Buffer.from(rest)];
  }
}

/** The same protocol through the buffer-lending path (BufferedStreamProtocol shape). */
export class TestBufferedLineProtocol extends TestLineProtocol {
  created: Uint8Array[] = [];
  createBuffer(sizeHint: number): Uint8Array {
    const b = new Uint8Array(sizeHint);
    this.created.push(b);
    return b;
  }

  // biome-ignore lint/suspicious/noConfusingVoidType: the contract's generator type
  *buildPacketFromBuffer(buffer: Uint8Array): Generator<number | void, [string, Buffer], number> {
    let filled = 0;
    for (;;) {
      const n: number = yield filled;
      const start = filled;
      filled += n;
      const b = Buffer.from(buffer.buffer, buffer.byteOffset, filled);
      const nl = b.indexOf(0x0a, start);
      if (nl > this.limit) {
        const remaining = Buffer.from(b.subarray(nl + 1));
        throw new StreamProtocolParseError(remaining, new LimitOverrunError('Line too long', nl, remaining));
      }
      if (nl >= 0) return this.#line(b.subarray(0, nl), b.subarray(nl + 1, filled));
      if (filled > this.limit || filled >= buffer.length) {
        const err = new LimitOverrunError('Line too long', filled, Buffer.alloc(0));
        throw new StreamProtocolParseError(Buffer.alloc(0), err);
      }
    }
  }

  #line(line: Buffer, rest: Buffer): [string, Buffer] {
    const text = line.toString('latin1');
    if (text === this.opts.crashOn) throw new Error('serializer bug');
    return [text, rest];
  }
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
