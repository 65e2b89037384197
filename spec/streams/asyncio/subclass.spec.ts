/**
 * What a StreamReader subclass (telnetlib3's TelnetReader) relies on: the
 * protected buffer, waitForData, wakeup, and the backpressure hooks.
 */
import { TimeoutError } from '../../../src/defer/errors';
import { RuntimeError } from '../../../src/errors';
import type { IPushProducer } from '../../../src/interfaces/producer';
import { type ReadOptions, StreamReader } from '../../../src/streams/asyncio';
import { Clock } from '../../../src/task/clock';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Reads lines ending in "\r\n", "\r\0" or "\n" (a telnet-style readline over the protected API). */
class CrReader extends StreamReader {
  /** Bytes fed through the overridden feedData. */
  fed = 0;

  override feedData(data: Buffer): void {
    this.fed += data.length;
    super.feedData(data);
  }

  async readTelnetLine(opts?: ReadOptions): Promise<string> {
    for (;;) {
      const cr = this.buffer.indexOf(0x0d);
      const lf = this.buffer.indexOf(0x0a);
      if (cr >= 0 && cr + 1 < this.buffer.length) {
        const next = this.buffer.byteAt(cr + 1);
        if (lf < 0 || cr < lf) {
          const line = this.buffer.take(cr).toString('latin1');
          this.buffer.discard(next === 0x0a || next === 0x00 ? 2 : 1);
          this.maybeResumeTransport();
          return line;
        }
      }
      if (lf >= 0 && (cr < 0 || lf < cr)) {
        const line = this.buffer.take(lf).toString('latin1');
        this.buffer.discard(1);
        this.maybeResumeTransport();
        return line;
      }
      if (this.eof) return this.buffer.takeAll().toString('latin1');
      await this.waitForData('readTelnetLine', opts);
    }
  }

  /** Push bytes straight into the buffer, as a subclass's own feed path would. */
  inject(data: Buffer): void {
    this.buffer.push(data);
    this.wakeup();
    this.maybePauseTransport();
  }

  get isWaiting(): boolean {
    return this.waiting;
  }
}

describe('StreamReader subclasses', () => {
  it('read the protected buffer, wait with waitForData, and are woken by feedData', async () => {
    const r = new CrReader();
    const p = r.readTelnetLine();
    expect(r.isWaiting).toBe(true);
    r.feedData(b('hel'));
    r.feedData(b('lo\r'));
    r.feedData(b('\0world\r\nlast\n'));
    expect(await p).toBe('hello');
    expect(await r.readTelnetLine()).toBe('world');
    expect(await r.readTelnetLine()).toBe('last');
    expect(r.fed).toBe(19);
    // The base class's reads see the same buffer.
    r.feedData(b('tail'));
    r.feedEof();
    expect((await r.read()).toString()).toBe('tail');
  });

  it('a custom feed path that calls wakeup() wakes the waiting read', async () => {
    const r = new CrReader();
    const p = r.readTelnetLine();
    r.inject(b('x\n'));
    expect(await p).toBe('x');
  });

  it('waitForData keeps the one-read rule and the read options for subclass reads', async () => {
    const clock = new Clock();
    const r = new CrReader({ reactor: clock });
    const first = r.readTelnetLine({ timeout: 1 });
    await expect(r.readline()).rejects.toBeInstanceOf(RuntimeError);
    clock.advance(1);
    await expect(first).rejects.toBeInstanceOf(TimeoutError);
    r.feedData(b('ok\n'));
    expect(await r.readTelnetLine()).toBe('ok');
  });

  it('maybePauseTransport / maybeResumeTransport drive the transport for custom feeds and reads', async () => {
    const events: string[] = [];
    const t: IPushProducer = {
      pauseProducing: () => events.push('pause'),
      resumeProducing: () => events.push('resume'),
      stopProducing: () => events.push('stop'),
    };
    const r = new CrReader({ limit: 2 });
    r.setTransport(t);
    r.inject(b('ab\ncd\n'));
    expect(events).toEqual(['pause']);
    expect(await r.readTelnetLine()).toBe('ab');
    expect(events).toEqual(['pause']); // 3 bytes left: still above the limit
    expect(await r.readTelnetLine()).toBe('cd');
    expect(events).toEqual(['pause', 'resume']);
  });
});
