import * as net from 'node:net';

import { main } from '../../examples/echo-client';
import { ConnectionRefusedError } from '../../src/errors';
import { startReactor } from './helpers';

/** A plain node:net echo server that records what it got and whether the client closed. */
async function rawEchoServer(): Promise<{
  port: number;
  received: () => string;
  clientEnded: Promise<void>;
  close: () => Promise<void>;
}> {
  let received = '';
  let ended!: () => void;
  const clientEnded = new Promise<void>((r) => (ended = r));
  const server = net.createServer((s) => {
    s.on('data', (d: Buffer) => {
      received += d.toString('utf8');
      s.write(d);
    });
    s.on('end', ended);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => received,
    clientEnded,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('examples/echo-client', () => {
  let env: ReturnType<typeof startReactor>;
  beforeEach(() => {
    env = startReactor();
  });
  afterEach(async () => {
    await env.stop();
  });

  it('sends its lines, prints each echo as "Server said: ...", closes, and fires with the echoes', async () => {
    const server = await rawEchoServer();
    const out: string[] = [];
    const lines = ['hello, world', 'ünïcödé ✓', ''];
    const echoes = await main(env.reactor, { port: server.port, lines, print: (l) => out.push(l) });
    expect(echoes).toEqual(lines);
    expect(out).toEqual(lines.map((l) => `Server said: ${l}`));
    expect(server.received()).toBe(lines.map((l) => `${l}\n`).join(''));
    await server.clientEnded;
    await server.close();
  });

  it('fails with ConnectionRefusedError and says so when nothing listens', async () => {
    const server = await rawEchoServer();
    const port = server.port;
    await server.close();
    const out: string[] = [];
    await expect(main(env.reactor, { port, print: (l) => out.push(l) }).asPromise()).rejects.toBeInstanceOf(
      ConnectionRefusedError,
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^Connection failed: /);
  });
});
