/**
 * Every child process and scratch folder a benchmark makes is registered here, so the runner can
 * end and remove them all when a section fails, when the run is interrupted, or when the runner
 * itself exits: a benchmark must never leave an emulator, a Node-RED or gigabytes of files behind.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const folders = new Set<string>();

/** Registers a scratch folder for {@link removeFolders}; returns it. */
export function trackFolder(folder: string): string {
  folders.add(folder);
  return folder;
}

/** Removes every registered folder (synchronous: safe in an exit or signal handler). */
export function removeFolders(): void {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
  folders.clear();
}

/** Registers `child`; it is forgotten again once it exits. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Sends SIGKILL to every registered child still running (synchronous: safe in an exit handler). */
export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

/** Stops `child` (SIGTERM, SIGKILL after `graceMs`) and waits for it to exit. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
