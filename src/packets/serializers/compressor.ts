/**
 * EasyNetwork's `ZlibCompressorSerializer` (`serializers/wrapper/compressor.py`),
 * with a synchronous incremental inflater: Node's streaming zlib is
 * asynchronous, and a serializer's generator must not be.
 * @module
 */
import * as zlib from 'node:zlib';
import { DeserializeError, IncrementalDeserializeError, LimitOverrunError } from '../../errors';
import { ArgRangeError, ArgTypeError, checkBytes, describe } from '../../validate';
import { type IIncrementalPacketSerializer, type IPacketSerializer, isPacketSerializer } from '../abc';
import { DEFAULT_SERIALIZER_LIMIT, optBool, optObject } from './line';
import { asBufferView, ChunkAccumulator, checkLimit, kDeserializeKeepsNoReference, serializerCounters } from './tools';

/** Options of {@link ZlibCompressorSerializer}. */
export interface ZlibCompressorSerializerOptions {
  /** The compression level, 0-9 or -1 (default 6, zlib's default). */
  level?: number;
  /**
   * The largest decompressed packet, in bytes (default 65536); the
   * compressed stream of one packet may be at most `limit + limit/1024 + 64`
   * bytes. A hostile peer's zip bomb ends with `LimitOverrunError`.
   */
  limit?: number;
  /** Put detail in the errors' `errorInfo` (default false). */
  debug?: boolean;
}

interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  onerror: (message: string, errno: number, code?: string) => void;
  close(): void;
}

const EMPTY = Buffer.alloc(0);
const OUT_SIZE = 16 * 1024;

/** Why a decompression step failed (zlib's message). */
class InflateFailure extends Error {}

/**
 * A synchronous incremental inflater on the zlib handle Node's own
 * `inflateSync` drives (`_handle.writeSync`). `push(chunk)` decompresses
 * what it can and says whether the stream has ended and what follows it.
 * @internal
 */
export class SyncInflater {
  readonly #engine: zlib.Inflate;
  readonly #handle: ZlibHandle;
  readonly #state: Uint32Array;
  readonly #out = Buffer.allocUnsafe(OUT_SIZE);
  #error: string | null = null;
  #closed = false;
  /** Decompressed bytes so far. */
  readonly output: Buffer[] = [];
  outputLength = 0;

  /** Whether this Node exposes the handle (else the caller falls back to inflateSync on what it holds). */
  static get available(): boolean {
    if (availableCache === null) {
      try {
        const probe = new SyncInflater();
        probe.close();
        availableCache = true;
      } catch {
        availableCache = false;
      }
    }
    return availableCache;
  }

  constructor() {
    this.#engine = zlib.createInflate();
    const internals = this.#engine as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
    const handle = internals._handle;
    const state = internals._writeState;
    // (No instanceof: the state array may come from another realm, e.g. under a test runner's vm.)
    if (handle === undefined || typeof handle.writeSync !== 'function' || !ArrayBuffer.isView(state) || state.length !== 2) {
      this.#engine.close();
      throw new Error('zlib handle unavailable');
    }
    this.#handle = handle;
    this.#state = state;
    handle.onerror = (message: string) => {
      this.#error = message;
    };
  }

  /**
   * Decompress `chunk`.
   * @returns `null` while the stream goes on, else the bytes after its end.
   * @throws InflateFailure for corrupt data; LimitOverrunError past `maxOutput`.
   */
  push(chunk: Buffer, maxOutput: number): Buffer | null {
    const out = this.#out;
    let inOff = 0;
    let inLen = chunk.length;
    for (;;) {
      this.#handle.writeSync(zlib.constants.Z_SYNC_FLUSH, chunk, inOff, inLen, out, 0, OUT_SIZE);
      if (this.#error !== null) throw new InflateFailure(this.#error);
      const availOut = this.#state[0];
      const availIn = this.#state[1];
      const have = OUT_SIZE - availOut;
      if (have > 0) this.#keep(out, have, maxOutput);
      inOff += inLen - availIn;
      inLen = availIn;
      if (availOut !== 0) break;
    }
    serializerCounters.scanned += inOff;
    if (inLen > 0) return chunk.subarray(inOff); // input left over with room to spare: the stream has ended
    // All consumed: has it ended exactly here? Z_FINISH with no input errs ("unexpected end of file")
    // unless it has, and changes nothing.
    this.#handle.writeSync(zlib.constants.Z_FINISH, EMPTY, 0, 0, out, 0, OUT_SIZE);
    if (this.#error !== null) {
      this.#error = null;
      return null;
    }
    const have = OUT_SIZE - this.#state[0];
    if (have > 0) this.#keep(out, have, maxOutput);
    return EMPTY;
  }

  #keep(out: Buffer, have: number, maxOutput: number): void {
    this.outputLength += have;
    if (this.outputLength > maxOutput) {
      throw new LimitOverrunError(`Decompressed data exceeds the limit of ${maxOutput} bytes`, this.outputLength, EMPTY);
    }
    this.output.push(Buffer.from(out.subarray(0, have)));
    serializerCounters.copied += have;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#engine.close();
  }
}

let availableCache: boolean | null = null;

/** @internal for the specs: force the fallback (inflateSync on what is held). */
export const zlibInternals = { forceFallback: false };

/**
 * Wraps a one-shot serializer: its bytes travel zlib-compressed (RFC 1950),
 * one zlib stream per packet, which frames itself on a stream.
 * EasyNetwork's `ZlibCompressorSerializer`.
 * @example
 * ```ts
 * import { JSONSerializer, ZlibCompressorSerializer } from 'torsion/packets';
 * const s = new ZlibCompressorSerializer(new JSONSerializer());
 * s.deserialize(s.serialize({ a: 'b'.repeat(1000) })); // { a: 'bbbb…' }
 * ```
 */
export class ZlibCompressorSerializer<S, R = S> implements IPacketSerializer<S, R>, IIncrementalPacketSerializer<S, R> {
  /** @internal */
  readonly [kDeserializeKeepsNoReference] = true;
  readonly #inner: IPacketSerializer<S, R>;
  readonly #level: number;
  readonly #limit: number;
  readonly #debug: boolean;

  /**
   * @param serializer - the serializer whose bytes are compressed.
   * @throws TypeError / RangeError for a wrong serializer or option.
   */
  constructor(serializer: IPacketSerializer<S, R>, opts?: ZlibCompressorSerializerOptions) {
    if (!isPacketSerializer(serializer)) {
      throw new ArgTypeError(`serializer must be a serializer (serialize, deserialize), got ${describe(serializer)}`);
    }
    const o = optObject('opts', opts);
    const level = o.level ?? 6;
    if (typeof level !== 'number') throw new ArgTypeError(`level must be an integer, got ${describe(level)}`);
    if (!Number.isInteger(level) || level < -1 || level > 9)
      throw new ArgRangeError(`level must be an integer in -1..9, got ${level}`);
    const limit = o.limit ?? DEFAULT_SERIALIZER_LIMIT;
    checkLimit('limit', limit);
    this.#inner = serializer;
    this.#level = level;
    this.#limit = limit;
    this.#debug = optBool('debug', o.debug, false);
  }

  /** The compression level. */
  get level(): number {
    return this.#level;
  }
  /** The largest decompressed packet. */
  get bufferLimit(): number {
    return this.#limit;
  }
  /** Whether errors carry detail in `errorInfo`. */
  get debug(): boolean {
    return this.#debug;
  }

  #compressedLimit(): number {
    return this.#limit + Math.ceil(this.#limit / 1024) + 64;
  }

  /** The wrapped serializer's bytes, compressed. */
  serialize(packet: S): Buffer {
    return zlib.deflateSync(asBufferView(this.#inner.serialize(packet)), { level: this.#level });
  }

  /** The compressed bytes, as one part. */
  *incrementalSerialize(packet: S): Generator<Buffer, void, void> {
    yield this.serialize(packet);
  }

  /**
   * The packet the compressed `data` holds.
   * @throws DeserializeError for corrupt or truncated data, trailing data,
   *   or more than `limit` decompressed bytes; the wrapped serializer's
   *   errors as they are.
   */
  deserialize(data: Buffer): R {
    checkBytes('data', data);
    const view = asBufferView(data);
    let result: { buffer: Buffer; engine: zlib.Inflate };
    try {
      result = zlib.inflateSync(view, { info: true, maxOutputLength: this.#limit }) as unknown as typeof result;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const msg =
        e.code === 'Z_BUF_ERROR'
          ? 'Compressed data ended before the end-of-stream marker was reached'
          : e.code === 'ERR_BUFFER_TOO_LARGE'
            ? `Decompressed data exceeds the limit of ${this.#limit} bytes`
            : e.message;
      throw new DeserializeError(msg, { cause: err, errorInfo: this.#debug ? { data: Buffer.from(view) } : null });
    }
    const used = result.engine.bytesWritten;
    if (used < view.length) {
      throw new DeserializeError('Trailing data error', {
        errorInfo: this.#debug ? { decompressedData: result.buffer, extra: Buffer.from(view.subarray(used)) } : null,
      });
    }
    return this.#inner.deserialize(result.buffer);
  }

  #finish(decompressed: Buffer, unused: Buffer): [R, Buffer] {
    try {
      return [this.#inner.deserialize(decompressed), unused];
    } catch (err) {
      if (!(err instanceof DeserializeError)) throw err;
      throw new IncrementalDeserializeError(`Error while deserializing decompressed data: ${err.message}`, unused, {
        cause: err,
        errorInfo: err.errorInfo,
      });
    }
  }

  #decompressionError(err: Error, output: Buffer[], chunk: Buffer): IncrementalDeserializeError {
    return new IncrementalDeserializeError(`Decompression error: ${err.message}`, EMPTY, {
      cause: err,
      errorInfo: this.#debug ? { alreadyDecompressedChunks: output, invalidChunk: Buffer.from(chunk) } : null,
    });
  }

  /**
   * Yields until one zlib stream has ended; returns the wrapped serializer's
   * packet for its bytes, and what followed the stream. Each chunk is
   * inflated once, as it comes (synchronously).
   * @throws IncrementalDeserializeError for corrupt data (the chunk is
   *   dropped, as EasyNetwork does) or a packet the wrapped serializer
   *   refuses; LimitOverrunError past `limit`.
   */
  *incrementalDeserialize(): Generator<void, [R, Buffer], Buffer> {
    if (zlibInternals.forceFallback || !SyncInflater.available) return yield* this.#fallbackDeserialize();
    const inflater = new SyncInflater();
    const maxIn = this.#compressedLimit();
    let consumed = 0;
    try {
      for (;;) {
        const chunk = asBufferView(yield);
        if (chunk.length === 0) continue;
        let unused: Buffer | null;
        try {
          unused = inflater.push(chunk, this.#limit);
        } catch (err) {
          if (err instanceof InflateFailure) throw this.#decompressionError(err, inflater.output, chunk);
          throw err;
        }
        consumed += chunk.length - (unused?.length ?? 0);
        if (consumed > maxIn) {
          throw new LimitOverrunError(`Compressed data exceeds the limit of ${maxIn} bytes`, consumed, unused ?? EMPTY);
        }
        if (unused !== null) {
          const out = inflater.output;
          return this.#finish(out.length === 1 ? out[0] : Buffer.concat(out, inflater.outputLength), unused);
        }
      }
    } finally {
      inflater.close();
    }
  }

  /** inflateSync on what is held, for a Node without the handle: correct, but quadratic in the chunks of one packet. */
  *#fallbackDeserialize(): Generator<void, [R, Buffer], Buffer> {
    let acc: ChunkAccumulator | null = null;
    const maxIn = this.#compressedLimit();
    for (;;) {
      const chunk = asBufferView(yield);
      if (chunk.length === 0) continue;
      if (acc === null) acc = new ChunkAccumulator(chunk);
      else acc.append(chunk);
      const held = acc.view();
      let result: { buffer: Buffer; engine: zlib.Inflate };
      try {
        result = zlib.inflateSync(held, { info: true, maxOutputLength: this.#limit }) as unknown as typeof result;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'Z_BUF_ERROR') {
          if (held.length > maxIn)
            throw new LimitOverrunError(`Compressed data exceeds the limit of ${maxIn} bytes`, held.length, EMPTY);
          continue;
        }
        if (e.code === 'ERR_BUFFER_TOO_LARGE') {
          throw new LimitOverrunError(`Decompressed data exceeds the limit of ${this.#limit} bytes`, held.length, EMPTY);
        }
        throw this.#decompressionError(e, [], chunk);
      }
      serializerCounters.scanned += held.length;
      return this.#finish(result.buffer, held.subarray(result.engine.bytesWritten));
    }
  }
}
