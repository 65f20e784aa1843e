/**
 * The package as both engines will see it: its package.json, its compiled CommonJS output, and
 * what `npm pack` puts in the tarball. Needs `npm run build` first (`npm test` does it).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

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
    const adapters = [...sourcesUnder('nodes/node-red'), ...sourcesUnder('nodes/EoRequest'), ...sourcesUnder('credentials')];
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
