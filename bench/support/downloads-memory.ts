/**
 * Memory of another process, read from /proc: its resident set now, and its peak while something
 * runs. The peak combines two readings so neither a short spike nor a reset that failed is missed:
 * VmRSS sampled every 20 ms, and VmHWM (the kernel's own high-water mark) after it was reset to
 * the current RSS with `echo 5 > /proc/<pid>/clear_refs`.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

const MIB = 1024 * 1024;

/** One `kB` field of /proc/<pid>/status in bytes, or undefined when the process is gone. */
function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident set size of `pid` in bytes (throws when the process is gone). */
export function rssOf(pid: number): number {
  const rss = statusField(pid, 'VmRSS');
  if (rss === undefined) throw new Error(`process ${pid} is gone`);
  return rss;
}

/** The processes `pid` started (direct children), e.g. n8n's task runner. */
export function childPids(pid: number): number[] {
  const pids: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      for (const p of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/)) if (p) pids.push(Number(p));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return pids;
}

/** What `pid` runs, for saying which process a figure belongs to: the package of its script, e.g. "@n8n/task-runner". */
export function describeProcess(pid: number): string {
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return `process ${pid} (gone)`;
  }
  const script = args.slice(1).find((a) => !a.startsWith('-')) ?? args[0] ?? '';
  const packages = [...script.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].map((m) => m[1]);
  return packages.length ? packages[packages.length - 1] : script;
}

/**
 * The idle RSS of `pid`: the smallest of a few readings over `ms`, after a settle pause, so a
 * timer that happens to run at the moment of one reading does not set the baseline.
 */
export async function idleRss(pid: number, ms = 600): Promise<number> {
  await new Promise((r) => setTimeout(r, 400));
  let low = rssOf(pid);
  for (let t = 0; t < ms; t += 100) {
    await new Promise((r) => setTimeout(r, 100));
    low = Math.min(low, rssOf(pid));
  }
  return low;
}

/** Watches the peak RSS of `pid` until `stop()`. */
export function watchPeakRss(pid: number, intervalMs = 20): { stop(): number } {
  let hwmReset = false;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    hwmReset = true;
  } catch {
    // Not allowed here: the samples alone give the peak.
  }
  let peak = statusField(pid, 'VmRSS') ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, statusField(pid, 'VmRSS') ?? 0);
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, statusField(pid, 'VmRSS') ?? 0);
      if (hwmReset) peak = Math.max(peak, statusField(pid, 'VmHWM') ?? 0);
      return peak;
    },
  };
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): number {
  return Math.round((bytes / MIB) * 10) / 10;
}
