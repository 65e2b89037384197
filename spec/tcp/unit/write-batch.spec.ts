/**
 * Per-tick write batching (src/tcp/write-batch.ts): the flush queue on its
 * own, and through a transport on a FakeSocket (several writes of one tick
 * leave as one writev, in order).
 */
import { scheduleFlush } from '../../../src/tcp/write-batch';
import { FakeTCPReactor } from '../harness';
import { Recorder, accepted, endOfTick } from './helpers';

describe('scheduleFlush', () => {
  it('flushes nothing synchronously, then every queued transport once at the end of the tick, in queue order', async () => {
    const order: string[] = [];
    const a = { _flush: () => order.push('a') };
    const b = { _flush: () => order.push('b') };
    scheduleFlush(a);
    scheduleFlush(b);
    expect(order).toEqual([]);
    await endOfTick();
    expect(order).toEqual(['a', 'b']);
    await endOfTick();
    expect(order).toEqual(['a', 'b']);
  });

  it('uses one microtask for every transport of the tick: they flush back to back', async () => {
    const order: string[] = [];
    scheduleFlush({ _flush: () => order.push('a') });
    queueMicrotask(() => order.push('other microtask'));
    scheduleFlush({ _flush: () => order.push('b') });
    await endOfTick();
    expect(order).toEqual(['a', 'b', 'other microtask']);
  });

  it('flushes in the same pass a transport queued by another flush', async () => {
    const order: string[] = [];
    const late = { _flush: () => order.push('late') };
    scheduleFlush({
      _flush: () => {
        order.push('first');
        scheduleFlush(late);
      },
    });
    await endOfTick();
    expect(order).toEqual(['first', 'late']);
  });

  it('schedules a new flush in the next tick', async () => {
    const order: string[] = [];
    scheduleFlush({ _flush: () => order.push('tick 1') });
    await endOfTick();
    scheduleFlush({ _flush: () => order.push('tick 2') });
    expect(order).toEqual(['tick 1']);
    await endOfTick();
    expect(order).toEqual(['tick 1', 'tick 2']);
  });
});

describe('a transport batches its writes per tick', () => {
  it('gathers every write of one tick, Buffers and Uint8Arrays alike, into one writev, in order', async () => {
    const { socket, t } = accepted(new Recorder());
    t.write(Buffer.from('GET '));
    t.write(new Uint8Array([47, 32])); // '/ '
    t.writeSequence([Buffer.from('HTTP/1.0'), new Uint8Array([13, 10])]);
    expect(socket.batches).toEqual([]); // nothing leaves before the end of the tick
    expect(t.getWriteBufferSize()).toBe(16);
    await endOfTick();
    expect(socket.batches).toHaveLength(1);
    expect(Buffer.concat(socket.batches[0]).toString()).toBe('GET / HTTP/1.0\r\n');
    socket.drain();
    expect(socket.sent().toString()).toBe('GET / HTTP/1.0\r\n');
    expect(t.getWriteBufferSize()).toBe(0);
  });

  it('ignores empty writes: no chunk, and no batch when nothing else was written', async () => {
    const { socket, t } = accepted(new Recorder());
    t.write(Buffer.alloc(0));
    t.write(new Uint8Array(0));
    await endOfTick();
    expect(socket.batches).toEqual([]);
    expect(socket.calls).not.toContain('cork');
    t.write(Buffer.from('a'));
    t.write(Buffer.alloc(0));
    t.write(Buffer.from('b'));
    await endOfTick();
    expect(socket.batches).toEqual([[Buffer.from('a'), Buffer.from('b')]]);
  });

  it('corks once per tick, and sends the writes of the next tick as the next batch', async () => {
    const { socket, t } = accepted(new Recorder());
    t.write(Buffer.from('1'));
    t.write(Buffer.from('2'));
    await endOfTick();
    t.write(Buffer.from('3'));
    await endOfTick();
    expect(socket.batches).toEqual([[Buffer.from('1'), Buffer.from('2')], [Buffer.from('3')]]);
    expect(socket.calls.filter((c) => c === 'cork')).toHaveLength(2);
    socket.drain();
    expect(socket.sent().toString()).toBe('123');
  });

  it('keeps each transport its own batch when several write in one tick', async () => {
    const reactor = new FakeTCPReactor();
    const a = accepted(new Recorder(), reactor);
    const b = accepted(new Recorder(), reactor);
    a.t.write(Buffer.from('a1'));
    b.t.write(Buffer.from('b1'));
    a.t.write(Buffer.from('a2'));
    await endOfTick();
    expect(a.socket.batches).toEqual([[Buffer.from('a1'), Buffer.from('a2')]]);
    expect(b.socket.batches).toEqual([[Buffer.from('b1')]]);
  });

  it('sends the writes a protocol makes in dataReceived with the rest of the tick', async () => {
    class Echo extends Recorder {
      override dataReceived(data: Buffer): void {
        this.transport?.write(data);
        this.transport?.write(Buffer.from('!'));
      }
    }
    const { socket } = accepted(new Echo());
    socket.receive('hi');
    await endOfTick();
    expect(socket.batches).toEqual([[Buffer.from('hi'), Buffer.from('!')]]);
  });

  it('refuses a string with a TypeError (ERR_INVALID_ARG_TYPE) naming the argument', () => {
    const { t } = accepted(new Recorder());
    expect(() => t.write('text' as unknown as Buffer)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/data/) }),
    );
    expect(() => t.writeSequence([Buffer.from('ok'), 'no' as unknown as Buffer])).toThrow(/data\[1\]/);
    expect(() => t.writeSequence('no' as unknown as Buffer[])).toThrow(TypeError);
  });

  it('writes nothing of a writeSequence that has a bad element', async () => {
    const { socket, t } = accepted(new Recorder());
    expect(() => t.writeSequence([Buffer.from('ok'), 5 as unknown as Buffer])).toThrow(TypeError);
    await endOfTick();
    expect(socket.batches).toEqual([]);
  });
});
