/**
 * The "raw undici" peer of the request-overhead section: one Node process of its own for the whole
 * section (an event loop to itself, as Node-RED has), keeping its Agent, its connections and its
 * warmed-up code from round to round exactly as Node-RED does. It is driven over IPC: each job
 * (with the access token, which never appears on a command line) is answered with one result. It
 * loads the undici our installed package got (npm picks 7 or 8 by Node version), so the peers
 * differ in what they do, not in which undici does it.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Agent } from 'undici';
import { stopChild, track } from './processes';

export interface UndiciLoadJob {
  url: string;
  method: 'GET' | 'POST';
  token: string;
  /** JSON body for POST. */
  body?: unknown;
  accept?: string;
  total: number;
  concurrency: number;
}

export interface UndiciLoadResult {
  ok: number;
  failed: number;
  elapsedMs: number;
  latencies: number[];
}

type Reply = { result: UndiciLoadResult } | { error: string };

/** The Agent's options; the "undici inside Node-RED" node (undici-node.ts) uses the same. */
export const UNDICI_AGENT_OPTIONS = { keepAliveTimeout: 4_000 };

type Undici = typeof import('undici');

async function measure(job: UndiciLoadJob, dispatcher: Agent, request: Undici['request']): Promise<UndiciLoadResult> {
  const bodyText = job.body === undefined ? undefined : JSON.stringify(job.body);
  const headers: Record<string, string> = { authorization: `Bearer ${job.token}` };
  if (job.accept) headers.accept = job.accept;
  if (bodyText !== undefined) headers['content-type'] = 'application/json';
  const latencies: number[] = [];
  let started = 0;
  let ok = 0;
  let failed = 0;
  const t0 = performance.now();
  const one = async (): Promise<void> => {
    const start = performance.now();
    try {
      const res = await request(job.url, { method: job.method, headers, body: bodyText, dispatcher });
      // Read the answer as a client would (JSON parsed, anything else as bytes).
      if (/json/.test(String(res.headers['content-type'] ?? ''))) await res.body.json();
      else await res.body.arrayBuffer();
      if (res.statusCode >= 200 && res.statusCode < 300) ok += 1;
      else failed += 1;
    } catch {
      failed += 1;
    }
    latencies.push(Math.round((performance.now() - start) * 1000) / 1000);
  };
  const worker = async (): Promise<void> => {
    while (started < job.total) {
      started += 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency, job.total) }, worker));
  const elapsedMs = performance.now() - t0;
  return { ok, failed, elapsedMs, latencies };
}

/** The worker: one Agent for its whole life, one job at a time from the parent. */
function serve(undiciPath: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const undici = require(undiciPath) as Undici;
  const dispatcher = new undici.Agent(UNDICI_AGENT_OPTIONS);
  process.on('message', (job: UndiciLoadJob) => {
    measure(job, dispatcher, undici.request).then(
      (result) => process.send!({ result } satisfies Reply),
      (err: unknown) => process.send!({ error: (err as Error).stack ?? String(err) } satisfies Reply),
    );
  });
  process.on('disconnect', () => void dispatcher.close().finally(() => process.exit(0)));
}

if (require.main === module) serve(process.argv[2]);

export interface UndiciWorker {
  run(job: UndiciLoadJob): Promise<UndiciLoadResult>;
  stop(): Promise<void>;
}

/**
 * Starts the worker process (the Node running this script) with the undici at `undiciPath`;
 * jobs run one after another.
 */
export function startUndiciWorker(undiciPath: string): UndiciWorker {
  const child = track(spawn(process.execPath, [__filename, undiciPath], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  let exited = false;
  child.once('exit', () => (exited = true));
  return {
    run: (job) =>
      new Promise((resolve, reject) => {
        if (exited) return reject(new Error('the undici worker has exited'));
        const onExit = (code: number | null): void => reject(new Error(`the undici worker exited with ${code} during a job`));
        child.once('exit', onExit);
        child.once('message', (reply: Reply) => {
          child.off('exit', onExit);
          if ('error' in reply) reject(new Error(`the undici worker failed: ${reply.error.slice(0, 1000)}`));
          else resolve(reply.result);
        });
        child.send(job);
      }),
    async stop() {
      if (child.connected) child.disconnect();
      await stopChild(child);
    },
  };
}
