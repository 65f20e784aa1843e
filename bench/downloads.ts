/**
 * 3. Downloads: one large body (2 GiB; 256 MiB with --quick) from the emulator to a file, by
 *   - ours: a real Node-RED 5 with the packed package, EO Auth (Terrascope) + EO Request download;
 *   - raw undici: `request()` piped into `fs.createWriteStream` in a Node process of its own;
 *   - the core `http request` node (binary buffer, static bearer) → `file` node, in its own Node-RED.
 * Each runs in its own process; the emulator in yet another. Figures: throughput (bytes ÷ wall time
 * of the transfer) as a ratio against the peers, and peak RSS above the process's idle RSS (after
 * start and a 1 MiB warm-up). Every file is compared byte for byte with the emulator's
 * deterministic body before it counts, and deleted right after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { installPackage, nodeRed5Runtime, startNodeRed, type NodeRedProcess } from '../test/support/node-red-process';
import { packPackage } from '../test/support/package-tarball';
import { repoRoot } from '../test/support/paths';
import type { BenchContext, BenchRow, BenchSection, BenchSectionRunner } from './report';
import { idleRss, mib, watchPeakRss } from './support/downloads-memory';
import {
  matchesSyntheticBody,
  primeEmulator,
  startEmulatorProcess,
  syntheticPath,
  terrascopeToken,
  type EmulatorProcess,
} from './support/downloads-emulator';
import { coreDownloadFlow, downloadThroughFlow, ourDownloadFlow } from './support/downloads-node-red';

const MIB = 1024 * 1024;
const PACKAGE_NAME = '@eo-nodes/n8n-nodes-earth-observation';
const WARM_UP_BYTES = MIB;

/** One way of downloading, running in process `pid`. */
interface Contender {
  name: string;
  pid: number;
  /** Downloads `url` (a path under the Terrascope base URL) into `file`. */
  download(url: string, file: string): Promise<{ ok: boolean; error?: string }>;
}

/** What one contender did with the large body. */
interface Measured {
  name: string;
  idle: number;
  /** Largest peak RSS above `idle` over the rounds. */
  above: number;
  /** Wall time of each completed, verified transfer. */
  times: number[];
  rounds: number;
  failures: string[];
}

/** The raw undici peer: a Node process of its own running downloads-raw-client.js. */
interface RawClient {
  pid: number;
  /** Terrascope tokens live 5 minutes: the caller sets a fresh one before each round. */
  token: string;
  download(url: string, file: string, highWaterMark?: number): Promise<{ ok: boolean; error?: string }>;
  stop(): Promise<void>;
}

async function startRawClient(nodeBin: string, undiciPath: string): Promise<RawClient> {
  const script = path.join(repoRoot, 'dist', 'bench', 'support', 'downloads-raw-client.js');
  const child: ChildProcess = spawn(nodeBin, [script, undiciPath], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const replies: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => replies.shift()?.(line));
  const next = () => new Promise<string>((resolve) => replies.push(resolve));
  await next(); // {"ready":true}
  const client: RawClient = {
    pid: child.pid!,
    token: '',
    async download(url, file, highWaterMark) {
      child.stdin!.write(`${JSON.stringify({ url, token: client.token, file, highWaterMark })}\n`);
      return JSON.parse(await next()) as { ok: boolean; error?: string };
    },
    async stop() {
      child.stdin!.end();
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
  return client;
}

/** Warms `c` up with a verified 1 MiB download, then takes its idle RSS; `round()` does the measured transfers. */
async function prepare(c: Contender, files: string): Promise<Measured> {
  const file = path.join(files, `${c.pid}-warm-up.bin`);
  const warm = await c.download(syntheticPath(WARM_UP_BYTES), file);
  if (!warm.ok) throw new Error(`${c.name}: the warm-up download failed: ${warm.error}`);
  const check = await matchesSyntheticBody(file, WARM_UP_BYTES);
  removeDownload(file);
  if (!check.ok) throw new Error(`${c.name}: the warm-up file is wrong: ${check.why}`);
  return { name: c.name, idle: await idleRss(c.pid), above: 0, times: [], rounds: 0, failures: [] };
}

function removeDownload(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.meta.json`, { force: true });
  rmSync(`${file}.part`, { force: true });
}

/** One measured transfer of `size` bytes. */
async function round(c: Contender, m: Measured, files: string, size: number, log: (line: string) => void): Promise<void> {
  const file = path.join(files, `${c.pid}-${size}.bin`);
  const watch = watchPeakRss(c.pid);
  const started = performance.now();
  const result = await c.download(syntheticPath(size), file);
  const ms = performance.now() - started;
  const peak = watch.stop();
  m.rounds += 1;
  m.above = Math.max(m.above, peak - m.idle);
  const check = result.ok ? await matchesSyntheticBody(file, size) : { ok: false, why: result.error };
  removeDownload(file);
  if (check.ok) m.times.push(ms);
  else m.failures.push(check.why ?? 'failed');
  log(
    `  ${c.name}: ${check.ok ? `${Math.round(size / MIB / (ms / 1000))} MiB/s` : `FAILED (${check.why})`}, peak RSS ${mib(peak - m.idle)} MiB above idle (${mib(m.idle)} MiB)`,
  );
}

/** MiB per second over all verified transfers, or undefined when none completed. */
function throughput(m: Measured, size: number): number | undefined {
  if (m.times.length === 0) return undefined;
  const seconds = m.times.reduce((a, b) => a + b, 0) / 1000;
  return (m.times.length * size) / MIB / seconds;
}

function round2(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.round(n * 100) / 100;
}

function rows(ours: Measured, raw: Measured, rawBig: Measured, core: Measured, size: number, sizeLabel: string): BenchRow[] {
  const oursRate = throughput(ours, size) ?? 0;
  const rawRate = throughput(raw, size);
  const coreRate = throughput(core, size);
  const failed = (m: Measured) =>
    m.failures.length ? `${m.name}: ${m.failures.length} of ${m.rounds} transfers failed (${m.failures[0]})` : undefined;
  const rawRatio = rawRate ? oursRate / rawRate : undefined;
  const rawBigRate = throughput(rawBig, size);
  const bigOverDefault = rawBigRate && rawRate ? round2(rawBigRate / rawRate) : undefined;
  const goalMemory = 64;
  return [
    {
      metric: `throughput, ${sizeLabel} body to a file`,
      ours: round2(oursRate)!,
      peer: round2(rawRate),
      peerName: 'raw undici',
      unit: 'MiB/s',
      ratio: round2(rawRatio),
      ratioMeaning: 'ours ÷ raw undici, higher is better',
      goal: '≥ 0.9× raw undici',
      met: rawRatio !== undefined && ours.failures.length === 0 && rawRatio >= 0.9,
      note: [
        failed(ours),
        failed(raw),
        `${ours.times.length} transfers each, rotating which goes first; wall time from the call to the complete file, flushed to disk (fdatasync) by both`,
        `raw undici here is request() piped into fs.createWriteStream with their default buffers (64 KiB body, 16 KiB file); the same client with 1 MiB buffers, as ours reads ahead, ran ${bigOverDefault ?? '–'}× as fast as with the defaults (next row)`,
      ]
        .filter(Boolean)
        .join('; '),
    },
    {
      metric: `throughput, ${sizeLabel} body to a file, against raw undici with 1 MiB buffers`,
      ours: round2(oursRate)!,
      peer: round2(rawBigRate),
      peerName: 'raw undici, 1 MiB buffers',
      unit: 'MiB/s',
      ratio: round2(rawBigRate ? oursRate / rawBigRate : undefined),
      ratioMeaning: 'ours ÷ peer, higher is better',
      note: failed(rawBig) ?? 'the same raw undici client, body highWaterMark and file highWaterMark 1 MiB (as ours); same rounds',
    },
    {
      metric: `throughput, ${sizeLabel} body to a file, against the core node`,
      ours: round2(oursRate)!,
      peer: round2(coreRate),
      peerName: 'core http request + file',
      unit: 'MiB/s',
      ratio: round2(coreRate ? oursRate / coreRate : undefined),
      ratioMeaning: 'ours ÷ core node, higher is better',
      note: failed(core) ?? 'one transfer',
    },
    {
      metric: `peak RSS above idle, ${sizeLabel} download`,
      ours: mib(ours.above),
      peer: mib(raw.above),
      peerName: 'raw undici',
      unit: 'MiB',
      ratio: round2(raw.above > 0 ? ours.above / raw.above : undefined),
      ratioMeaning: 'ours ÷ raw undici, smaller is better',
      goal: `≤ ${goalMemory} MiB above idle`,
      met: ours.failures.length === 0 && ours.above <= goalMemory * MIB,
      note: `idle RSS after start and a 1 MiB warm-up: ours (Node-RED) ${mib(ours.idle)} MiB, raw undici ${mib(raw.idle)} MiB; peak = max of VmRSS every 20 ms and VmHWM`,
    },
    {
      metric: `peak RSS above idle, ${sizeLabel} download, against the core node`,
      ours: mib(ours.above),
      peer: mib(core.above),
      peerName: 'core http request + file',
      unit: 'MiB',
      ratio: round2(core.above > 0 ? ours.above / core.above : undefined),
      ratioMeaning: 'ours ÷ core node, smaller is better',
      note: `the core node holds the whole body in one Buffer; its Node-RED idled at ${mib(core.idle)} MiB${failed(core) ? `; ${failed(core)}` : ''}`,
    },
  ];
}

export const runDownloads: BenchSectionRunner = async (ctx: BenchContext): Promise<BenchSection> => {
  const size = ctx.quick ? 256 * MIB : 2048 * MIB;
  const sizeLabel = ctx.quick ? '256 MiB' : '2 GiB';
  // Alternating rounds even out the machine's load, which drifts over a run.
  const rounds = ctx.quick ? 2 : 3;
  const runtime = nodeRed5Runtime();
  const files = path.join(ctx.workDir, 'downloads');
  mkdirSync(files, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  try {
    ctx.log(`downloads: emulator, Node-RED with the packed package, raw undici peer (${sizeLabel})`);
    const emulator: EmulatorProcess = await startEmulatorProcess(runtime.nodeBin);
    stops.push(emulator.stop);
    const oursDir = path.join(ctx.workDir, 'node-red-ours');
    await installPackage(oursDir, await packPackage(ctx.workDir), runtime.nodeBin);
    const coreDir = path.join(ctx.workDir, 'node-red-core');
    mkdirSync(coreDir, { recursive: true });
    const [oursRed, coreRed] = await Promise.all([
      startNodeRed({ userDir: oursDir, runtime }),
      startNodeRed({ userDir: coreDir, runtime }),
    ]);
    stops.push(
      () => oursRed.stop(),
      () => coreRed.stop(),
    );
    await oursRed.deploy(ourDownloadFlow(emulator.endpoints, files));
    const undiciPath = require.resolve('undici', { paths: [path.join(oursDir, 'node_modules', PACKAGE_NAME)] });
    const raw = await startRawClient(runtime.nodeBin, undiciPath);
    stops.push(raw.stop);
    const base = emulator.endpoints.terrascope.baseUrl;
    const viaFlow = (red: NodeRedProcess) => (url: string, file: string) => downloadThroughFlow(red, url, path.basename(file));
    const ours: Contender = { name: 'ours', pid: oursRed.child.pid!, download: viaFlow(oursRed) };
    const rawC: Contender = { name: 'raw undici', pid: raw.pid, download: (url, file) => raw.download(base + url, file) };
    // The same client with ours's buffer size: what the buffer size alone is worth, in the same run.
    const rawBigC: Contender = {
      name: 'raw undici, 1 MiB buffers',
      pid: raw.pid,
      download: (url, file) => raw.download(base + url, file, MIB),
    };
    const core: Contender = { name: 'core node', pid: coreRed.child.pid!, download: viaFlow(coreRed) };
    const freshToken = async () => {
      raw.token = await terrascopeToken(emulator.endpoints);
    };

    await freshToken();
    await primeEmulator(emulator.endpoints, raw.token);
    const oursM = await prepare(ours, files);
    const rawM = await prepare(rawC, files);
    const rawBigM = await prepare(rawBigC, files);
    const measured = new Map<Contender, Measured>([
      [ours, oursM],
      [rawC, rawM],
      [rawBigC, rawBigM],
    ]);
    const contenders = [...measured.keys()];
    for (let i = 0; i < rounds; i++) {
      await freshToken();
      // Each round starts with another contender.
      const order = contenders.map((_, k) => contenders[(k + i) % contenders.length]);
      for (const c of order) await round(c, measured.get(c)!, files, size, ctx.log);
    }
    // The core node last: it holds the whole body in memory. A static bearer, as a user would paste it.
    await coreRed.deploy(coreDownloadFlow(emulator.endpoints, await terrascopeToken(emulator.endpoints), files));
    const coreM = await prepare(core, files);
    await round(core, coreM, files, size, ctx.log);

    return {
      title: '3. Downloads',
      setup:
        `A ${sizeLabel} body (the emulator's /download/synthetic/${size}.bin, Terrascope bearer token) written to a file on local disk; ` +
        `ours and raw undici (default buffers, and 1 MiB buffers) ${rounds} transfers each, the core node one. Node ${runtime.nodeBin === process.execPath ? process.version : 'bundled'} runs Node-RED 5, the raw undici client (undici ${undiciVersion(undiciPath)}, the copy installed with our package) and the emulator, each in its own process. ` +
        "Every file is compared byte for byte with the emulator's deterministic body.",
      rows: rows(oursM, rawM, rawBigM, coreM, size, sizeLabel),
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(files, { recursive: true, force: true });
  }
};

function undiciVersion(resolved: string): string {
  let dir = path.dirname(resolved);
  while (path.basename(dir) !== 'undici' && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(path.join(dir, 'package.json')) as { version: string }).version;
  } catch {
    return '?';
  }
}
