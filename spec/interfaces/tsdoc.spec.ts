/**
 * Every contract is documented where it is defined: each `I*` interface in
 * src/interfaces/ and each of its members carries a TSDoc comment (the
 * classes point to it with `{@inheritDoc}`), and each lifecycle's call
 * grammar is written once, on its interface.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
const DIR = path.join(ROOT, 'src', 'interfaces');
const FILES = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => path.join(DIR, f));

/** The text of the TSDoc comments attached to `node` ('' if none). */
function tsdoc(node: ts.Node): string {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  return docs
    .map((d) =>
      [ts.getTextOfJSDocComment(d.comment) ?? '', ...(d.tags ?? []).map((t) => ts.getTextOfJSDocComment(t.comment) ?? '')].join(
        ' ',
      ),
    )
    .join(' ')
    .trim();
}

function memberName(member: ts.TypeElement, source: ts.SourceFile): string {
  if (member.name) return member.name.getText(source);
  if (ts.isCallSignatureDeclaration(member)) return '(call)';
  if (ts.isIndexSignatureDeclaration(member)) return '[index]';
  return '(member)';
}

interface Contract {
  name: string;
  file: string;
  documented: boolean;
  members: Array<{ name: string; documented: boolean }>;
}

const CONTRACTS: Contract[] = FILES.flatMap((file) => {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  return source.statements
    .filter(ts.isInterfaceDeclaration)
    .filter((d) => d.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) === true)
    .map((d) => ({
      name: d.name.text,
      file: path.basename(file),
      documented: tsdoc(d) !== '',
      members: d.members.map((m) => ({ name: memberName(m, source), documented: tsdoc(m) !== '' })),
    }));
});

describe('the I* contracts in src/interfaces', () => {
  it('are found (the scan reads the interface files)', () => {
    expect(CONTRACTS.length).toBeGreaterThan(20);
    expect(CONTRACTS.flatMap((c) => c.members).length).toBeGreaterThan(90);
    expect(CONTRACTS.map((c) => c.name)).toEqual(expect.arrayContaining(['ITransport', 'IProtocol', 'IBufferedProtocol']));
  });

  it('each have a TSDoc comment', () => {
    expect(CONTRACTS.filter((c) => !c.documented).map((c) => `${c.file}: ${c.name}`)).toEqual([]);
  });

  it('document every member with TSDoc', () => {
    const missing = CONTRACTS.flatMap((c) => c.members.filter((m) => !m.documented).map((m) => `${c.file}: ${c.name}.${m.name}`));
    expect(missing).toEqual([]);
  });

  it("write each lifecycle's call grammar once, on the interface, and the classes point to it", () => {
    const root = path.resolve(DIR, '..');
    const grammars: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (entry.name.endsWith('.ts') && /`makeConnection\s*->\s*connectionMade/.test(fs.readFileSync(p, 'utf8'))) {
          grammars.push(path.relative(root, p));
        }
      }
    };
    walk(root);
    // The process protocol has its own lifecycle (childDataReceived, processEnded), written on it.
    // processes family: IProcessProtocol's grammar, on its interface.
    expect(grammars.filter((f) => f !== path.join('protocol', 'protocol.ts')).sort()).toEqual([
      path.join('interfaces', 'process.ts'),
      path.join('interfaces', 'protocol.ts'),
    ]);
  });

  it('are documented on each class member that implements them, by its own TSDoc or an {@inheritDoc} that names a real member', () => {
    const config = path.join(ROOT, 'tsconfig.build.json');
    const read = ts.readConfigFile(config, (f) => ts.sys.readFile(f));
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, undefined, config);
    const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
    const checker = program.getTypeChecker();
    const known = new Set(CONTRACTS.flatMap((c) => c.members.map((m) => `${c.name}.${m.name}`)));
    const undocumented: string[] = [];
    const badRefs: string[] = [];
    let checked = 0;
    for (const sf of program.getSourceFiles()) {
      if (!sf.fileName.startsWith(path.join(ROOT, 'src') + path.sep) || sf.fileName.startsWith(DIR + path.sep)) continue;
      const visit = (node: ts.Node): void => {
        if (ts.isClassDeclaration(node) && node.name) {
          const contract = new Set<string>();
          for (const clause of node.heritageClauses ?? []) {
            for (const t of clause.types) {
              for (const p of checker.getTypeAtLocation(t).getProperties()) {
                const decl = p.declarations?.[0];
                if (decl && decl.getSourceFile().fileName.startsWith(DIR + path.sep)) contract.add(p.name);
              }
            }
          }
          const seen = new Set<string>();
          for (const m of node.members) {
            if (!m.name || !(ts.isMethodDeclaration(m) || ts.isPropertyDeclaration(m) || ts.isGetAccessor(m))) continue;
            const name = m.name.getText(sf);
            if (!contract.has(name) || seen.has(name)) continue;
            seen.add(name);
            checked++;
            const where = `${path.relative(ROOT, sf.fileName)}: ${node.name.text}.${name}`;
            const text = ((m as { jsDoc?: ts.JSDoc[] }).jsDoc ?? []).map((d) => d.getText(sf)).join('\n');
            if (text === '') undocumented.push(where);
            for (const ref of text.matchAll(/\{@inheritDoc\s+torsion\/interfaces!([\w.]+)\s*\}/g)) {
              if (!known.has(ref[1])) badRefs.push(`${where} -> ${ref[1]}`);
            }
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
    expect(checked).toBeGreaterThan(100);
    expect(undocumented).toEqual([]);
    expect(badRefs).toEqual([]);
  }, 60_000);
});
