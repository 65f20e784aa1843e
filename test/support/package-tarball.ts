/**
 * The package as users get it: the `npm pack` tarball of the built package. Node-RED and n8n
 * tests, the demo and the benchmarks all install this, never the source folder.
 *
 * Packing takes about 5 s and the suites install the package a few dozen times, so a build is
 * packed once: the tarball is kept in the system's temporary folder under a key made of what goes
 * into it (the paths, sizes and modification times of package.json's "files"), and each caller
 * gets its own copy. A new build has a new key; this repository's tarballs of older builds are
 * removed then.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths';

const run = promisify(execFile);

/** Every file `npm pack` takes, as "path size mtime" lines: package.json, and what its "files" names. */
function packedFileStats(): string[] {
  const manifest = path.join(repoRoot, 'package.json');
  const { files = [] } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { files?: string[] };
  const lines: string[] = [];
  const add = (file: string): void => {
    const s = fs.statSync(file);
    if (s.isDirectory()) for (const entry of fs.readdirSync(file).sort()) add(path.join(file, entry));
    else lines.push(`${path.relative(repoRoot, file)} ${s.size} ${s.mtimeMs}`);
  };
  add(manifest);
  for (const entry of files) if (fs.existsSync(path.join(repoRoot, entry))) add(path.join(repoRoot, entry));
  return lines;
}

const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** This build's tarball, packed on first use (several processes may ask at once: the first to finish wins). */
async function buildTarball(): Promise<string> {
  const prefix = `eo-nodes-pack-${digest(repoRoot)}-`;
  const folder = path.join(os.tmpdir(), `${prefix}${digest(packedFileStats().join('\n'))}`);
  const packed = () => (fs.existsSync(folder) ? fs.readdirSync(folder).find((f) => f.endsWith('.tgz')) : undefined);
  if (!packed()) {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-nodes-packing-'));
    await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
    try {
      fs.renameSync(scratch, folder);
    } catch {
      // Another process packed the same build first: use its tarball.
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    for (const old of fs.readdirSync(os.tmpdir()))
      if (old.startsWith(prefix) && path.join(os.tmpdir(), old) !== folder)
        fs.rmSync(path.join(os.tmpdir(), old), { recursive: true, force: true });
  }
  const name = packed();
  if (!name) throw new Error(`npm pack left no tarball in ${folder}`);
  return path.join(folder, name);
}

/** Packs the built package (needs `npm run build` first) into `dir`; returns the tarball's path. */
export async function packPackage(dir: string): Promise<string> {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'nodes'))) throw new Error('dist/nodes is missing: run `npm run build` first');
  const tarball = await buildTarball();
  const copy = path.join(dir, path.basename(tarball));
  fs.copyFileSync(tarball, copy);
  return copy;
}
