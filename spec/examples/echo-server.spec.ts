import * as net from 'node:net';

import { main } from '../../examples/echo-server';
import type { IListeningPort } from '../../src/interfaces/connector';
import { portNumber, startReactor } from './helpers';

describe('examples/echo-server', () => {
  let env: ReturnType<typeof startReactor>;
  let port: IListeningPort | null = null;
  beforeEach(() => {
    env = startReactor();
  });
  afterEach(async () => {
    await env.stop();
    port = null;
  });

  it('prints the address it listens on, with the real port when asked for port 0', () => {
    const lines: string[] = [];
    port = main(env.reactor, { port: 0, print: (l) => lines.push(l) });
    expect(portNumber(port)).toBeGreaterThan(0);
    expect(lines).toEqual([`echo server listening on 127.0.0.1:${portNumber(port)}`]);
  });

  it('sends every byte back to a plain node:net client, 1 MiB included, and keeps serving after a client leaves', async () => {
    port = main(env.reactor, { port: 0, print: () => {} });
    const payload = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    for (const size of [1, payload.length]) {
      const sock = net.connect(portNumber(port), '127.0.0.1');
      const chunks: Buffer[] = [];
      let got = 0;
      const back = new Promise<Buffer>((resolve) =>
        sock.on('data', (d: Buffer) => {
          chunks.push(d);
          got += d.length;
          if (got === size) resolve(Buffer.concat(chunks));
        }),
      );
      sock.write(payload.subarray(0, size));
      expect((await back).equals(payload.subarray(0, size))).toBe(true);
      sock.end();
      await new Promise((r) => sock.once('close', r));
    }
  });

  it('stops accepting once its port stops listening', async () => {
    port = main(env.reactor, { port: 0, print: () => {} });
    const n = portNumber(port);
    await port.stopListening();
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => net.connect(n, '127.0.0.1').once('error', resolve));
    expect(err.code).toBe('ECONNREFUSED');
  });
});
