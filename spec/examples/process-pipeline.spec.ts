/**
 * examples/process-pipeline.ts: two real children wired stdout -> stdin by
 * torsion, in-process and as a program (`tsx examples/process-pipeline.ts`).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { main } from '../../examples/process-pipeline';
import { startReactor } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

describe('examples/process-pipeline', () => {
  let env: ReturnType<typeof startReactor>;
  beforeEach(() => {
    env = startReactor();
  });
  afterEach(() => env.stop());

  it('runs seq | sort -rn: every line through both children, in the second one order', async () => {
    const result = await main(env.reactor, 'seq 1 5', 'sort -rn');
    expect(result.output.toString()).toBe('5\n4\n3\n2\n1\n');
    expect(result.ends).toEqual([0, 0]);
  });

  it('carries 20 MB through the pipeline (flow control: nothing lost)', async () => {
    const result = await main(env.reactor, 'head -c 20000000 /dev/zero', 'wc -c');
    expect(result.output.toString().trim()).toBe('20000000');
    expect(result.ends).toEqual([0, 0]);
  });

  it("reports each stage's end (an exit code, a signal)", async () => {
    const result = await main(env.reactor, 'echo x; exit 3', 'cat; kill -TERM $$');
    expect(result.output.toString()).toBe('x\n');
    expect(result.ends).toEqual([3, 'SIGTERM']);
  });

  it('runs as a program and prints the output', () => {
    const r = spawnSync(TSX, ['examples/process-pipeline.ts', 'printf "b\\na\\n"', 'sort'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('a\nb\n');
    expect(r.stderr).toContain('stages ended with: 0, 0');
  });
});
