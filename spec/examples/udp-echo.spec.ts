import * as dgram from 'node:dgram';

import { client, main } from '../../examples/udp-echo';
import type { IUDPListeningPort } from '../../src/interfaces/udp';
import { startReactor } from './helpers';

describe('examples/udp-echo', () => {
  let env: ReturnType<typeof startReactor>;
  let port: IUDPListeningPort | null = null;
  beforeEach(() => {
    env = startReactor();
  });
  afterEach(async () => {
    await port?.stopListening();
    port = null;
    await env.stop();
  });

  it('prints where it listens and echoes a plain node:dgram client', async () => {
    const lines: string[] = [];
    port = main(env.reactor, { port: 0, print: (l) => lines.push(l) });
    const n = port.getHost().port;
    expect(lines).toEqual([`UDP echo server listening on 127.0.0.1:${n}`]);
    const sock = dgram.createSocket('udp4');
    const back = new Promise<Buffer>((resolve) => sock.once('message', resolve));
    sock.send(Buffer.from('ping'), n, '127.0.0.1');
    expect((await back).toString()).toBe('ping');
    sock.close();
  });

  it("the example's client gets every message back", async () => {
    port = main(env.reactor, { port: 0, print: () => {} });
    const replies = await client(env.reactor, port.getHost().port, ['hello', 'world']);
    expect(replies.sort()).toEqual(['hello', 'world']);
  });

  it('the client reports a missing server as connection refused', async () => {
    port = main(env.reactor, { port: 0, print: () => {} });
    const n = port.getHost().port;
    await port.stopListening();
    port = null;
    await expect(client(env.reactor, n, ['anyone?'])).rejects.toThrow(/connection refused/);
  });
});
