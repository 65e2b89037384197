/**
 * Drivers for the serializer specs: they feed a protocol object's
 * generators the way the clients do (EasyNetwork's StreamDataConsumer and
 * BufferedStreamDataConsumer), with no client and no transport.
 */
import fc from 'fast-check';
import type { BufferedStreamProtocol, StreamProtocol } from '../../../src/packets/protocol';

export type Event<R> = { packet: R } | { error: Error };

export interface Run<R> {
  events: Event<R>[];
  /** Bytes fed to the unfinished generator (what a client would still hold). */
  pending: Buffer;
}

/** Feed `chunks` through `buildPacketFromChunks`, starting a new generator per packet. */
export function runChunks<R>(protocol: StreamProtocol<unknown, R>, chunks: readonly Buffer[]): Run<R> {
  const events: Event<R>[] = [];
  let gen: Generator<void, [R, Buffer], Buffer> | null = null;
  let held: Buffer[] = [];
  const feed = (data: Buffer): Buffer | null => {
    if (gen === null) {
      gen = protocol.buildPacketFromChunks();
      const first = gen.next();
      if (first.done) throw new Error('the generator did not yield');
      held = [];
    }
    held.push(Buffer.from(data));
    let r: IteratorResult<void, [R, Buffer]>;
    try {
      r = gen.next(data);
    } catch (err) {
      gen = null;
      events.push({ error: err as Error });
      const rem = (err as { remainingData?: Buffer }).remainingData;
      if (rem === undefined) throw err;
      return Buffer.from(rem);
    }
    if (!r.done) return null;
    gen = null;
    events.push({ packet: r.value[0] });
    return Buffer.from(r.value[1]);
  };
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    let rest = feed(chunk);
    while (rest !== null && rest.length > 0) rest = feed(rest);
  }
  return { events, pending: gen === null ? Buffer.alloc(0) : Buffer.concat(held) };
}

/**
 * Feed `chunks` through `buildPacketFromBuffer`: bytes are copied into the
 * lent buffer at the offsets the generator yields, at most what fits; the
 * remainder is moved to the start of the same buffer (`inPlace`) or of a
 * new one, as EasyNetwork's BufferedStreamDataConsumer does.
 */
export function runBuffered<R>(
  protocol: BufferedStreamProtocol<unknown, R, Uint8Array>,
  chunks: readonly Buffer[],
  opts: { sizeHint?: number; inPlace?: boolean; maxWrite?: number } = {},
): Run<R> {
  const events: Event<R>[] = [];
  const sizeHint = opts.sizeHint ?? 16384;
  let buffer = protocol.createBuffer(sizeHint);
  // biome-ignore lint/suspicious/noConfusingVoidType: EasyNetwork's contract: a bare `yield` means offset 0
  let gen: Generator<number | void, [R, Buffer], number> | null = null;
  let writePos = 0;
  let carried = 0; // bytes already written at writePos, not yet announced
  let held: Buffer[] = [];
  // biome-ignore lint/suspicious/noConfusingVoidType: EasyNetwork's contract: a bare `yield` means offset 0
  const resolve = (v: number | void): number => (v === undefined ? 0 : v < 0 ? buffer.length + v : v);
  const ensure = (): void => {
    if (gen !== null) return;
    gen = protocol.buildPacketFromBuffer(buffer);
    const first = gen.next();
    if (first.done) throw new Error('the generator did not yield');
    writePos = resolve(first.value);
    held = carried > 0 ? [Buffer.from(buffer.subarray(writePos, writePos + carried))] : [];
  };
  const save = (rem: Buffer): void => {
    if (opts.inPlace) {
      buffer.set(rem, 0);
    } else {
      const fresh = protocol.createBuffer(sizeHint);
      fresh.set(rem, 0);
      buffer = fresh;
    }
    carried = rem.length;
  };
  const send = (n: number): void => {
    // biome-ignore lint/suspicious/noConfusingVoidType: EasyNetwork's contract: a bare `yield` means offset 0
    const g = gen as Generator<number | void, [R, Buffer], number>;
    // biome-ignore lint/suspicious/noConfusingVoidType: EasyNetwork's contract: a bare `yield` means offset 0
    let r: IteratorResult<number | void, [R, Buffer]>;
    try {
      r = g.next(n);
    } catch (err) {
      gen = null;
      events.push({ error: err as Error });
      const rem = (err as { remainingData?: Buffer }).remainingData;
      if (rem === undefined) throw err;
      save(rem);
      return;
    }
    if (r.done) {
      gen = null;
      events.push({ packet: r.value[0] });
      save(r.value[1]);
      return;
    }
    writePos = resolve(r.value);
  };
  const drain = (): void => {
    while (carried > 0) {
      ensure();
      const n = carried;
      carried = 0;
      send(n);
      if (gen !== null) break;
    }
  };
  for (const chunk of chunks) {
    let off = 0;
    while (off < chunk.length) {
      drain();
      ensure();
      const target = writePos + carried;
      const space = buffer.length - target;
      if (space <= 0) throw new Error('no room left in the lent buffer');
      const k = Math.min(space, chunk.length - off, opts.maxWrite ?? Number.POSITIVE_INFINITY);
      buffer.set(chunk.subarray(off, off + k), target);
      held.push(Buffer.from(chunk.subarray(off, off + k)));
      off += k;
      const n = carried + k;
      carried = 0;
      send(n);
    }
    drain();
  }
  return { events, pending: gen === null ? Buffer.alloc(0) : Buffer.concat(held) };
}

/** Cut `data` at `cuts` (any numbers; clamped, sorted, deduplicated). */
export function cutAt(data: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(data.length, c))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of points) {
    if (c > prev) out.push(Buffer.from(data.subarray(prev, c)));
    prev = Math.max(prev, c);
  }
  if (prev < data.length) out.push(Buffer.from(data.subarray(prev)));
  return out;
}

/** One chunk per byte, each a fresh Buffer. */
export function oneByteChunks(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i++) out.push(Buffer.from(data.subarray(i, i + 1)));
  return out;
}

/** An arbitrary cutting of a stream of length up to `max`: cut positions. */
export const cuts = (max: number): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 0, max }), { maxLength: 40 });

/** The packets of a run, throwing if there was an error. */
export function packetsOf<R>(run: Run<R>): R[] {
  return run.events.map((e) => {
    if ('error' in e) throw e.error;
    return e.packet;
  });
}
