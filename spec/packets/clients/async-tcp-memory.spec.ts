/**
 * AsyncTCPNetworkClient on a MemoryReactorClock: connections completed by
 * ConnectionCompleter, bytes moved by IOPump, every timer driven by advance().
 */
import { Failure } from '../../../src/defer/failure';
import { TimeoutError as DeferTimeoutError } from '../../../src/defer/errors';
import { TCP4ClientEndpoint } from '../../../src/endpoints';
import {
  ClientClosedError,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  IncompleteReadError,
  LimitOverrunError,
  PacketConversionError,
  RuntimeError,
  StreamProtocolParseError,
  TimeoutError,
} from '../../../src/errors';
import type { IReactor } from '../../../src/interfaces';
import { AsyncTCPNetworkClient } from '../../../src/packets/clients';
import { Factory, Protocol } from '../../../src/protocol';
import { ConnectionCompleter, type IOPump, MemoryReactorClock } from '../../../src/testing';
import { ArgRangeError, ArgTypeError } from '../../../src/validate';
import { type LineOptions, bufferedLineProtocol, lineProtocol, outcome, settle } from './helpers';

class Server extends Protocol {
  received: Buffer[] = [];
  halfClosed = false;
  lost: Failure | null = null;
  override dataReceived(data: Buffer): void {
    this.received.push(data);
  }
  readConnectionLost(): void {
    this.halfClosed = true;
  }
  override connectionLost(reason: Failure): void {
    this.lost = reason;
  }
  text(): string {
    return Buffer.concat(this.received).toString('latin1');
  }
}

interface Setup {
  reactor: MemoryReactorClock;
  client: AsyncTCPNetworkClient<string, string>;
  server: Server;
  pump: IOPump;
}

async function connected(opts: LineOptions & { buffered?: boolean; maxRecvSize?: number } = {}): Promise<Setup> {
  const reactor = new MemoryReactorClock();
  let server: Server | null = null;
  const f = new Factory();
  f.buildProtocol = () => (server = new Server());
  reactor.listenTCP(7000, f);
  const protocol = opts.buffered ? bufferedLineProtocol(opts) : lineProtocol(opts);
  const client = new AsyncTCPNetworkClient<string, string>(new TCP4ClientEndpoint(reactor, '127.0.0.1', 7000), protocol, {
    reactor: reactor as unknown as IReactor,
    maxRecvSize: opts.maxRecvSize ?? null,
  });
  const waiting = client.waitConnected();
  const pump = new ConnectionCompleter(reactor).succeedOnce({ clock: reactor })!;
  await waiting;
  return { reactor, client, server: server!, pump };
}

function toServerAndBack(s: Setup, bytes: string): void {
  s.pump.serverIO.write(Buffer.from(bytes, 'latin1'));
  s.pump.flush();
}

describe.each([
  ['chunks', false],
  ['buffer lending', true],
])('AsyncTCPNetworkClient on MemoryReactorClock (%s)', (_name, buffered) => {
  it('connects lazily: nothing is recorded until waitConnected, which is idempotent and shared', async () => {
    const reactor = new MemoryReactorClock();
    reactor.listenTCP(7000, Factory.forProtocol(Server));
    const client = new AsyncTCPNetworkClient(
      new TCP4ClientEndpoint(reactor, '127.0.0.1', 7000),
      buffered ? bufferedLineProtocol() : lineProtocol(),
      { reactor: reactor as unknown as IReactor },
    );
    expect(reactor.tcpClients).toHaveLength(0);
    expect(client.isConnected()).toBe(false);
    expect(() => client.getLocalAddress()).toThrow(RuntimeError);
    const a = client.waitConnected();
    const b = client.waitConnected();
    expect(reactor.tcpClients).toHaveLength(1);
    new ConnectionCompleter(reactor).succeedOnce({ clock: reactor });
    await Promise.all([a, b]);
    expect(client.isConnected()).toBe(true);
    expect(reactor.tcpClients).toHaveLength(0);
    await client.waitConnected();
    expect(client.getRemoteAddress().port).toBe(7000);
    expect(client.getLocalAddress().host).toBe('127.0.0.1');
    expect(client.transport!.getTcpNoDelay()).toBe(true);
    expect(client.transport!.getTcpKeepAlive()).toBe(true);
  });

  it('sends packets in call order and receives them split at every byte', async () => {
    const s = await connected({ buffered });
    await Promise.all([s.client.sendPacket('one'), s.client.sendPacket('two'), s.client.sendPacket('three')]);
    s.pump.flush();
    expect(s.server.text()).toBe('one\ntwo\nthree\n');
    const wire = 'alpha\nbeta\n\ngamma\n';
    const got = [s.client.recvPacket(), s.client.recvPacket(), s.client.recvPacket(), s.client.recvPacket()].map(outcome);
    for (const ch of wire) {
      s.pump.serverIO.write(Buffer.from(ch, 'latin1'));
      s.pump.flush();
      await settle();
    }
    expect(got.map((g) => g.value)).toEqual(['alpha', 'beta', '', 'gamma']);
  });

  it('keeps the remainder: several packets in one chunk come out one per call', async () => {
    const s = await connected({ buffered });
    toServerAndBack(s, 'a\nb\nc\npartial');
    expect(await s.client.recvPacket()).toBe('a');
    expect(await s.client.recvPacket()).toBe('b');
    expect(await s.client.recvPacket()).toBe('c');
    const next = outcome(s.client.recvPacket());
    await settle();
    expect(next.settled).toBe(false);
    toServerAndBack(s, '-done\n');
    await settle();
    expect(next.value).toBe('partial-done');
  });

  it('a read timeout rejects with torsion/defer TimeoutError on the clock and consumes nothing', async () => {
    const s = await connected({ buffered });
    toServerAndBack(s, 'half');
    const r = outcome(s.client.recvPacket({ timeout: 5 }));
    s.reactor.advance(4.9);
    await settle();
    expect(r.settled).toBe(false);
    s.reactor.advance(0.1);
    await settle();
    expect(r.error).toBeInstanceOf(DeferTimeoutError);
    toServerAndBack(s, '-line\n');
    expect(await s.client.recvPacket()).toBe('half-line');
  });

  it('an aborted signal rejects with its reason', async () => {
    const s = await connected({ buffered });
    const ac = new AbortController();
    const r = outcome(s.client.recvPacket({ signal: ac.signal }));
    ac.abort(new Error('stop'));
    await settle();
    expect((r.error as Error).message).toBe('stop');
    toServerAndBack(s, 'x\n');
    expect(await s.client.recvPacket()).toBe('x');
  });

  it('receivers are served one at a time in call order', async () => {
    const s = await connected({ buffered });
    const order: string[] = [];
    const a = s.client.recvPacket().then((p) => order.push(`a:${p}`));
    const b = s.client.recvPacket().then((p) => order.push(`b:${p}`));
    toServerAndBack(s, '1\n2\n');
    await Promise.all([a, b]);
    expect(order).toEqual(['a:1', 'b:2']);
  });

  it('EOF with nothing buffered: ConnectionDone "end-of-stream"; the client can still send', async () => {
    const s = await connected({ buffered });
    s.pump.serverIO.loseWriteConnection();
    s.pump.flush();
    const err = await s.client.recvPacket().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionDone);
    expect((err as Error).message).toBe('end-of-stream');
    await s.client.sendPacket('after-eof');
    s.pump.flush();
    expect(s.server.text()).toBe('after-eof\n');
  });

  it('EOF inside a packet: IncompleteReadError with the partial bytes', async () => {
    const s = await connected({ buffered });
    toServerAndBack(s, 'ok\nunfini');
    s.pump.serverIO.loseWriteConnection();
    s.pump.flush();
    expect(await s.client.recvPacket()).toBe('ok');
    const err = (await s.client.recvPacket().catch((e: unknown) => e)) as IncompleteReadError;
    expect(err).toBeInstanceOf(IncompleteReadError);
    expect(err.partial.toString('latin1')).toBe('unfini');
  });

  it('a packet over the limit: StreamProtocolParseError(LimitOverrunError), then the next packet parses', async () => {
    const s = await connected({ buffered, limit: 16, maxRecvSize: 64 });
    const r = s.client.recvPacket();
    toServerAndBack(s, `${'x'.repeat(40)}\nnext\n`);
    const err = (await r.catch((e: unknown) => e)) as StreamProtocolParseError;
    expect(err).toBeInstanceOf(StreamProtocolParseError);
    expect(err.error).toBeInstanceOf(LimitOverrunError);
    expect(err.remainingData.toString('latin1')).toBe('next\n');
    // The connection stays up and what follows is not lost.
    expect(await s.client.recvPacket()).toBe('next');
    expect(s.client.isConnected()).toBe(true);
  });

  it('a serializer crash aborts the connection; this and every later call reject with RuntimeError', async () => {
    const s = await connected({ buffered, crashOn: 'boom' });
    toServerAndBack(s, 'fine\nboom\nlater\n');
    expect(await s.client.recvPacket()).toBe('fine');
    const e1 = (await s.client.recvPacket().catch((e: unknown) => e)) as RuntimeError;
    expect(e1).toBeInstanceOf(RuntimeError);
    expect(e1.message).toBe('The serializer crashed');
    expect((e1.cause as Error).message).toBe('serializer bug');
    s.pump.flush();
    expect(s.pump.clientIO.aborted).toBe(true);
    const e2 = await s.client.recvPacket().catch((e: unknown) => e);
    const e3 = await s.client.sendPacket('x').catch((e: unknown) => e);
    expect(e2).toBe(e1);
    expect(e3).toBe(e1);
  });

  it('iterReceivedPackets() (timeout 0) yields only what is already received', async () => {
    const s = await connected({ buffered });
    toServerAndBack(s, 'p1\np2\np3');
    const got: string[] = [];
    for await (const p of s.client.iterReceivedPackets()) got.push(p);
    expect(got).toEqual(['p1', 'p2']);
  });

  it('iterReceivedPackets({ timeout }) has one timeout for the whole iteration, counting only time inside next()', async () => {
    const s = await connected({ buffered });
    const it = s.client.iterReceivedPackets({ timeout: 10 });
    const first = outcome(it.next());
    s.reactor.advance(6);
    toServerAndBack(s, 'a\n');
    await settle();
    expect(first.value).toEqual({ done: false, value: 'a' });
    // Time outside the iterator is not counted.
    s.reactor.advance(100);
    const second = outcome(it.next());
    s.reactor.advance(3.9);
    await settle();
    expect(second.settled).toBe(false);
    s.reactor.advance(0.1);
    await settle();
    expect(second.value).toEqual({ done: true, value: undefined });
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('iterReceivedPackets ends quietly at the connection loss, and a parse error ends it by throwing', async () => {
    const s = await connected({ buffered: false, badOn: 'bad' });
    toServerAndBack(s, 'x\nbad\ny\n');
    const got: string[] = [];
    let thrown: unknown = null;
    try {
      for await (const p of s.client.iterReceivedPackets({ timeout: null })) got.push(p);
    } catch (err) {
      thrown = err;
    }
    expect(got).toEqual(['x']);
    expect((thrown as StreamProtocolParseError).error).toBeInstanceOf(PacketConversionError);
    const it = s.client.iterReceivedPackets({ timeout: null });
    expect(await it.next()).toEqual({ done: false, value: 'y' });
    const pending = it.next();
    s.pump.serverIO.loseConnection();
    s.pump.flush();
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('aclose() is graceful and idempotent; pending receives reject with ClientClosedError', async () => {
    const s = await connected({ buffered });
    const pending = s.client.recvPacket();
    await s.client.sendPacket('bye');
    const c1 = s.client.aclose();
    const c2 = s.client.aclose();
    expect(c1).toBe(c2);
    expect(s.client.isClosing()).toBe(true);
    await expect(pending).rejects.toBeInstanceOf(ClientClosedError);
    s.pump.flush();
    await c1;
    s.pump.flush();
    expect(s.server.text()).toBe('bye\n');
    // (The server is half-closeable: our FIN reaches it as readConnectionLost.)
    expect(s.server.halfClosed).toBe(true);
    await expect(s.client.sendPacket('x')).rejects.toBeInstanceOf(ClientClosedError);
    await expect(s.client.waitConnected()).rejects.toBeInstanceOf(ClientClosedError);
    expect(s.client.isConnected()).toBe(false);
    await s.client[Symbol.asyncDispose]();
  });

  it('sendEof() half-closes once and is idempotent; sendPacket afterwards is a RuntimeError; receiving goes on', async () => {
    const s = await connected({ buffered });
    await s.client.sendPacket('last');
    await s.client.sendEof();
    await s.client.sendEof();
    s.pump.flush();
    expect(s.server.halfClosed).toBe(true);
    expect(s.server.text()).toBe('last\n');
    await expect(s.client.sendPacket('more')).rejects.toThrow('sendEof() has been called earlier');
    toServerAndBack(s, 'reply\n');
    expect(await s.client.recvPacket()).toBe('reply');
  });

  it('an unclean loss: buffered packets first, then the loss', async () => {
    const s = await connected({ buffered });
    toServerAndBack(s, 'kept\n');
    s.pump.serverIO.abortConnection();
    s.pump.flush();
    expect(await s.client.recvPacket()).toBe('kept');
    await expect(s.client.recvPacket()).rejects.toBeInstanceOf(ConnectionLost);
    await expect(s.client.sendPacket('x')).rejects.toBeInstanceOf(ConnectionLost);
  });

  it('pauses reading while more than 4 x maxRecvSize bytes wait unread, resumes on demand', async () => {
    const s = await connected({ buffered, maxRecvSize: 8 });
    toServerAndBack(s, '0123456\n'.repeat(3));
    expect(s.pump.clientIO.readingPaused).toBe(false);
    toServerAndBack(s, '0123456\n'.repeat(3));
    expect(s.pump.clientIO.readingPaused).toBe(true);
    const got: string[] = [];
    for (let i = 0; i < 6; i++) got.push(await s.client.recvPacket());
    const more = outcome(s.client.recvPacket());
    await settle();
    expect(s.pump.clientIO.readingPaused).toBe(false);
    toServerAndBack(s, 'z\n');
    await settle();
    expect(more.value).toBe('z');
    expect(got).toEqual(Array(6).fill('0123456'));
  });
});

describe('AsyncTCPNetworkClient connect and options (MemoryReactorClock)', () => {
  it('a timeout on waitConnected aborts the attempt and closes the client', async () => {
    const reactor = new MemoryReactorClock();
    const client = new AsyncTCPNetworkClient(['127.0.0.1', 7000], lineProtocol(), {
      reactor: reactor as unknown as IReactor,
    });
    const w = outcome(client.waitConnected({ timeout: 2 }));
    expect(reactor.tcpClients).toHaveLength(1);
    reactor.advance(2);
    await settle();
    expect(w.error).toBeInstanceOf(DeferTimeoutError);
    expect(client.isClosing()).toBe(true);
    expect(reactor.connectors[0]?.state ?? 'disconnected').toBe('disconnected');
    await expect(client.recvPacket()).rejects.toBeInstanceOf(ClientClosedError);
  });

  it('connectTimeout fails the connection with torsion/error TimeoutError', async () => {
    const reactor = new MemoryReactorClock();
    const client = new AsyncTCPNetworkClient(['127.0.0.1', 7000], lineProtocol(), {
      reactor: reactor as unknown as IReactor,
      connectTimeout: 3,
      happyEyeballsDelay: null,
    });
    expect(reactor.tcpClients).toHaveLength(0);
    const w = outcome(client.waitConnected());
    expect(reactor.tcpClients.map((c) => [c.host, c.port])).toEqual([['127.0.0.1', 7000]]);
    reactor.advance(3);
    await settle();
    expect(w.error).toBeInstanceOf(TimeoutError);
  });

  it('a refused connection rejects waitConnected, and a later waitConnected tries again', async () => {
    const reactor = new MemoryReactorClock();
    reactor.listenTCP(7000, Factory.forProtocol(Server));
    const client = new AsyncTCPNetworkClient(['127.0.0.1', 7000], lineProtocol(), {
      reactor: reactor as unknown as IReactor,
    });
    const w = client.waitConnected();
    new ConnectionCompleter(reactor).failOnce(new Failure(new ConnectionRefusedError()));
    await expect(w).rejects.toBeInstanceOf(ConnectionRefusedError);
    expect(client.isConnected()).toBe(false);
    const again = client.waitConnected();
    new ConnectionCompleter(reactor).succeedOnce({ clock: reactor });
    await again;
    expect(client.isConnected()).toBe(true);
  });

  it('aclose() during the connection attempt rejects it with ClientClosedError', async () => {
    const reactor = new MemoryReactorClock();
    const client = new AsyncTCPNetworkClient(['127.0.0.1', 7000], lineProtocol(), {
      reactor: reactor as unknown as IReactor,
    });
    const w = client.waitConnected();
    await client.aclose();
    await expect(w).rejects.toBeInstanceOf(ClientClosedError);
  });

  it('validates its arguments with typed errors and does no I/O', () => {
    const reactor = new MemoryReactorClock() as unknown as IReactor;
    const p = lineProtocol();
    expect(() => new AsyncTCPNetworkClient(['h'] as never, p, { reactor })).toThrow(ArgTypeError);
    expect(() => new AsyncTCPNetworkClient(['h', 70000], p, { reactor })).toThrow(ArgRangeError);
    expect(() => new AsyncTCPNetworkClient(['h', 1], {} as never, { reactor })).toThrow(ArgTypeError);
    expect(() => new AsyncTCPNetworkClient(['h', 1], p, { reactor, maxRecvSize: 0 })).toThrow(ArgRangeError);
    expect(() => new AsyncTCPNetworkClient(['h', 1], p, { reactor, serverHostname: 'x' })).toThrow(ArgRangeError);
    expect(() => new AsyncTCPNetworkClient(['h', 1], p, { reactor, sslShutdownTimeout: 1 })).toThrow(ArgRangeError);
    expect(() => new AsyncTCPNetworkClient(['h', 1], p, { reactor, ssl: true, serverHostname: '' })).toThrow(ArgRangeError);
    expect(() => new AsyncTCPNetworkClient(['h', 1], p, { reactor, connectTimeout: -1 })).toThrow(ArgRangeError);
    const ep = new TCP4ClientEndpoint(reactor, '127.0.0.1', 1);
    expect(() => new AsyncTCPNetworkClient(ep, p, { reactor, connectTimeout: 1 } as never)).toThrow(ArgTypeError);
    expect((reactor as unknown as MemoryReactorClock).tcpClients).toHaveLength(0);
    expect(new AsyncTCPNetworkClient(['h', 1], p, { reactor }).maxRecvSize).toBe(16384);
  });

  it('an over-long line read in maxRecvSize pieces: the overrun drops what came, its tail parses as a new packet (EasyNetwork)', async () => {
    const s = await connected({ limit: 16, maxRecvSize: 16 });
    const r = s.client.recvPacket();
    toServerAndBack(s, `${'x'.repeat(40)}\nnext\n`);
    const err = (await r.catch((e: unknown) => e)) as StreamProtocolParseError;
    expect(err.error).toBeInstanceOf(LimitOverrunError);
    expect(err.remainingData.length).toBe(0);
    expect(await s.client.recvPacket()).toBe('x'.repeat(8));
    expect(await s.client.recvPacket()).toBe('next');
  });

  it('a serializer error while sending rejects that call only; the connection carries on', async () => {
    const s = await connected();
    await expect(s.client.sendPacket(42 as unknown as string)).rejects.toBeInstanceOf(TypeError);
    await s.client.sendPacket('fine');
    s.pump.flush();
    expect(s.server.text()).toBe('fine\n');
  });

  it('sendPacket waits for the drain while the transport is paused', async () => {
    const s = await connected();
    s.pump.clientIO.setWriteBufferLimits?.(4, 0);
    const sent = outcome(s.client.sendPacket('long enough'));
    await settle();
    expect(sent.settled).toBe(false);
    s.pump.flush();
    await settle();
    expect(sent.settled).toBe(true);
    expect(s.server.text()).toBe('long enough\n');
  });
});
