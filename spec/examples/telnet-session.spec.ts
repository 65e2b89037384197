import { spawn } from 'node:child_process';
import * as path from 'node:path';

import { main } from '../../examples/telnet-session';
import { startReactor } from './helpers';

const ROOT = path.join(__dirname, '..', '..');

const EXPECTED = (name: string): RegExp[] => [
  /^server: listening on 127\.0\.0\.1:\d+$/,
  /^client: connected, mode kludge$/,
  /^server: terminal xterm-256color, 100x30, charset UTF-8$/,
  /^client: Welcome to torsion telnet!$/,
  /^client: What is your name\?$/,
  new RegExp(`^client: answered ${name}$`),
  new RegExp(`^client: Nice to meet you, ${name}\\. Goodbye!$`),
  /^client: the server closed the connection$/,
];

function expectLines(lines: readonly string[], name: string): void {
  const patterns = EXPECTED(name);
  // The server's "terminal" line comes from its shell, which may start just before or after the client's "connected".
  const sorted = [...lines];
  expect(sorted).toHaveLength(patterns.length);
  for (const re of patterns) expect(sorted.some((l) => re.test(l))).toBe(true);
  const order = patterns.filter((_, i) => i !== 2).map((re) => sorted.findIndex((l) => re.test(l)));
  expect(order).toEqual([...order].sort((a, b) => a - b));
}

describe('examples/telnet-session', () => {
  it('runs a whole session on a fresh reactor: negotiated terminal, greeting, answer, close', async () => {
    const env = startReactor();
    try {
      const lines: string[] = [];
      await main(env.reactor, 'Ada', (l) => lines.push(l));
      expectLines(lines, 'Ada');
      expect(env.reactor.getDelayedCalls()).toEqual([]);
    } finally {
      await env.stop();
    }
  });

  it('`npx tsx examples/telnet-session.ts Grace` prints the session and exits 0 by itself', async () => {
    const child = spawn('npx', ['tsx', 'examples/telnet-session.ts', 'Grace'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect({ code, err: err.split('\n').filter((l) => l !== '' && !l.startsWith('npm warn')) }).toEqual({ code: 0, err: [] });
    expectLines(out.trimEnd().split('\n'), 'Grace');
  }, 30000);
});
