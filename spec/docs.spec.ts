/**
 * The API reference is organised as users import: typedoc documents every
 * `exports` subpath, and each entry point's module is named by its import
 * path (`torsion/protocols/basic`, not the folder name `framing`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
};
const typedoc = JSON.parse(fs.readFileSync(path.join(ROOT, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };

/** Import path -> source file, from package.json's exports. */
const SUBPATHS: Array<[string, string]> = Object.entries(pkg.exports)
  .filter((e): e is [string, { types: string; default: string }] => typeof e[1] === 'object')
  .map(([k, v]) => [
    k === '.' ? 'torsion' : `torsion/${k.slice(2)}`,
    v.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'),
  ]);

/** The `@module` tag of a file's first doc comment, or null. */
function moduleTag(file: string): string | null {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const header = /^\/\*\*([\s\S]*?)\*\//.exec(text);
  const tag = header && /^\s*\*\s*@module(?:[ \t]+(\S+))?[ \t]*$/m.exec(header[1]);
  return tag ? (tag[1] ?? '') : null;
}

describe('the API reference', () => {
  it('has one typedoc entry point per exports subpath', () => {
    expect([...typedoc.entryPoints].sort()).toEqual(SUBPATHS.map(([, file]) => file).sort());
  });

  it.each(SUBPATHS)('names the module %s after its import path', (importPath, file) => {
    expect(moduleTag(file)).toBe(importPath);
  });
});
