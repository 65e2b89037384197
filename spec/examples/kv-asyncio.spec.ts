/**
 * examples/kv-asyncio.ts: the answers, one session on a StringTransport,
 * main() on a real Reactor, and the example run as a program.
 */
import { spawn } from 'node:child_process';
import type { IPv4Address } from '../../src/address';
import * as path from 'node:path';
import { REQUESTS, answer, handleClient, main, serve } from '../../examples/kv-asyncio';
import { StreamReader, StreamReaderProtocol } from '../../src/streams/asyncio';
import { StringTransportWithDisconnection } from '../../src/testing';
import { LineClient, startReactor } from './helpers';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

const EXPECTED = [
  '> SET greeting hello',
  '< OK',
  '> GET greeting',
  '< VALUE hello',
  '> GET missing',
  '< MISSING',
  '> DEL greeting',
  '< OK',
  '> GET greeting',
  '< MISSING',
];

describe('examples/kv-asyncio answers', () => {
  it('SET, GET, DEL and errors', () => {
    const store = new Map<string, string>();
    expect(answer(store, 'SET k some value')).toBe('OK');
    expect(answer(store, 'GET k')).toBe('VALUE some value');
    expect(answer(store, 'DEL k')).toBe('OK');
    expect(answer(store, 'DEL k')).toBe('MISSING');
    expect(answer(store, 'GET k')).toBe('MISSING');
    for (const bad of ['', 'FOO', 'GET', 'SET k', 'get k', 'GET a b']) expect(answer(store, bad)).toBe('ERROR unknown command');
  });

  it('a session on a StringTransport, the requests split at every byte', async () => {
    const data = Buffer.from('SET a 1\r\nGET a\r\nNOPE\r\n');
    for (let cut = 0; cut <= data.length; cut++) {
      const reader = new StreamReader();
      const tr = new StringTransportWithDisconnection();
      const proto = new StreamReaderProtocol(reader, (r, w) => handleClient(new Map(), r, w));
      tr.protocol = proto;
      proto.makeConnection(tr);
      proto.dataReceived(data.subarray(0, cut));
      proto.dataReceived(data.subarray(cut));
      proto.readConnectionLost();
      await proto.writer!.waitClosed();
      expect(tr.value().toString()).toBe('OK\r\nVALUE 1\r\nERROR unknown command\r\n');
    }
  });
});

describe('examples/kv-asyncio on a real Reactor', () => {
  let env: ReturnType<typeof startReactor>;
  beforeEach(() => {
    env = startReactor();
  });
  afterEach(async () => {
    await env.stop();
  });

  it('main() prints the 10 lines and returns the replies', async () => {
    const out: string[] = [];
    const replies = await main(env.reactor, (l) => out.push(l));
    expect(out).toEqual(EXPECTED);
    expect(replies).toEqual(['OK', 'VALUE hello', 'MISSING', 'OK', 'MISSING']);
    expect(REQUESTS).toHaveLength(5);
  });

  it('the server answers a raw node:net client, and ends its session on an over-long line', async () => {
    const server = await serve(env.reactor);
    const port = (server.getHost() as IPv4Address).port;
    const c = new LineClient(port);
    c.socket.on('error', () => {});
    c.socket.write('SET x y\r\nGET x\r\n');
    expect(await c.next()).toBe('OK');
    expect(await c.next()).toBe('VALUE y');
    c.socket.write(`SET big ${'z'.repeat(70000)}\r\n`);
    await c.closed;
    server.close();
    await server.waitClosed();
  });
});

describe('examples/kv-asyncio.ts run as a program', () => {
  it('prints exactly the 10 lines and exits 0', async () => {
    const child = spawn(TSX, ['examples/kv-asyncio.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('exit', (c, s) => resolve([c, s])),
    );
    expect({ code, signal, err }).toEqual({ code: 0, signal: null, err: '' });
    expect(out.split('\n').slice(0, -1)).toEqual(EXPECTED);
  }, 60000);
});
