import type { Deferred } from '../../src/defer/deferred';
import { Failure } from '../../src/defer/failure';
import { ConnectionDone, ConnectionLost } from '../../src/errors';
import type { IProtocol } from '../../src/interfaces/protocol';
import { Protocol } from '../../src/protocol/protocol';
import { Clock } from '../../src/task/clock';
import { LoopbackQueue, collapsingPumpPolicy, identityPumpPolicy, loopbackAsync } from '../../src/testing/loopback';
import { Recorder } from './recorder';

/** A tiny CRLF line protocol (the spec must not depend on the framing module). */
class Lines extends Recorder {
  lines: string[] = [];
  #buf = '';
  override dataReceived(data: Buffer): void {
    super.dataReceived(data);
    this.#buf += data.toString('latin1');
    let i: number;
    while ((i = this.#buf.indexOf('\r\n')) >= 0 && this.connected && !this.transport!.disconnecting) {
      const line = this.#buf.slice(0, i);
      this.#buf = this.#buf.slice(i + 2);
      this.lineReceived(line);
    }
  }
  lineReceived(line: string): void {
    this.lines.push(line);
  }
  sendLine(line: string): void {
    this.transport!.write(Buffer.from(line + '\r\n', 'latin1'));
  }
}

/** Answers each line with "Hello n" until it has seen "Hello 3", then closes. */
class Doom extends Lines {
  #i = 0;
  override lineReceived(line: string): void {
    this.#i += 1;
    if (this.#i < 4) this.sendLine(`Hello ${this.#i}`);
    super.lineReceived(line);
    if (line === 'Hello 3') this.transport!.loseConnection();
  }
}

describe('loopbackAsync', () => {
  it('delivers a line the server sends before closing; each side is told exactly once', async () => {
    const s = new Lines();
    const c = new Lines();
    s.onMade = () => {
      s.sendLine('THIS IS LINE ONE!');
      s.transport!.loseConnection();
    };
    await loopbackAsync(s, c);
    expect(c.lines).toEqual(['THIS IS LINE ONE!']);
    expect(s.reasons).toHaveLength(1);
    expect(c.reasons).toHaveLength(1);
    expect(s.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
    expect(c.reasons[0]!.value).toBeInstanceOf(ConnectionDone);
  });

  it('runs a back-and-forth exchange until one side closes (Twisted\'s "sneaky hidden doom")', async () => {
    const s = new Doom();
    const c = new Doom();
    s.onMade = () => s.sendLine('DOOM LINE');
    await loopbackAsync(s, c);
    expect(s.lines).toEqual(['Hello 1', 'Hello 2', 'Hello 3']);
    expect(c.lines).toEqual(['DOOM LINE', 'Hello 1', 'Hello 2', 'Hello 3']);
    expect(s.reasons).toHaveLength(1);
    expect(c.reasons).toHaveLength(1);
  });

  it('calls makeConnection on both protocols at once', () => {
    const server = new Recorder();
    const client = new Recorder();
    void loopbackAsync(server, client);
    expect(server.transport).not.toBeNull();
    expect(client.transport).not.toBeNull();
    server.transport!.loseConnection();
  });

  it('gives both sides transports whose getHost/getPeer return addresses, mirrored', async () => {
    const server = new Recorder();
    const client = new Recorder();
    const d = loopbackAsync(server, client);
    expect(typeof server.transport!.getHost().type).toBe('string');
    expect(server.transport!.getHost()).toEqual(client.transport!.getPeer());
    expect(server.transport!.getPeer()).toEqual(client.transport!.getHost());
    client.transport!.loseConnection();
    await d;
  });

  for (const write of ['write', 'writeSequence'] as const) {
    for (const greeter of ['client', 'server'] as const) {
      it(`the ${greeter}'s greeting sent with ${write} reaches the other side`, async () => {
        const greet = (self: Recorder) => {
          if (write === 'write') self.transport!.write(Buffer.from('bytes'));
          else self.transport!.writeSequence([Buffer.from('byt'), Buffer.from('es')]);
        };
        const greetee = new Recorder();
        greetee.onData = (_d, self) => {
          if (self.received().toString() === 'bytes') self.transport!.loseConnection();
        };
        const greeterP = new Recorder();
        greeterP.onMade = greet;
        await (greeter === 'server' ? loopbackAsync(greeterP, greetee) : loopbackAsync(greetee, greeterP));
        expect(greetee.received().toString()).toBe('bytes');
      });
    }
  }

  it('write(string) on a loopback transport throws a TypeError that says to encode it', () => {
    const server = new Recorder();
    void loopbackAsync(server, new Recorder());
    expect(() => server.transport!.write('x' as unknown as Buffer)).toThrow(/encode/);
    server.transport!.loseConnection();
  });

  it('works with a push producer, never resuming it', async () => {
    const toProduce = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
    const producer = {
      resumed: false,
      resumeProducing() {
        this.resumed = true;
      },
      pauseProducing() {},
      stopProducing() {},
    };
    const server = new Recorder();
    server.onMade = (self) => {
      const t = self.transport!;
      t.registerProducer(producer, true);
      const left = [...toProduce];
      const step = (): void => {
        if (left.length > 0) {
          t.write(Buffer.from(left.shift()!));
          setImmediate(step);
        } else {
          t.unregisterProducer();
        }
      };
      step();
    };
    const client = new Recorder();
    client.onData = (_d, self) => {
      if (self.received().toString() === toProduce.join('')) self.transport!.loseConnection();
    };
    await loopbackAsync(server, client);
    expect(client.received().toString()).toBe('0123456789');
    expect(producer.resumed).toBe(false);
  });

  it('works with a pull producer, asking it for more as the queue empties', async () => {
    const left = ['0', '1', '2', '3', '4'];
    const server = new Recorder();
    server.onMade = (self) => {
      const t = self.transport!;
      t.registerProducer(
        {
          resumeProducing() {
            t.write(Buffer.from(left.shift()!));
            if (left.length === 0) t.unregisterProducer();
          },
          stopProducing() {},
        },
        false,
      );
    };
    const client = new Recorder();
    client.onData = (_d, self) => {
      if (self.received().toString() === '01234') self.transport!.loseConnection();
    };
    await loopbackAsync(server, client);
    expect(client.received().toString()).toBe('01234');
  });

  it('never calls dataReceived while the writer is inside write()', async () => {
    const server = new Recorder();
    server.onData = (_d, self) => self.transport!.write(Buffer.from('bytes'));
    let ready = false;
    let wasReady: boolean | null = null;
    const client = new Recorder();
    client.onMade = (self) => {
      setImmediate(() => {
        self.transport!.write(Buffer.from('foo'));
        ready = true;
      });
    };
    client.onData = (_d, self) => {
      wasReady = ready;
      self.transport!.loseConnection();
    };
    await loopbackAsync(client, server);
    expect(wasReady).toBe(true);
  });

  it("hands each side's queue and the other protocol to the pump policy, client first", async () => {
    const pumpCalls: [IProtocol, (string | null)[]][] = [];
    const dummyPolicy = (queue: LoopbackQueue, target: IProtocol) => {
      const items: (string | null)[] = [];
      while (queue.length > 0) {
        const item = queue.get();
        items.push(item === null ? null : item.toString());
      }
      pumpCalls.push([target, items]);
    };
    const client = new Protocol();
    const server = new Protocol();
    const finished = loopbackAsync(server, client, dummyPolicy);
    expect(pumpCalls).toEqual([]);
    client.transport!.write(Buffer.from('foo'));
    client.transport!.write(Buffer.from('bar'));
    server.transport!.write(Buffer.from('baz'));
    server.transport!.write(Buffer.from('quux'));
    server.transport!.loseConnection();
    await finished;
    expect(pumpCalls).toEqual([
      [client, ['baz', 'quux', null]],
      [server, ['foo', 'bar']],
    ]);
  });

  it('with a Clock, waits for clock.advance(0) between rounds instead of the event loop', () => {
    const clock = new Clock();
    const server = new Recorder();
    const client = new Recorder();
    const d = loopbackAsync(server, client, { clock });
    client.transport!.write(Buffer.from('hi'));
    expect(server.chunks).toEqual([]);
    clock.advance(0);
    expect(server.received().toString()).toBe('hi');
    server.transport!.loseConnection();
    expect(d.called).toBe(false);
    clock.advance(0);
    expect(d.called).toBe(true);
    expect(client.reasons).toHaveLength(1);
  });
});

describe('pump policies', () => {
  function filledQueue(): LoopbackQueue {
    const q = new LoopbackQueue();
    q.put(Buffer.from('foo'));
    q.put(Buffer.from('bar'));
    q.put(null);
    return q;
  }

  it('identityPumpPolicy calls dataReceived once per queued chunk, stopping at the close marker', () => {
    const got: string[] = [];
    const target = new Protocol();
    target.dataReceived = (d: Buffer) => void got.push(d.toString());
    identityPumpPolicy(filledQueue(), target);
    expect(got).toEqual(['foo', 'bar']);
  });

  it('collapsingPumpPolicy calls dataReceived once with everything joined', () => {
    const got: string[] = [];
    const target = new Protocol();
    target.dataReceived = (d: Buffer) => void got.push(d.toString());
    collapsingPumpPolicy(filledQueue(), target);
    expect(got).toEqual(['foobar']);
  });

  it('LoopbackQueue.get on an empty queue is a RangeError', () => {
    expect(() => new LoopbackQueue().get()).toThrow(RangeError);
  });
});

describe('loopbackAsync and failing protocol callbacks (the guard)', () => {
  /** The Deferred's outcome, as a promise that never rejects. */
  const outcome = (d: Deferred<void>): Promise<Failure | 'ok'> =>
    new Promise((resolve) => {
      d.addCallbacks(
        () => resolve('ok'),
        (f: Failure) => resolve(f),
      );
    });

  it('a dataReceived that throws fails the Deferred with that error; both sides get connectionLost once', async () => {
    const boom = new Error('boom in dataReceived');
    const server = new Recorder();
    server.onData = () => {
      throw boom;
    };
    const client = new Recorder();
    const d = loopbackAsync(server, client);
    client.transport!.write(Buffer.from('hi'));
    const result = await outcome(d);
    expect(result).toBeInstanceOf(Failure);
    expect((result as Failure).value).toBe(boom);
    expect(server.reasons.map((r) => r.value)).toEqual([boom]);
    expect(client.reasons).toHaveLength(1);
    expect(client.reasons[0].value).toBeInstanceOf(ConnectionLost);
    expect([server.connected, client.transport!.disconnecting]).toEqual([false, true]);
  });

  it('an async dataReceived that rejects fails the Deferred the same way (no unhandled rejection)', async () => {
    const boom = new Error('async boom');
    class AsyncFail extends Recorder {
      override async dataReceived(data: Buffer): Promise<void> {
        super.dataReceived(data);
        throw boom;
      }
    }
    const server = new AsyncFail();
    const client = new Recorder();
    const d = loopbackAsync(server, client, collapsingPumpPolicy);
    client.transport!.write(Buffer.from('hi'));
    const result = await outcome(d);
    expect((result as Failure).value).toBe(boom);
    expect(server.reasons.map((r) => r.value)).toEqual([boom]);
    expect(client.reasons).toHaveLength(1);
  });

  it('a connectionMade that throws fails the Deferred, and the loop does not run', async () => {
    const boom = new Error('made boom');
    const server = new Recorder();
    server.onMade = () => {
      throw boom;
    };
    const client = new Recorder();
    const d = loopbackAsync(server, client);
    const result = await outcome(d);
    expect((result as Failure).value).toBe(boom);
    expect(server.reasons.map((r) => r.value)).toEqual([boom]);
    expect(client.events).toEqual([]);
  });

  it('an async connectionMade that rejects fails the Deferred', async () => {
    const boom = new Error('async made boom');
    class AsyncMade extends Recorder {
      override async connectionMade(): Promise<void> {
        super.connectionMade();
        throw boom;
      }
    }
    const server = new Recorder();
    const client = new AsyncMade();
    const d = loopbackAsync(server, client);
    const result = await outcome(d);
    expect((result as Failure).value).toBe(boom);
    expect(client.reasons.map((r) => r.value)).toEqual([boom]);
    expect(server.reasons).toHaveLength(1);
  });

  it('a custom pump policy that throws fails the Deferred', async () => {
    const boom = new Error('policy boom');
    const server = new Recorder();
    const client = new Recorder();
    const d = loopbackAsync(server, client, () => {
      throw boom;
    });
    client.transport!.write(Buffer.from('x'));
    const result = await outcome(d);
    expect((result as Failure).value).toBe(boom);
  });

  it('a pull producer whose resumeProducing throws during the pump fails the Deferred', async () => {
    const boom = new Error('producer boom');
    const server = new Recorder();
    const client = new Recorder();
    const d = loopbackAsync(server, client);
    let asked = 0;
    server.transport!.registerProducer(
      {
        resumeProducing: () => {
          asked += 1;
          if (asked === 1) server.transport!.write(Buffer.from('first'));
          else throw boom;
        },
        stopProducing: () => {},
      },
      false,
    );
    const result = await outcome(d);
    expect((result as Failure).value).toBe(boom);
    expect(client.received().toString()).toBe('first');
  });

  it('a connectionLost that throws at the end fails the Deferred; the other side is still told', async () => {
    const boom = new Error('lost boom');
    class LostFail extends Recorder {
      override connectionLost(reason: Failure): void {
        super.connectionLost(reason);
        throw boom;
      }
    }
    const server = new LostFail();
    const client = new Recorder();
    const d = loopbackAsync(server, client);
    server.transport!.loseConnection();
    const result = await outcome(d);
    expect((result as Failure).value).toBe(boom);
    expect(client.reasons.map((r) => r.value)).toEqual([expect.any(ConnectionDone)]);
  });

  it('with a Clock, a failure in a later round fails the Deferred on that advance(0)', () => {
    const clock = new Clock();
    const boom = new Error('clock boom');
    const server = new Recorder();
    server.onData = () => {
      throw boom;
    };
    const client = new Recorder();
    const d = loopbackAsync(server, client, { clock });
    client.transport!.write(Buffer.from('hi'));
    expect(d.called).toBe(false);
    clock.advance(0);
    let failure: Failure | null = null;
    d.addErrback((f: Failure) => {
      failure = f;
    });
    expect(d.called).toBe(true);
    expect((failure as Failure | null)?.value).toBe(boom);
  });
});
