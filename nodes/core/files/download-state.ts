/**
 * What a download remembers between runs, in a JSON sidecar `<file>.meta.json` next to the file:
 * the validator (ETag or Last-Modified) and size of the finished file, or of the `.part` being
 * filled. It lets an unchanged file be skipped and a broken download resume with `If-Range`, so
 * two versions of a file are never spliced together.
 */
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { Segment } from './segment-plan';

/** The sidecar's content. */
export interface DownloadMeta {
  /** Origin and path of the source (no query string: it may carry secrets). */
  url: string;
  etag?: string;
  lastModified?: string;
  /** Expected size in bytes, when the server announced one. */
  size?: number;
  /** True once `<file>` holds the complete, verified body; false while `<file>.part` is filled. */
  complete: boolean;
  /**
   * While the `.part` is filled over several connections: its byte ranges and how much of each is
   * on disk (see segment-plan.ts). Absent when it is filled from the start, one byte after the other.
   */
  segments?: Segment[];
}

/** Where the sidecar of `target` lives. */
export function metaPathOf(target: string): string {
  return `${target}.meta.json`;
}

/** Where the bytes of `target` collect until they are complete. */
export function partPathOf(target: string): string {
  return `${target}.part`;
}

/** The sidecar, or undefined when it is missing or unreadable (then nothing is skipped or resumed). */
export async function readMeta(target: string): Promise<DownloadMeta | undefined> {
  try {
    const parsed = JSON.parse(await readFile(metaPathOf(target), 'utf8')) as Partial<DownloadMeta>;
    if (typeof parsed.url !== 'string' || typeof parsed.complete !== 'boolean') return undefined;
    return parsed as DownloadMeta;
  } catch {
    return undefined;
  }
}

/** Replaces the sidecar of `target`. */
export async function writeMeta(target: string, meta: DownloadMeta): Promise<void> {
  // Written aside and renamed: a process killed mid-write leaves the previous sidecar, never half
  // of one (which would read as none, and the .part would be fetched again from the start).
  // A link planted at the aside name is removed, not written through ('wx' refuses one that
  // appears in between).
  const file = metaPathOf(target);
  await rm(`${file}.tmp`, { force: true });
  await writeFile(`${file}.tmp`, `${JSON.stringify(meta)}\n`, { flag: 'wx' });
  await rename(`${file}.tmp`, file);
}

/** Size of a file, or undefined when it does not exist. */
export async function sizeOf(file: string): Promise<number | undefined> {
  try {
    const s = await stat(file);
    return s.isFile() ? s.size : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const inFlight = new Map<string, Promise<unknown>>();

/**
 * Runs downloads of the same target one after another within this process: two flows writing
 * one `.part` file at once would corrupt it.
 */
export async function withTargetLock<T>(target: string, run: () => Promise<T>): Promise<T> {
  const previous = inFlight.get(target) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(run);
  inFlight.set(target, current);
  try {
    return await current;
  } finally {
    if (inFlight.get(target) === current) inFlight.delete(target);
  }
}

/** Flushes `file` to disk before it is renamed: without this a crash right after the rename can leave an empty file under the final name. */
export async function syncToDisk(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
