/**
 * The README's first program in child processes where Node's private
 * bindings must not be touched: the permission model, pending deprecations
 * thrown, and process.binding removed or throwing. Each must exit 0 after
 * the echo, with the listening port's number known right after listenTCP.
 * Assertions are on output and exit code only.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(__dirname, 'fixtures');

// Node 23 renamed --experimental-permission to --permission (24 refuses the old name).
const PERMISSION_FLAG = Number(process.versions.node.split('.')[0]) >= 23 ? '--permission' : '--experimental-permission';

async function run(
  nodeArgs: string[],
  fixture: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string; err: string }> {
  // This suite may itself run under test:nobindings: each child chooses its own conditions.
  const childEnv = { ...process.env };
  delete childEnv.NODE_OPTIONS;
  delete childEnv.TORSION_NO_BINDINGS;
  // Always compile cold (tsx's cache would hide what the permission model needs: tsx
  // compiles in a worker, hence --allow-worker below; the bindings stay forbidden).
  childEnv.TSX_DISABLE_CACHE = '1';
  Object.assign(childEnv, env);
  const proc = spawn(process.execPath, [...nodeArgs, '--require', 'tsx/cjs', join(FIXTURES, fixture)], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  // A child that hangs (the defect: a port that never learns its number) fails instead of hanging the suite.
  const guard = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => proc.on('exit', (c) => resolve(c)));
  clearTimeout(guard);
  return { code, out, err };
}

const FIRST_PROGRAM = ['port known: true', 'bindings: off', 'echoed: "hello\\r\\n"', 'bye'];

describe("the README's first program without Node's private bindings (child processes)", () => {
  jest.setTimeout(30_000);

  it.each([
    [
      'the permission model (--permission, --experimental-permission before Node 23)',
      [PERMISSION_FLAG, '--allow-fs-read=*', '--allow-child-process', '--allow-worker'],
    ],
    ['--pending-deprecation --throw-deprecation', ['--pending-deprecation', '--throw-deprecation']],
    ['process.binding removed (.ci/no-bindings.js)', ['--require', join(ROOT, '.ci', 'no-bindings.js')]],
    ['process.binding throwing', ['--require', join(FIXTURES, 'throwing-binding-preload.js')]],
  ])('runs and exits 0 under %s', async (_name, args) => {
    const { code, out, err } = await run(args, 'readme-first.ts');
    expect({ code, lines: out.trim().split('\n'), deprecation: /DEP0111/.test(err) }).toEqual({
      code: 0,
      lines: FIRST_PROGRAM,
      deprecation: false,
    });
  });

  it('runs with TORSION_NO_BINDINGS=1, and on the fast path without it', async () => {
    const off = await run([], 'readme-first.ts', { TORSION_NO_BINDINGS: '1' });
    expect({ code: off.code, lines: off.out.trim().split('\n') }).toEqual({ code: 0, lines: FIRST_PROGRAM });
    const on = await run([], 'readme-first.ts');
    expect({ code: on.code, lines: on.out.trim().split('\n') }).toEqual({
      code: 0,
      lines: ['port known: true', 'bindings: on', 'echoed: "hello\\r\\n"', 'bye'],
    });
  });

  it('importing torsion touches no binding; the first listenTCP does', async () => {
    const { code, out } = await run([], 'import-only.ts');
    expect({ code, lines: out.trim().split('\n') }).toEqual({
      code: 0,
      lines: ['calls after import: []', 'calls after listenTCP: some'],
    });
  });
});
