import {
  ConnectionError,
  ConnectionLost,
  ConnectionRefusedError,
  IncompleteReadError,
  LimitOverrunError,
  RuntimeError,
  UnicodeDecodeError,
  UnicodeEncodeError,
} from 'torsion/error';
import { Failure } from 'torsion/failure';
import type { LogEvent } from 'torsion/logger';
import { OneClientReadLoopServer, HEARTBEAT } from 'torsion/streams';
import { defineStruct } from 'torsion/struct';
import type { IOPump } from 'torsion/testing';
import { captureLogEvents } from 'torsion/logger';
import { Client, LOCALHOST_IPV4, OneClientServer } from 'torsion/streams';
import { MemoryReactorClock } from 'torsion/testing';
import { ConnectionCompleter, settle } from './helpers';

describe('the contract example on a MemoryReactorClock', () => {
  // ConnectionCompleter is ./helpers' subclass of torsion/testing's: its pumps
  // deliver by themselves, since `await server.readStr()` needs the client's
  // bytes delivered and the example never calls pump.flush().
  it('runs verbatim', async () => {
    const [, stopLog] = captureLogEvents();
    try {
      // ---- verbatim from the contract ----
      const reactor = new MemoryReactorClock();
      const server = new OneClientServer(LOCALHOST_IPV4, 5000, { reactor });
      await server.startTask; // recorded in reactor.tcpServers
      const client = new Client(LOCALHOST_IPV4, 5000, { reactor }); // recorded in reactor.tcpClients
      new ConnectionCompleter(reactor).succeedOnce(); // pairs the two in memory
      await client.startTask;
      await client.writeStr('ping');
      expect(await server.readStr()).toBe('ping');
      reactor.advance(0.1); // drives the monitor and heartbeats
      // ---- end ----
      expect(reactor.tcpServers.map((s) => s.port)).toEqual([5000]);
      expect(client.connected).toBe(true);
      expect(server.connected).toBe(true);
      await client.close();
      await server.close();
      expect(client.connected).toBe(false);
    } finally {
      stopLog();
    }
  });
});

interface Pair {
  reactor: MemoryReactorClock;
  server: OneClientServer;
  client: Client;
  pump: IOPump;
  events: LogEvent[];
  clientStates: boolean[];
  serverStates: boolean[];
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function logs(): LogEvent[] {
  const [events, stop] = captureLogEvents();
  stops.push(stop);
  return events;
}

async function pair(
  clientOpts: ConstructorParameters<typeof Client>[2] = {},
  serverOpts: ConstructorParameters<typeof OneClientServer>[2] = {},
  ServerClass: new (h: string | null, p: number, o: object) => OneClientServer = OneClientServer,
): Promise<Pair> {
  const events = logs();
  const reactor = new MemoryReactorClock();
  const clientStates: boolean[] = [];
  const serverStates: boolean[] = [];
  const server = new ServerClass(LOCALHOST_IPV4, 0, {
    reactor,
    connectCallback: (s: OneClientServer) => {
      serverStates.push(s.connected);
    },
    ...serverOpts,
  });
  await server.startTask;
  const client = new Client(LOCALHOST_IPV4, server.port, {
    reactor,
    connectCallback: (c) => {
      clientStates.push(c.connected);
    },
    ...clientOpts,
  });
  const pump = new ConnectionCompleter(reactor).succeedOnce({ clock: reactor });
  if (pump === null) throw new Error('no connection to complete');
  await client.startTask;
  await server.connectedTask;
  await settle();
  return { reactor, server, client, pump, events, clientStates, serverStates };
}

describe('Client construction', () => {
  it.each<[string, () => unknown, RegExp]>([
    ['host not a string', () => new Client(5 as never, 1), /host/],
    ['port out of range', () => new Client('127.0.0.1', 70000), /port/],
    ['port null with a host', () => new Client('127.0.0.1', null), /port/],
    ['port not an integer', () => new Client('127.0.0.1', 1.5), /port/],
    ['terminator a string', () => new Client('127.0.0.1', 1, { terminator: '\n' as never }), /terminator/],
    ['terminator empty', () => new Client('127.0.0.1', 1, { terminator: Buffer.alloc(0) }), /terminator/],
    ['unknown encoding', () => new Client('127.0.0.1', 1, { encoding: 'klingon' }), /encoding/],
    ['connectCallback not a function', () => new Client('127.0.0.1', 1, { connectCallback: 5 as never }), /connectCallback/],
    [
      'monitorConnectionInterval not a number',
      () => new Client('127.0.0.1', 1, { monitorConnectionInterval: '1' as never }),
      /monitorConnectionInterval/,
    ],
    ['heartbeatSendSleep negative', () => new Client('127.0.0.1', 1, { heartbeatSendSleep: -1 }), /heartbeatSendSleep/],
    ['keepAlive bad', () => new Client('127.0.0.1', 1, { keepAlive: { idle: 0, interval: 1, count: 1 } }), /keepAlive\.idle/],
    ['limit zero', () => new Client('127.0.0.1', 1, { limit: 0 }), /limit/],
  ])('%s throws naming the argument', (_what, make, name) => {
    expect(make).toThrow(name);
    let err: unknown;
    try {
      make();
    } catch (e) {
      err = e;
    }
    expect(err instanceof TypeError || err instanceof RangeError).toBe(true);
  });

  it("'' makes a client that is already closed", async () => {
    const reactor = new MemoryReactorClock();
    const states: boolean[] = [];
    const client = new Client('', null, { reactor, connectCallback: (c) => void states.push(c.connected) });
    expect(client.connected).toBe(false);
    expect(client.shouldBeConnected).toBe(false);
    await expect(client.startTask).resolves.toBeUndefined();
    await expect(client.doneTask).resolves.toBeUndefined();
    await client.close();
    await expect(client.readStr()).rejects.toThrow(ConnectionError);
    await expect(client.read(1)).rejects.toThrow('Not connected');
    await expect(client.writeStr('x')).rejects.toThrow(ConnectionError);
    await expect(client.write(Buffer.from('x'))).rejects.toThrow(ConnectionError);
    await expect(client.start()).rejects.toThrow(RuntimeError);
    const lines: string[] = [];
    for await (const line of client) lines.push(line);
    expect(lines).toEqual([]);
    expect(reactor.tcpClients).toHaveLength(0);
    expect(states).toEqual([]);
    expect(client.host).toBe('');
    expect(client.port).toBeNull();
  });

  it('connects at construction, through the reactor given', () => {
    const reactor = new MemoryReactorClock();
    const client = new Client('127.0.0.1', 4321, { reactor });
    expect(reactor.tcpClients.map((c) => [c.host, c.port])).toEqual([['127.0.0.1', 4321]]);
    expect(client.connected).toBe(false);
  });

  it('a failed connection rejects startTask, resolves doneTask, calls no callback', async () => {
    const reactor = new MemoryReactorClock();
    const states: boolean[] = [];
    const client = new Client('127.0.0.1', 4321, { reactor, connectCallback: (c) => void states.push(c.connected) });
    new ConnectionCompleter(reactor).failOnce(new Failure(new ConnectionRefusedError()));
    await expect(client.startTask).rejects.toThrow(ConnectionRefusedError);
    await expect(client.doneTask).resolves.toBeUndefined();
    expect(states).toEqual([]);
    expect(client.shouldBeConnected).toBe(false);
  });

  it('start() a second time rejects with RuntimeError', async () => {
    const p = await pair();
    await expect(p.client.start()).rejects.toThrow(RuntimeError);
    await expect(p.server.start()).rejects.toThrow(RuntimeError);
    expect(p.client.connected).toBe(true);
  });
});

describe('connected, shouldBeConnected and the connect callback', () => {
  it('the callback runs on state changes only', async () => {
    const p = await pair();
    expect(p.clientStates).toEqual([true]);
    expect(p.serverStates).toEqual([true]);
    await p.client.callConnectCallback();
    await p.client.callConnectCallback();
    expect(p.clientStates).toEqual([true]);
    expect(p.client.shouldBeConnected).toBe(true);
    await p.client.close();
    expect(p.clientStates).toEqual([true, false]);
    expect(p.client.shouldBeConnected).toBe(false);
    await p.client.close();
    await p.client.callConnectCallback();
    expect(p.clientStates).toEqual([true, false]);
    await expect(p.client.doneTask).resolves.toBeUndefined();
  });

  it('the peer closing is noticed at once, without the monitor', async () => {
    const p = await pair({ monitorConnectionInterval: 0 });
    await p.server.closeClient();
    await settle();
    expect(p.client.connected).toBe(false);
    expect(p.client.shouldBeConnected).toBe(true); // an unexpected loss
    expect(p.clientStates).toEqual([true, false]);
    expect(p.serverStates).toEqual([true, false]);
    await expect(p.client.doneTask).resolves.toBeUndefined();
  });

  it('an async callback is awaited before startTask resolves; a failing one is logged, not raised', async () => {
    const events = logs();
    const reactor = new MemoryReactorClock();
    const server = new OneClientServer(LOCALHOST_IPV4, 7000, { reactor });
    await server.startTask;
    const order: string[] = [];
    const client = new Client(LOCALHOST_IPV4, 7000, {
      reactor,
      connectCallback: async (c) => {
        await settle(3);
        order.push(`callback ${c.connected}`);
        throw new Error('callback boom');
      },
    });
    new ConnectionCompleter(reactor).succeedOnce();
    await client.startTask;
    order.push('started');
    expect(order).toEqual(['callback true', 'started']);
    expect(events.some((e) => e.level === 'error' && String(e.message).includes('callback boom'))).toBe(true);
    await client.close();
    await server.close();
  });

  it('the monitor is a LoopingCall on the reactor clock; <= 0 disables it', async () => {
    const p = await pair({ monitorConnectionInterval: 0.5 }, { monitorConnectionInterval: 0 });
    const times = p.reactor.getDelayedCalls().map((c) => c.getTime());
    expect(times).toContain(0.5);
    await p.client.close();
    expect(p.reactor.getDelayedCalls()).toHaveLength(0);
    await p.server.close();
  });
});

describe('heartbeats', () => {
  it('with runHeartbeatSendTask, one goes at once and one every heartbeatSendSleep', async () => {
    const p = await pair({ runHeartbeatSendTask: true, heartbeatSendSleep: 2 });
    expect(await p.server.readStr()).toBe(HEARTBEAT.toString());
    p.reactor.advance(1.9);
    await settle();
    const pending = p.server.readStr({ timeout: 0.05 });
    p.reactor.advance(0.05);
    await expect(pending).rejects.toThrow('timed out');
    p.reactor.advance(0.05);
    expect(await p.server.readStr()).toBe('heartbeat');
    await p.client.close();
    p.reactor.advance(10);
    await settle();
    expect(p.server.connected).toBe(false);
    await p.server.close();
  });

  it('no heartbeats by default', async () => {
    const p = await pair();
    p.reactor.advance(5);
    await settle();
    const pending = p.server.readStr({ timeout: 1 });
    p.reactor.advance(1);
    await expect(pending).rejects.toThrow('timed out');
    await p.client.close();
    await p.server.close();
  });
});

describe('reading and writing', () => {
  it('text, JSON and structs both ways', async () => {
    const p = await pair();
    await p.client.writeStr('héllo');
    expect(await p.server.readStr()).toBe('héllo');
    await p.server.writeJson({ a: [1, 'b'] });
    expect(await p.client.readJson()).toEqual({ a: [1, 'b'] });
    const Header = defineStruct({ id: 'uint16', value: 'float64', big: 'uint64' });
    await p.client.writeFrom(new Header({ id: 3, value: 2.5, big: 9n }), new Header({ id: 4 }));
    const h = new Header();
    expect(await p.server.readInto(h)).toBe(h);
    expect(h.toJSON()).toEqual({ id: 3, value: 2.5, big: 9 });
    expect((await p.server.readInto(new Header())).id).toBe(4);
    await p.client.write(Buffer.from('raw\nmore'));
    expect(await p.server.readline()).toEqual(Buffer.from('raw\n'));
    expect(await p.server.read(100)).toEqual(Buffer.from('more'));
    await p.client.writelines([Buffer.from('ab'), Buffer.from('c|d')]);
    expect(await p.server.readuntil(Buffer.from('|'))).toEqual(Buffer.from('abc|'));
    expect(await p.server.readexactly(1)).toEqual(Buffer.from('d'));
    await p.client.close();
    await p.server.close();
  });

  it('a custom terminator and encoding', async () => {
    const p = await pair(
      { terminator: Buffer.from('\n'), encoding: 'latin-1' },
      { terminator: Buffer.from('\n'), encoding: 'latin-1' },
    );
    await p.client.writeStr('café');
    expect(await p.server.readexactly(5)).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    await expect(p.client.writeStr('€')).rejects.toThrow(UnicodeEncodeError);
    await p.client.close();
    await p.server.close();
  });

  it('invalid UTF-8 rejects with UnicodeDecodeError and keeps the connection', async () => {
    const p = await pair();
    await p.server.write(Buffer.from([0x61, 0xff, 0x0d, 0x0a]));
    await p.server.writeStr('next');
    await expect(p.client.readStr()).rejects.toThrow(UnicodeDecodeError);
    expect(p.client.connected).toBe(true);
    expect(await p.client.readStr()).toBe('next');
    await p.client.close();
    await p.server.close();
  });

  it('invalid JSON rejects with a SyntaxError showing the text and keeps the connection', async () => {
    const p = await pair();
    await p.server.writeStr('{"a": oops}');
    await p.server.writeJson([1]);
    const err = await p.client.readJson().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyntaxError);
    expect((err as Error).message).toContain('{"a": oops}');
    expect(p.client.connected).toBe(true);
    expect(await p.client.readJson()).toEqual([1]);
    await p.client.close();
    await p.server.close();
  });

  it('writeJson of what JSON cannot hold is a TypeError; writeStr needs a string', async () => {
    const p = await pair();
    await expect(p.client.writeJson({ n: 1n })).rejects.toThrow(TypeError);
    await expect(p.client.writeJson(undefined)).rejects.toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(p.client.writeJson(cyclic)).rejects.toThrow(TypeError);
    await expect(p.client.writeStr(5 as never)).rejects.toThrow(TypeError);
    await expect(p.client.write('x' as never)).rejects.toThrow(TypeError);
    await expect(p.client.readInto({} as never)).rejects.toThrow(TypeError);
    await expect(p.client.writeFrom({} as never)).rejects.toThrow(TypeError);
    expect(p.client.connected).toBe(true);
    await p.client.close();
    await p.server.close();
  });

  it('a line over the limit rejects with LimitOverrunError and keeps the connection', async () => {
    const p = await pair({ limit: 16 });
    await p.server.write(Buffer.from('x'.repeat(40)));
    await expect(p.client.readStr()).rejects.toThrow(LimitOverrunError);
    expect(p.client.connected).toBe(true);
    expect(await p.client.readexactly(40)).toEqual(Buffer.from('x'.repeat(40)));
    await p.client.close();
    await p.server.close();
  });

  it('a timed-out read consumes nothing', async () => {
    const p = await pair();
    await p.server.write(Buffer.from('par'));
    const r = p.client.readStr({ timeout: 1 });
    p.reactor.advance(1);
    await expect(r).rejects.toThrow('timed out');
    expect(p.client.connected).toBe(true);
    await p.server.writeStr('tial');
    expect(await p.client.readStr()).toBe('partial');
    await p.client.close();
    await p.server.close();
  });
});

describe('hostile and vanishing peers', () => {
  it('a peer that resets mid-line: buffered lines are still read, then the error', async () => {
    const p = await pair({ monitorConnectionInterval: 0 });
    await p.server.write(Buffer.from('one\r\ntwo\r\npar'));
    await settle();
    p.pump.serverIO.abortConnection();
    await settle();
    expect(p.client.connected).toBe(false);
    expect(p.clientStates).toEqual([true, false]);
    expect(await p.client.readStr()).toBe('one');
    expect(await p.client.readStr()).toBe('two');
    const err = await p.client.readStr().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLost);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(await p.client.read(10)).toEqual(Buffer.from('par'));
    await expect(p.client.readStr()).rejects.toThrow(ConnectionError);
    await p.server.close();
  });

  it('a peer that closes mid-line: buffered lines, then IncompleteReadError with the partial line', async () => {
    const p = await pair();
    await p.server.write(Buffer.from('one\r\ntwo\r\npar'));
    await p.server.closeClient();
    await settle();
    const got: string[] = [];
    const err = await (async () => {
      for await (const line of p.client) got.push(line);
    })().catch((e: unknown) => e);
    expect(got).toEqual(['one', 'two']);
    expect(err).toBeInstanceOf(IncompleteReadError);
    expect((err as IncompleteReadError).partial).toEqual(Buffer.from('par'));
    await expect(p.client.readStr()).rejects.toThrow('Not connected');
    await p.server.close();
  });

  it('for await ends when the peer closes at a line boundary', async () => {
    const p = await pair();
    const got: string[] = [];
    const loop = (async () => {
      for await (const line of p.client) got.push(line);
    })();
    await p.server.writeStr('a');
    await p.server.writeStr('b');
    await p.server.closeClient();
    await loop;
    expect(got).toEqual(['a', 'b']);
    expect(p.client.connected).toBe(false);
    await p.server.close();
  });

  it('a read waiting when the peer goes away rejects and closes the client', async () => {
    const p = await pair();
    const pending = p.client.readexactly(10);
    await p.server.write(Buffer.from('12345'));
    await p.server.closeClient();
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IncompleteReadError);
    expect((err as IncompleteReadError).partial).toEqual(Buffer.from('12345'));
    expect(p.clientStates).toEqual([true, false]);
    await expect(p.client.doneTask).resolves.toBeUndefined();
    await p.server.close();
  });

  it('writes after the loss reject with ConnectionError', async () => {
    const p = await pair();
    await p.server.closeClient();
    await settle();
    await expect(p.client.writeStr('late')).rejects.toThrow(ConnectionError);
    await p.server.close();
  });
});

describe('OneClientServer', () => {
  it('takes one client at a time: a second is closed with an error log, connectedTask is replaced', async () => {
    const p = await pair();
    const first = p.server.connectedTask;
    const second = new Client(LOCALHOST_IPV4, p.server.port, { reactor: p.reactor });
    const completer = new ConnectionCompleter(p.reactor);
    completer.succeedOnce();
    await second.startTask;
    await settle();
    expect(second.connected).toBe(false);
    expect(p.events.some((e) => e.level === 'error' && String(e.message).includes('already connected'))).toBe(true);
    expect(p.client.connected).toBe(true);
    await p.server.closeClient();
    expect(p.server.connectedTask).not.toBe(first);
    let resolved = false;
    void p.server.connectedTask.then(() => {
      resolved = true;
    });
    await settle();
    expect(resolved).toBe(false);
    const third = new Client(LOCALHOST_IPV4, p.server.port, { reactor: p.reactor });
    completer.succeedOnce();
    await third.startTask;
    await p.server.connectedTask;
    await third.writeStr('third');
    expect(await p.server.readStr()).toBe('third');
    expect(p.serverStates).toEqual([true, false, true]);
    await third.close();
    await p.server.close();
    await expect(p.server.doneTask).resolves.toBeUndefined();
    expect(p.server.server).toBeNull();
  });

  it('port 0 gives the real port; host null listens on all interfaces', async () => {
    const reactor = new MemoryReactorClock();
    const server = new OneClientServer(null, 0, { reactor });
    await server.startTask;
    expect(reactor.tcpServers[0]?.interface).toBe('');
    expect(server.server).not.toBeNull();
    expect(server.port).toBe((server.server?.getHost() as unknown as { port: number }).port);
    await server.close();
    await server.close();
  });

  it('validates its arguments', () => {
    expect(() => new OneClientServer(5 as never, 0)).toThrow(/host/);
    expect(() => new OneClientServer(null, -1)).toThrow(/port/);
    expect(() => new OneClientServer(null, 0, { connectCallback: 'x' as never })).toThrow(/connectCallback/);
  });
});

describe('OneClientReadLoopServer', () => {
  class Upper extends OneClientReadLoopServer {
    readonly seen: string[] = [];
    async readAndDispatch(): Promise<void> {
      const line = await this.readStr();
      this.seen.push(line);
      if (line === 'boom') throw new Error('dispatch boom');
      await this.writeStr(line.toUpperCase());
    }
  }

  it('calls readAndDispatch in a loop while connected', async () => {
    const p = await pair({}, {}, Upper as never);
    await p.client.writeStr('abc');
    expect(await p.client.readStr()).toBe('ABC');
    await p.client.writeStr('def');
    expect(await p.client.readStr()).toBe('DEF');
    await p.client.close();
    await settle();
    expect(p.server.connected).toBe(false);
    expect((p.server as Upper).seen).toEqual(['abc', 'def']);
    await p.server.close();
  });

  it('an error in readAndDispatch is logged and closes that client', async () => {
    const p = await pair({}, {}, Upper as never);
    await p.client.writeStr('boom');
    await expect(p.client.readStr()).rejects.toThrow(IncompleteReadError);
    expect(p.events.some((e) => String(e.message).includes('read loop failed'))).toBe(true);
    expect(p.server.connected).toBe(false);
    expect(p.server.shouldBeConnected).toBe(true);
    await p.server.close();
  });
});

describe('asyncDispose', () => {
  it('await using closes the client at the end of the scope', async () => {
    const p = await pair();
    {
      await using c = p.client;
      expect(c.connected).toBe(true);
    }
    expect(p.client.connected).toBe(false);
    expect(p.client.shouldBeConnected).toBe(false);
    await p.server.close();
  });
});
