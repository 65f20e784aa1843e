/**
 * Keeping written files inside the folder a user chose. File names often come from messages,
 * URLs or catalog entries, so `..`, absolute paths and symlinked folders are all refused.
 */
import { lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { EoError } from '../errors';

function refuse(filename: string, why: string): EoError {
  const shown = filename.replace(/\0/g, '\\0').slice(0, 200);
  return new EoError('EO_PATH_NOT_ALLOWED', `The file name "${shown}" was refused: ${why}.`, {
    field: 'filename',
    hint: 'Use a relative name such as "tiles/N00E006.tif" that stays inside the download folder.',
  });
}

/** Refuses a folder that is empty or no path at all. */
function checkFolder(directory: string): void {
  if (typeof directory !== 'string' || !directory.trim() || directory.includes('\0')) {
    throw new EoError('EO_INVALID_CONFIG', 'The download folder is missing or invalid: set the folder to write files into.', {
      field: 'directory',
    });
  }
}

/** Whether a path relative to the folder points outside it ("..cache/x" is a name inside it). */
function leavesRoot(rel: string): boolean {
  return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
}

/**
 * Checks `filename` without touching the disk and returns the absolute path inside `directory`.
 * Backslashes count as separators too, so a Windows-style `..\x` is refused on every platform.
 *
 * @throws EoError `EO_PATH_NOT_ALLOWED` (field `filename`), `EO_INVALID_CONFIG` (field `directory`).
 */
export function resolveInside(directory: string, filename: string): string {
  checkFolder(directory);
  if (typeof filename !== 'string' || !filename.trim()) throw refuse(String(filename ?? ''), 'it is empty');
  if (filename.includes('\0')) throw refuse(filename, 'it contains a NUL byte');
  if (path.isAbsolute(filename) || path.win32.isAbsolute(filename) || /^[a-z]:/i.test(filename)) {
    throw refuse(filename, 'absolute paths are not allowed');
  }
  const segments = filename.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw refuse(filename, '".." would leave the download folder');
  if (segments.length === 0) throw refuse(filename, 'it names no file');
  // Writers keep a body in "<name>.part" and a download its state in "<name>.meta.json": a file
  // given such a name would be taken for another file's partial body or state, and overwritten.
  if (/\.(part|meta\.json|meta\.json\.tmp)$/i.test(segments[segments.length - 1])) {
    throw refuse(filename, 'names ending in .part, .meta.json or .meta.json.tmp are the working files of downloads in progress');
  }
  const root = path.resolve(directory);
  const target = path.resolve(root, ...segments);
  const rel = path.relative(root, target);
  if (!rel || leavesRoot(rel)) throw refuse(filename, 'it resolves outside the download folder');
  return target;
}

/**
 * Creates the folders up to `target` one at a time, checking each after resolving symlinks: a
 * subfolder that is a link leading outside `directory` is refused before anything is created
 * through it.
 */
export async function prepareTargetFolder(directory: string, target: string, filename: string): Promise<void> {
  const root = path.resolve(directory);
  await mkdir(root, { recursive: true });
  const realRoot = await realpath(root);
  let current = root;
  for (const segment of path.relative(root, path.dirname(target)).split(path.sep).filter(Boolean)) {
    current = path.join(current, segment);
    try {
      await mkdir(current);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const rel = path.relative(realRoot, await realpath(current));
    if (leavesRoot(rel)) throw refuse(filename, 'a folder on its path is a link that leads outside the download folder');
  }
}

/** Refuses to write through a symlink planted where a working file (`.part`, sidecar) goes. */
export async function assertNotSymlink(file: string, filename: string): Promise<void> {
  try {
    if ((await lstat(file)).isSymbolicLink()) throw refuse(filename, `${path.basename(file)} is a symbolic link`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Where `directory` really is: absolute (a relative folder counts from the process's working
 * directory, as every writer here resolves it), with the symbolic links of the part that exists
 * already resolved, and the part still to be created appended as given. An engine that allows
 * writing only below some folders compares this path, not the text the user typed: a link inside
 * an allowed folder may lead anywhere.
 *
 * @throws EoError `EO_INVALID_CONFIG` (field `directory`) when the folder is empty or invalid.
 */
export async function realFolderPath(directory: string): Promise<string> {
  checkFolder(directory);
  let existing = path.resolve(directory);
  const missing: string[] = [];
  for (;;) {
    try {
      return path.join(await realpath(existing), ...missing);
    } catch (err) {
      const parent = path.dirname(existing);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === existing) throw err;
      missing.unshift(path.basename(existing));
      existing = parent;
    }
  }
}
