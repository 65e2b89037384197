/**
 * The receive side of the TCP packet client: bytes the transport delivered,
 * held until a receiver asks, then fed to the protocol object's generator
 * (EasyNetwork's `StreamDataConsumer` / `BufferedStreamDataConsumer`).
 *
 * - {@link ChunkConsumer}: `dataReceived` chunks are kept as they came and
 *   fed, at most `maxRecvSize` bytes at a time, to `buildPacketFromChunks()`
 *   (primed with one `next()`, then `next(chunk)` until it returns
 *   `[packet, remainder]`; the remainder is fed first next time).
 * - {@link BufferConsumer}: the transport reads straight into the buffer the
 *   protocol created (`createBuffer(maxRecvSize)`), at the offset its
 *   `buildPacketFromBuffer()` generator yielded (negative: from the end);
 *   only bytes that arrive while that buffer is full are copied (into an
 *   overflow list, moved into the buffer as room frees up).
 *
 * A `StreamProtocolParseError` keeps its `remainingData` as the next bytes
 * to parse; any other exception is a crash ({@link SerializerCrash}).
 * @module
 */
import { StreamProtocolParseError } from '../../errors';
import type { BufferedStreamProtocolLike, StreamProtocolLike } from './common';

/** No packet can be parsed from what is held. @internal */
export const NONE: unique symbol = Symbol('torsion.packets.none');

/** A serializer or converter threw something that is not a parse error. @internal */
export class SerializerCrash {
  constructor(readonly cause: unknown) {}
}

/** The common shape of both consumers. @internal */
export interface StreamConsumer<R> {
  /** Bytes held and not yet parsed into a packet (for flow control). */
  readonly size: number;
  /** Keep a delivered chunk (the copy path). */
  feed(data: Buffer): void;
  /**
   * The next packet, or NONE when more bytes are needed.
   * @throws StreamProtocolParseError (recoverable) or SerializerCrash.
   */
  next(): R | typeof NONE;
  /** The bytes of the unfinished packet (for IncompleteReadError at EOF). */
  partial(): Buffer;
  /** Drop everything. */
  clear(): void;
}

/** The chunk path of a plain `StreamProtocol`. @internal */
export class ChunkConsumer<R> implements StreamConsumer<R> {
  #chunks: Buffer[] = [];
  #head = 0;
  #size = 0;
  #gen: Generator<void, [R, Buffer], Buffer> | null = null;
  // What the unfinished generator has been fed (its packet's bytes so far).
  #fed: Buffer[] = [];

  constructor(
    readonly protocol: StreamProtocolLike<unknown, R>,
    readonly maxRecvSize: number,
  ) {}

  get size(): number {
    return this.#size;
  }

  feed(data: Buffer): void {
    if (data.length === 0) return;
    this.#chunks.push(data);
    this.#size += data.length;
  }

  next(): R | typeof NONE {
    while (this.#size > 0) {
      let gen = this.#gen;
      if (gen === null) {
        try {
          gen = this.protocol.buildPacketFromChunks();
          if (gen.next().done === true) throw new TypeError('buildPacketFromChunks() returned without yielding');
        } catch (err) {
          throw new SerializerCrash(err);
        }
        this.#gen = gen;
      }
      const chunk = this.#take();
      let r: IteratorResult<void, [R, Buffer]>;
      try {
        r = gen.next(chunk);
      } catch (err) {
        this.#gen = null;
        this.#fed = [];
        if (err instanceof StreamProtocolParseError) {
          this.#unshift(err.remainingData);
          throw err;
        }
        throw new SerializerCrash(err);
      }
      if (r.done === true) {
        this.#gen = null;
        this.#fed = [];
        const value = r.value as unknown;
        if (!Array.isArray(value) || value.length !== 2 || !(value[1] instanceof Uint8Array)) {
          throw new SerializerCrash(new TypeError('the packet generator must return [packet, remainder]'));
        }
        this.#unshift(value[1] as Buffer);
        return value[0] as R;
      }
      this.#fed.push(chunk);
    }
    return NONE;
  }

  partial(): Buffer {
    const held = this.#chunks.slice(this.#head);
    return Buffer.concat([...this.#fed, ...held]);
  }

  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#size = 0;
    this.#fed = [];
    const gen = this.#gen;
    this.#gen = null;
    try {
      gen?.return(undefined as never);
    } catch {
      // A generator that throws while closing has nothing left to give.
    }
  }

  #take(): Buffer {
    let chunk = this.#chunks[this.#head]!;
    if (chunk.length > this.maxRecvSize) {
      this.#chunks[this.#head] = chunk.subarray(this.maxRecvSize);
      chunk = chunk.subarray(0, this.maxRecvSize);
    } else {
      this.#chunks[this.#head] = undefined as never;
      this.#head += 1;
      if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
        this.#chunks = this.#chunks.slice(this.#head);
        this.#head = 0;
      }
    }
    this.#size -= chunk.length;
    return chunk;
  }

  #unshift(data: Uint8Array): void {
    if (data.length === 0) return;
    const b = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
    if (this.#head > 0) {
      this.#head -= 1;
      this.#chunks[this.#head] = b;
    } else this.#chunks.unshift(b);
    this.#size += b.length;
  }
}

/** The zero-copy path of a `BufferedStreamProtocol`. @internal */
export class BufferConsumer<R> implements StreamConsumer<R> {
  #buffer: Uint8Array | null = null;
  #gen: Generator<number | undefined, [R, Buffer], number> | null = null;
  #start: number | undefined = undefined;
  // Bytes written after the start position and not yet reported to the generator.
  #written = 0;
  #overflow: Buffer[] = [];
  #overflowSize = 0;
  // What getBuffer() lent last: the view into the buffer, or an overflow buffer.
  #lent: Uint8Array | null = null;
  #lentIsView = false;
  // Bumped whenever the generator or a refill touched the buffer: a view lent
  // before that may no longer be where the next bytes belong.
  #epoch = 0;
  #lentEpoch = 0;
  // A packet (or error) parsed ahead by bufferUpdated, for the next receiver.
  #ready: { packet: R } | { error: unknown } | null = null;

  constructor(
    readonly protocol: BufferedStreamProtocolLike<unknown, R>,
    readonly maxRecvSize: number,
  ) {}

  /** The size of the protocol's buffer (0 before it is created). */
  get bufferSize(): number {
    return this.#buffer === null ? 0 : this.#buffer.length;
  }

  get size(): number {
    return this.#written + this.#overflowSize;
  }

  /**
   * The buffer the transport reads into: the free part of the protocol's
   * buffer, or (while it is full, or bytes wait in the overflow) a fresh one.
   * @throws SerializerCrash when the protocol's buffer cannot be set up.
   */
  getBuffer(): Uint8Array {
    // Lend the parser's own buffer only while every byte held has been
    // reported to the generator: then nothing can move the generator (and
    // so the right spot for the next bytes) before this read's
    // bufferUpdated. Otherwise the read goes to a spare buffer (one copy).
    if (this.#overflowSize === 0 && this.#written === 0) {
      const view = this.#view();
      if (view.length > 0) {
        this.#lent = view;
        this.#lentIsView = true;
        this.#lentEpoch = this.#epoch;
        return view;
      }
    }
    const spare = Buffer.allocUnsafe(this.maxRecvSize);
    this.#lent = spare;
    this.#lentIsView = false;
    return spare;
  }

  /** `nbytes` were written at the start of what getBuffer() lent last. */
  bufferUpdated(nbytes: number): void {
    const lent = this.#lent;
    this.#lent = null;
    if (lent === null || nbytes <= 0) return;
    if (this.#lentIsView && this.#lentEpoch === this.#epoch) {
      this.#written += nbytes;
      // Report the bytes at once (one packet ahead at most), so that the
      // next read can be lent the buffer again at the generator's new spot.
      if (this.#ready === null) {
        try {
          const packet = this.#parse();
          if (packet !== NONE) this.#ready = { packet };
        } catch (err) {
          this.#ready = { error: err };
        }
      }
    } else if (this.#lentIsView) {
      // Parsed meanwhile: the bytes are in a stale spot of the buffer; keep a copy.
      this.#overflow.push(Buffer.from(lent.subarray(0, nbytes)));
      this.#overflowSize += nbytes;
    } else {
      this.#overflow.push((lent as Buffer).subarray(0, nbytes));
      this.#overflowSize += nbytes;
    }
  }

  feed(data: Buffer): void {
    if (data.length === 0) return;
    this.#overflow.push(data);
    this.#overflowSize += data.length;
  }

  /** A crash met while reporting bytes ahead of a receiver, if any. */
  get pendingCrash(): SerializerCrash | null {
    const r = this.#ready;
    return r !== null && 'error' in r && r.error instanceof SerializerCrash ? r.error : null;
  }

  next(): R | typeof NONE {
    const ready = this.#ready;
    if (ready !== null) {
      this.#ready = null;
      if ('error' in ready) throw ready.error;
      return ready.packet;
    }
    return this.#parse();
  }

  #parse(): R | typeof NONE {
    for (;;) {
      if (this.#written === 0 && this.#overflowSize > 0) this.#refill();
      const n = this.#written;
      if (n === 0) return NONE;
      const gen = this.#gen!;
      this.#epoch += 1;
      this.#written = 0;
      this.#gen = null;
      let r: IteratorResult<number | undefined, [R, Buffer]>;
      try {
        r = gen.next(n);
      } catch (err) {
        if (err instanceof StreamProtocolParseError) {
          this.#save(err.remainingData);
          throw err;
        }
        this.#buffer = null;
        throw new SerializerCrash(err);
      }
      if (r.done === true) {
        const value = r.value as unknown;
        if (!Array.isArray(value) || value.length !== 2 || !(value[1] instanceof Uint8Array)) {
          this.#buffer = null;
          throw new SerializerCrash(new TypeError('the packet generator must return [packet, remainder]'));
        }
        this.#save(value[1] as Buffer);
        return value[0] as R;
      }
      this.#gen = gen;
      this.#start = r.value;
    }
  }

  partial(): Buffer {
    const parts: Buffer[] = [];
    const buffer = this.#buffer;
    if (buffer !== null && this.#gen !== null) {
      const start = this.#start;
      const end =
        start === undefined || start === null ? this.#written : (start < 0 ? buffer.length + start : start) + this.#written;
      parts.push(Buffer.from(buffer.subarray(0, end)));
    }
    parts.push(...this.#overflow);
    return Buffer.concat(parts);
  }

  clear(): void {
    this.#epoch += 1;
    this.#ready = null;
    this.#buffer = null;
    this.#start = undefined;
    this.#written = 0;
    this.#overflow = [];
    this.#overflowSize = 0;
    this.#lent = null;
    const gen = this.#gen;
    this.#gen = null;
    try {
      gen?.return(undefined as never);
    } catch {
      // Nothing left to give.
    }
  }

  // The free part of the buffer at the generator's start position.
  #view(): Uint8Array {
    let buffer = this.#buffer;
    if (buffer === null) {
      let created: unknown;
      try {
        created = this.protocol.createBuffer(this.maxRecvSize);
      } catch (err) {
        throw new SerializerCrash(err);
      }
      if (!(created instanceof Uint8Array) || created.length === 0) {
        throw new SerializerCrash(new TypeError('createBuffer() must return a non-empty Uint8Array'));
      }
      buffer = this.#buffer = created;
    }
    if (this.#gen === null) {
      const gen = this.protocol.buildPacketFromBuffer(buffer) as Generator<number | undefined, [R, Buffer], number>;
      let r: IteratorResult<number | undefined, [R, Buffer]>;
      try {
        r = gen.next();
      } catch (err) {
        this.#buffer = null;
        throw new SerializerCrash(err);
      }
      if (r.done === true) {
        this.#buffer = null;
        throw new SerializerCrash(new TypeError('buildPacketFromBuffer() returned without yielding'));
      }
      this.#gen = gen;
      this.#start = r.value;
      this.#written = 0;
    }
    const start = this.#start;
    let from = start === undefined || start === null ? 0 : start < 0 ? buffer.length + start : start;
    from += this.#written;
    if (from < 0 || from > buffer.length) {
      throw new SerializerCrash(new RangeError(`the packet generator yielded an offset outside its buffer (${String(start)})`));
    }
    return buffer.subarray(from);
  }

  // Move overflow bytes into the buffer's free part.
  #refill(): void {
    while (this.#overflowSize > 0) {
      const view = this.#view();
      const room = view.length;
      if (room === 0) return;
      this.#epoch += 1;
      const head = this.#overflow[0]!;
      const n = Math.min(room, head.length);
      view.set(head.subarray(0, n));
      this.#written += n;
      this.#overflowSize -= n;
      if (n === head.length) this.#overflow.shift();
      else this.#overflow[0] = head.subarray(n);
      if (n === room) return;
    }
  }

  // A remainder goes back into the (fresh generator's) buffer first.
  #save(remaining: Uint8Array): void {
    if (remaining.length === 0) return;
    const copy = Buffer.from(remaining);
    this.#overflow.unshift(copy);
    this.#overflowSize += copy.length;
    this.#refill();
  }
}
