/**
 * Bulk downloads in a real n8n 2.41.1 (`n8n start`, the package installed as n8n installs it)
 * against the emulator with a slowed network and a per-account cap on concurrent downloads:
 * executions running at once in one n8n process stay within the account's cap between them, items
 * that each download run at once yet come back paired with their input in its order, a 429 from
 * the server's cap is absorbed, and a large file's cut range is continued into a byte-identical
 * binary.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { bodyBytes, DEMO_USER, startEmulator, syntheticSource } from '../emulator/server';
import { defaultConfig } from '../emulator/state';
import type { Emulator } from '../emulator/types';
import { callWebhook, EO_REQUEST_TYPE, N8nHome, startN8n, TERRASCOPE_CREDENTIAL, type N8nServer } from '../support/n8n-process';

jest.setTimeout(120_000);

const MIB = 1024 * 1024;
const terrascope = { credentials: { terrascopeApi: TERRASCOPE_CREDENTIAL } };
/** Five files of different sizes; the items keep this order whatever order they finish in. */
const URLS = [3, 1, 2, 1, 2].map((mib, i) => `/download/synthetic/${mib * MIB + i}.bin`);

let emu: Emulator;
let home: N8nHome;
let server: N8nServer;

type Node = Record<string, unknown> & { name: string };
let counter = 0;
function node(
  name: string,
  type: string,
  typeVersion: number,
  parameters: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Node {
  counter += 1;
  const id = `7c0e0000-0000-4000-8000-b1${String(counter).padStart(10, '0')}`;
  return { id, name, type, typeVersion, position: [counter * 200, 0], parameters, ...extra };
}

function chain(...names: string[]): Record<string, unknown> {
  const connections: Record<string, unknown> = {};
  for (let i = 0; i + 1 < names.length; i++) connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
  return connections;
}

/** A published workflow: a webhook at `/webhook/<hook>` answering with every item of the last node. */
function webhookWorkflow(id: string, hook: string, nodes: Node[]): object {
  const trigger = node(
    'Webhook',
    'n8n-nodes-base.webhook',
    2,
    { path: hook, responseMode: 'lastNode', responseData: 'allEntries', options: {} },
    {
      webhookId: `6b1c2d3e-1111-4a5b-8c9d-${String(counter).padStart(12, '0')}`,
    },
  );
  return {
    id,
    name: id,
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [trigger, ...nodes],
    connections: chain('Webhook', ...nodes.map((n) => n.name)),
  };
}

const workflows = [
  // The tiles of the bbox in the query, as binaries.
  webhookWorkflow('eoBulkTiles', 'eo-bulk-tiles', [
    node(
      'Tiles',
      EO_REQUEST_TYPE,
      1,
      {
        resource: 'terrascope',
        operation: 'worldCover',
        bbox: '={{ $json.query.bbox }}',
        year: 2021,
        output: 'binary',
        binaryPropertyName: 'data',
      },
      terrascope,
    ),
  ]),
  // Five items, each downloading one file; then n8n's own pairing names the input item of each output.
  webhookWorkflow('eoBulkItems', 'eo-bulk-items', [
    node('Files', 'n8n-nodes-base.set', 3.4, { mode: 'raw', jsonOutput: JSON.stringify({ urls: URLS }), options: {} }),
    node('One item per file', 'n8n-nodes-base.splitOut', 1, { fieldToSplitOut: 'urls', options: {} }),
    node(
      'Download',
      EO_REQUEST_TYPE,
      1,
      { resource: 'terrascope', operation: 'download', url: '={{ $json.urls }}', fileName: '', binaryPropertyName: 'data' },
      terrascope,
    ),
    node('Paired input', 'n8n-nodes-base.set', 3.4, {
      mode: 'manual',
      assignments: {
        assignments: [
          { id: 'a1', name: 'downloaded', type: 'string', value: '={{ $json.url }}' },
          { id: 'a2', name: 'input', type: 'string', value: "={{ $('One item per file').item.json.urls }}" },
          { id: 'a3', name: 'bytes', type: 'number', value: '={{ $json.bytes }}' },
        ],
      },
      options: {},
    }),
  ]),
  // One large file.
  webhookWorkflow('eoBulkLarge', 'eo-bulk-large', [
    node(
      'Large file',
      EO_REQUEST_TYPE,
      1,
      {
        resource: 'terrascope',
        operation: 'download',
        url: '={{ "/download/synthetic/" + $json.query.size + ".bin" }}',
        fileName: 'large.bin',
        binaryPropertyName: 'data',
      },
      terrascope,
    ),
  ]),
];

beforeAll(async () => {
  emu = await startEmulator();
  home = await N8nHome.create();
  await home.importCredentials([
    {
      ...TERRASCOPE_CREDENTIAL,
      type: 'terrascopeApi',
      data: {
        username: DEMO_USER.username,
        password: DEMO_USER.password,
        tokenUrl: emu.endpoints.terrascope.tokenUrl,
        baseUrl: emu.endpoints.terrascope.baseUrl,
        maxConnections: 4,
      },
    },
  ]);
  await home.importWorkflows(workflows);
  for (const id of ['eoBulkTiles', 'eoBulkItems', 'eoBulkLarge']) {
    const published = await home.cli(['publish:workflow', `--id=${id}`]);
    expect(published.code).toBe(0);
  }
  server = await startN8n(home);
}, 300_000);

afterAll(async () => {
  await server?.stop();
  await home?.remove();
  await emu?.close();
});

beforeEach(() => {
  emu.reset();
  emu.configure(defaultConfig());
});

/** Calls a webhook (waiting out the 404s before n8n has registered it); returns the items' json. */
async function call(hook: string, query: Record<string, string> = {}): Promise<Record<string, unknown>[]> {
  const res = await callWebhook(server, `${hook}?${new URLSearchParams(query).toString()}`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`webhook ${hook} answered ${res.status}: ${text.slice(0, 500)}\n${server.output().slice(-2000)}`);
  const body = JSON.parse(text) as Record<string, unknown>[] | Record<string, unknown>;
  return Array.isArray(body) ? body : [body];
}

test('three executions at once in one n8n process never open more connections than the account cap between them', async () => {
  emu.configure({ worldCoverTileBytes: MIB, connectionBytesPerSecond: 4_000_000, downloadsPerAccount: 4 });
  const rows = [0, 3, 6].map((lat) => `0.5,${lat + 0.5},11.5,${lat + 1.5}`);
  const answers = await Promise.all(rows.map((bbox) => call('eo-bulk-tiles', { bbox })));
  for (const [i, items] of answers.entries()) {
    // Each execution's items in the bounding box's order, whatever order the tiles finished in.
    expect(items.map((item) => item.tile)).toEqual([0, 3, 6, 9].map((lon) => `N0${3 * i}E00${lon}`));
    for (const item of items) expect(item.bytes).toBe(MIB);
  }
  const { downloads } = emu.counters();
  expect(downloads.admitted).toEqual({ demo: 12 });
  expect(downloads.peakConcurrent).toEqual({ demo: 4 });
  expect(downloads.refused).toEqual({});
});

test('items that each download run at once, and come back paired with their input item, in its order', async () => {
  emu.configure({ connectionBytesPerSecond: 4_000_000, downloadsPerAccount: 4 });
  // The first item's file answers last.
  emu.fault({ route: `^GET ${URLS[0].replace(/\./g, '\\.')}$`, delayMs: 1200, times: 1 });
  const items = await call('eo-bulk-items');
  expect(items.map((item) => item.input)).toEqual(URLS);
  for (const item of items) {
    // What the node downloaded is what n8n pairs it with.
    expect(String(item.downloaded).endsWith(String(item.input))).toBe(true);
    expect(item.bytes).toBe(Number(/(\d+)\.bin$/.exec(String(item.input))?.[1]));
  }
  expect(emu.counters().downloads.peakConcurrent.demo).toBeGreaterThan(1);
});

test('a 429 from the server cap is absorbed: the execution completes with every tile', async () => {
  // The credentials say 4; the server allows 2.
  emu.configure({ worldCoverTileBytes: MIB, connectionBytesPerSecond: 4_000_000, downloadsPerAccount: 2 });
  const items = await call('eo-bulk-tiles', { bbox: '0.5,0.5,11.5,4.5' });
  expect(items).toHaveLength(8);
  const { downloads } = emu.counters();
  expect(downloads.refused.demo).toBeGreaterThanOrEqual(1);
  expect(downloads.peakConcurrent).toEqual({ demo: 2 });
  expect(downloads.admitted).toEqual({ demo: 8 });
});

test('a large file comes as parallel ranges; a range cut mid-body is continued, and the binary is byte-identical', async () => {
  const size = 48 * MIB;
  emu.configure({ connectionBytesPerSecond: 24_000_000, downloadsPerAccount: 4 });
  emu.fault({ route: '^GET /download/synthetic/', after: 1, times: 1, resetAfterBytes: 3 * MIB });
  const [item] = await call('eo-bulk-large', { size: String(size) });
  expect(item).toMatchObject({ bytes: size });
  expect(Number(item.resumed)).toBeGreaterThanOrEqual(1);
  const [file] = await home.storedBinaries(size);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  expect(sha(await readFile(file))).toBe(sha(bodyBytes(syntheticSource(size))));
  await rm(file, { force: true });
  const log = emu.log().filter((e) => e.path.startsWith('/download/'));
  const cut = log.find((e) => e.fault)!;
  expect(cut.headers.range).toMatch(/^bytes=\d+-\d+$/);
  expect(emu.counters().downloads.peakConcurrent.demo).toBeGreaterThan(1);
});
