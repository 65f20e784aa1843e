/**
 * Small file systems the disk-fault scenarios make for themselves: a tmpfs with a size limit (a
 * disk that fills up) and one remounted read-only. Mounting needs root with CAP_SYS_ADMIN; where
 * it is refused (an unprivileged CI container) `mountRefusal()` says why, and the rows that need
 * a mount say "skipped" with that reason instead of passing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The user an engine runs as when a scenario needs one that file modes apply to (root ignores them). */
export const UNPRIVILEGED = { uid: 65534, gid: 65534 };

function run(args: string[]): { ok: boolean; said: string } {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  return { ok: r.status === 0, said: `${r.stderr ?? ''}${r.stdout ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

let refusal: string | null | undefined;

/** Why a tmpfs cannot be mounted here, or undefined when it can (tried once, on a scratch folder). */
export function mountRefusal(): string | undefined {
  if (refusal === undefined) {
    const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-mount-probe-'));
    const tried = run(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
    if (tried.ok) run(['umount', probe]);
    fs.rmSync(probe, { recursive: true, force: true });
    refusal = tried.ok ? null : `cannot mount a tmpfs here (${tried.said || 'mount refused'})`;
  }
  return refusal ?? undefined;
}

/** Whether this process may run another one as {@link UNPRIVILEGED} (it is root). */
export function canSwitchUser(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Mounts a tmpfs of `sizeBytes` on `dir` (created), its root owned by `owner` (default this process's user). */
export function mountTmpfs(dir: string, sizeBytes: number, owner?: { uid: number; gid: number }): void {
  fs.mkdirSync(dir, { recursive: true });
  const ids = owner ? `,uid=${owner.uid},gid=${owner.gid}` : '';
  const r = run(['mount', '-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755${ids}`, 'tmpfs', dir]);
  if (!r.ok) throw new Error(`mount tmpfs on ${dir} failed: ${r.said}`);
}

/** Makes the file system mounted on `dir` read-only. */
export function remountReadOnly(dir: string): void {
  const r = run(['mount', '-o', 'remount,ro', dir]);
  if (!r.ok) throw new Error(`remount read-only of ${dir} failed: ${r.said}`);
}

/** Unmounts `dir` if something is mounted there (lazily: a process still holding a file does not block it). */
export function unmount(dir: string): void {
  run(['umount', '-l', dir]);
}

/** Fills the file system of `dir` to the last byte with `<dir>/filler.bin`; returns how much it took. */
export function fillUp(dir: string, name = 'filler.bin'): number {
  const fd = fs.openSync(path.join(dir, name), 'w');
  const block = Buffer.alloc(64 * 1024, 0xaa);
  let written = 0;
  try {
    for (;;) written += fs.writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return written;
}
