/**
 * What a failed write to the local disk means to the user. Node's own errors ("ENOSPC: no space
 * left on device, write") name neither the folder nor a fix, and an error from writing to an open
 * file carries no path at all; a user with several download folders cannot tell which one is full.
 * Here each such error becomes `EO_FILE_WRITE_FAILED` naming the folder (field `directory`), what
 * is wrong with it, and what to do.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EoError } from '../errors';

/** The file-system calls whose failures are about the folder (a socket's `connect EACCES` is not). */
const FILE_SYSCALLS = new Set([
  'open',
  'write',
  'writev',
  'close',
  'fsync',
  'fdatasync',
  'mkdir',
  'mkdtemp',
  'rename',
  'unlink',
  'rmdir',
  'realpath',
  'lstat',
  'stat',
  'copyfile',
  'ftruncate',
]);

/** Who this process runs as, for a permission error: the user a reader must give write access to. */
function processUser(): string {
  try {
    return `user ${os.userInfo().username}`;
  } catch {
    // No entry in the password database (a container started with a bare numeric uid).
    return typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'this user';
  }
}

const NOT_CREATED = 'the file was not created';
const FREE_SPACE = 'Free some space on that disk or choose a folder on another disk, then run again.';

/** Sentence and hint for each error code that is about the folder rather than the data. */
const EXPLAIN: Record<string, (folder: string, code: string) => { what: string; hint: string }> = {
  ENOSPC: (folder, code) => ({
    what: `The disk of the folder ${folder} is full (${code}: no space left); ${NOT_CREATED}.`,
    hint: FREE_SPACE,
  }),
  EDQUOT: (folder, code) => ({ what: `The disk quota for the folder ${folder} is used up (${code}); ${NOT_CREATED}.`, hint: FREE_SPACE }),
  EFBIG: (folder, code) => ({
    what: `The file is too large for the file system of the folder ${folder} (${code}); ${NOT_CREATED}.`,
    hint: 'Choose a folder on a disk whose file system holds files of this size.',
  }),
  EROFS: (folder, code) => ({
    what: `The folder ${folder} is on a read-only file system (${code}); nothing was written.`,
    hint: 'Choose a folder on a writable disk, or mount this one read-write.',
  }),
  EACCES: (folder, code) => ({
    what: `This process (${processUser()}) may not write in the folder ${folder} (${code}: permission denied); nothing was written.`,
    hint: 'Give that user write permission on the folder, or choose another folder.',
  }),
  ENOENT: (folder, code) => ({
    what: `The folder ${folder} is missing and could not be created (${code}); ${NOT_CREATED}.`,
    hint: 'Check that the disk holding it is mounted, or choose another folder.',
  }),
  ENOTDIR: (folder, code) => ({
    what: `The folder path ${folder} runs through a file, not a folder (${code}); nothing was written.`,
    hint: 'Choose a folder path made of folders only.',
  }),
  EIO: (folder, code) => ({
    what: `The disk of the folder ${folder} failed to read or write (${code}); ${NOT_CREATED}.`,
    hint: 'Check the disk (the system log names the device), or choose a folder on another disk.',
  }),
};
EXPLAIN.EPERM = EXPLAIN.EACCES;

/**
 * Why a missing folder could not be made, from the nearest folder above it that exists: Node's
 * recursive mkdir reports ENOENT when a parent cannot be made, whatever stopped it (a read-only
 * file system, no permission).
 */
function whyNotCreated(folder: string): string | undefined {
  let existing = folder;
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  try {
    fs.accessSync(existing, fs.constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && Object.hasOwn(EXPLAIN, code) ? code : undefined;
  }
}

/** Whether `err` is a file-system failure this module explains (by code and system call). */
export function isFileWriteFailure(err: unknown): err is NodeJS.ErrnoException {
  // Not `instanceof Error`: errors made by Node's own fs belong to another realm inside a sandbox (vm, jest).
  if (typeof err !== 'object' || err === null) return false;
  const { code, syscall } = err as NodeJS.ErrnoException;
  return typeof code === 'string' && Object.hasOwn(EXPLAIN, code) && typeof syscall === 'string' && FILE_SYSCALLS.has(syscall);
}

/**
 * `err` as `EO_FILE_WRITE_FAILED` naming `directory` (made absolute: a relative folder resolves
 * against the process's working directory, which the user may not know), or `err` unchanged
 * when it is not a file-system failure about the folder. `options.hint` replaces the advice, for
 * a caller whose user did not choose the folder.
 *
 * @example
 * try { await writeFile(target, data) } catch (err) { throw fileWriteError(err, directory) }
 */
export function fileWriteError(err: unknown, directory: string, options: { hint?: string } = {}): unknown {
  if (!isFileWriteFailure(err)) return err;
  const folder = path.resolve(directory);
  const code = err.code === 'ENOENT' && err.syscall === 'mkdir' ? (whyNotCreated(folder) ?? 'ENOENT') : (err.code as string);
  const { what, hint } = EXPLAIN[code](folder, code);
  return new EoError('EO_FILE_WRITE_FAILED', what, { field: 'directory', hint: options.hint ?? hint, cause: err });
}

/**
 * Runs `write` (something that writes into `directory`) and throws its file-system failures as
 * `EO_FILE_WRITE_FAILED` (see {@link fileWriteError}); every other error passes unchanged.
 */
export async function explainFileErrors<T>(directory: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw fileWriteError(err, directory);
  }
}
