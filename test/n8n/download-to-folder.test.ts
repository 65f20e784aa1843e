/**
 * EO Request's "File in Folder" output inside a real n8n 2.41.1 (`n8n execute`, the package
 * installed as n8n installs it) against the emulator: WorldCover tiles and Terrascope files (three
 * items downloading at once) land in the folder byte for byte, the items carry the path instead of
 * binary data, a second run skips every unchanged file, and a folder n8n does not let workflows
 * write to (outside N8N_RESTRICT_FILE_ACCESS_TO, or a link leading out of it) fails with an error
 * naming the Folder field, on the item with "Continue On Fail" and for the workflow without.
 */
import { mkdir, readFile, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  bodyBytes,
  startEmulator,
  syntheticSource,
  tilesForBbox,
  worldCoverPath,
  worldCoverSource,
  WORLDCOVER_EDITIONS,
} from '../emulator/server';
import type { Emulator } from '../emulator/types';
import {
  EO_REQUEST_TYPE,
  emulatorCredentials,
  N8nHome,
  nodeOutput,
  TERRASCOPE_CREDENTIAL,
  type ExecutionResult,
} from '../support/n8n-process';

jest.setTimeout(180_000);

const BBOX = '1,49,4,50';
const SIZES = [900_000, 300_000, 600_000];
const terrascope = { credentials: { terrascopeApi: TERRASCOPE_CREDENTIAL } };

let emu: Emulator;
let home: N8nHome;
/** Inside N8N_RESTRICT_FILE_ACCESS_TO, not created yet: the node makes it. */
let folder: string;
/** Outside it, and a link inside it that leads there. */
let outside: string;
let linked: string;
/** The first run of eoIntoFolder (its refused items are checked on their own). */
let first: ExecutionResult | undefined;

let counter = 0;
function node(name: string, type: string, typeVersion: number, parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  counter += 1;
  const id = `7c0e0000-0000-4000-8000-f0${String(counter).padStart(10, '0')}`;
  return { id, name, type, typeVersion, position: [counter * 200, counter * 50], parameters, ...extra };
}

/** Set (one field holding a list) → one item per list entry. */
function itemsOf(prefix: string, field: string, values: unknown[]) {
  return [
    node(`${prefix} list`, 'n8n-nodes-base.set', 3.4, { mode: 'raw', jsonOutput: JSON.stringify({ [field]: values }), options: {} }),
    node(`${prefix} items`, 'n8n-nodes-base.splitOut', 1, { fieldToSplitOut: field, options: {} }),
  ];
}

function linkNodes(connections: Record<string, unknown>, ...names: string[]): void {
  for (let i = 0; i + 1 < names.length; i++) {
    const existing = (connections[names[i]] as { main: unknown[][] } | undefined)?.main[0] ?? [];
    connections[names[i]] = { main: [[...existing, { node: names[i + 1], type: 'main', index: 0 }]] };
  }
}

/** Tiles and three files into `folder`, and two refused folders with "Continue On Fail". */
function intoFolder(): object {
  const start = node('Start', 'n8n-nodes-base.manualTrigger', 1, {});
  const tiles = node(
    'Tiles',
    EO_REQUEST_TYPE,
    1,
    { resource: 'terrascope', operation: 'worldCover', bbox: BBOX, year: 2021, output: 'folder', folder },
    terrascope,
  );
  const files = itemsOf(
    'Files',
    'url',
    SIZES.map((size) => `/download/synthetic/${size}.bin`),
  );
  const download = node(
    'Download',
    EO_REQUEST_TYPE,
    1,
    { resource: 'terrascope', operation: 'download', url: '={{ $json.url }}', output: 'folder', folder: join(folder, 'files') },
    terrascope,
  );
  const refused = itemsOf('Refused', 'folder', [outside, linked]);
  const outsideNode = node(
    'Outside',
    EO_REQUEST_TYPE,
    1,
    { resource: 'terrascope', operation: 'worldCover', bbox: BBOX, year: 2021, output: 'folder', folder: '={{ $json.folder }}' },
    { ...terrascope, onError: 'continueRegularOutput' },
  );
  const connections: Record<string, unknown> = {};
  linkNodes(connections, 'Start', 'Tiles');
  linkNodes(connections, 'Start', 'Files list', 'Files items', 'Download');
  linkNodes(connections, 'Start', 'Refused list', 'Refused items', 'Outside');
  return {
    id: 'eoIntoFolder',
    name: 'Downloads into a folder',
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [start, tiles, ...files, download, ...refused, outsideNode],
    connections,
  };
}

/** A download into a folder outside the allowed root, without "Continue On Fail". */
function outsideStops(): object {
  const start = node('Start', 'n8n-nodes-base.manualTrigger', 1, {});
  const download = node(
    'Download outside',
    EO_REQUEST_TYPE,
    1,
    { resource: 'terrascope', operation: 'download', url: '/download/synthetic/1000.bin', output: 'folder', folder: outside },
    terrascope,
  );
  const connections: Record<string, unknown> = {};
  linkNodes(connections, 'Start', 'Download outside');
  return {
    id: 'eoOutsideStops',
    name: 'Download outside the allowed folder',
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [start, download],
    connections,
  };
}

beforeAll(async () => {
  emu = await startEmulator();
  home = await N8nHome.create();
  folder = join(home.files, 'eo');
  outside = join(home.folder, 'outside');
  linked = join(home.files, 'leads-outside');
  await mkdir(outside);
  await symlink(outside, linked);
  await home.importCredentials(emulatorCredentials(emu));
  await home.importWorkflows([intoFolder(), outsideStops()]);
}, 240_000);

afterAll(async () => {
  await home?.remove();
  await emu?.close();
});

beforeEach(() => emu.reset());

const edition = WORLDCOVER_EDITIONS.find((e) => e.year === 2021)!;
const tiles = tilesForBbox([1, 49, 4, 50]);

test('tiles and files are written into the folder byte for byte, and the items carry their paths', async () => {
  expect(tiles).toHaveLength(2);
  // The first file answers 3 s late: items downloading one after the other would ask for the
  // others only after it, items running at once ask for all three together.
  emu.fault({ route: `^GET /download/synthetic/${SIZES[0]}\\.bin$`, delayMs: 3000, times: 1 });
  const result = await home.execute('eoIntoFolder');
  first = result;
  expect(result.code).toBe(0);

  const tileItems = nodeOutput(result, 'Tiles');
  expect(tileItems.map((item) => item.json.tile)).toEqual(tiles);
  for (const [i, item] of tileItems.entries()) {
    const served = worldCoverPath(edition, tiles[i]);
    const fileName = served.split('/').pop()!;
    expect(item.binary).toBeUndefined();
    expect(item.json).toMatchObject({
      path: join(folder, fileName),
      fileName,
      url: served,
      mediaType: 'image/tiff',
      skipped: false,
    });
    const expected = bodyBytes(worldCoverSource(served, emu.config));
    expect(item.json.bytes).toBe(expected.length);
    expect((await readFile(join(folder, fileName))).equals(expected)).toBe(true);
  }

  const fileItems = nodeOutput(result, 'Download');
  expect(fileItems.map((item) => item.pairedItem)).toEqual(SIZES.map((_, i) => ({ item: i })));
  for (const [i, item] of fileItems.entries()) {
    const size = SIZES[i];
    expect(item.binary).toBeUndefined();
    expect(item.json).toMatchObject({ path: join(folder, 'files', `${size}.bin`), fileName: `${size}.bin`, bytes: size, skipped: false });
    expect(String(item.json.etag)).toMatch(/^"/);
    expect((await readFile(join(folder, 'files', `${size}.bin`))).equals(bodyBytes(syntheticSource(size)))).toBe(true);
  }
  // Only finished files under their names, each beside the sidecar that lets the next run skip it.
  expect((await readdir(join(folder, 'files'))).filter((f) => !f.endsWith('.meta.json')).sort()).toEqual(
    SIZES.map((s) => `${s}.bin`).sort(),
  );
  expect(emu.counters().downloads.admitted.demo).toBe(tiles.length + SIZES.length);
  const asked = emu
    .log()
    .filter((e) => e.path.startsWith('/download/synthetic/'))
    .map((e) => e.time);
  expect(asked).toHaveLength(SIZES.length);
  expect(Math.max(...asked) - Math.min(...asked)).toBeLessThan(2000);
});

test('a second run downloads nothing: every file is unchanged, and the items say it was skipped', async () => {
  const result = await home.execute('eoIntoFolder');
  expect(result.code).toBe(0);
  const items = [...nodeOutput(result, 'Tiles'), ...nodeOutput(result, 'Download')];
  expect(items).toHaveLength(tiles.length + SIZES.length);
  for (const item of items) expect(item.json).toMatchObject({ skipped: true, path: expect.stringContaining(folder) });
  const { apiStatus } = emu.counters();
  expect(apiStatus['200']).toBeUndefined();
  expect(apiStatus['304']).toBe(items.length);
});

test('with Continue On Fail, a folder outside the allowed one (or a link out of it) fails its own item naming the field and the fix', async () => {
  expect(first).toBeDefined();
  const refused = nodeOutput(first!, 'Outside');
  expect(refused).toHaveLength(2);
  for (const item of refused) {
    expect(String(item.json.error)).toMatch(/^Folder: n8n does not allow writing to /);
    expect(String(item.json.error)).toContain(`workflows may write only inside N8N_RESTRICT_FILE_ACCESS_TO ("${home.files}")`);
  }
  expect(String(refused[1].json.error)).toContain(`"${linked}" (${outside})`);
  expect(await readdir(outside)).toEqual([]);
});

test('without Continue On Fail, the same folder stops the workflow with a NodeOperationError', async () => {
  const result = await home.execute('eoOutsideStops');
  const error = result.run?.data.resultData.error;
  expect(error?.message).toMatch(/^Folder: n8n does not allow writing to ".*outside"/);
  expect(error?.message).toMatch(/Choose a folder inside it, or start n8n with N8N_RESTRICT_FILE_ACCESS_TO including this folder\.$/);
  expect(error).toMatchObject({ name: 'NodeOperationError' });
  expect(result.code).not.toBe(0);
  expect(emu.counters().downloads.admitted).toEqual({});
  expect(await readdir(outside)).toEqual([]);
});
