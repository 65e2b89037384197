/**
 * openConnection / startServer on a MemoryReactorClock, completed by
 * ConnectionCompleter: no socket, the clock driven by hand.
 */
import { ConnectAttemptsFailedError } from '../../../src/endpoints/errors';
import { TCP4ClientEndpoint, TCP4ServerEndpoint } from '../../../src/endpoints';
import { Failure } from '../../../src/defer/failure';
import { ConnectionRefusedError } from '../../../src/errors';
import { openConnection, startServer, type StreamReader, type StreamWriter } from '../../../src/streams/asyncio';
import { ConnectionCompleter, MemoryReactorClock } from '../../../src/testing';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await tick();
  if (!cond()) throw new Error('condition never became true');
}

describe('asyncio streams on a MemoryReactorClock', () => {
  it('startServer records a listenTCP; openConnection a connectTCP; the completer pairs them', async () => {
    const reactor = new MemoryReactorClock();
    const serverSide: Array<[StreamReader, StreamWriter]> = [];
    const server = await startServer(
      (r, w) => {
        serverSide.push([r, w]);
      },
      '127.0.0.1',
      5000,
      { reactor },
    );
    expect(reactor.tcpServers.map((s) => s.port)).toEqual([5000]);
    expect(server.isServing()).toBe(true);
    const opening = openConnection('127.0.0.1', 5000, { reactor });
    await until(() => reactor.tcpClients.length === 1);
    const pump = new ConnectionCompleter(reactor).succeedOnce()!;
    const [reader, writer] = await opening;
    expect(serverSide).toHaveLength(1);
    const [sr, sw] = serverSide[0]!;

    writer.write(b('ping\r\n'));
    pump.flush();
    expect((await sr.readuntil(b('\r\n'))).toString()).toBe('ping\r\n');
    sw.write(b('pong\r\n'));
    pump.flush();
    expect((await reader.readline()).toString()).toBe('pong\r\n');
    expect(writer.getExtraInfo('peername')).toEqual(['127.0.0.1', 5000]);
    expect(server.clientCount).toBe(1);

    writer.close();
    pump.flush();
    await writer.waitClosed();
    // The peer's EOF leaves the server's side half-open (asyncio's rule): it closes it.
    expect((await sr.read()).length).toBe(0);
    expect(sw.isClosing()).toBe(false);
    server.close();
    let closed = false;
    const waiting = server.waitClosed().then(() => (closed = true));
    await tick();
    expect(closed).toBe(false);
    sw.close();
    pump.flush();
    await waiting;
    expect(server.isServing()).toBe(false);
    expect(server.clientCount).toBe(0);
  });

  it('read timeouts run on the reactor clock: a stalled peer gives TimeoutError after advance()', async () => {
    const reactor = new MemoryReactorClock();
    await startServer(() => {}, '127.0.0.1', 5001, { reactor });
    const opening = openConnection('127.0.0.1', 5001, { reactor });
    await until(() => reactor.tcpClients.length === 1);
    const pump = new ConnectionCompleter(reactor).succeedOnce()!;
    const [reader] = await opening;
    const read = reader.readline({ timeout: 2 });
    let settled: unknown = 'pending';
    read.then(
      () => (settled = 'resolved'),
      (e: unknown) => (settled = e),
    );
    reactor.advance(1.5);
    pump.flush();
    await tick();
    expect(settled).toBe('pending');
    reactor.advance(0.5);
    await tick();
    expect((settled as Error).name).toBe('TimeoutError');
  });

  it('a single refused attempt rejects with ConnectionRefusedError itself, not ConnectAttemptsFailedError', async () => {
    const reactor = new MemoryReactorClock();
    const opening = openConnection('127.0.0.1', 5002, { reactor });
    await until(() => reactor.tcpClients.length === 1);
    new ConnectionCompleter(reactor).failOnce(new Failure(new ConnectionRefusedError()));
    const err = await opening.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionRefusedError);
    expect(err).not.toBeInstanceOf(ConnectAttemptsFailedError);
  });

  it('happyEyeballsDelay: null connects with one connectTCP and rejects with its error', async () => {
    const reactor = new MemoryReactorClock();
    const opening = openConnection('127.0.0.1', 5003, { reactor, happyEyeballsDelay: null, timeout: 7 });
    expect(reactor.tcpClients).toHaveLength(1);
    expect(reactor.tcpClients[0]!.timeout).toBe(7);
    new ConnectionCompleter(reactor).failOnce();
    await expect(opening).rejects.toBeInstanceOf(ConnectionRefusedError);
  });

  it('the endpoint forms of openConnection and startServer connect whatever the endpoint is', async () => {
    const reactor = new MemoryReactorClock();
    const got: string[] = [];
    const server = await startServer(
      async (r, w) => {
        for await (const line of r) got.push(line.toString());
        w.close();
      },
      new TCP4ServerEndpoint(reactor, 6000),
      { limit: 1024 },
    );
    expect(server.getHost()).toBeDefined();
    const opening = openConnection(new TCP4ClientEndpoint(reactor, '127.0.0.1', 6000), { limit: 16 });
    await until(() => reactor.tcpClients.length === 1);
    const pump = new ConnectionCompleter(reactor).succeedOnce()!;
    const [reader, writer] = await opening;
    expect(reader.limit).toBe(16);
    writer.writelines([b('a\n'), b('b\n')]);
    writer.writeEof();
    pump.flush();
    await until(() => got.length === 2);
    pump.flush();
    expect(got).toEqual(['a\n', 'b\n']);
    expect((await reader.read()).length).toBe(0);
  });

  it('closeClients closes every client; waitClosed waits for them after close()', async () => {
    const reactor = new MemoryReactorClock();
    const server = await startServer(() => {}, '127.0.0.1', 5004, { reactor });
    const pairs: Array<Promise<[StreamReader, StreamWriter]>> = [
      openConnection('127.0.0.1', 5004, { reactor }),
      openConnection('127.0.0.1', 5004, { reactor }),
    ];
    await until(() => reactor.tcpClients.length === 2);
    const c = new ConnectionCompleter(reactor);
    const pumps = [c.succeedOnce()!, c.succeedOnce()!];
    const clients = await Promise.all(pairs);
    expect(server.clientCount).toBe(2);
    server.close();
    let closed = false;
    const waiting = server.waitClosed().then(() => (closed = true));
    await tick();
    expect(closed).toBe(false);
    server.closeClients();
    for (const p of pumps) p.flush();
    await waiting;
    for (const [r] of clients) expect((await r.read()).length).toBe(0);
  });

  it('bad arguments are typed errors naming the argument', async () => {
    const reactor = new MemoryReactorClock();
    await expect(openConnection(5 as unknown as string, 1, { reactor })).rejects.toThrow(/host/);
    await expect(openConnection('127.0.0.1', 70000, { reactor })).rejects.toThrow(RangeError);
    await expect(openConnection('127.0.0.1', 1, { reactor, serverHostname: 'x' })).rejects.toThrow(/serverHostname/);
    await expect(openConnection('127.0.0.1', 1, { reactor, limit: 0 })).rejects.toThrow(RangeError);
    await expect(startServer(null as never, '127.0.0.1', 1, { reactor })).rejects.toThrow(/cb/);
  });
});
