/**
 * A short program exits before the garbage collector runs: a Deferred whose
 * chain still ends in a Failure is reported at exit (as Twisted's final
 * collection does), and one whose failure was handled is not.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

it('an unhandled Deferred failure of a short program is logged at exit; a handled one is not', () => {
  const res = spawnSync(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'fixtures', 'unhandled-at-exit.ts')], {
    cwd: join(__dirname, '..', '..'),
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(res.status).toBe(0);
  expect(res.stderr).toContain('Unhandled error in Deferred');
  expect(res.stderr).toContain('nobody handles me');
  expect(res.stderr).not.toContain('handled later');
});
