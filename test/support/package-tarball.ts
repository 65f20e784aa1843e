/**
 * The package as users get it: the `npm pack` tarball of the built package. Node-RED and n8n
 * tests, the demo and the benchmarks all install this, never the source folder.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths';

const run = promisify(execFile);

/** Packs the built package (needs `npm run build` first) into `dir`; returns the tarball's path. */
export async function packPackage(dir: string): Promise<string> {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'nodes'))) throw new Error('dist/nodes is missing: run `npm run build` first');
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [{ filename }] = JSON.parse(stdout) as { filename: string }[];
  return path.join(dir, filename);
}
