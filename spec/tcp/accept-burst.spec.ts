/**
 * A burst of pending connections is accepted in one loop pass where the
 * native addon and the private TCP binding are available (libuv alone
 * accepts one per pass, so a busy loop let the kernel's accept queue
 * overflow); without either, all of it still, at libuv's pace.
 *
 * The burst is made deterministic: a child process opens BURST connections
 * while this process is held in a synchronous wait, so all of them sit
 * completed in the kernel's accept queue when the loop runs again. Then
 * the spec counts how many protocols the port built before a setImmediate
 * queued at the first one ran (i.e. within one loop pass).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Factory } from '../../src/protocol/factory';
import { Protocol } from '../../src/protocol/protocol';
import { _setNativeUnavailable, nativeAddonStatus } from '../../src/native';
import { BINDINGS_OFF, until, useReactor } from './harness';

const BURST = 40;

/** Open BURST connections to `port`, write `flag` once all are connected, then hold them until stdin closes. */
const CHILD = `
const net = require('net');
const [port, flag, n] = process.argv.slice(1);
let up = 0;
const socks = [];
for (let i = 0; i < Number(n); i++) {
  const s = net.connect(Number(port), '127.0.0.1', () => { if (++up === Number(n)) require('fs').writeFileSync(flag, 'ok'); });
  s.on('error', () => {});
  socks.push(s);
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

function holdUntil(file: string, ms: number): void {
  const end = Date.now() + ms;
  while (!fs.existsSync(file)) {
    if (Date.now() > end) throw new Error(`the child did not connect within ${ms} ms`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
}

async function burstInOnePass(r: ReturnType<typeof useReactor>['r']): Promise<{ inFirstPass: number; total: number }> {
  let built = 0;
  let inFirstPass = -1;
  const factory = new (class extends Factory {
    override buildProtocol(): Protocol {
      if (++built === 1) setImmediate(() => (inFirstPass = built));
      const p = new Protocol();
      p.factory = this;
      return p;
    }
  })();
  const port = r.listenTCP(0, factory, { interface: '127.0.0.1', backlog: 511 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torsion-burst-'));
  const flag = path.join(dir, 'connected');
  const child = spawn(process.execPath, ['-e', CHILD, String(port.getHost().port), flag, String(BURST)], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  try {
    // Hold the loop: the connections complete in the kernel meanwhile.
    holdUntil(flag, 20_000);
    await until(() => built === BURST && inFirstPass >= 0, 20_000, 'the burst to be accepted');
    return { inFirstPass, total: built };
  } finally {
    child.stdin?.end();
    await port.stopListening();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('a burst of pending connections', () => {
  const h = useReactor();
  afterEach(() => _setNativeUnavailable(null));

  const fast = !BINDINGS_OFF && nativeAddonStatus().available;
  (fast ? it : it.skip)(
    'is accepted in one loop pass with the addon and the private binding',
    async () => {
      const { inFirstPass, total } = await burstInOnePass(h.r);
      expect(total).toBe(BURST);
      expect(inFirstPass).toBe(BURST);
    },
    30_000,
  );
  if (!fast)
    console.log(`accept-burst: one-pass case skipped: ${BINDINGS_OFF ? 'TORSION_NO_BINDINGS' : nativeAddonStatus().reason}`);

  it('is accepted in full without the addon (libuv: one per loop pass)', async () => {
    _setNativeUnavailable('spec');
    const { total } = await burstInOnePass(h.r);
    expect(total).toBe(BURST);
  }, 30_000);
});
