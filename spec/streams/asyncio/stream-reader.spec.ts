import { TimeoutError } from '../../../src/defer/errors';
import { Failure } from '../../../src/defer/failure';
import { ConnectionLost, IncompleteReadError, LimitOverrunError, RuntimeError } from '../../../src/errors';
import type { IPushProducer } from '../../../src/interfaces/producer';
import { StreamReader } from '../../../src/streams/asyncio';
import { Clock } from '../../../src/task/clock';
import { everySplit, oneByteChunks } from '../../framing/chunking';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Settle state of a promise without awaiting it. */
function track<T>(p: Promise<T>): { done: boolean; value?: T; error?: unknown } {
  const s: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (v) => {
      s.done = true;
      s.value = v;
    },
    (e: unknown) => {
      s.done = true;
      s.error = e;
    },
  );
  return s;
}

class FakeProducer implements IPushProducer {
  events: string[] = [];
  pauseProducing(): void {
    this.events.push('pause');
  }
  resumeProducing(): void {
    this.events.push('resume');
  }
  stopProducing(): void {
    this.events.push('stop');
  }
}

describe('StreamReader', () => {
  describe('read(n)', () => {
    it('n == 0 resolves with an empty Buffer at once, even with nothing buffered', async () => {
      const r = new StreamReader();
      expect((await r.read(0)).length).toBe(0);
    });

    it('n > 0 waits for at least one byte and returns at most n', async () => {
      const r = new StreamReader();
      const p = track(r.read(3));
      await flush();
      expect(p.done).toBe(false);
      r.feedData(b('hello'));
      await flush();
      expect(p.value?.toString()).toBe('hel');
      expect((await r.read(100)).toString()).toBe('lo');
    });

    it('n < 0 reads until EOF, across many feeds', async () => {
      const r = new StreamReader();
      const p = r.read();
      r.feedData(b('ab'));
      await flush();
      r.feedData(b('cd'));
      r.feedEof();
      expect((await p).toString()).toBe('abcd');
      expect((await r.read()).length).toBe(0);
      expect(r.atEof()).toBe(true);
    });

    it('at EOF resolves with an empty Buffer', async () => {
      const r = new StreamReader();
      r.feedEof();
      expect((await r.read(10)).length).toBe(0);
    });

    it('a non-integer n rejects with TypeError', async () => {
      const r = new StreamReader();
      await expect(r.read(1.5)).rejects.toThrow(TypeError);
    });
  });

  describe('readexactly(n)', () => {
    it('waits until n bytes are there, whatever the chunking', async () => {
      for (const chunks of everySplit(b('0123456789'))) {
        const r = new StreamReader();
        const p = r.readexactly(7);
        for (const c of chunks) r.feedData(c);
        expect((await p).toString()).toBe('0123456');
        expect((await r.read(3)).toString()).toBe('789');
      }
    });

    it('rejects at EOF with IncompleteReadError(partial, expected = n), the partial bytes consumed', async () => {
      const r = new StreamReader();
      r.feedData(b('abc'));
      r.feedEof();
      const err = await r.readexactly(5).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IncompleteReadError);
      expect((err as IncompleteReadError).partial.toString()).toBe('abc');
      expect((err as IncompleteReadError).expected).toBe(5);
      expect(r.atEof()).toBe(true);
    });

    it('a negative size is a RangeError; 0 is an empty Buffer', async () => {
      const r = new StreamReader();
      await expect(r.readexactly(-1)).rejects.toThrow(RangeError);
      expect((await r.readexactly(0)).length).toBe(0);
    });
  });

  describe('readuntil(separator)', () => {
    it('resolves with the data including the separator, at every split of the stream', async () => {
      const data = b('hello\r\nworld\r\n');
      for (const chunks of [...everySplit(data), oneByteChunks(data)]) {
        const r = new StreamReader();
        const p1 = r.readuntil(b('\r\n'));
        for (const c of chunks) r.feedData(c);
        expect((await p1).toString()).toBe('hello\r\n');
        expect((await r.readuntil(b('\r\n'))).toString()).toBe('world\r\n');
      }
    });

    it("defaults to '\\n'", async () => {
      const r = new StreamReader();
      r.feedData(b('a\nb'));
      expect((await r.readuntil()).toString()).toBe('a\n');
    });

    it('EOF first rejects with IncompleteReadError(everything buffered, expected null) and empties the buffer', async () => {
      const r = new StreamReader();
      r.feedData(b('no separator'));
      const p = r.readuntil(b('\r\n'));
      r.feedEof();
      const err = (await p.catch((e: unknown) => e)) as IncompleteReadError;
      expect(err).toBeInstanceOf(IncompleteReadError);
      expect(err.partial.toString()).toBe('no separator');
      expect(err.expected).toBeNull();
      expect(r.atEof()).toBe(true);
    });

    it('more than limit bytes without the separator rejects with LimitOverrunError and keeps the data', async () => {
      const r = new StreamReader({ limit: 8 });
      r.feedData(b('0123456789'));
      const err = (await r.readuntil(b('\n')).catch((e: unknown) => e)) as LimitOverrunError;
      expect(err).toBeInstanceOf(LimitOverrunError);
      expect(err.consumed).toBe(10);
      expect(err.remainingData.length).toBe(0);
      expect((await r.read(100)).toString()).toBe('0123456789');
    });

    it('a separator found beyond the limit rejects with LimitOverrunError(consumed = its offset)', async () => {
      const r = new StreamReader({ limit: 4 });
      r.feedData(b('abcdef\nxy'));
      const err = (await r.readuntil(b('\n')).catch((e: unknown) => e)) as LimitOverrunError;
      expect(err).toBeInstanceOf(LimitOverrunError);
      expect(err.consumed).toBe(6);
      expect((await r.read(100)).toString()).toBe('abcdef\nxy');
    });

    it('a line of exactly limit bytes before the separator is accepted (asyncio: isep <= limit)', async () => {
      const r = new StreamReader({ limit: 4 });
      r.feedData(b('abcd\n'));
      expect((await r.readuntil(b('\n'))).toString()).toBe('abcd\n');
    });

    it('an over-long line fed one byte at a time fails once the limit is passed', async () => {
      const r = new StreamReader({ limit: 16 });
      const p = track(r.readuntil(b('\r\n')));
      for (const c of oneByteChunks(b('x'.repeat(18)))) {
        r.feedData(c);
        await Promise.resolve();
      }
      await flush();
      expect(p.error).toBeInstanceOf(LimitOverrunError);
    });

    it('an empty separator is a RangeError, a string a TypeError', async () => {
      const r = new StreamReader();
      await expect(r.readuntil(b(''))).rejects.toThrow(RangeError);
      await expect(r.readuntil('\n' as unknown as Buffer)).rejects.toThrow(TypeError);
    });
  });

  describe('readline()', () => {
    it('returns lines, then the partial last line at EOF, then empty Buffers', async () => {
      const r = new StreamReader();
      r.feedData(b('one\ntwo\nthr'));
      r.feedEof();
      expect((await r.readline()).toString()).toBe('one\n');
      expect((await r.readline()).toString()).toBe('two\n');
      expect((await r.readline()).toString()).toBe('thr');
      expect((await r.readline()).length).toBe(0);
      expect((await r.readline()).length).toBe(0);
    });

    it('on an overrun discards up to and including the next \\n, then rejects; the next line reads fine', async () => {
      const r = new StreamReader({ limit: 4 });
      r.feedData(b('toolongline\nok\n'));
      await expect(r.readline()).rejects.toBeInstanceOf(LimitOverrunError);
      expect((await r.readline()).toString()).toBe('ok\n');
    });

    it('on an overrun with no \\n buffered discards the whole buffer', async () => {
      const r = new StreamReader({ limit: 4 });
      r.feedData(b('0123456789'));
      await expect(r.readline()).rejects.toBeInstanceOf(LimitOverrunError);
      r.feedData(b('tail\n'));
      expect((await r.readline()).toString()).toBe('tail\n');
    });
  });

  describe('one read at a time', () => {
    it('a read while another is waiting rejects with RuntimeError; the first still completes', async () => {
      const r = new StreamReader();
      const first = r.readline();
      await expect(r.read(1)).rejects.toBeInstanceOf(RuntimeError);
      await expect(r.readexactly(2)).rejects.toBeInstanceOf(RuntimeError);
      r.feedData(b('x\n'));
      expect((await first).toString()).toBe('x\n');
    });
  });

  describe('{ timeout, signal }', () => {
    it('a timed-out read rejects with TimeoutError and consumes nothing', async () => {
      const clock = new Clock();
      const r = new StreamReader({ reactor: clock });
      r.feedData(b('par'));
      const p = track(r.readuntil(b('\r\n'), { timeout: 5 }));
      clock.advance(4.9);
      await flush();
      expect(p.done).toBe(false);
      clock.advance(0.1);
      await flush();
      expect(p.error).toBeInstanceOf(TimeoutError);
      expect(clock.getDelayedCalls()).toHaveLength(0);
      r.feedData(b('tial\r\n'));
      expect((await r.readuntil(b('\r\n'))).toString()).toBe('partial\r\n');
    });

    it('a read that completes in time cancels its timer', async () => {
      const clock = new Clock();
      const r = new StreamReader({ reactor: clock });
      const p = r.readexactly(2, { timeout: 1 });
      expect(clock.getDelayedCalls()).toHaveLength(1);
      r.feedData(b('ab'));
      expect((await p).toString()).toBe('ab');
      expect(clock.getDelayedCalls()).toHaveLength(0);
    });

    it('an aborted read rejects with signal.reason and consumes nothing; an already aborted signal rejects at once', async () => {
      const r = new StreamReader();
      r.feedData(b('abc'));
      const ac = new AbortController();
      const p = r.readexactly(5, { signal: ac.signal });
      const reason = new Error('stop');
      ac.abort(reason);
      await expect(p).rejects.toBe(reason);
      await expect(r.readexactly(5, { signal: ac.signal })).rejects.toBe(reason);
      expect((await r.read(10)).toString()).toBe('abc');
    });

    it('a read whose data is buffered resolves even with a zero timeout', async () => {
      const clock = new Clock();
      const r = new StreamReader({ reactor: clock });
      r.feedData(b('x\n'));
      expect((await r.readline({ timeout: 0 })).toString()).toBe('x\n');
    });

    it('bad options are typed errors naming the option', async () => {
      const r = new StreamReader({ reactor: new Clock() });
      await expect(r.read(1, { timeout: -1 })).rejects.toThrow(/opts.timeout/);
      await expect(r.read(1, { signal: {} as AbortSignal })).rejects.toThrow(/opts.signal/);
    });
  });

  describe('feedEof / setException', () => {
    it('after setException, reads return what is buffered first, then reject with the error', async () => {
      const r = new StreamReader();
      r.feedData(b('line\nrest'));
      const err = new ConnectionLost();
      r.setException(new Failure(err));
      expect(r.exception()).toBe(err);
      expect((await r.readline()).toString()).toBe('line\n');
      await expect(r.readexactly(10)).rejects.toBe(err);
      expect((await r.read(10)).toString()).toBe('rest');
      await expect(r.read(10)).rejects.toBe(err);
      await expect(r.readline()).rejects.toBe(err);
    });

    it('setException wakes a waiting read', async () => {
      const r = new StreamReader();
      const p = r.readline();
      const err = new Error('boom');
      r.setException(err);
      await expect(p).rejects.toBe(err);
    });

    it('feedData after feedEof is a RuntimeError; atEof is true only once the buffer is empty', () => {
      const r = new StreamReader();
      r.feedData(b('x'));
      r.feedEof();
      expect(r.atEof()).toBe(false);
      expect(() => r.feedData(b('y'))).toThrow(RuntimeError);
    });

    it('feedData refuses strings', () => {
      expect(() => new StreamReader().feedData('x' as unknown as Buffer)).toThrow(TypeError);
    });
  });

  describe('for await', () => {
    it('yields each line, the partial last one, then ends at EOF', async () => {
      const r = new StreamReader();
      const got: string[] = [];
      const loop = (async () => {
        for await (const line of r) got.push(line.toString());
      })();
      r.feedData(b('a\nb'));
      await flush();
      r.feedData(b('\nc'));
      r.feedEof();
      await loop;
      expect(got).toEqual(['a\n', 'b\n', 'c']);
    });

    it('ends with the loss error after the buffered lines', async () => {
      const r = new StreamReader();
      r.feedData(b('a\nb\n'));
      const err = new ConnectionLost();
      r.setException(err);
      const got: string[] = [];
      await expect(
        (async () => {
          for await (const line of r) got.push(line.toString());
        })(),
      ).rejects.toBe(err);
      expect(got).toEqual(['a\n', 'b\n']);
    });
  });

  describe('backpressure', () => {
    it('pauses the transport strictly above 2 * limit and resumes at limit or below', async () => {
      const r = new StreamReader({ limit: 4 });
      const t = new FakeProducer();
      r.setTransport(t);
      r.feedData(b('12345678'));
      expect(t.events).toEqual([]);
      r.feedData(b('9'));
      expect(t.events).toEqual(['pause']);
      r.feedData(b('abc'));
      expect(t.events).toEqual(['pause']);
      await r.read(7);
      expect(t.events).toEqual(['pause']);
      await r.read(1);
      expect(t.events).toEqual(['pause', 'resume']);
    });

    it('a waiting read resumes a paused transport, so readexactly(n > 2 * limit) completes', async () => {
      const r = new StreamReader({ limit: 4 });
      const t = new FakeProducer();
      r.setTransport(t);
      const p = r.readexactly(20);
      r.feedData(b('0123456789'));
      expect(t.events).toEqual(['pause']);
      await flush();
      expect(t.events).toEqual(['pause', 'resume']);
      r.feedData(b('abcdefghij'));
      expect((await p).toString()).toBe('0123456789abcdefghij');
    });

    it('setTransport twice is a RuntimeError', () => {
      const r = new StreamReader();
      r.setTransport(new FakeProducer());
      expect(() => r.setTransport(new FakeProducer())).toThrow(RuntimeError);
    });
  });

  it('a rejected read nobody awaits is not an unhandled rejection', async () => {
    const seen: unknown[] = [];
    const onUnhandled = (e: unknown): void => {
      seen.push(e);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const r = new StreamReader();
      void r.readline();
      void r.read(1);
      void r.readexactly(-1);
      r.setException(new Error('lost'));
      void r.readline();
      await flush();
      await flush();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(seen).toEqual([]);
  });

  it('the limit must be a positive integer', () => {
    expect(() => new StreamReader({ limit: 0 })).toThrow(RangeError);
    expect(() => new StreamReader({ limit: 'x' as unknown as number })).toThrow(TypeError);
  });
});
