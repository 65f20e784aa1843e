/**
 * The private temporary folders downloads pass through before n8n takes the file. A folder is
 * removed when its download ends, but not when the process is killed during it (a deploy, the OOM
 * killer, a reboot without a tmpfs): then it stays, with up to a whole file in it. So each folder's
 * name says which process owns it, on which host, and the first download of a process in a
 * temporary folder removes the folders whose owner is gone. Queue-mode workers and the main
 * process may share one /tmp: a folder whose owner still runs is never touched, nor one made on
 * another host (containers sharing a /tmp volume each count process ids from 1).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'eo-n8n-dl-';
/** `eo-n8n-dl-<pid>@<host>-<six characters from mkdtemp>` */
const OWNED = /^eo-n8n-dl-(\d+)@(.+)-[A-Za-z0-9]{6}$/;

/** This host's name as it may appear in a folder name. */
function hostLabel(): string {
  return hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'localhost';
}

/** Whether process `pid` runs on this host (a process of another user counts: it exists). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The folders under `parent` this host's processes made and left behind when they died. */
export async function orphanedFolders(parent: string): Promise<string[]> {
  const host = hostLabel();
  const entries = await readdir(parent).catch(() => [] as string[]);
  return entries.filter((name) => {
    const owner = OWNED.exec(name);
    if (!owner || owner[2] !== host) return false;
    const pid = Number(owner[1]);
    return pid !== process.pid && !isRunning(pid);
  });
}

/** Temporary folders already swept by this process: once each is enough, later orphans are the next process's. */
const swept = new Map<string, Promise<void>>();

async function sweep(parent: string): Promise<void> {
  for (const name of await orphanedFolders(parent)) await rm(join(parent, name), { recursive: true, force: true }).catch(() => undefined);
}

/**
 * A new private folder in `parent` (default the system's temporary folder, TMPDIR), named after
 * this process, after removing (once per process) what killed processes of this host left there.
 */
export async function makeDownloadFolder(parent: string = tmpdir()): Promise<string> {
  let done = swept.get(parent);
  if (!done) {
    done = sweep(parent);
    swept.set(parent, done);
  }
  await done;
  return mkdtemp(join(parent, `${PREFIX}${process.pid}@${hostLabel()}-`));
}
