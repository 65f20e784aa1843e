/**
 * The package as both engines will see it: its package.json, its compiled CommonJS output, and
 * what `npm pack` puts in the tarball. Needs `npm run build` first (`npm test` does it).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const distCore = path.join(root, 'dist/nodes/core/index.js');

describe('package.json', () => {
  test('has a name n8n loads and the keywords both engines look for', () => {
    expect(pkg.name).toMatch(/^(@[a-z0-9-]+\/)?n8n-nodes-[a-z0-9-]+$/);
    expect(pkg.keywords).toEqual(expect.arrayContaining(['node-red', 'n8n-community-node-package']));
  });
  test('declares licence, repository, engines and both engine sections', () => {
    expect(pkg.license).toBe('Apache-2.0');
    expect(fs.existsSync(path.join(root, 'LICENSE'))).toBe(true);
    expect(pkg.repository.url).toMatch(/^git\+https:\/\//);
    expect(pkg.engines.node).toMatch(/^>=20/);
    expect(pkg['node-red'].version).toMatch(/^>=4\.1/);
    expect(pkg.n8n.n8nNodesApiVersion).toBe(1);
  });
});

/** Every .ts file under `dir`, at any depth, relative to the repository root. */
function sourcesUnder(dir: string): string[] {
  return fs
    .readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

/** The relative module specifiers a source file imports or re-exports. */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/(?:from|import|require)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
}

describe('core sources', () => {
  test('never import an engine, in any folder of the core', () => {
    const files = sourcesUnder('nodes/core');
    // The core has sub-folders: a check that read only the top level would miss most of it.
    expect(files.some((f) => f.split(path.sep).length > 3)).toBe(true);
    for (const file of files) {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      expect({ file, engineImport: /from ['"](node-red|n8n-workflow|n8n-core)|require\(['"](node-red|n8n-workflow)/.test(text) }).toEqual({
        file,
        engineImport: false,
      });
    }
  });

  test('the adapters reach the core only through its index', () => {
    const coreDir = path.join(root, 'nodes/core');
    // Every folder beside the core is adapter code (node-red/, each n8n node, n8n-shared/), a new one too.
    const adapterFolders = fs
      .readdirSync(path.join(root, 'nodes'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'core')
      .map((entry) => `nodes/${entry.name}`);
    expect(adapterFolders).toEqual(expect.arrayContaining(['nodes/node-red', 'nodes/EoRequest', 'nodes/EoTrigger', 'nodes/n8n-shared']));
    const adapters = [...adapterFolders.flatMap(sourcesUnder), ...sourcesUnder('credentials')];
    expect(adapters.length).toBeGreaterThan(10);
    const deeper: string[] = [];
    for (const file of adapters) {
      for (const spec of relativeImports(file)) {
        const target = path.resolve(root, path.dirname(file), spec);
        if (target.startsWith(coreDir + path.sep) && target !== path.join(coreDir, 'index')) deeper.push(`${file} → ${spec}`);
      }
    }
    expect(deeper).toEqual([]);
  });
});

/** What a core file exports: the names it declares itself, and the modules it passes names on from. */
interface FileExports {
  declared: Set<string>;
  /** `export { a } from './x'` and `export * from './x'`: names this file does not declare. */
  passedOn: { names: string[] | '*'; from: string }[];
}

function exportsOf(file: string): FileExports {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const local = new Set<string>();
  const exported = new Set<string>();
  const passedOn: FileExports['passedOn'] = [];
  for (const statement of source.statements) {
    const isExported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) {
        if (ts.isIdentifier(d.name)) {
          local.add(d.name.text);
          if (isExported) exported.add(d.name.text);
        }
      }
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      local.add(statement.name.text);
      if (isExported) exported.add(statement.name.text);
    } else if (ts.isExportDeclaration(statement)) {
      const from = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined;
      const clause = statement.exportClause;
      const names = clause && ts.isNamedExports(clause) ? clause.elements.map((e) => (e.propertyName ?? e.name).text) : undefined;
      if (from !== undefined) passedOn.push({ names: names ?? '*', from });
      // `import { a } from './x'; export { a }` passes a name on just the same: only local declarations count.
      else for (const name of names ?? []) exported.add(name);
    }
  }
  return { declared: new Set([...exported].filter((name) => local.has(name))), passedOn };
}

/** The .ts file a relative module specifier of `from` names. */
function moduleFile(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  return fs.existsSync(`${base}.ts`) ? `${base}.ts` : path.join(base, 'index.ts');
}

/**
 * Names an index takes from a file that does not declare them (a file that only passes them on),
 * as "name ← file" lines, the file relative to the index.
 */
function indexPassThroughs(index: string): string[] {
  const found: string[] = [];
  for (const { names, from } of exportsOf(index).passedOn) {
    const file = moduleFile(index, from);
    const target = exportsOf(file);
    const shown = path.relative(path.dirname(index), file);
    // `export *` takes everything the file exports, so the file itself must pass nothing on.
    if (names === '*')
      for (const p of target.passedOn) found.push(`${p.names === '*' ? '*' : p.names.join(', ')} ← ${shown} (from ${p.from})`);
    else for (const name of names) if (!target.declared.has(name)) found.push(`${name} ← ${shown}`);
  }
  return found;
}

describe('core index', () => {
  test('exports every name from the file that declares it, never through a file that passes it on', () => {
    const index = path.join(root, 'nodes/core/index.ts');
    expect(exportsOf(index).passedOn.length).toBeGreaterThan(10);
    expect(indexPassThroughs(index)).toEqual([]);
  });

  test('the check sees a name taken from a file that only passes it on', () => {
    // An index written the old way: AttemptInfo from eo-request.ts, which never declared it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-index-check-'));
    try {
      const index = path.join(dir, 'index.ts');
      fs.writeFileSync(
        path.join(dir, 'passes-on.ts'),
        "export type { AttemptInfo } from '../http/send-authorized';\nexport const own = 1;\n",
      );
      fs.writeFileSync(index, "export { own, type AttemptInfo } from './passes-on';\nexport * from './passes-on';\n");
      expect(indexPassThroughs(index)).toEqual(['AttemptInfo ← passes-on.ts', 'AttemptInfo ← passes-on.ts (from ../http/send-authorized)']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('compiled output', () => {
  test('loads as CommonJS in a plain Node process and exports the core API', () => {
    expect(fs.existsSync(distCore)).toBe(true);
    const script = `const core = require(${JSON.stringify(distCore)});
      const c = core.resolveConnection({ provider: 'terrascope', username: 'u', password: 'p' });
      process.stdout.write(JSON.stringify({
        grant: c.grant,
        fns: ['eoRequest','downloadToFile','tokenProviderFor','worldCoverTiles','catalogSearchAll','requestToken'].filter((n) => typeof core[n] === 'function'),
        tiles: core.worldCoverTiles([6.1, 0.5, 6.9, 1.5], 2021).map((t) => t.tile),
      }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    expect(out).toEqual({
      grant: 'password',
      fns: ['eoRequest', 'downloadToFile', 'tokenProviderFor', 'worldCoverTiles', 'catalogSearchAll', 'requestToken'],
      tiles: ['N00E006'],
    });
  });

  test('npm pack ships the compiled nodes and never the tests or the emulator', () => {
    const listing = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }));
    const files: string[] = listing[0].files.map((f: { path: string }) => f.path);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'NOTICE', 'dist/nodes/core/index.js']));
    // Node-RED serves resources/ at /resources/<package>/: the editor's map, its outlines, the thumbnails.
    const sizes = new Map<string, number>(listing[0].files.map((f: { path: string; size: number }) => [f.path, f.size]));
    expect([...sizes.keys()].filter((f) => f.startsWith('resources/')).sort()).toEqual([
      'resources/eo-map.js',
      'resources/eo-thumbnails.js',
      'resources/world-110m.json',
    ]);
    // The 1:110m outlines, not a larger scale: about 100 KB.
    expect(sizes.get('resources/world-110m.json')).toBeGreaterThan(50_000);
    expect(sizes.get('resources/world-110m.json')).toBeLessThan(150_000);
    expect(files.filter((f) => f.startsWith('dist/test/') || f.startsWith('test/') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual(
      [],
    );
  });
});
