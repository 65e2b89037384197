/**
 * What a user gets from the tarball: the declarations tsconfig.build.json
 * emits (with `stripInternal`) type-check in a consumer that imports every
 * `exports` subpath with `skipLibCheck: false`, and the emitted source maps
 * carry their sources (the tarball ships `dist/` only).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');

function buildOptions(): ts.CompilerOptions {
  const file = path.join(ROOT, 'tsconfig.build.json');
  const read = ts.readConfigFile(file, (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, undefined, file);
  expect(parsed.errors).toEqual([]);
  return parsed.options;
}

function formatDiagnostics(diags: readonly ts.Diagnostic[]): string[] {
  return diags.map((d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return msg;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${path.relative(os.tmpdir(), d.file.fileName)}:${line + 1}: ${msg}`;
  });
}

describe('the published package', () => {
  const options = buildOptions();

  it('strips @internal declarations and keeps inline sources in its source maps', () => {
    expect(options.stripInternal).toBe(true);
    const out = ts.transpileModule('export const x: number = 1;\n', { compilerOptions: options, fileName: 'x.ts' });
    const map = JSON.parse(out.sourceMapText ?? '{}') as { sourcesContent?: string[] };
    expect(map.sourcesContent).toEqual(['export const x: number = 1;\n']);
  });

  it('ships declarations that type-check in a consumer importing every subpath (skipLibCheck off)', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torsion-pkg-'));
    try {
      const pkgDir = path.join(tmp, 'node_modules', 'torsion');
      const program = ts.createProgram({
        rootNames: [path.join(ROOT, 'src', 'index.ts'), ...entryFiles()],
        options: {
          ...options,
          outDir: path.join(pkgDir, 'dist'),
          emitDeclarationOnly: true,
          declaration: true,
          sourceMap: false,
        },
      });
      const emitted = program.emit();
      expect(formatDiagnostics(emitted.diagnostics)).toEqual([]);
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
      fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify(pkg));
      fs.symlinkSync(path.join(ROOT, 'node_modules', '@types'), path.join(tmp, 'node_modules', '@types'), 'dir');
      fs.symlinkSync(path.join(ROOT, 'node_modules', 'eventemitter3'), path.join(tmp, 'node_modules', 'eventemitter3'), 'dir');

      const subpaths = Object.keys(pkg.exports)
        .filter((k) => k !== './package.json')
        .map((k) => (k === '.' ? 'torsion' : `torsion/${k.slice(2)}`));
      const consumer = path.join(tmp, 'use.ts');
      fs.writeFileSync(consumer, subpaths.map((s, i) => `import * as m${i} from '${s}';\nexport { m${i} };\n`).join(''));
      const check = ts.createProgram({
        rootNames: [consumer],
        options: {
          target: ts.ScriptTarget.ES2022,
          lib: ['lib.es2022.d.ts'],
          module: ts.ModuleKind.NodeNext,
          moduleResolution: ts.ModuleResolutionKind.NodeNext,
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          types: ['node'],
        },
      });
      expect(subpaths.length).toBeGreaterThan(10);
      expect(formatDiagnostics(ts.getPreEmitDiagnostics(check))).toEqual([]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});

/** The source files behind package.json's `exports` (dist/x.js -> src/x.ts). */
function entryFiles(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { default: string }>;
  };
  return Object.values(pkg.exports)
    .filter((v): v is { default: string } => typeof v === 'object')
    .map((v) => path.join(ROOT, v.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')));
}
