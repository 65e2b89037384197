/**
 * The package's install script (native/install.js) never fails the
 * install: without a C++ compiler it prints why, records the reason for
 * nativeAddonStatus() and exits 0; `--strict` (npm run build:native) fails.
 * Run on a copy of the sources in a temp dir, so this checkout's build
 * stays in place.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { tempDir } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
};

/** A copy of what the published package holds for the build, and a PATH without any compiler. */
function sandbox(dir: string): NodeJS.ProcessEnv {
  fs.cpSync(path.join(ROOT, 'native'), path.join(dir, 'native'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'binding.gyp'), path.join(dir, 'binding.gyp'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync(python, path.join(bin, 'python3'));
  for (const tool of ['make', 'sh']) {
    const where = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    fs.symlinkSync(where, path.join(bin, tool));
  }
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin, CXX: '/nonexistent', CC: '/nonexistent', PYTHON: python };
  delete env.TORSION_NO_NATIVE;
  return env;
}

describe('native/install.js', () => {
  it('is the install script, and build:native runs it strictly; the package ships its sources', () => {
    expect(pkg.scripts.install).toBe('node native/install.js');
    expect(pkg.scripts['build:native']).toBe('node native/install.js --strict');
    expect(pkg.files).toEqual(expect.arrayContaining(['native', 'binding.gyp']));
    expect(pkg.dependencies['node-addon-api']).toBeDefined();
  });

  it('without a C++ compiler exits 0, says why and how to build, and records the reason', () => {
    const [dir, rm] = tempDir('torsion-install-');
    try {
      const env = sandbox(dir);
      const r = spawnSync(process.execPath, [path.join(dir, 'native', 'install.js')], { cwd: dir, env, encoding: 'utf8' });
      expect(r.status).toBe(0);
      // (A Node without npm beside it has no node-gyp either: the other way it cannot build.)
      expect(r.stderr).toMatch(/torsion: the native addon was not built: node-gyp (rebuild exited with status|was not found)/);
      expect(r.stderr).toContain('npm rebuild torsion');
      expect(fs.existsSync(path.join(dir, 'build', 'Release', 'torsion_native.node'))).toBe(false);
      expect(fs.readFileSync(path.join(dir, 'build', 'torsion_native.failed'), 'utf8')).toMatch(
        /^node-gyp (rebuild exited|was not found)/,
      );

      const strict = spawnSync(process.execPath, [path.join(dir, 'native', 'install.js'), '--strict'], {
        cwd: dir,
        env,
        encoding: 'utf8',
      });
      expect(strict.status).toBe(1);
    } finally {
      rm();
    }
  }, 60000);

  it('with TORSION_NO_NATIVE=1 skips the build and exits 0', () => {
    const [dir, rm] = tempDir('torsion-install-');
    try {
      const env = { ...sandbox(dir), TORSION_NO_NATIVE: '1' };
      const r = spawnSync(process.execPath, [path.join(dir, 'native', 'install.js')], { cwd: dir, env, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stderr).toContain('TORSION_NO_NATIVE=1 is set');
      expect(fs.existsSync(path.join(dir, 'build'))).toBe(false);
    } finally {
      rm();
    }
  });
});
