/**
 * Bulk downloads in a real Node-RED process (package from its tarball) against the emulator with
 * a slowed network and a per-account cap on concurrent downloads: several EO Request nodes
 * downloading for one account never open more connections than the account's cap between them,
 * WorldCover messages leave as each tile is on disk (out of the bounding box's order when tiles
 * finish so), a 429 from the server's cap is absorbed (fewer connections, then done), and a large
 * file's cut range is continued byte-identical.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bodyBytes, syntheticSource } from '../emulator/server';
import { defaultConfig } from '../emulator/state';
import type { FaultScript } from '../emulator/types';
import { clearCollected, collected, waitForCollected, withCollectors, type Collected, type FlowNode } from '../support/flows';
import { tempDir } from '../support/paths';
import { startStack, type Stack } from '../support/node-red-stack';

const MIB = 1024 * 1024;
const TAB = 'tab-bulk';
let stack: Stack;
let work: string;
let folder: string;

/** A bbox of four tiles in a row at latitude `lat0` (0, 3, 6 …), from longitude 0 eastwards. */
const row = (lat0: number) => [0.5, lat0 + 0.5, 11.5, lat0 + 1.5];

/**
 * An inject that fires one message per EO Request node, the nodes (one EO Auth with
 * `maxConnections`), a debug node their messages go to (recorded by the collector), and a status
 * node recording what their badges show.
 */
function bulkFlow(maxConnections: string, requests: { id: string; operation: string; payload: unknown }[]): FlowNode[] {
  const t = stack.target;
  const fanOut = `${requests.map((r, i) => `const m${i} = { payload: ${JSON.stringify(r.payload)} };`).join('\n')}\nnode.send([${requests.map((_, i) => `m${i}`).join(', ')}]);\nreturn null;`;
  const recordStatus = `const list = global.get('eoTestResults') || [];\nlist.push({ from: 'status:' + msg.status.source.id, payload: msg.status.text });\nglobal.set('eoTestResults', list);\nreturn null;`;
  return withCollectors([
    { id: TAB, type: 'tab', label: 'bulk downloads', disabled: false, info: '' },
    {
      id: 'auth',
      type: 'eo-auth',
      name: 'one account',
      provider: 'terrascope',
      tokenUrl: t.endpoints.terrascope.tokenUrl,
      baseUrl: t.endpoints.terrascope.baseUrl,
      extraOrigins: '',
      maxConnections,
      credentials: { username: t.username, password: t.password },
    },
    {
      id: 'fire',
      type: 'inject',
      z: TAB,
      name: 'fire',
      props: [],
      repeat: '',
      once: false,
      topic: '',
      x: 100,
      y: 100,
      wires: [['fan-out']],
    },
    {
      id: 'fan-out',
      type: 'function',
      z: TAB,
      name: 'one message per node',
      func: fanOut,
      outputs: requests.length,
      x: 260,
      y: 100,
      wires: requests.map((r) => [r.id]),
    },
    ...requests.map((r, i) => ({
      id: r.id,
      type: 'eo-request',
      z: TAB,
      name: r.id,
      auth: 'auth',
      operation: r.operation,
      method: 'GET',
      url: '',
      headers: [],
      accept: 'image/tiff',
      output: 'file',
      directory: folder,
      filename: '',
      overwrite: 'always',
      catalogLimit: 1,
      catalogSplit: false,
      year: 2021,
      bbox: '',
      x: 460,
      y: 60 + 40 * i,
      wires: [['done']],
    })),
    {
      id: 'done',
      type: 'debug',
      z: TAB,
      name: '',
      active: false,
      tosidebar: false,
      console: false,
      complete: 'true',
      x: 660,
      y: 100,
      wires: [],
    },
    { id: 'badges', type: 'status', z: TAB, name: '', scope: requests.map((r) => r.id), x: 460, y: 260, wires: [['record-status']] },
    { id: 'record-status', type: 'function', z: TAB, name: 'record status', func: recordStatus, outputs: 0, x: 660, y: 260, wires: [] },
  ]);
}

/**
 * Deploys, resets the emulator's counters (and faults: `faults` adds this run's), fires, and
 * returns the messages of the EO Request nodes once `count` arrived.
 */
async function run(flows: FlowNode[], count: number, faults: FaultScript[] = []): Promise<Collected[]> {
  await stack.nodeRed.deploy(flows);
  await clearCollected(stack.nodeRed);
  stack.emulator.reset();
  for (const fault of faults) stack.emulator.fault(fault);
  await stack.nodeRed.inject('fire');
  const messages = (await waitForCollected(stack.nodeRed, count, undefined, 90_000)).filter((m) => !m.from.startsWith('status:'));
  for (let i = 0; i < 600 && messages.length < count; i++) {
    await new Promise((r) => setTimeout(r, 100));
    messages.splice(0, messages.length, ...(await collected(stack.nodeRed)).filter((m) => !m.from.startsWith('status:')));
  }
  expect(messages.filter((m) => m.error)).toEqual([]);
  return messages;
}

const statuses = async (): Promise<string[]> =>
  (await collected(stack.nodeRed)).filter((m) => m.from.startsWith('status:')).map((m) => String(m.payload));

beforeAll(async () => {
  work = tempDir('eo-e2e-bulk');
  folder = path.join(work, 'files');
  fs.mkdirSync(folder);
  stack = await startStack({ workDir: work, deployExamples: false });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  stack.emulator.configure(defaultConfig());
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder);
});

test('three WorldCover nodes on one account never open more connections than its cap between them', async () => {
  stack.emulator.configure({ worldCoverTileBytes: MIB, connectionBytesPerSecond: 4_000_000, downloadsPerAccount: 3 });
  const requests = [
    { id: 'wc-1', operation: 'worldcover', payload: row(0) },
    { id: 'wc-2', operation: 'worldcover', payload: row(3) },
    { id: 'wc-3', operation: 'worldcover', payload: row(6) },
  ];
  const messages = await run(bulkFlow('3', requests), 12);
  expect(messages).toHaveLength(12);
  for (const id of ['wc-1', 'wc-2', 'wc-3']) expect(messages.filter((m) => m.from === id)).toHaveLength(4);
  const { downloads } = stack.emulator.counters();
  // Twelve tiles through three nodes, at most three at a time, and all three used.
  expect(downloads.peakConcurrent).toEqual({ demo: 3 });
  expect(downloads.refused).toEqual({});
  expect(downloads.admitted).toEqual({ demo: 12 });
  expect(fs.readdirSync(folder).filter((f) => f.endsWith('.tif'))).toHaveLength(12);
}, 120_000);

test('each tile leaves as soon as it is on disk, out of the bounding box order when it finishes so; the status counts the whole run', async () => {
  stack.emulator.configure({ worldCoverTileBytes: MIB, connectionBytesPerSecond: 4_000_000 });
  // The first tile of the box answers last.
  const late: FaultScript = { route: '_N00E000_Map\\.tif$', delayMs: 1500, times: 1 };
  const messages = await run(bulkFlow('4', [{ id: 'wc', operation: 'worldcover', payload: row(0) }]), 4, [late]);
  const order = messages.map((m) => m.tile);
  expect([...order].sort()).toEqual(['N00E000', 'N00E003', 'N00E006', 'N00E009']);
  expect(order.at(-1)).toBe('N00E000');
  for (const m of messages) expect(fs.statSync(String(m.payload)).size).toBe(MIB);
  // Tiles done of all and the megabytes so far, for the whole run.
  const texts = await statuses();
  expect(texts.some((text) => /^[0-3]\/4 tiles · \d+\.\d MB/.test(text))).toBe(true);
}, 120_000);

test('a 429 from the server cap is absorbed: fewer connections for a while, every tile delivered, the refusals reported', async () => {
  // The setting says 4; the server allows 2.
  stack.emulator.configure({ worldCoverTileBytes: MIB, connectionBytesPerSecond: 4_000_000, downloadsPerAccount: 2 });
  const messages = await run(
    bulkFlow('4', [
      { id: 'wc-1', operation: 'worldcover', payload: row(0) },
      { id: 'wc-2', operation: 'worldcover', payload: row(3) },
    ]),
    8,
  );
  expect(messages).toHaveLength(8);
  const { downloads } = stack.emulator.counters();
  expect(downloads.peakConcurrent).toEqual({ demo: 2 });
  expect(downloads.refused.demo).toBeGreaterThanOrEqual(1);
  // Every refusal was waited out by the nodes, and each message says how many its tile met.
  const reported = messages.reduce((sum, m) => sum + Number(m.eo?.refusals ?? 0), 0);
  expect(reported).toBe(downloads.refused.demo);
  // The badge said the account runs on fewer connections than its setting.
  expect((await statuses()).some((text) => /\b[12]\/4 connections\b/.test(text))).toBe(true);
}, 120_000);

test('a large file comes as parallel ranges; a range cut mid-body is continued, and the file is byte-identical', async () => {
  const size = 48 * MIB;
  stack.emulator.configure({ connectionBytesPerSecond: 24_000_000, downloadsPerAccount: 4 });
  // The first answer streams untouched; the first range that joins it is cut after 3 MiB.
  const cutRange: FaultScript = { route: '^GET /download/synthetic/', after: 1, times: 1, resetAfterBytes: 3 * MIB };
  const flows = bulkFlow('4', [{ id: 'dl', operation: 'download', payload: '' }]).map(withUrl(`/download/synthetic/${size}.bin`));
  const [msg] = await run(flows, 1, [cutRange]);
  expect(msg.eo).toMatchObject({ bytes: size });
  expect(Number(msg.eo?.resumed)).toBeGreaterThanOrEqual(1);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  expect(sha(fs.readFileSync(String(msg.payload)))).toBe(sha(bodyBytes(syntheticSource(size))));
  const log = stack.emulator.log().filter((e) => e.path.startsWith('/download/'));
  const cut = log.find((e) => e.fault)!;
  expect(cut.headers.range).toMatch(/^bytes=\d+-\d+$/);
  const from = Number(/=(\d+)-/.exec(String(cut.headers.range))?.[1]);
  // The rest of the cut range is asked for from where its bytes stopped, under the same version.
  const rest = log.find(
    (e) =>
      !e.fault &&
      Number(/=(\d+)-/.exec(String(e.headers.range))?.[1]) > from &&
      Number(/=(\d+)-/.exec(String(e.headers.range))?.[1]) <= from + 3 * MIB,
  );
  expect(rest?.headers['if-range']).toBe(cut.headers['if-range']);
  expect(stack.emulator.counters().downloads.peakConcurrent.demo).toBeGreaterThan(1);
}, 120_000);

/** Sets the download node's URL (the fan-out sends an empty payload). */
function withUrl(url: string): (n: FlowNode) => FlowNode {
  return (n) => (n.type === 'eo-request' ? { ...n, url } : n);
}
