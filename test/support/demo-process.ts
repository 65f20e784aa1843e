/**
 * A demo (`npm run demo`, `npm run demo:n8n`) run the way a newcomer runs it: the compiled script
 * as its own process, with its output kept, until it prints that it is ready.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import { repoRoot, tempDir } from './paths';

/** What every demo prints last, once everything runs. */
const READY = 'Press Ctrl-C to stop.';

export interface RunningDemo {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Its exit code, once it exited. */
  exited: Promise<number | null>;
  /**
   * Ends it whatever state it is in (for afterAll): Ctrl-C, up to 30 s to stop what it started,
   * then SIGKILL for its whole process group (Node-RED or n8n included).
   */
  end(): Promise<void>;
}

/**
 * Starts `dist/test/demo/<script>` with `args` and the work folder `EO_DEMO_DIR`, and resolves
 * once it printed that it is ready; rejects with its output if it exits before.
 */
export async function startDemo(script: string, args: string[], workDir: string): Promise<RunningDemo> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'test', 'demo', script), ...args], {
    cwd: repoRoot,
    env: { ...process.env, EO_DEMO_DIR: workDir, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so end() can stop what it started even if it cannot.
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  const demo: RunningDemo = {
    child,
    output: () => out,
    exited,
    end: async () => {
      if (running()) {
        let timer: NodeJS.Timeout | undefined;
        child.kill('SIGINT');
        await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))]);
        clearTimeout(timer);
      }
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes(READY)) {
        clearInterval(timer);
        resolve();
      } else if (!running()) {
        clearInterval(timer);
        reject(new Error(`${script} exited before it was ready:\n${out}`));
      }
    }, 100);
  });
  return demo;
}

/**
 * For a demo's test file: `start()` runs a demo in a fresh work folder (`work()`); afterAll ends
 * it whatever happened and removes the folder.
 */
export function useDemo(prefix: string): { start(script: string, args: string[]): Promise<RunningDemo>; work(): string } {
  let demo: RunningDemo | undefined;
  let work: string | undefined;
  afterAll(async () => {
    await demo?.end();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, 60_000);
  return {
    start: async (script, args) => {
      work = tempDir(prefix);
      demo = await startDemo(script, args, work);
      return demo;
    },
    work: () => {
      if (!work) throw new Error('no demo started yet');
      return work;
    },
  };
}
