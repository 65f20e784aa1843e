/**
 * Watching what a download leaves on disk while it runs, is killed and runs again: the size of its
 * `.part` file, whether its final name ever shows an incomplete file, and content checks against
 * the emulator's synthetic bodies, whose bytes are a pure function of their size.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bodyBytes, syntheticSource } from '../../emulator/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Size of `file`, or undefined when it does not exist. */
export function sizeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).size;
  } catch {
    return undefined;
  }
}

/** Polls `condition` every 50 ms until it holds; fails with `what` on timeout. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** What {@link watchFinalName} saw. */
export interface FinalNameRecord {
  /** Times the final name was seen holding fewer bytes than the complete file (must stay 0). */
  incomplete: number;
  /** Sizes the final name was seen with, in order (inotify events and polls). */
  sizes: number[];
}

/**
 * Watches `dir` (inotify events, plus a poll every 10 ms) for a file named `name`, and records
 * every time it exists with a size other than `fullSize`: a half-written file under the final
 * name is what users and the next step of a flow would take for the real thing.
 */
export function watchFinalName(dir: string, name: string, fullSize: number): { record: FinalNameRecord; stop(): void } {
  const record: FinalNameRecord = { incomplete: 0, sizes: [] };
  const file = path.join(dir, name);
  const look = (): void => {
    const size = sizeOf(file);
    if (size === undefined) return;
    if (record.sizes[record.sizes.length - 1] !== size) record.sizes.push(size);
    if (size !== fullSize) record.incomplete += 1;
  };
  const watcher = fs.watch(dir, (_event, changed) => {
    if (changed === name) look();
  });
  const timer = setInterval(look, 10);
  return {
    record,
    stop() {
      watcher.close();
      clearInterval(timer);
      look();
    },
  };
}

/** SHA-256 of a file, streamed. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** SHA-256 of the emulator's synthetic body of `size` bytes (`/download/synthetic/<size>.bin`), 16 MiB at a time. */
export function syntheticSha256(size: number): string {
  const source = syntheticSource(size);
  const hash = createHash('sha256');
  const step = 16 * 1024 * 1024;
  for (let at = 0; at < size; at += step) hash.update(bodyBytes(source, at, Math.min(size, at + step)));
  return hash.digest('hex');
}

/** One range of a download fetched over parallel connections, as its sidecar (`<file>.meta.json`) records it. */
export interface RecordedRange {
  start: number;
  end: number;
  /** Bytes of the range on disk, from `start`. */
  done: number;
}

/** The ranges the sidecar of `target` records; none before it is written. */
export function recordedRanges(target: string): RecordedRange[] {
  try {
    return (JSON.parse(fs.readFileSync(`${target}.meta.json`, 'utf8')) as { segments?: RecordedRange[] }).segments ?? [];
  } catch {
    return [];
  }
}

/** Bytes the ranges hold on disk. */
export function recordedBytes(ranges: readonly RecordedRange[]): number {
  return ranges.reduce((sum, r) => sum + r.done, 0);
}

/**
 * The `Range` headers of a resumed download's requests that start inside bytes `ranges` recorded
 * as on disk, or ask for no range at all: what the resume fetched again although it was kept.
 */
export function refetchedRanges(rangeHeaders: readonly string[], ranges: readonly RecordedRange[]): string[] {
  return rangeHeaders.filter((header) => {
    const start = Number(/^bytes=(\d+)-/.exec(header)?.[1] ?? NaN);
    return Number.isNaN(start) || ranges.some((r) => start >= r.start && start < r.start + r.done);
  });
}
