/**
 * 5. Bulk ingest: many large WorldCover tiles over a realistic network, where the provider caps
 * each account's concurrent downloads and one connection does not fill the link.
 *
 * The emulator (a process of its own) adds a 40 ms round trip (twice for a new connection), limits
 * each connection to 20 MB/s and the link to 100 MB/s, and refuses a fifth concurrent download per
 * account with 429. The best any client can do is total bytes ÷ min(link, cap × per-connection
 * rate): the ideal. Measured in one run, each with an emulator account of its own:
 *   - ours in Node-RED 5 (packed package): EO Request "WorldCover tiles", Download connections 4;
 *   - ours in n8n 2.41.1 (`n8n start`): EO Request "WorldCover Tiles" into n8n's binary store;
 *   - curl --parallel --parallel-max 4 (Debian's) over the same URLs: a well-tuned raw client;
 *   - the sequential behaviour before this: the same Node-RED flow with Download connections 1;
 *   - the naive Node-RED flow: split → core http request → file, nothing limiting concurrency;
 *   - one large file with and without parallel ranges (Download connections 4 and 1).
 * Every file is compared byte for byte with the emulator's deterministic content before it counts.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { worldCoverTiles, type WorldCoverTile } from '../nodes/core';
import type { EmulatorConfig, EmulatorEndpoints } from '../test/emulator/types';
import { sha256File } from '../test/support/fixtures';
import { callWebhook, N8N_VERSION, N8nHome, startN8n, TERRASCOPE_CREDENTIAL, type N8nServer } from '../test/support/n8n-process';
import { installPackage, nodeRed5Runtime, startNodeRed, type NodeRedProcess } from '../test/support/node-red-process';
import { packPackage } from '../test/support/package-tarball';
import type { BenchContext, BenchRow, BenchSection, BenchSectionRunner } from './report';
import { largeFileFlow, naiveFlow, worldCoverFlow, type BulkAccount } from './support/bulk-flows';
import { matchesSyntheticBody } from './support/downloads-emulator';
import { webhookWorkflow } from './support/n8n-download-workflow';
import { idleRss, mib, watchPeakRss } from './support/downloads-memory';
import { startEmulatorProcess, type EmulatorProcess } from './support/emulator-process';
import { track, trackFolder } from './support/processes';
import { round } from './support/stats';

const MIB = 1024 * 1024;
const MB = 1_000_000;
const run = promisify(execFile);

/** The network of the workload, as the issue sets it. */
const NETWORK = { latencyMs: 40, connectionBytesPerSecond: 20 * MB, linkBytesPerSecond: 100 * MB, downloadsPerAccount: 4 };
const CAP = NETWORK.downloadsPerAccount;
/** The best rate any client can reach: the link, or the cap's connections at their own limit. */
const IDEAL_RATE = Math.min(NETWORK.linkBytesPerSecond, CAP * NETWORK.connectionBytesPerSecond);

/** One emulator account per client, so caps and counters never mix. */
const ACCOUNTS = {
  nodeRed: { username: 'bench-node-red', password: 'bench-node-red-pw' },
  sequential: { username: 'bench-sequential', password: 'bench-sequential-pw' },
  naive: { username: 'bench-naive', password: 'bench-naive-pw' },
  curl: { username: 'bench-curl', password: 'bench-curl-pw' },
  n8n: { username: 'bench-n8n', password: 'bench-n8n-pw' },
  large: { username: 'bench-large', password: 'bench-large-pw' },
  largeOne: { username: 'bench-large-one', password: 'bench-large-one-pw' },
} satisfies Record<string, BulkAccount>;

const ROUTES = {
  tiles: '/bench/bulk/tiles',
  sequential: '/bench/bulk/sequential',
  naive: '/bench/bulk/naive',
  large: '/bench/bulk/large',
  largeOne: '/bench/bulk/large-one',
};
const N8N_WORKFLOW = 'eoBenchBulk';
const N8N_HOOK = 'eo-bench-bulk';

/** The workload's size. */
interface Workload {
  /** The bounding box, and the tiles it covers (west to east, south to north). */
  bbox: [number, number, number, number];
  tiles: WorldCoverTile[];
  tileBytes: number;
  largeBytes: number;
}

function workload(quick: boolean): Workload {
  // 12 × 2 tiles of 32 MiB (768 MiB) for the published run; 8 of 8 MiB with --quick.
  const bbox: Workload['bbox'] = quick ? [0.5, 0.5, 11.5, 4.5] : [0.5, 0.5, 35.5, 4.5];
  return { bbox, tiles: worldCoverTiles(bbox, 2021), tileBytes: (quick ? 8 : 32) * MIB, largeBytes: (quick ? 256 : 1024) * MIB };
}

/** One measured transfer. */
interface Timed {
  ms: number;
  /** Files that matched the emulator's content, of all expected. */
  intact: number;
  expected: number;
  /** Peak RSS above idle of the measured process, when one was watched. */
  rssAbove?: number;
  /** What the emulator counted for the client's account. */
  peak: number;
  refused: number;
  note?: string;
}

/**
 * The SHA-256 of every tile as the emulator serves it, by file name: fetched once before the
 * network is slowed, outside any measurement.
 */
async function expectedTiles(emulator: EmulatorProcess, w: Workload): Promise<Map<string, string>> {
  const sums = new Map<string, string>();
  const basic = `Basic ${Buffer.from(`${ACCOUNTS.curl.username}:${ACCOUNTS.curl.password}`).toString('base64')}`;
  for (const tile of w.tiles) {
    const res = await fetch(emulator.endpoints.terrascope.baseUrl + tile.url, { headers: { authorization: basic } });
    if (!res.ok) throw new Error(`the emulator answered ${res.status} for ${tile.url}`);
    sums.set(
      tile.filename,
      createHash('sha256')
        .update(Buffer.from(await res.arrayBuffer()))
        .digest('hex'),
    );
  }
  return sums;
}

/** How many tiles in `folder` are byte-identical to the emulator's (then the folder is emptied). */
async function intactTiles(folder: string, expected: Map<string, string>): Promise<number> {
  let intact = 0;
  for (const [name, sum] of expected) {
    const file = path.join(folder, name);
    if ((await stat(file).catch(() => undefined))?.size !== undefined && (await sha256File(file)) === sum) intact += 1;
  }
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  return intact;
}

async function passwordToken(endpoints: EmulatorEndpoints, account: BulkAccount): Promise<string> {
  const res = await fetch(endpoints.terrascope.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: 'public', username: account.username, password: account.password }),
  });
  if (!res.ok) throw new Error(`the emulator refused the token request for ${account.username}: ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** What a transfer left, checked once the clock has stopped. */
type Verify = () => Promise<{ intact: number; expected: number; note?: string }>;

/**
 * Resets the emulator's counters, times `transfer` (and the peak RSS of `pid` above its idle RSS,
 * taken just before), then checks its files and reads what the emulator saw for `account`.
 */
async function measured(
  emulator: EmulatorProcess,
  account: BulkAccount,
  pid: number | undefined,
  transfer: () => Promise<Verify>,
): Promise<Timed> {
  await emulator.reset();
  const idle = pid === undefined ? undefined : await idleRss(pid);
  const watch = pid === undefined ? undefined : watchPeakRss(pid);
  const started = performance.now();
  const verify = await transfer();
  const ms = performance.now() - started;
  const peak = watch?.stop();
  const result = await verify();
  const { downloads } = await emulator.counters();
  return {
    ...result,
    ms,
    rssAbove: peak !== undefined && idle !== undefined ? peak - idle : undefined,
    peak: downloads.peakConcurrent[account.username] ?? 0,
    refused: downloads.refused[account.username] ?? 0,
  };
}

/** POSTs to a flow's route; throws with the flow's error when it answered 500. */
async function post(red: NodeRedProcess, route: string, body: unknown): Promise<unknown> {
  return (await red.whenStarted(() => red.request('POST', route, body))).body;
}

/** The n8n side: a published webhook workflow, WorldCover tiles of ?bbox= into the binary store. */
async function startN8nSide(endpoints: EmulatorEndpoints): Promise<{ home: N8nHome; server: N8nServer }> {
  const home = await N8nHome.create();
  trackFolder(home.folder);
  home.onSpawn = (child) => void track(child);
  await home.importCredentials([
    {
      ...TERRASCOPE_CREDENTIAL,
      type: 'terrascopeApi',
      data: { ...ACCOUNTS.n8n, tokenUrl: endpoints.terrascope.tokenUrl, baseUrl: endpoints.terrascope.baseUrl, maxConnections: CAP },
    },
  ]);
  await home.importWorkflows([
    webhookWorkflow(N8N_WORKFLOW, 'Bulk benchmark', N8N_HOOK, 'GET', {
      resource: 'terrascope',
      operation: 'worldCover',
      bbox: '={{ $json.query.bbox }}',
      year: 2021,
      output: 'binary',
      binaryPropertyName: 'data',
    }),
  ]);
  const published = await home.cli(['publish:workflow', `--id=${N8N_WORKFLOW}`]);
  if (published.code !== 0) throw new Error(`n8n publish:workflow failed:\n${published.stdout}\n${published.stderr}`);
  const server = await startN8n(home);
  return { home, server };
}

/** Calls the n8n webhook for `bbox`; resolves once every tile is in n8n's binary store. */
async function n8nTiles(server: N8nServer, bbox: number[]): Promise<void> {
  const res = await callWebhook(server, `${N8N_HOOK}?bbox=${bbox.join(',')}`);
  const text = await res.text();
  if (!res.ok) throw new Error(`the n8n webhook answered ${res.status}: ${text.slice(0, 300)}`);
}

/** How many of n8n's stored binaries are byte-identical tiles; removes them all. */
async function intactN8nTiles(home: N8nHome, w: Workload, expected: Map<string, string>): Promise<number> {
  const sums = new Set(expected.values());
  let intact = 0;
  for (const file of await home.storedBinaries(w.tileBytes)) {
    if (sums.has(await sha256File(file))) intact += 1;
    await rm(file, { force: true });
  }
  return intact;
}

/** curl --parallel over the tile URLs into `folder`. */
async function curlTiles(emulator: EmulatorProcess, w: Workload, folder: string, token: string): Promise<void> {
  const base = emulator.endpoints.terrascope.baseUrl;
  const args = ['--silent', '--show-error', '--fail', '--parallel', '--parallel-max', String(CAP), '-H', `Authorization: Bearer ${token}`];
  for (const tile of w.tiles) args.push('-o', path.join(folder, tile.filename), base + tile.url);
  await run('curl', args, { maxBuffer: 1024 * 1024 });
}

async function curlVersion(): Promise<string> {
  try {
    const { stdout } = await run('curl', ['--version']);
    return stdout.split('\n')[0].split(' ').slice(0, 2).join(' ');
  } catch {
    throw new Error('curl is missing: install it with `bash test/support/apt-install.sh curl curl`');
  }
}

function seconds(ms: number): number {
  return round(ms / 1000, 2);
}

function rate(bytes: number, ms: number): number {
  return round(bytes / MB / (ms / 1000), 1);
}

function best(list: Timed[]): Timed {
  return list.reduce((a, b) => (b.intact === b.expected && (a.intact !== a.expected || b.ms < a.ms) ? b : a));
}

function complete(t: Timed): boolean {
  return t.intact === t.expected;
}

export const runBulk: BenchSectionRunner = async (ctx: BenchContext): Promise<BenchSection> => {
  const w = workload(ctx.quick);
  const load = os.loadavg()[0];
  const totalBytes = w.tiles.length * w.tileBytes;
  const ideal = (totalBytes / IDEAL_RATE) * 1000;
  const curl = await curlVersion();
  const rounds = ctx.quick ? 1 : 2;
  const stops: (() => Promise<void>)[] = [];
  const folders = {
    tiles: path.join(ctx.workDir, 'tiles'),
    sequential: path.join(ctx.workDir, 'sequential'),
    naive: path.join(ctx.workDir, 'naive'),
    curl: path.join(ctx.workDir, 'curl'),
    large: path.join(ctx.workDir, 'large'),
  };
  for (const folder of Object.values(folders)) mkdirSync(folder, { recursive: true });
  try {
    ctx.log(`bulk: ${w.tiles.length} tiles of ${w.tileBytes / MIB} MiB, ideal ${seconds(ideal)} s; load ${load.toFixed(1)}`);
    const emulator = await startEmulatorProcess();
    stops.push(emulator.stop);
    await emulator.configure({
      worldCoverTileBytes: w.tileBytes,
      missingTiles: [],
      users: Object.values(ACCOUNTS),
    } as Partial<EmulatorConfig>);
    const expected = await expectedTiles(emulator, w);
    await emulator.configure(NETWORK);

    const runtime = nodeRed5Runtime();
    const userDir = path.join(ctx.workDir, 'node-red');
    await installPackage(userDir, await packPackage(ctx.workDir), runtime.nodeBin);
    const red = await startNodeRed({ userDir, runtime });
    track(red.child);
    stops.push(() => red.stop());
    const e = emulator.endpoints;
    const naiveToken = await passwordToken(e, ACCOUNTS.naive);
    await red.deploy([
      ...worldCoverFlow({
        tab: 'bulk-tiles',
        route: ROUTES.tiles,
        endpoints: e,
        account: ACCOUNTS.nodeRed,
        maxConnections: CAP,
        directory: folders.tiles,
      }),
      ...worldCoverFlow({
        tab: 'bulk-sequential',
        route: ROUTES.sequential,
        endpoints: e,
        account: ACCOUNTS.sequential,
        maxConnections: 1,
        directory: folders.sequential,
      }),
      ...naiveFlow('bulk-naive', ROUTES.naive, naiveToken, folders.naive),
      ...largeFileFlow({
        tab: 'bulk-large',
        route: ROUTES.large,
        endpoints: e,
        account: ACCOUNTS.large,
        maxConnections: CAP,
        directory: folders.large,
      }),
      ...largeFileFlow({
        tab: 'bulk-large-one',
        route: ROUTES.largeOne,
        endpoints: e,
        account: ACCOUNTS.largeOne,
        maxConnections: 1,
        directory: folders.large,
      }),
    ]);
    ctx.log('  Node-RED up; starting n8n');
    const n8n = await startN8nSide(e);
    stops.push(
      () => n8n.server.stop(),
      () => n8n.home.remove(),
    );

    // Warm-ups: one tile through each client (JIT, the emulator's content blocks, first tokens).
    const oneTile: Workload['bbox'] = [0.5, 0.5, 1.5, 1.5];
    await post(red, ROUTES.tiles, { bbox: oneTile });
    await post(red, ROUTES.sequential, { bbox: oneTile });
    await n8nTiles(n8n.server, oneTile);
    await intactTiles(folders.tiles, new Map());
    await intactTiles(folders.sequential, new Map());
    await intactN8nTiles(n8n.home, w, new Map());

    const ours: Timed[] = [];
    const curls: Timed[] = [];
    for (let i = 0; i < rounds; i++) {
      const oursRun = () =>
        measured(emulator, ACCOUNTS.nodeRed, red.child.pid!, async () => {
          await post(red, ROUTES.tiles, { bbox: w.bbox });
          return async () => ({ intact: await intactTiles(folders.tiles, expected), expected: w.tiles.length });
        });
      const curlRun = async () => {
        const token = await passwordToken(e, ACCOUNTS.curl);
        return measured(emulator, ACCOUNTS.curl, undefined, async () => {
          await curlTiles(emulator, w, folders.curl, token);
          return async () => ({ intact: await intactTiles(folders.curl, expected), expected: w.tiles.length });
        });
      };
      // Alternating which goes first evens out the machine's drifting load.
      if (i % 2 === 0) {
        ours.push(await oursRun());
        curls.push(await curlRun());
      } else {
        curls.push(await curlRun());
        ours.push(await oursRun());
      }
      ctx.log(`  round ${i + 1}: Node-RED ${seconds(ours[i].ms)} s, curl ${seconds(curls[i].ms)} s (ideal ${seconds(ideal)} s)`);
    }
    const n8nRun = await measured(emulator, ACCOUNTS.n8n, n8n.server.pid, async () => {
      await n8nTiles(n8n.server, w.bbox);
      return async () => ({ intact: await intactN8nTiles(n8n.home, w, expected), expected: w.tiles.length });
    });
    ctx.log(`  n8n ${seconds(n8nRun.ms)} s`);
    const sequential = await measured(emulator, ACCOUNTS.sequential, undefined, async () => {
      await post(red, ROUTES.sequential, { bbox: w.bbox });
      return async () => ({ intact: await intactTiles(folders.sequential, expected), expected: w.tiles.length });
    });
    ctx.log(`  sequential ${seconds(sequential.ms)} s`);
    const naive = await measured(emulator, ACCOUNTS.naive, undefined, async () => {
      const statuses = (await post(red, ROUTES.naive, { urls: w.tiles.map((t) => e.terrascope.baseUrl + t.url) })) as number[];
      const refusedSeen = statuses.filter((s) => s === 429).length;
      return async () => ({
        intact: await intactTiles(folders.naive, expected),
        expected: w.tiles.length,
        note: `${refusedSeen} of its messages carried a 429`,
      });
    });
    ctx.log(`  naive flow ${seconds(naive.ms)} s, ${naive.intact}/${naive.expected} intact, ${naive.refused} refused`);

    const largeUrl = `/download/synthetic/${w.largeBytes}.bin`;
    const largeRun = (route: string, account: BulkAccount) =>
      measured(emulator, account, undefined, async () => {
        const eo = (await post(red, route, { url: largeUrl })) as { path: string };
        return async () => {
          const check = await matchesSyntheticBody(eo.path, w.largeBytes);
          rmSync(eo.path, { force: true });
          rmSync(`${eo.path}.meta.json`, { force: true });
          return { intact: check.ok ? 1 : 0, expected: 1, note: check.why };
        };
      });
    const withRanges = await largeRun(ROUTES.large, ACCOUNTS.large);
    ctx.log(`  one large file with ranges ${seconds(withRanges.ms)} s`);
    const oneConnection = await largeRun(ROUTES.largeOne, ACCOUNTS.largeOne);
    ctx.log(`  one large file on one connection ${seconds(oneConnection.ms)} s`);

    return {
      title: '5. Bulk ingest',
      setup:
        `${w.tiles.length} WorldCover tiles of ${w.tileBytes / MIB} MiB (${round(totalBytes / MIB, 0)} MiB) for one bounding box, ` +
        `over the emulator's network: ${NETWORK.latencyMs} ms round trip (twice for a new connection), ${NETWORK.connectionBytesPerSecond / MB} MB/s per connection, ` +
        `a ${NETWORK.linkBytesPerSecond / MB} MB/s link, and ${CAP} concurrent downloads per account (a fifth is answered 429). ` +
        `Ideal: ${round(totalBytes / MB, 0)} MB ÷ min(${NETWORK.linkBytesPerSecond / MB}, ${CAP} × ${NETWORK.connectionBytesPerSecond / MB}) MB/s = ${seconds(ideal)} s. ` +
        `Ours: Node-RED 5 with the packed package (EO Request WorldCover tiles, Download connections ${CAP}), ${rounds} run${rounds === 1 ? '' : 's'} alternating with ${curl} ` +
        `(--parallel --parallel-max ${CAP}), best of each; n8n ${N8N_VERSION} (\`n8n start\`, filesystem binary mode), one run; the sequential behaviour (Download connections 1) and the naive flow ` +
        `(split → core http request → file), one run each; one ${w.largeBytes / MIB} MiB file with Download connections ${CAP} (parallel ranges) and 1. ` +
        `Each client has an emulator account of its own; every file is compared byte for byte with the emulator's content. Load average at the start: ${load.toFixed(1)} on ${os.cpus().length} cores.`,
      rows: rows(w, ideal, best(ours), best(curls), n8nRun, sequential, naive, withRanges, oneConnection, curl),
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    for (const folder of Object.values(folders)) rmSync(folder, { recursive: true, force: true });
  }
};

/** Wall time of `ours` against the ideal and against curl, for one engine. */
function timeRows(label: string, engine: string, ours: Timed, ideal: number, curl: Timed, curlName: string, note?: string): BenchRow[] {
  return [
    {
      metric: `${label}, ${engine}: wall time against the ideal`,
      ours: seconds(ours.ms),
      peer: seconds(ideal),
      peerName: 'ideal',
      unit: 's',
      ratio: round(ideal / ours.ms),
      ratioMeaning: 'ideal ÷ ours, higher is better',
      goal: '≥ 0.9× the ideal',
      met: complete(ours) && ideal / ours.ms >= 0.9,
      note: [intactNote(ours), note].filter(Boolean).join('; '),
    },
    {
      metric: `${label}, ${engine}: wall time against curl --parallel-max ${CAP}`,
      ours: seconds(ours.ms),
      peer: seconds(curl.ms),
      peerName: curlName,
      unit: 's',
      ratio: round(curl.ms / ours.ms),
      ratioMeaning: 'curl ÷ ours, higher is better',
      goal: '≥ 1.0× curl',
      met: complete(ours) && complete(curl) && curl.ms / ours.ms >= 1,
      note: `curl: ${intactNote(curl)}`,
    },
  ];
}

/** Peak RSS of the process that ran `t` above its idle RSS, held to `goalMib`. */
function rssRow(metric: string, t: Timed, goalMib: number, note?: string): BenchRow {
  return {
    metric,
    ours: mib(t.rssAbove ?? 0),
    unit: 'MiB',
    goal: `≤ ${goalMib} MiB`,
    met: complete(t) && (t.rssAbove ?? Infinity) <= goalMib * MIB,
    note: note ?? 'peak = max of VmRSS every 20 ms and VmHWM, above the idle RSS taken just before the run (after a one-tile warm-up)',
  };
}

/** Throughput of one large file against the ideal rate. */
function largeRow(w: Workload, how: string, t: Timed, goal: boolean, note: string): BenchRow {
  const largeIdeal = (w.largeBytes / IDEAL_RATE) * 1000;
  return {
    metric: `one ${w.largeBytes / MIB} MiB file, ${how}: throughput against the ideal`,
    ours: rate(w.largeBytes, t.ms),
    peer: round(IDEAL_RATE / MB, 1),
    peerName: 'ideal',
    unit: 'MB/s',
    ratio: round(largeIdeal / t.ms),
    ratioMeaning: 'ours ÷ ideal, higher is better',
    ...(goal ? { goal: '≥ 0.9× the ideal', met: complete(t) && largeIdeal / t.ms >= 0.9 } : {}),
    note: `${seconds(t.ms)} s; ${note ? `${note}; ` : ''}${intactNote(t)}`,
  };
}

function intactNote(t: Timed): string {
  return `${t.intact} of ${t.expected} files byte-identical; ${t.peak} downloads at once at the server, ${t.refused} refused`;
}

function rows(
  w: Workload,
  ideal: number,
  ours: Timed,
  curl: Timed,
  n8n: Timed,
  sequential: Timed,
  naive: Timed,
  withRanges: Timed,
  oneConnection: Timed,
  curlName: string,
): BenchRow[] {
  const label = `${w.tiles.length} tiles × ${w.tileBytes / MIB} MiB`;
  return [
    ...timeRows(label, 'Node-RED', ours, ideal, curl, curlName),
    {
      metric: `${label}, Node-RED: against the sequential behaviour (Download connections 1)`,
      ours: seconds(ours.ms),
      peer: seconds(sequential.ms),
      peerName: 'one tile after the other',
      unit: 's',
      ratio: round(sequential.ms / ours.ms),
      ratioMeaning: 'sequential ÷ ours, higher is better',
      note: `sequential: ${intactNote(sequential)}`,
    },
    {
      metric: `${label}, Node-RED: tiles delivered intact, against the naive flow`,
      ours: ours.intact,
      peer: naive.intact,
      peerName: 'split → http request → file',
      unit: 'tiles',
      goal: `= ${w.tiles.length}`,
      met: complete(ours),
      note: `naive flow: ${seconds(naive.ms)} s, ${intactNote(naive)}${naive.note ? `; ${naive.note}` : ''}`,
    },
    {
      metric: `${label}: requests refused over the account cap (Node-RED, n8n)`,
      ours: ours.refused + n8n.refused,
      peer: naive.refused,
      peerName: 'naive flow',
      unit: 'requests',
      goal: '= 0',
      met: ours.refused + n8n.refused === 0,
      note: `most downloads at once at the server: Node-RED ${ours.peak}, n8n ${n8n.peak}, naive flow ${naive.peak} (it asked for ${w.tiles.length} at once)`,
    },
    rssRow(`${label}, Node-RED: peak RSS above idle`, ours, 64),
    ...timeRows(label, 'n8n', n8n, ideal, curl, curlName, "each tile goes to a temporary file, then into n8n's binary store"),
    rssRow(`${label}, n8n main process: peak RSS above idle`, n8n, 128),
    largeRow(w, `parallel ranges (Download connections ${CAP})`, withRanges, true, ''),
    largeRow(
      w,
      'one connection (Download connections 1)',
      oneConnection,
      false,
      `one connection cannot pass its ${NETWORK.connectionBytesPerSecond / MB} MB/s`,
    ),
  ];
}
