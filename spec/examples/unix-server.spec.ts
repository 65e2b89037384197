/**
 * examples/unix-server.ts: in-process on a temp-dir socket (checked from
 * outside with a plain node:net client), and as a program, with and
 * without Node's private bindings (TORSION_NO_BINDINGS=1 in the child).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CannotListenError } from '../../src/errors';
import type { IListeningPort } from '../../src/interfaces/connector';
import { main } from '../../examples/unix-server';
import { startReactor } from './helpers';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** Send lines over a node:net UNIX client; resolve with the `count` lines answered. */
function talk(file: string, lines: string[], count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(file);
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('connect', () => socket.write(lines.map((l) => `${l}\r\n`).join('')));
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const got = buf.split('\r\n').slice(0, -1);
      if (got.length >= count) {
        socket.end();
        resolve(got);
      }
    });
  });
}

describe('examples/unix-server', () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torsion-unix-ex-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('numbers each line of a connection, with a 0600 socket file and a lock; a second server is refused', async () => {
    const env = startReactor();
    try {
      const file = path.join(dir, 'demo.sock');
      const out: string[] = [];
      const port = (await main(env.reactor, file, { print: (l) => out.push(l) })) as IListeningPort;
      expect(out).toEqual([`unix server listening on ${file}`]);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readlinkSync(`${file}.lock`)).toBe(String(process.pid));
      expect(await talk(file, ['hello', 'again'], 2)).toEqual(['1: hello', '2: again']);
      expect(await talk(file, ['fresh'], 1)).toEqual(['1: fresh']);
      const second = await main(env.reactor, file, { print: () => {} }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(second).toBeInstanceOf(CannotListenError);
      expect((second as Error).message).toContain('Cannot acquire lock');
      await port.stopListening();
      expect(fs.existsSync(file)).toBe(false);
      expect(fs.existsSync(`${file}.lock`)).toBe(false);
    } finally {
      await env.stop();
    }
  });

  it.each([
    ['with the private bindings', {}],
    ['without them (TORSION_NO_BINDINGS=1)', { TORSION_NO_BINDINGS: '1' }],
  ])('runs as a program %s, and SIGINT removes the socket file and the lock', async (_name, env) => {
    const file = path.join(dir, 'prog.sock');
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    if (!('TORSION_NO_BINDINGS' in env)) delete childEnv.TORSION_NO_BINDINGS;
    const child = spawn(TSX, ['examples/unix-server.ts', file], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const guard = setTimeout(() => child.kill('SIGKILL'), 20000);
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        if (out.includes('\n')) resolve();
      });
      void exited.then((code) => reject(new Error(`exited ${code} before listening: ${err}`)));
    });
    expect(out).toBe(`unix server listening on ${file}\n`);
    expect(await talk(file, ['ping'], 1)).toEqual(['1: ping']);
    child.kill('SIGINT');
    const code = await exited;
    clearTimeout(guard);
    expect(code).toBe(0);
    // The reactor logs the signal at info; nothing worse.
    expect(err.trim().split('\n')).toEqual([expect.stringContaining('Received SIGINT, shutting down.')]);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });
});
