/**
 * 4. n8n: the same large body (2 GiB; 256 MiB with --quick) through the EO Request node in a real
 * n8n 2.41.1 (`n8n start`, N8N_DEFAULT_BINARY_DATA_MODE=filesystem), started by a webhook that
 * answers once the file is in n8n's binary store. Figure: peak RSS of the n8n main process above
 * its idle RSS after start and a 1 MiB warm-up run. The stored binary is compared byte for byte
 * with the emulator's body, then deleted.
 */
import { rm } from 'node:fs/promises';
import { callWebhook, N8N_VERSION, N8nHome, startN8n, type N8nServer } from '../test/support/n8n-process';
import type { BenchContext, BenchRow, BenchSection, BenchSectionRunner } from './report';
import { childPids, describeProcess, idleRss, mib, rssOf, watchPeakRss } from './support/downloads-memory';
import { matchesSyntheticBody, startEmulatorProcess } from './support/downloads-emulator';
import { trackFolder } from './support/processes';
import { WEBHOOK_PATH, WORKFLOW_ID, downloadWorkflow, terrascopeCredential } from './support/n8n-download-workflow';

const MIB = 1024 * 1024;
const GOAL_MIB = 128;

/** Calls the benchmark webhook (waiting out the 404s before n8n has registered it). */
async function download(server: N8nServer, bytes: number): Promise<{ ok: boolean; body: Record<string, unknown> | string }> {
  const res = await callWebhook(server, `${WEBHOOK_PATH}?size=${bytes}`, { method: 'POST' });
  const text = await res.text();
  let body: Record<string, unknown> | string = text;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: keep the text for the error message.
  }
  return { ok: res.ok, body };
}

/** Runs one download and checks what n8n stored; the stored file is deleted afterwards. */
async function downloadAndVerify(home: N8nHome, server: N8nServer, bytes: number): Promise<{ ok: boolean; why?: string }> {
  const answer = await download(server, bytes);
  const reported = typeof answer.body === 'object' ? answer.body.bytes : undefined;
  if (!answer.ok || reported !== bytes) return { ok: false, why: `the webhook answered ${JSON.stringify(answer.body).slice(0, 300)}` };
  const stored = await home.storedBinaries(bytes);
  if (stored.length !== 1) return { ok: false, why: `${stored.length} files of ${bytes} bytes in n8n's binary store, 1 expected` };
  const check = await matchesSyntheticBody(stored[0], bytes);
  await rm(stored[0], { force: true });
  return check;
}

export const runN8nDownload: BenchSectionRunner = async (ctx: BenchContext): Promise<BenchSection> => {
  const size = ctx.quick ? 256 * MIB : 2048 * MIB;
  const sizeLabel = ctx.quick ? '256 MiB' : '2 GiB';
  const stops: (() => Promise<void>)[] = [];
  try {
    ctx.log(`n8n download: emulator, n8n ${N8N_VERSION} with the packed package (${sizeLabel})`);
    const emulator = await startEmulatorProcess(process.execPath);
    stops.push(emulator.stop);
    const home = await N8nHome.create();
    trackFolder(home.folder);
    stops.push(() => home.remove());
    await home.importCredentials([terrascopeCredential(emulator.endpoints)]);
    await home.importWorkflows([downloadWorkflow()]);
    const published = await home.cli(['publish:workflow', `--id=${WORKFLOW_ID}`]);
    if (published.code !== 0) throw new Error(`n8n publish:workflow failed:\n${published.stdout}\n${published.stderr}`);
    const server = await startN8n(home);
    stops.push(server.stop);

    const warm = await downloadAndVerify(home, server, MIB);
    if (!warm.ok) throw new Error(`the n8n warm-up download failed: ${warm.why}\n${server.output().slice(-2000)}`);
    const idle = await idleRss(server.pid, 1500);
    const children = childPids(server.pid);
    const childIdle = new Map(children.map((pid) => [pid, rssOf(pid)]));
    const watchChildren = children.map((pid) => ({ pid, watch: watchPeakRss(pid) }));
    const watch = watchPeakRss(server.pid);
    const started = performance.now();
    const result = await downloadAndVerify(home, server, size);
    const seconds = (performance.now() - started) / 1000;
    const peak = watch.stop();
    const childAbove = watchChildren.map(({ pid, watch: w }) => ({ pid, above: w.stop() - (childIdle.get(pid) ?? 0) }));
    const above = peak - idle;
    ctx.log(
      `  n8n: ${result.ok ? `${Math.round(size / MIB / seconds)} MiB/s` : `FAILED (${result.why})`}, main process peak RSS ${mib(above)} MiB above idle (${mib(idle)} MiB)`,
    );

    const childNote = children.length
      ? `child processes of n8n (not counted): ${childAbove.map(({ pid, above: a }) => `${describeProcess(pid)} (pid ${pid}) ${mib(a)} MiB above idle`).join('; ')}`
      : 'n8n started no child processes (no task runner was running), so the main process is all of it';
    const row: BenchRow = {
      metric: `n8n main process: peak RSS above idle, ${sizeLabel} download into the binary store`,
      ours: mib(above),
      unit: 'MiB',
      goal: `≤ ${GOAL_MIB} MiB above idle`,
      met: result.ok && above <= GOAL_MIB * MIB,
      note: [
        result.ok ? "the stored binary matched the emulator's body byte for byte" : `the download FAILED: ${result.why}`,
        `idle RSS after start and a 1 MiB warm-up run: ${mib(idle)} MiB`,
        childNote,
      ].join('; '),
    };
    return {
      title: '4. n8n',
      setup:
        `n8n ${N8N_VERSION} (\`n8n start\`, SQLite, N8N_DEFAULT_BINARY_DATA_MODE=filesystem) on Node ${process.version} with the packed package; ` +
        `a published workflow Webhook → EO Request (Terrascope "Download File") downloads the emulator's /download/synthetic/${size}.bin (${sizeLabel}) into binary field "data". ` +
        'The EO Request node streams the body to a temporary file (resumable, size-checked), then hands n8n a read stream of it. ' +
        'Peak = max of VmRSS every 20 ms and VmHWM of the n8n main process; the emulator runs in its own process.',
      rows: [row],
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
};
