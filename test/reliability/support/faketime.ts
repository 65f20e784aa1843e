/**
 * A wall clock that steps, for a whole process: libfaketime (Debian's faketime package, installed
 * by test/support/setup.sh) preloaded into it, reading its offset from a file on every call, so
 * the test can move the process's clock while it runs. The monotonic clock stays real, as it does
 * when NTP or an administrator steps the wall clock.
 */
import fs from 'node:fs';
import path from 'node:path';

const LIBRARY_DIRS = [
  '/usr/lib/x86_64-linux-gnu/faketime',
  '/usr/lib/aarch64-linux-gnu/faketime',
  '/usr/lib/faketime',
  '/usr/local/lib/faketime',
];

/** The multi-threaded libfaketime (Node runs threads), or undefined when it is not installed. */
export function faketimeLibrary(): string | undefined {
  return LIBRARY_DIRS.map((dir) => path.join(dir, 'libfaketimeMT.so.1')).find((file) => fs.existsSync(file));
}

/** A clock offset file and the environment that makes a process follow it. */
export class SteppableClock {
  private constructor(
    readonly file: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts at the real time (offset +0); undefined when libfaketime is missing. */
  static create(dir: string): SteppableClock | undefined {
    const library = faketimeLibrary();
    if (!library) return undefined;
    const file = path.join(dir, 'faketime-offset');
    fs.writeFileSync(file, '+0\n');
    return new SteppableClock(file, {
      LD_PRELOAD: library,
      FAKETIME_TIMESTAMP_FILE: file,
      // Read the file on every call (by default libfaketime caches it for 10 s).
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
      // File times stay real: the clock is what is being tested, not the file system.
      NO_FAKE_STAT: '1',
    });
  }

  /** Sets the offset from the real time, in whole seconds (a step from wherever it was). */
  set(offsetS: number): void {
    fs.writeFileSync(this.file, `${offsetS >= 0 ? '+' : '-'}${Math.abs(Math.round(offsetS))}\n`);
  }
}
