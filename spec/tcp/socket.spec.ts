/**
 * The socket plumbing: Node-style errno errors, lingering after a graceful
 * close, and the pool of closed client sockets.
 */
import * as net from 'node:net';
import { _setLingerSweep, errnoError, linger, lingeringCount, takeClientSocket } from '../../src/tcp/socket';
import { loopTurns, until } from './harness';

describe('errnoError', () => {
  it('builds a Node-style system error with code, errno, syscall, address and port', () => {
    const err = errnoError(-98, 'listen', '127.0.0.1', 80) as NodeJS.ErrnoException & { address: string; port: number };
    expect(err.code).toBe('EADDRINUSE');
    expect(err.errno).toBe(-98);
    expect(err.syscall).toBe('listen');
    expect([err.address, err.port]).toEqual(['127.0.0.1', 80]);
    expect(err.message).toBe('listen EADDRINUSE: address already in use 127.0.0.1:80');
  });
});

describe('linger and the client socket pool', () => {
  let server: net.Server;
  let peers: net.Socket[];
  let port: number;
  beforeEach(async () => {
    peers = [];
    server = net.createServer({ allowHalfOpen: true }, (s) => {
      peers.push(s);
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterEach(async () => {
    _setLingerSweep(5000);
    for (const p of peers) p.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  async function connected(): Promise<net.Socket & { recyclable: boolean }> {
    const s = takeClientSocket();
    s.connect(port, '127.0.0.1');
    await new Promise((resolve) => s.once('connect', resolve));
    await until(() => peers.length > 0);
    return s;
  }

  it('keeps a finished socket open until the peer sends FIN, then closes it', async () => {
    const s = await connected();
    s.end();
    await new Promise((resolve) => s.once('finish', resolve));
    const before = lingeringCount();
    linger(s as never, 30);
    expect(lingeringCount()).toBe(before + 1);
    expect(s.destroyed).toBe(false);
    peers[0].end();
    await until(() => s.destroyed && lingeringCount() === before);
  });

  it('destroys a lingering socket whose peer never closes once its deadline passes', async () => {
    _setLingerSweep(20);
    const s = await connected();
    s.end();
    await new Promise((resolve) => s.once('finish', resolve));
    linger(s as never, 0.05);
    await loopTurns();
    expect(s.destroyed).toBe(false);
    await until(() => s.destroyed, 2000);
  });

  it('reuses a client socket only after it emitted close, and never one marked not recyclable', async () => {
    const a = await connected();
    a.destroy();
    expect(takeClientSocket()).not.toBe(a);
    await new Promise((resolve) => a.once('close', resolve));
    expect(takeClientSocket()).toBe(a);
    const b = await connected();
    b.recyclable = false;
    b.destroy();
    await new Promise((resolve) => b.once('close', resolve));
    expect(takeClientSocket()).not.toBe(b);
  });
});
