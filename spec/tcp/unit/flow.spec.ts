/**
 * Write flow control (src/tcp/flow.ts) through a transport on a
 * FakeSocket: asyncio's watermarks (pauseWriting strictly over high,
 * resumeWriting at low or below), Twisted's producers (push and pull,
 * registration, pause/resume, stop on connectionLost), and how a producer
 * holds a pending close.
 */
import { Failure } from '../../../src/defer/failure';
import { ConnectionDone, ConnectionLost, RuntimeError } from '../../../src/errors';
import type { IPullProducer, IPushProducer } from '../../../src/interfaces/producer';
import { captureLogEvents } from '../../../src/logger';
import { FakeTCPReactor } from '../harness';
import { Recorder, accepted, endOfTick, nextLoopPass } from './helpers';

beforeEach(nextLoopPass);

class WatermarkRecorder extends Recorder {
  pauseWriting(): void {
    this.log.push('pauseWriting');
  }
  resumeWriting(): void {
    this.log.push('resumeWriting');
  }
}

/** A push producer that records the calls it gets. */
function pushProducer(log: string[]): IPushProducer {
  return {
    pauseProducing: () => void log.push('pauseProducing'),
    resumeProducing: () => void log.push('resumeProducing'),
    stopProducing: () => void log.push('stopProducing'),
  };
}

function bytes(n: number): Buffer {
  return Buffer.alloc(n, 0x61);
}

describe('write buffer limits', () => {
  it("default to asyncio's 64 KiB high and a quarter of it low", () => {
    const { t } = accepted(new Recorder());
    expect(t.getWriteBufferLimits()).toEqual([65536, 16384]);
  });

  it('derive the missing limit: low = high / 4, high = 4 × low', () => {
    const { t } = accepted(new Recorder());
    t.setWriteBufferLimits(1000);
    expect(t.getWriteBufferLimits()).toEqual([1000, 250]);
    t.setWriteBufferLimits(undefined, 100);
    expect(t.getWriteBufferLimits()).toEqual([400, 100]);
    t.setWriteBufferLimits(50, 50);
    expect(t.getWriteBufferLimits()).toEqual([50, 50]);
  });

  it('refuse low > high, negative and non-integer limits with coded errors, keeping the old limits', () => {
    const { t } = accepted(new Recorder());
    t.setWriteBufferLimits(100, 10);
    expect(() => t.setWriteBufferLimits(10, 20)).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => t.setWriteBufferLimits(-1)).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/high/) }),
    );
    expect(() => t.setWriteBufferLimits(10.5)).toThrow(RangeError);
    expect(() => t.setWriteBufferLimits('10' as unknown as number)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => t.setWriteBufferLimits(undefined, -2)).toThrow(/low/);
    expect(t.getWriteBufferLimits()).toEqual([100, 10]);
  });
});

describe('pauseWriting / resumeWriting', () => {
  it('pauses only when the buffer goes strictly over high, once, and resumes once it has drained', async () => {
    const { socket, t, protocol } = accepted(new WatermarkRecorder());
    t.setWriteBufferLimits(10, 4);
    t.write(bytes(10));
    expect(protocol.log).toEqual(['connectionMade']); // at high: not over it
    t.write(bytes(1));
    t.write(bytes(5));
    expect(protocol.log).toEqual(['connectionMade', 'pauseWriting']);
    await endOfTick();
    expect(protocol.log).toEqual(['connectionMade', 'pauseWriting']);
    socket.drain();
    expect(protocol.log).toEqual(['connectionMade', 'pauseWriting', 'resumeWriting']);
    t.write(bytes(11));
    expect(protocol.log).toEqual(['connectionMade', 'pauseWriting', 'resumeWriting', 'pauseWriting']);
  });

  it('does not resume while the buffer is still above low', async () => {
    const { socket, t, protocol } = accepted(new WatermarkRecorder());
    t.setWriteBufferLimits(10, 4);
    t.write(bytes(11));
    await endOfTick();
    t.write(bytes(6));
    await endOfTick();
    socket.drain(2); // the first batch and its drain marker: 6 bytes are left
    expect(t.getWriteBufferSize()).toBe(6);
    expect(protocol.log).toEqual(['connectionMade', 'pauseWriting']);
    socket.drain();
    expect(protocol.log).toEqual(['connectionMade', 'pauseWriting', 'resumeWriting']);
  });

  it('pauses at once when new limits put the buffer over high', () => {
    const { t, protocol } = accepted(new WatermarkRecorder());
    t.write(bytes(100));
    expect(protocol.log).toEqual(['connectionMade']);
    t.setWriteBufferLimits(50);
    expect(protocol.log).toEqual(['connectionMade', 'pauseWriting']);
  });

  it('a pauseWriting that throws ends the connection with that error', () => {
    const boom = new Error('pause boom');
    class P extends Recorder {
      pauseWriting(): void {
        throw boom;
      }
    }
    const [, stop] = captureLogEvents();
    const { t, protocol } = accepted(new P());
    t.setWriteBufferLimits(1);
    t.write(bytes(2));
    stop();
    expect(protocol.reasons.map((r) => r.value)).toEqual([boom]);
  });
});

describe('streaming (push) producers', () => {
  it('are paused over high and resumed once drained, never resumed when not paused', async () => {
    const calls: string[] = [];
    const { socket, t } = accepted(new Recorder());
    t.setWriteBufferLimits(10);
    t.registerProducer(pushProducer(calls), true);
    expect(t.producer).not.toBeNull();
    t.write(bytes(5));
    await endOfTick();
    socket.drain();
    expect(calls).toEqual([]);
    t.write(bytes(11));
    expect(calls).toEqual(['pauseProducing']);
    t.write(bytes(1));
    await endOfTick();
    socket.drain();
    expect(calls).toEqual(['pauseProducing', 'resumeProducing']);
  });

  it('a second registration throws RuntimeError until the first producer is unregistered', () => {
    const { t } = accepted(new Recorder());
    const first = pushProducer([]);
    t.registerProducer(first, true);
    expect(() => t.registerProducer(pushProducer([]), true)).toThrow(RuntimeError);
    expect(t.producer).toBe(first);
    t.unregisterProducer();
    expect(t.producer).toBeNull();
    const second = pushProducer([]);
    t.registerProducer(second, true);
    expect(t.producer).toBe(second);
  });

  it('are stopped and unregistered when the connection is lost', () => {
    const calls: string[] = [];
    const { t } = accepted(new Recorder());
    t.registerProducer(pushProducer(calls), true);
    t.connectionLost(new Failure(new ConnectionDone()));
    expect(calls).toEqual(['stopProducing']);
    expect(t.producer).toBeNull();
  });

  it('registered on a disconnected transport are stopped at once, not registered', () => {
    const calls: string[] = [];
    const { t } = accepted(new Recorder());
    t.connectionLost(new Failure(new ConnectionDone()));
    t.registerProducer(pushProducer(calls), true);
    expect(calls).toEqual(['stopProducing']);
    expect(t.producer).toBeNull();
  });

  it('an unpaused one does not hold loseConnection: FIN, then it is stopped', async () => {
    const calls: string[] = [];
    const { socket, t } = accepted(new Recorder());
    t.registerProducer(pushProducer(calls), true);
    t.write(bytes(3));
    t.loseConnection();
    await endOfTick();
    socket.drain();
    expect(socket.wire[socket.wire.length - 1]).toBe('FIN');
    expect(calls).toEqual(['stopProducing']);
  });

  it('a paused one holds loseConnection until the drain resumes it; the close then proceeds after what it writes', async () => {
    const calls: string[] = [];
    const { socket, t, protocol } = accepted(new Recorder());
    t.setWriteBufferLimits(10);
    const producer: IPushProducer = {
      pauseProducing: () => void calls.push('pauseProducing'),
      resumeProducing: () => {
        calls.push('resumeProducing');
        t.write(Buffer.from('tail'));
      },
      stopProducing: () => void calls.push('stopProducing'),
    };
    t.registerProducer(producer, true);
    t.write(bytes(11));
    t.loseConnection();
    await endOfTick();
    expect(socket.ended).toBe(false);
    socket.drain();
    expect(calls).toEqual(['pauseProducing', 'resumeProducing']);
    await endOfTick();
    socket.drain();
    expect(socket.sent().toString()).toBe(`${'a'.repeat(11)}tail`);
    expect(socket.wire[socket.wire.length - 1]).toBe('FIN');
    expect(protocol.reasons.map((r) => r.value)).toEqual([expect.any(ConnectionDone)]);
  });
});

describe('pull producers', () => {
  it('are asked for data at registration, and again each time what they wrote has drained', async () => {
    const { socket, t } = accepted(new Recorder());
    let asked = 0;
    const producer: IPullProducer = {
      resumeProducing: () => {
        asked += 1;
        if (asked <= 3) t.write(Buffer.from(`chunk${asked} `));
      },
      stopProducing: () => {},
    };
    t.registerProducer(producer, false);
    expect(asked).toBe(1);
    for (let i = 0; i < 3; i++) {
      await endOfTick();
      socket.drain();
    }
    expect(asked).toBe(4);
    expect(socket.sent().toString()).toBe('chunk1 chunk2 chunk3 ');
    await endOfTick();
    socket.drain();
    expect(asked).toBe(4); // it wrote nothing the last time: no drain to wait for
  });

  it('hold loseConnection until unregistered', async () => {
    const { socket, t, protocol } = accepted(new Recorder());
    t.registerProducer({ resumeProducing: () => {}, stopProducing: () => {} }, false);
    t.write(bytes(4));
    t.loseConnection();
    await endOfTick();
    socket.drain();
    expect(socket.ended).toBe(false);
    expect(protocol.reasons).toEqual([]);
    t.unregisterProducer();
    await endOfTick();
    socket.drain();
    expect(socket.wire[socket.wire.length - 1]).toBe('FIN');
    expect(protocol.reasons.map((r) => r.value)).toEqual([expect.any(ConnectionDone)]);
  });

  it('hold loseWriteConnection the same way', async () => {
    const { socket, t } = accepted(new Recorder());
    t.registerProducer({ resumeProducing: () => {}, stopProducing: () => {} }, false);
    t.loseWriteConnection();
    await endOfTick();
    expect(socket.ended).toBe(false);
    t.unregisterProducer();
    await endOfTick();
    expect(socket.ended).toBe(true);
  });

  it('whose resumeProducing rejects end the connection with that error', async () => {
    const boom = new Error('pull boom');
    const [, stop] = captureLogEvents();
    const { t, protocol } = accepted(new Recorder());
    t.registerProducer({ resumeProducing: () => Promise.reject(boom), stopProducing: () => {} } as IPullProducer, false);
    await endOfTick();
    await endOfTick();
    stop();
    expect(protocol.reasons.map((r) => r.value)).toEqual([boom]);
  });
});

describe('a transport registered as the producer of another', () => {
  it('is unregistered from it when its own connection is lost, so the consumer pending close proceeds', async () => {
    const reactor = new FakeTCPReactor();
    const consumer = accepted(new Recorder(), reactor);
    const source = accepted(new Recorder(), reactor);
    consumer.t.setWriteBufferLimits(10);
    consumer.t.registerProducer(source.t, true);
    consumer.t.write(bytes(11)); // over high: the source stops reading
    expect(source.socket.reading).toBe(false);
    expect(reactor.getReaders()).not.toContain(source.t);
    consumer.t.loseConnection();
    await endOfTick();
    expect(consumer.socket.ended).toBe(false); // held by the paused producer
    source.socket.peerError(new Error('read ECONNRESET'));
    expect(source.protocol.reasons.map((r) => r.value)).toEqual([expect.any(ConnectionLost)]);
    expect(consumer.t.producer).toBeNull();
    await endOfTick();
    consumer.socket.drain();
    expect(consumer.socket.wire[consumer.socket.wire.length - 1]).toBe('FIN');
    expect(consumer.protocol.reasons.map((r) => r.value)).toEqual([expect.any(ConnectionDone)]);
  });

  it('is paused and resumed through the reactor reader set', async () => {
    const reactor = new FakeTCPReactor();
    const consumer = accepted(new Recorder(), reactor);
    const source = accepted(new Recorder(), reactor);
    consumer.t.setWriteBufferLimits(10);
    consumer.t.registerProducer(source.t, true);
    consumer.t.write(bytes(11));
    expect(reactor.getReaders()).toEqual([consumer.t]);
    await endOfTick();
    consumer.socket.drain();
    expect(reactor.getReaders()).toEqual([consumer.t, source.t]);
    expect(source.socket.reading).toBe(true);
  });
});
