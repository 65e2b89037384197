/**
 * The README's "first program" is run as written (only `'torsion'` is
 * pointed at this checkout's src/), so the README cannot drift from the code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

function readmeBlock(heading: string): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(`## ${heading}\n`);
  if (at < 0) throw new Error(`README has no "## ${heading}" section`);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!match) throw new Error(`README section "${heading}" has no ts code block`);
  return match[1];
}

describe('README', () => {
  it('the first program runs: the client sees its greeting echoed, then the reactor stops and the process exits 0', () => {
    const source = readmeBlock('A first program').replace(
      /from 'torsion'/g,
      `from ${JSON.stringify(path.join(ROOT, 'src', 'index'))}`,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'torsion-readme-'));
    try {
      const file = path.join(dir, 'first.ts');
      writeFileSync(file, source);
      const run = spawnSync(TSX, [file], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('echoed: hello');
      expect(run.stdout.trimEnd().endsWith('bye')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
