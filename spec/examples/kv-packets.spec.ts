import { spawn } from 'node:child_process';
import * as path from 'node:path';

import { KVServerFactory, REQUESTS, handleCommand, main } from '../../examples/kv-packets';
import { LineClient, portNumber, startReactor } from './helpers';

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

describe('examples/kv-packets', () => {
  it('run as a program, prints exactly the ten request/reply lines and exits 0', async () => {
    const child = spawn(TSX, ['examples/kv-packets.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out.split('\n').slice(0, -1)).toEqual(EXPECTED);
  }, 60_000);

  it('main() on a running reactor returns the replies and prints the same lines', async () => {
    const env = startReactor();
    try {
      const lines: string[] = [];
      const replies = await main(env.reactor, (l) => lines.push(l));
      expect(lines).toEqual(EXPECTED);
      expect(replies).toEqual(['OK', 'VALUE hello', 'MISSING', 'OK', 'MISSING']);
      expect(REQUESTS).toHaveLength(5);
    } finally {
      await env.stop();
    }
  });

  it('the server answers a plain node:net client line by line, CRLF-terminated, unknown commands included', async () => {
    const env = startReactor();
    const port = env.reactor.listenTCP(0, new KVServerFactory(), { interface: '127.0.0.1' });
    const raw = new LineClient(portNumber(port));
    raw.socket.on('error', () => {});
    const bytes: Buffer[] = [];
    raw.socket.on('data', (d: string | Buffer) => bytes.push(Buffer.from(d)));
    try {
      raw.socket.write('SET k v w\r\nGET k\r\nFLY away\r\nGET\r\nDEL k\r\nDEL k\r\n');
      const got: string[] = [];
      for (let i = 0; i < 6; i++) got.push(await raw.next());
      expect(got).toEqual(['OK', 'VALUE v w', 'ERROR unknown command', 'ERROR unknown command', 'OK', 'MISSING']);
      expect(Buffer.concat(bytes).toString('utf8')).toBe(got.map((l) => `${l}\r\n`).join(''));
    } finally {
      raw.socket.destroy();
      await port.stopListening();
      await env.stop();
    }
  });

  it('handleCommand follows the task exactly', () => {
    const store = new Map<string, string>();
    expect(handleCommand('GET a', store)).toBe('MISSING');
    expect(handleCommand('SET a 1', store)).toBe('OK');
    expect(handleCommand('GET a', store)).toBe('VALUE 1');
    expect(handleCommand('DEL a', store)).toBe('OK');
    expect(handleCommand('DEL a', store)).toBe('MISSING');
    expect(handleCommand('set a 1', store)).toBe('ERROR unknown command');
    expect(handleCommand('SET a', store)).toBe('ERROR unknown command');
    expect(handleCommand('', store)).toBe('ERROR unknown command');
  });
});
