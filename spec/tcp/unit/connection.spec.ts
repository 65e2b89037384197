/**
 * Connection (src/tcp/connection.ts), the transport shared by clients and
 * servers, driven through its socket abstraction: a FakeSocket (no handle,
 * no kernel) in a FakeTCPReactor (Clock time). The lifecycle, writes and
 * closes, half-close, abort, and the exactly-once connectionLost.
 */
import { Failure } from '../../../src/defer/failure';
import { ConnectionAborted, ConnectionDone, ConnectionLost, RuntimeError } from '../../../src/errors';
import { captureLogEvents } from '../../../src/logger';
import { BufferedProtocol, Protocol } from '../../../src/protocol/protocol';
import { lingeringCount } from '../../../src/tcp/socket';
import { FakeTCPReactor } from '../harness';
import { HalfCloseRecorder, Recorder, accepted, endOfTick, nextLoopPass } from './helpers';

/** Capture log events until the returned function is called; it returns their messages. */
function logged(): () => string[] {
  const [events, stop] = captureLogEvents();
  return () => {
    stop();
    return events.map((e) => e.message);
  };
}

// Reads are budgeted per loop pass (fairness, shared by all connections):
// every test starts in a fresh pass.
beforeEach(nextLoopPass);

describe('Connection lifecycle', () => {
  it('calls connectionMade once, with the transport set, connected and in the reactor reader set (the socket reading)', () => {
    let seen: unknown = null;
    class P extends Recorder {
      override connectionMade(): void {
        super.connectionMade();
        seen = this.transport;
      }
    }
    const { reactor, socket, t, protocol } = accepted(new P());
    expect(protocol.log).toEqual(['connectionMade']);
    expect(seen).toBe(t);
    expect(t.connected).toBe(true);
    expect(t.disconnected).toBe(false);
    expect(reactor.getReaders()).toEqual([t]);
    expect(socket.reading).toBe(true);
    expect(socket.owner).toBe(t);
  });

  it('delivers received bytes to dataReceived in order, as copies the protocol may keep', () => {
    const { socket, protocol } = accepted(new Recorder());
    socket.receive('hello ');
    socket.receive('world');
    const kept = protocol.received[0];
    socket.receive('XXXXXX'); // the read buffer is reused for the next read
    expect(kept.toString()).toBe('hello ');
    expect(protocol.log).toEqual(['connectionMade', 'dataReceived hello ', 'dataReceived world', 'dataReceived XXXXXX']);
  });

  it('lends the buffer of a BufferedProtocol: getBuffer, then bufferUpdated(n) with the bytes in it', () => {
    const got: string[] = [];
    class Lender extends BufferedProtocol {
      readonly buf = Buffer.alloc(16);
      getBuffer(): Uint8Array {
        return this.buf;
      }
      bufferUpdated(n: number): void {
        got.push(this.buf.subarray(0, n).toString());
      }
    }
    const { socket } = accepted(new Lender());
    socket.receive('abc');
    socket.receive('defgh');
    expect(got).toEqual(['abc', 'defgh']);
  });

  it('reports its peer, its host, its handle and a log prefix naming the protocol', () => {
    const { socket, t } = accepted(new Recorder());
    expect(t.getPeer()).toMatchObject({ type: 'TCP', host: '10.0.0.2', port: 5555 });
    expect(t.getHost()).toMatchObject({ type: 'TCP', host: '127.0.0.1', port: 4321 });
    expect(t.getHandle()).toBe(socket);
    expect(t.logPrefix()).toBe('Recorder,7,10.0.0.2');
  });

  it('passes TCP options to the socket and reports them', () => {
    const { socket, t } = accepted(new Recorder());
    t.setTcpNoDelay(true);
    t.setTcpKeepAlive(true);
    expect([socket.noDelay, socket.keepAlive, t.getTcpNoDelay(), t.getTcpKeepAlive()]).toEqual([true, true, true, true]);
    t.setTcpNoDelay(false);
    expect([socket.noDelay, t.getTcpNoDelay()]).toEqual([false, false]);
  });
});

describe('Connection.loseConnection', () => {
  it('sends every byte written before it, then FIN, then connectionLost(ConnectionDone) once the FIN is out', async () => {
    const { reactor, socket, t, protocol } = accepted(new Recorder());
    t.write(Buffer.from('one '));
    t.write(Buffer.from('two '));
    t.loseConnection();
    expect(reactor.getReaders()).toEqual([]);
    expect(socket.reading).toBe(false);
    await endOfTick();
    expect(socket.ended).toBe(false); // not before the batch has left
    expect(protocol.reasons).toEqual([]);
    expect(socket.batches).toEqual([[Buffer.from('one '), Buffer.from('two ')]]);
    socket.drain();
    expect(socket.sent().toString()).toBe('one two ');
    expect(socket.wire[socket.wire.length - 1]).toBe('FIN');
    expect(protocol.log).toEqual(['connectionMade', 'connectionLost']);
    expect(protocol.reasons[0].value).toBeInstanceOf(ConnectionDone);
    expect(t.disconnected).toBe(true);
    expect(t.connected).toBe(false);
  });

  it('still sends what is written after it while the buffer drains (as Twisted); nothing once the FIN is requested', async () => {
    const { socket, t, protocol } = accepted(new Recorder());
    t.write(Buffer.from('a'));
    t.loseConnection();
    t.write(Buffer.from('b'));
    await endOfTick();
    t.write(Buffer.from('c')); // the buffer has not drained yet
    await endOfTick();
    socket.drain();
    expect(socket.ended).toBe(true);
    t.write(Buffer.from('d')); // FIN requested: ignored
    await endOfTick();
    expect(socket.sent().toString()).toBe('abc');
    expect(socket.wire[socket.wire.length - 1]).toBe('FIN');
    expect(protocol.reasons).toHaveLength(1);
  });

  it('sends FIN at the end of the tick when nothing is buffered', async () => {
    const { socket, t } = accepted(new Recorder());
    t.loseConnection();
    expect(socket.ended).toBe(false);
    await endOfTick();
    expect(socket.ended).toBe(true);
  });

  it('does nothing when called again, or after the connection is lost', async () => {
    const { socket, t, protocol } = accepted(new Recorder());
    t.loseConnection();
    t.loseConnection();
    await endOfTick();
    socket.drain();
    t.loseConnection();
    await endOfTick();
    expect(socket.calls.filter((c) => c === 'end')).toHaveLength(1);
    expect(protocol.log).toEqual(['connectionMade', 'connectionLost']);
  });

  it('after the close the socket lingers until the peer FIN, then closes', async () => {
    const { socket, t } = accepted(new Recorder());
    const before = lingeringCount();
    t.loseConnection();
    await endOfTick();
    socket.drain();
    expect(socket.owner).toBeNull();
    expect(socket.destroyed).toBe(false);
    expect(lingeringCount()).toBe(before + 1);
    expect(socket.reading).toBe(true); // discarding what the peer still sends
    socket.peerEnd();
    expect(socket.destroyed).toBe(true);
    expect(lingeringCount()).toBe(before);
  });

  it('neither resets nor destroys the socket while the close waits for buffered bytes', async () => {
    const { socket, t } = accepted(new Recorder());
    t.write(Buffer.alloc(10, 1));
    t.loseConnection();
    await endOfTick();
    expect(socket.destroyed).toBe(false);
    expect(socket.calls).not.toContain('resetAndDestroy');
  });
});

describe('Connection half-close', () => {
  it('loseWriteConnection sends FIN after the buffered bytes, calls writeConnectionLost once, and keeps reading', async () => {
    const { reactor, socket, t, protocol } = accepted(new HalfCloseRecorder());
    t.write(Buffer.from('req'));
    t.loseWriteConnection();
    t.loseWriteConnection();
    await endOfTick();
    socket.drain();
    expect(socket.wire).toEqual([Buffer.from('req'), 'FIN']);
    expect(protocol.log).toEqual(['connectionMade', 'writeConnectionLost']);
    expect(reactor.getReaders()).toEqual([t]);
    socket.receive('reply');
    expect(protocol.log[protocol.log.length - 1]).toBe('dataReceived reply');
    expect(t.connected).toBe(true);
  });

  it("the peer's FIN calls readConnectionLost (not connectionLost) and leaves the reader set; writing goes on", async () => {
    const { reactor, socket, t, protocol } = accepted(new HalfCloseRecorder());
    socket.peerEnd();
    expect(protocol.log).toEqual(['connectionMade', 'readConnectionLost']);
    expect(reactor.getReaders()).toEqual([]);
    t.startReading(); // the read side has ended: nothing to read any more
    t.resumeProducing();
    expect(reactor.getReaders()).toEqual([]);
    t.write(Buffer.from('late answer'));
    t.loseConnection();
    await endOfTick();
    socket.drain();
    expect(socket.wire).toEqual([Buffer.from('late answer'), 'FIN']);
    expect(protocol.log).toEqual(['connectionMade', 'readConnectionLost', 'connectionLost']);
    expect(protocol.reasons[0].value).toBeInstanceOf(ConnectionDone);
  });

  it("without readConnectionLost, the peer's FIN is connectionLost(ConnectionDone)", () => {
    const { socket, protocol } = accepted(new Recorder());
    socket.peerEnd();
    expect(protocol.log).toEqual(['connectionMade', 'connectionLost']);
    expect(protocol.reasons[0].value).toBeInstanceOf(ConnectionDone);
  });
});

describe('Connection.abortConnection', () => {
  it('resets at once, drops buffered bytes and calls connectionLost(ConnectionAborted) on the next reactor pass, once', async () => {
    const { reactor, socket, t, protocol } = accepted(new Recorder());
    t.write(Buffer.from('never sent'));
    t.abortConnection();
    t.abortConnection();
    t.loseConnection();
    t.write(Buffer.from('ignored'));
    expect(socket.wire).toEqual(['RST']);
    expect(reactor.getReaders()).toEqual([]);
    expect(protocol.reasons).toEqual([]);
    await endOfTick();
    reactor.advance(0);
    expect(protocol.log).toEqual(['connectionMade', 'connectionLost']);
    expect(protocol.reasons[0].value).toBeInstanceOf(ConnectionAborted);
    reactor.advance(1);
    expect(protocol.reasons).toHaveLength(1);
    expect(socket.wire).toEqual(['RST']);
  });

  it('overrides a pending loseConnection', async () => {
    const { reactor, socket, t, protocol } = accepted(new Recorder());
    t.write(Buffer.from('pending'));
    t.loseConnection();
    t.abortConnection();
    await endOfTick();
    reactor.advance(0);
    socket.drain();
    expect(socket.wire).toEqual(['RST']);
    expect(protocol.reasons.map((r) => r.value)).toEqual([expect.any(ConnectionAborted)]);
  });
});

describe('Connection.connectionLost', () => {
  it('a socket error ends the connection with ConnectionLost caused by it, once (the close that follows adds nothing)', () => {
    const { reactor, socket, t, protocol } = accepted(new Recorder());
    const err = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    socket.peerError(err);
    expect(protocol.log).toEqual(['connectionMade', 'connectionLost']);
    const reason = protocol.reasons[0];
    expect(reason.value).toBeInstanceOf(ConnectionLost);
    expect(reason.getErrorMessage()).toContain('ECONNRESET');
    expect((reason.value as Error).cause).toBe(err);
    expect(reactor.tracked.has(t)).toBe(false);
    expect(socket.destroyed).toBe(true);
  });

  it('a handle that closes under us is connectionLost(ConnectionDone)', () => {
    const { socket, protocol } = accepted(new Recorder());
    socket.close();
    expect(protocol.reasons.map((r) => r.value)).toEqual([expect.any(ConnectionDone)]);
  });

  it('runs once for every combination of close causes, and always with the first reason', async () => {
    const { reactor, socket, t, protocol } = accepted(new Recorder());
    const first = new Failure(new ConnectionLost('first'));
    t.connectionLost(first);
    t.connectionLost(new Failure(new ConnectionDone()));
    socket.peerError(new Error('late'));
    t.abortConnection();
    t.loseConnection();
    await endOfTick();
    reactor.advance(0);
    expect(protocol.reasons).toEqual([first]);
  });

  it('after it, writes are ignored, getHost() throws RuntimeError, getHandle() is null and the reactor forgets the transport', async () => {
    const { reactor, socket, t } = accepted(new Recorder());
    t.connectionLost(new Failure(new ConnectionDone()));
    t.write(Buffer.from('x'));
    await endOfTick();
    expect(socket.sent().length).toBe(0);
    expect(() => t.getHost()).toThrow(RuntimeError);
    expect(t.getHandle()).toBeNull();
    expect(reactor.tracked.has(t)).toBe(false);
    expect(reactor.getReaders()).toEqual([]);
  });

  it('getHost() asked while open keeps answering after the close', () => {
    const { t } = accepted(new Recorder());
    const host = t.getHost();
    t.connectionLost(new Failure(new ConnectionDone()));
    expect(t.getHost()).toBe(host);
  });
});

describe('Connection and failing protocol callbacks', () => {
  it('a dataReceived that throws is logged and ends the connection with that error, once', () => {
    const boom = new Error('boom');
    class P extends Recorder {
      override dataReceived(data: Buffer): void {
        super.dataReceived(data);
        throw boom;
      }
    }
    const log = logged();
    const { socket, protocol } = accepted(new P());
    socket.receive('x');
    const lines = log();
    expect(protocol.reasons.map((r) => r.value)).toEqual([boom]);
    expect(lines.join('\n')).toMatch(/dataReceived/);
    expect(socket.destroyed).toBe(true);
  });

  it('an async dataReceived that rejects ends the connection the same way', async () => {
    const boom = new Error('async boom');
    class P extends Recorder {
      override async dataReceived(data: Buffer): Promise<void> {
        super.dataReceived(data);
        throw boom;
      }
    }
    const log = logged();
    const { socket, protocol } = accepted(new P());
    socket.receive('x');
    expect(protocol.reasons).toEqual([]);
    await endOfTick();
    await endOfTick();
    log();
    expect(protocol.reasons.map((r) => r.value)).toEqual([boom]);
  });

  it('a connectionMade that throws ends the connection and is logged as connectionMade', () => {
    const boom = new Error('made boom');
    class P extends Recorder {
      override connectionMade(): void {
        throw boom;
      }
    }
    const log = logged();
    const { protocol, t } = accepted(new P());
    const lines = log();
    expect(protocol.reasons.map((r) => r.value)).toEqual([boom]);
    expect(t.disconnected).toBe(true);
    expect(lines.join('\n')).toMatch(/connectionMade/);
  });

  it('a connectionLost that throws is logged; nothing else happens', () => {
    class P extends Protocol {
      calls = 0;
      override connectionLost(): void {
        this.calls += 1;
        throw new Error('lost boom');
      }
    }
    const log = logged();
    const { protocol, t } = accepted(new P());
    t.connectionLost(new Failure(new ConnectionDone()));
    t.connectionLost(new Failure(new ConnectionDone()));
    expect(log().join('\n')).toMatch(/Unhandled error in connectionLost/);
    expect(protocol.calls).toBe(1);
    expect(t.disconnected).toBe(true);
  });
});

describe('Connection reading (the reactor reader set)', () => {
  it('stopReading/startReading leave and join the reactor reader set, which pauses and resumes the socket', () => {
    const { reactor, socket, t, protocol } = accepted(new Recorder());
    t.stopReading();
    expect(reactor.getReaders()).toEqual([]);
    expect(socket.reading).toBe(false);
    expect(() => socket.receive('held')).toThrow(/not reading/);
    reactor.addReader(t);
    expect(socket.reading).toBe(true);
    socket.receive('now');
    expect(protocol.log).toContain('dataReceived now');
    reactor.removeReader(t);
    expect(socket.reading).toBe(false);
    t.startReading();
    expect(reactor.getReaders()).toEqual([t]);
  });

  it('as a push producer: pauseProducing stops reading, resumeProducing reads again unless closing, stopProducing closes', async () => {
    const { reactor, socket, t, protocol } = accepted(new Recorder());
    t.pauseProducing();
    expect(socket.reading).toBe(false);
    t.resumeProducing();
    expect(socket.reading).toBe(true);
    t.stopProducing();
    t.resumeProducing();
    expect(reactor.getReaders()).toEqual([]);
    await endOfTick();
    socket.drain();
    expect(protocol.reasons.map((r) => r.value)).toEqual([expect.any(ConnectionDone)]);
  });

  it('a connection that shares a loop pass with another reads once, then waits for the next pass (fairness)', async () => {
    const reactor = new FakeTCPReactor();
    const a = accepted(new Recorder(), reactor);
    const b = accepted(new Recorder(), reactor);
    a.socket.receive('a1');
    b.socket.receive('b1');
    expect(b.socket.reading).toBe(false); // budget spent for this pass
    expect(reactor.getReaders()).toContain(b.t); // fairness, not backpressure
    await nextLoopPass();
    expect(a.socket.reading).toBe(true);
    expect(b.socket.reading).toBe(true);
  });
});
