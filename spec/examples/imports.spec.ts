/**
 * The examples import the package as a user does (`torsion`,
 * `torsion/<subpath>`), so they can be copied out of the repository as they
 * are; tsconfig.json's `paths` (used by tsc and tsx) and jest's
 * moduleNameMapper point those names at the sources, one entry per
 * package.json `exports` subpath.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { default: string }>;
};

/** Import name -> source file (relative to the root, `./src/...`). */
const EXPECTED: Record<string, string> = Object.fromEntries(
  Object.entries(pkg.exports)
    .filter((e): e is [string, { default: string }] => typeof e[1] === 'object')
    .map(([k, v]) => [
      k === '.' ? 'torsion' : `torsion/${k.slice(2)}`,
      v.default.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts'),
    ]),
);

const EXAMPLES = fs
  .readdirSync(path.join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => path.join('examples', f));

/** Every module specifier a file imports or re-exports. */
function specifiers(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022);
  const out: string[] = [];
  for (const stmt of source.statements) {
    if (
      (ts.isImportDeclaration(stmt) || ts.isExportDeclaration(stmt)) &&
      stmt.moduleSpecifier &&
      ts.isStringLiteral(stmt.moduleSpecifier)
    ) {
      out.push(stmt.moduleSpecifier.text);
    }
  }
  return out;
}

describe('the examples import torsion by its package name', () => {
  it.each(EXAMPLES)('%s imports only torsion subpaths, node: modules and other examples', (file) => {
    const imports = specifiers(file);
    expect(imports.length).toBeGreaterThan(0);
    const sibling = (s: string): boolean => /^\.\/[\w-]+$/.test(s) && fs.existsSync(path.join(ROOT, 'examples', `${s}.ts`));
    expect(imports.filter((s) => !(s.startsWith('node:') || s in EXPECTED || sibling(s)))).toEqual([]);
  });

  it("tsconfig.json's paths map each exports subpath to its source", () => {
    const read = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), (f) => ts.sys.readFile(f));
    const paths = (read.config as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;
    expect(paths).toEqual(Object.fromEntries(Object.entries(EXPECTED).map(([k, v]) => [k, [v]])));
    for (const [, [file]] of Object.entries(paths)) expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
  });

  it("jest's moduleNameMapper sends each name to the same source", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require(path.join(ROOT, 'jest.config.js')) as { moduleNameMapper: Record<string, string> };
    for (const [name, file] of Object.entries(EXPECTED)) {
      const hits = Object.entries(config.moduleNameMapper).filter(([re]) => new RegExp(re).test(name));
      expect(hits.map(([, target]) => target.replace('<rootDir>', '.'))).toEqual([file]);
    }
  });
});
