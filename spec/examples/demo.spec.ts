import { spawn } from 'node:child_process';
import * as path from 'node:path';

import { main } from '../../examples/demo';
import { startReactor } from './helpers';

const ROOT = path.join(__dirname, '..', '..');

/** The lines the tour must print, in this order (other lines may come between). */
const KEY_LINES = [
  /^1\. Timed calls/,
  /the 0 s call$/,
  /the first 0\.1 s call$/,
  /the second 0\.1 s call$/,
  /the 0\.2 s call$/,
  /^2\. A LoopingCall/,
  /tick 1$/,
  /tick 2$/,
  /tick 3$/,
  /^3\. A Deferred chain/,
  /callback got 21, returns 42$/,
  /errback caught RangeError: 42 is too big, returns 0$|errback caught 42 is too big, returns 0$/,
  /chain ended with 0$/,
  /^4\. An echo server and an echo client/,
  /echo server listening on 127\.0\.0\.1:\d+$/,
  /Server said: hello, world$/,
  /Server said: torsion speaks Twisted$/,
  /2 lines echoed; server closed$/,
  /^5\. UDP/,
  /echoed: ping over UDP$/,
  /^6\. A child process/,
  /child said: hello from a child$/,
  /exit code 3$/,
  /^Done: stopping the reactor\.$/,
];

/** Each pattern matches a line after the previous pattern's line. */
function expectInOrder(lines: readonly string[]): void {
  let at = 0;
  for (const re of KEY_LINES) {
    const i = lines.findIndex((l, k) => k >= at && re.test(l));
    if (i < 0) throw new Error(`no line matching ${re} after line ${at}:\n${lines.join('\n')}`);
    at = i + 1;
  }
}

describe('examples/demo', () => {
  it('tours timed calls, a LoopingCall, a Deferred chain and the echo pair on a fresh reactor, in that order', async () => {
    const env = startReactor();
    try {
      const lines: string[] = [];
      await main(env.reactor, (l) => lines.push(l));
      expectInOrder(lines);
      expect(lines.some((l) => l.includes('never printed'))).toBe(false);
      expect(env.reactor.getDelayedCalls()).toEqual([]);
    } finally {
      await env.stop();
    }
  });

  it('`npx tsx examples/demo.ts` (npm start) prints the tour and exits 0 by itself', async () => {
    const child = spawn('npx', ['tsx', 'examples/demo.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect({ code, err: err.split('\n').filter((l) => l !== '' && !l.startsWith('npm warn')) }).toEqual({ code: 0, err: [] });
    expectInOrder(out.split('\n'));
  }, 30000);
});
