/**
 * The "raw undici" peer of the request-overhead section, run as its own Node process so it gets a
 * process (and event loop) to itself exactly as Node-RED does: an undici Agent with a static bearer
 * token, keeping `concurrency` requests in flight until `total` have completed.
 *   node undici-load.js '<json LoadJob>'   → prints one JSON line (UndiciLoadResult)
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';

export interface UndiciLoadJob {
  url: string;
  method: 'GET' | 'POST';
  token: string;
  /** JSON body for POST. */
  body?: unknown;
  accept?: string;
  total: number;
  concurrency: number;
  /** Requests sent first and not counted: a fresh process has cold code and no connections yet. */
  warmup?: number;
}

export interface UndiciLoadResult {
  ok: number;
  failed: number;
  elapsedMs: number;
  latencies: number[];
}

async function runJob(job: UndiciLoadJob): Promise<UndiciLoadResult> {
  const dispatcher = new Agent({ keepAliveTimeout: 4_000 });
  if (job.warmup) await measure(job, dispatcher, job.warmup);
  const result = await measure(job, dispatcher, job.total);
  await dispatcher.close();
  return result;
}

async function measure(job: UndiciLoadJob, dispatcher: Agent, total: number): Promise<UndiciLoadResult> {
  const bodyText = job.body === undefined ? undefined : JSON.stringify(job.body);
  const latencies: number[] = [];
  let started = 0;
  let ok = 0;
  let failed = 0;
  const t0 = performance.now();
  const one = async (): Promise<void> => {
    const start = performance.now();
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${job.token}` };
      if (job.accept) headers.accept = job.accept;
      if (bodyText !== undefined) headers['content-type'] = 'application/json';
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
    while (started < total) {
      started += 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency, total) }, worker));
  const elapsedMs = performance.now() - t0;
  return { ok, failed, elapsedMs, latencies };
}

if (require.main === module) {
  runJob(JSON.parse(process.argv[2]) as UndiciLoadJob).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

/** Runs `job` in a fresh Node process (the one running this script) and returns its result. */
export async function runUndiciLoad(job: UndiciLoadJob): Promise<UndiciLoadResult> {
  const { spawn } = await import('node:child_process');
  const { track } = await import('./processes');
  const child = track(spawn(process.execPath, [__filename, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the undici peer exited with ${code}: ${err.slice(0, 1000)}`);
  return JSON.parse(out.trim().split('\n').pop()!) as UndiciLoadResult;
}
