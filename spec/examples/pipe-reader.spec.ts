import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { main } from '../../examples/pipe-reader';
import { describeNative, tempDir } from '../native/helpers';
import { startReactor } from './helpers';

const ROOT = path.resolve(__dirname, '..', '..');

describeNative('examples/pipe-reader', () => {
  let env: ReturnType<typeof startReactor>;
  beforeEach(() => {
    env = startReactor();
  });
  afterEach(async () => {
    await env.stop();
  });

  it('prints the numbered lines written to a FIFO, then the totals at end of file', async () => {
    const [dir, rm] = tempDir('torsion-example-fifo-');
    try {
      const fifo = path.join(dir, 'fifo');
      spawnSync('mkfifo', [fifo]);
      const r = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      const w = fs.openSync(fifo, fs.constants.O_WRONLY);
      const out: string[] = [];
      const done = main(env.reactor, { fd: r, print: (l) => out.push(l) });
      fs.writeSync(w, 'first line\nsecond ');
      fs.writeSync(w, 'line\nno newline at the end');
      fs.closeSync(w);
      expect(await done).toEqual({ lines: 3, bytes: 44, reason: 'ConnectionDone' });
      fs.closeSync(r);
      expect(out).toEqual(['1: first line', '2: second line', '3: no newline at the end', '3 lines, 44 bytes (ConnectionDone)']);
    } finally {
      rm();
    }
  });

  it('as a program reads its stdin pipe and exits when it ends', () => {
    const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['examples/pipe-reader.ts'], {
      cwd: ROOT,
      input: 'alpha\nbeta\n',
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1: alpha\n2: beta\n2 lines, 11 bytes (ConnectionDone)\n');
    expect(r.status).toBe(0);
  });
});
