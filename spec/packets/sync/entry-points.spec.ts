/**
 * The worker of a blocking client starts from every way the package runs:
 * the TypeScript sources under tsx's loader (`node -r tsx/cjs`), and the
 * compiled JavaScript (built here by tsc into a temporary directory, so the
 * spec does not depend on a `dist/` that CI builds only after the tests).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = path.join(__dirname, '..', '..', '..');
const script = path.join(__dirname, 'fixtures', 'script-client.js');
const expected = { reply: 'hello from a script', fdOpen: true, closed: true };

jest.setTimeout(300_000);

test('from the TypeScript sources under node -r tsx/cjs', async () => {
  const { stdout } = await run(process.execPath, ['-r', 'tsx/cjs', script, path.join(repo, 'src')], {
    cwd: repo,
    timeout: 120_000,
  });
  expect(JSON.parse(stdout.trim())).toEqual(expected);
});

test('from the compiled JavaScript (a tsc build into a temporary directory)', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'torsion-sync-build-'));
  try {
    const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', path.join(repo, 'tsconfig.build.json'), '--outDir', out, '--declaration', 'false'], {
      cwd: repo,
      timeout: 240_000,
    });
    expect(fs.existsSync(path.join(out, 'packets', 'sync', 'worker.js'))).toBe(true);
    // The build's own dependencies (iconv-lite) resolve as from an installed package.
    fs.symlinkSync(path.join(repo, 'node_modules'), path.join(out, 'node_modules'), 'dir');
    // Plain node, no loader: the worker must start from worker.js.
    const { stdout } = await run(process.execPath, [script, out], { cwd: os.tmpdir(), timeout: 120_000 });
    expect(JSON.parse(stdout.trim())).toEqual(expected);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
