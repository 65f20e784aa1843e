/** Where the tests, the demo and the benchmarks find the repository and keep their scratch folders. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The repository root, from any folder under test/ or bench/, or their compiled copies under dist/. */
export const repoRoot = findRoot(__dirname);

function findRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') {
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
    dir = path.dirname(dir);
  }
  return dir;
}

/** A fresh temporary folder (removed by the caller). */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}
