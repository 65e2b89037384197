/**
 * The `@example` blocks of src/testing's TSDoc are programs a user copies:
 * each ```ts block is extracted, type-checked against the sources (imports
 * of 'torsion/...' resolved through package.json's exports), and run, with
 * jest's `expect` as the only global. A doc example that no longer works
 * fails here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const DIR = join(ROOT, 'src', 'testing');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { default?: string }> };

/** 'torsion/testing' -> absolute path of its source module (without extension). */
function sourceOf(spec: string): string | null {
  if (spec !== 'torsion' && !spec.startsWith('torsion/')) return null;
  const entry = pkg.exports[spec === 'torsion' ? '.' : `./${spec.slice('torsion/'.length)}`];
  if (entry?.default === undefined) throw new Error(`${spec} is not in package.json's exports`);
  return join(ROOT, entry.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, ''));
}

interface Example {
  name: string;
  code: string;
}

function examples(): Example[] {
  const out: Example[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(DIR, file), 'utf8');
    const re = /@example\s*\n((?:\s*\*.*\n)*?)\s*\*\/|@example\s*\n((?:\s*\*.*\n)+?)\s*\*\s*@/g;
    let m: RegExpExecArray | null;
    let i = 0;
    while ((m = re.exec(text)) !== null) {
      const body = (m[1] ?? m[2])
        .split('\n')
        .map((l) => l.replace(/^\s*\* ?/, ''))
        .join('\n');
      const fence = /```ts\n([\s\S]*?)```/.exec(body);
      out.push({ name: `${file} #${++i}`, code: fence === null ? '' : fence[1] });
    }
  }
  return out;
}

const ALL = examples();

it('src/testing has @example blocks, each a fenced ts block', () => {
  expect(ALL.length).toBeGreaterThanOrEqual(4);
  for (const e of ALL) expect({ name: e.name, fenced: e.code.trim().length > 0 }).toEqual({ name: e.name, fenced: true });
});

describe.each(ALL.map((e) => [e.name, e] as const))('the doc example %s', (_name, example) => {
  it('type-checks against the sources', () => {
    const fileName = join(DIR, '__doc_example__.ts');
    // `expect` is jest's; `export {}` makes it a module (top-level await).
    const source = `declare const expect: typeof import('expect').expect;\n${example.code}\nexport {};\n`;
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ES2022,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      baseUrl: ROOT,
      paths: Object.fromEntries(
        Object.keys(pkg.exports)
          .filter((k) => k !== './package.json')
          .map((k) => {
            const spec = k === '.' ? 'torsion' : `torsion/${k.slice(2)}`;
            return [spec, [relative(ROOT, sourceOf(spec) as string)]];
          }),
      ),
    };
    const host = ts.createCompilerHost(options);
    const read = host.readFile.bind(host);
    host.readFile = (f) => (f === fileName ? source : read(f));
    const exists = host.fileExists.bind(host);
    host.fileExists = (f) => f === fileName || exists(f);
    const program = ts.createProgram([fileName], options, host);
    const diags = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === fileName);
    expect(diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  });

  it('runs and its expectations hold', async () => {
    const js = ts.transpileModule(example.code, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const req = (spec: string): unknown => {
      const src = sourceOf(spec);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return src === null ? require(spec) : require(src);
    };
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...args: string[]
    ) => (...a: unknown[]) => Promise<void>;
    await new AsyncFunction('require', 'expect', 'exports', js)(req, expect, {});
  });
});
