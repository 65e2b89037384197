import * as net from 'node:net';

import { main } from '../../examples/port-forward';
import { portNumber, startReactor } from './helpers';

describe('examples/port-forward', () => {
  let env: ReturnType<typeof startReactor>;
  let dest: net.Server;
  let destClosed: Promise<number>;
  beforeEach(async () => {
    env = startReactor();
    // The destination: a plain node:net echo server that reports how many
    // bytes one connection carried when the forwarder closes it.
    let closed!: (n: number) => void;
    destClosed = new Promise((resolve) => (closed = resolve));
    dest = net.createServer((sock) => {
      let n = 0;
      sock.on('data', (d: Buffer) => {
        n += d.length;
        sock.write(d);
      });
      sock.on('end', () => {
        sock.end();
        closed(n);
      });
    });
    await new Promise<void>((resolve) => dest.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    await env.stop();
    await new Promise((resolve) => dest.close(resolve));
  });

  it('prints where it forwards, relays 1 MiB both ways, and closes the destination when the client closes', async () => {
    const lines: string[] = [];
    const destPort = (dest.address() as net.AddressInfo).port;
    const port = main(env.reactor, { port: 0, destHost: '127.0.0.1', destPort, print: (l) => lines.push(l) });
    expect(lines).toEqual([`forwarding 127.0.0.1:${portNumber(port)} to 127.0.0.1:${destPort}`]);
    const payload = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 13) & 0xff;
    const sock = net.connect(portNumber(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    let got = 0;
    const back = new Promise<Buffer>((resolve) =>
      sock.on('data', (d: Buffer) => {
        chunks.push(d);
        got += d.length;
        if (got === payload.length) resolve(Buffer.concat(chunks));
      }),
    );
    sock.write(payload);
    expect((await back).equals(payload)).toBe(true);
    sock.end();
    expect(await destClosed).toBe(payload.length);
    await new Promise((r) => sock.once('close', r));
    await port.stopListening();
  });
});
