/**
 * The package inside a real n8n 2.41, run with `n8n execute` against the emulator: the example
 * workflows, token counts, bad input with and without "Continue On Fail", and no secret in any
 * output.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eoRequest, resolveConnection, sharedTokenCache } from '../../nodes/core';
import {
  bodyBytes,
  DEMO_CLIENT,
  DEMO_USER,
  startEmulator,
  syntheticSource,
  tilesForBbox,
  worldCoverPath,
  worldCoverSource,
  WORLDCOVER_EDITIONS,
} from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { TRUE_COLOR_EVALSCRIPT } from '../../nodes/EoRequest/actions/sentinelHub/fields';
import { emulatorCredentials, N8nHome, nodeOutput, type ExecutionResult } from '../support/n8n-process';
import { badInput, BAD_INPUT_BOXES, example, fiftyProcessCalls, otherOperations, UNEVEN_AREAS } from './workflows';

jest.setTimeout(120_000);

let emu: Emulator;
let home: N8nHome;

/** Nothing secret in anything n8n printed: the run data, its logs, its errors. */
function expectNoSecrets(result: ExecutionResult): void {
  const everything = result.stdout + result.stderr;
  expect(everything).not.toContain(DEMO_CLIENT.clientSecret);
  expect(everything).not.toContain(DEMO_USER.password);
  // Access and refresh tokens are JWTs: a header and a payload, both base64url JSON objects.
  expect(everything).not.toMatch(/eyJ[\w-]{8,}\.eyJ[\w-]{8,}/);
}

beforeAll(async () => {
  emu = await startEmulator();
  home = await N8nHome.create();
  // n8n's "Write File to Disk" writes into an existing folder only.
  await mkdir(join(home.files, 'worldcover'));
  await mkdir(join(home.files, 'sentinel-hub'));
  await home.importCredentials(emulatorCredentials(emu));
  await home.importWorkflows([
    example('worldcover-monthly-download.json', home.files, 'worldcover'),
    example('sentinel-hub-process-geotiff.json', home.files, 'sentinel-hub'),
    fiftyProcessCalls(),
    badInput('eoBadInputContinue', true),
    badInput('eoBadInputStop', false),
    otherOperations(`${emu.endpoints.terrascope.stacUrl}/search`),
  ]);
}, 240_000);

afterAll(async () => {
  await home?.remove();
  await emu?.close();
});

beforeEach(() => emu.reset());

test('the WorldCover example writes every tile of its bounding box, byte for byte as served', async () => {
  const result = await home.execute('eoWorldCoverMonthly');
  expect(result.code).toBe(0);
  expectNoSecrets(result);

  const edition = WORLDCOVER_EDITIONS.find((e) => e.year === 2021)!;
  const tiles = tilesForBbox([2.5, 49.5, 6.5, 51.5]);
  expect(tiles).toHaveLength(6);
  const items = nodeOutput(result, 'WorldCover tiles');
  expect(items.map((item) => item.json.tile)).toEqual(tiles);
  for (const item of items) {
    expect(item.pairedItem).toEqual({ item: 0 });
    expect(item.binary?.data).toMatchObject({ mimeType: 'image/tiff', fileName: item.json.fileName });
    // Filesystem binary mode: n8n keeps a reference, not the bytes, in the run data.
    expect(String(item.binary?.data.id)).toMatch(/^filesystem/);
  }

  const written = await home.writtenFiles('worldcover');
  expect(written).toEqual(items.map((item) => String(item.json.fileName)).sort());
  for (const tile of tiles) {
    const path = worldCoverPath(edition, tile);
    const expected = bodyBytes(worldCoverSource(path, emu.config));
    const actual = await readFile(join(home.files, 'worldcover', path.split('/').pop()!));
    expect(actual.equals(expected)).toBe(true);
  }
  // One login for six tiles.
  expect(emu.counters().tokenRequests).toMatchObject({ password: 1, total: 1 });
});

test('the Process example writes the GeoTIFF the API rendered and reports the processing units', async () => {
  const result = await home.execute('eoProcessGeoTiff');
  expect(result.code).toBe(0);
  expectNoSecrets(result);
  const [item] = nodeOutput(result, 'True colour GeoTIFF');
  expect(item.json).toMatchObject({
    format: 'image/tiff',
    width: 512,
    height: 512,
    fileName: 'berlin-true-colour.tif',
    processingUnits: 1,
  });
  expect(item.binary?.data).toMatchObject({ mimeType: 'image/tiff', fileName: 'berlin-true-colour.tif' });

  // The same request sent straight to the emulator gives the bytes n8n wrote to disk.
  const workflow = example('sentinel-hub-process-geotiff.json', home.files, 'sentinel-hub');
  const p = workflow.nodes.find((n) => n.name === 'True colour GeoTIFF')!.parameters as Record<string, never>;
  const body = {
    input: {
      bounds: { bbox: String(p.bbox).split(',').map(Number), properties: { crs: p.crs } },
      data: [{ type: p.dataCollection, dataFilter: { timeRange: { from: p.timeFrom, to: p.timeTo }, maxCloudCoverage: 20 } }],
    },
    output: { width: p.width, height: p.height, responses: [{ identifier: 'default', format: { type: 'image/tiff' } }] },
    evalscript: String(p.evalscript ?? TRUE_COLOR_EVALSCRIPT),
  };
  const connection = resolveConnection({ provider: 'sentinel-hub', ...emu.endpoints.sentinelHub, ...DEMO_CLIENT });
  const direct = await eoRequest<Buffer>({
    connection,
    tokens: sharedTokenCache().provider(connection),
    method: 'POST',
    url: '/api/v1/process',
    body,
    headers: { accept: 'image/tiff' },
    responseType: 'buffer',
  });
  const written = await readFile(join(home.files, 'sentinel-hub', 'berlin-true-colour.tif'));
  expect(written.length).toBe(item.json.bytes);
  expect(written.equals(direct.body)).toBe(true);
});

test('fifty items in one execution cost one token request', async () => {
  const result = await home.execute('eoFiftyItems');
  expect(result.code).toBe(0);
  expectNoSecrets(result);
  const items = nodeOutput(result, 'Render each');
  expect(items).toHaveLength(50);
  items.forEach((item, index) => {
    expect(item.pairedItem).toEqual({ item: index });
    expect(item.json.processingUnits).toBeGreaterThan(0);
    expect(item.binary?.data).toMatchObject({ mimeType: 'image/png' });
  });
  const counters = emu.counters();
  expect(counters.tokenRequests).toMatchObject({ client_credentials: 1, total: 1 });
  expect(counters.apiStatus['200']).toBe(50);
});

test('two `n8n execute` runs are two processes, so each fetches its own token', async () => {
  for (let run = 0; run < 2; run++) expect((await home.execute('eoFiftyItems')).code).toBe(0);
  // The cache is per process: 100 Process calls, two processes, two tokens.
  expect(emu.counters().tokenRequests).toMatchObject({ client_credentials: 2, total: 2 });
  expect(emu.counters().apiStatus['200']).toBe(100);
});

test('with Continue On Fail, a malformed bounding box fails its own item with a message naming the field', async () => {
  const result = await home.execute('eoBadInputContinue');
  expect(result.code).toBe(0);
  expectNoSecrets(result);
  const items = nodeOutput(result, 'Render');
  expect(items).toHaveLength(BAD_INPUT_BOXES.length);
  expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
  expect(items[1].json.error).toMatch(/^Bounding Box: .*list of 4 numbers/);
  expect(items[1].binary).toBeUndefined();
  for (const ok of [items[0], items[2]]) {
    expect(ok.json.error).toBeUndefined();
    expect(ok.binary?.data).toMatchObject({ mimeType: 'image/png' });
  }
  // The bad item never reached the API.
  expect(emu.counters().apiStatus['200']).toBe(2);
});

test('without Continue On Fail, the same bad item stops the workflow with a NodeOperationError', async () => {
  const result = await home.execute('eoBadInputStop');
  expect(result.code).not.toBe(0);
  expectNoSecrets(result);
  const error = result.run?.data.resultData.error;
  expect(error).toMatchObject({ name: 'NodeOperationError' });
  expect(error?.message).toMatch(/^Bounding Box: .*list of 4 numbers/);
  // The first item went through; the error is the second item's.
  expect(error?.context).toMatchObject({ itemIndex: 1 });
  expect(emu.counters().apiStatus['200']).toBe(1);
  expect(result.run?.data.resultData.lastNodeExecuted).toBe('Render');
});

test('a provider error stops the workflow with a NodeApiError carrying its message and status', async () => {
  emu.fault({
    route: '^POST /api/v1/process$',
    status: 400,
    body: { error: { status: 400, reason: 'Bad Request', message: 'Invalid evalscript: unexpected token', code: 'RENDERER_EXCEPTION' } },
  });
  const result = await home.execute('eoProcessGeoTiff');
  expect(result.code).not.toBe(0);
  expectNoSecrets(result);
  const error = result.run?.data.resultData.error;
  expect(error).toMatchObject({ name: 'NodeApiError', httpCode: '400' });
  expect(`${error?.message} ${error?.description}`).toContain('Invalid evalscript: unexpected token');
});

test('Catalog, Statistics, STAC search, downloads and custom calls work inside n8n', async () => {
  const result = await home.execute('eoOtherOperations');
  expect(result.code).toBe(0);
  expectNoSecrets(result);

  // Catalog search: all 23 features across pages of the emulator's catalogue, or the first 5.
  const all = nodeOutput(result, 'Catalog all');
  expect(all).toHaveLength(emu.config.catalogTotal);
  expect(new Set(all.map((item) => item.json.id)).size).toBe(emu.config.catalogTotal);
  expect(all.every((item) => item.json.collection === 'sentinel-2-l2a')).toBe(true);
  expect(nodeOutput(result, 'Catalog 5').map((item) => item.json.id)).toEqual(all.slice(0, 5).map((item) => item.json.id));

  const [stats] = nodeOutput(result, 'Statistics');
  expect(Array.isArray(stats.json.data)).toBe(true);
  // June 1 to June 30 (29 days) in 10-day intervals: the shorter last one is skipped, as by default.
  expect((stats.json.data as unknown[]).length).toBe(2);
  expect((stats.json.data as { interval: { from: string } }[])[0].interval.from).toMatch(/^2024-06-01T00:00:00/);

  const [call] = nodeOutput(result, 'SH API call');
  expect(call.json).toMatchObject({ statusCode: 200 });
  expect((call.json.body as { features: unknown[] }).features).toHaveLength(2);

  // A 3 MB download lands in n8n's binary store byte for byte.
  const [download] = nodeOutput(result, 'Download');
  expect(download.json).toMatchObject({ fileName: 'synthetic.bin', bytes: 3_000_000, resumed: 0 });
  const stored = await readFile(home.binaryPath(String(download.binary?.data.id)));
  expect(stored.equals(bodyBytes(syntheticSource(3_000_000)))).toBe(true);

  // STAC search follows the `next` links: the WorldCover 2021 tiles of a 9° × 6° box.
  const stac = nodeOutput(result, 'STAC search');
  expect(
    stac
      .map((item) => item.json.id as string)
      .map((id) => id.slice(-7))
      .sort(),
  ).toEqual(tilesForBbox([0, 0, 9, 6]).sort());

  // The open-ocean tile the server does not have is left out; its neighbour is there.
  expect(nodeOutput(result, 'WorldCover ocean').map((item) => item.json.tile)).toEqual(['N00W027']);

  // Two items in, three out: n8n leaves the pairing to the node, which pairs each tile with its area.
  const perArea = nodeOutput(result, 'WorldCover per area');
  const expectedTiles = UNEVEN_AREAS.map((area) => tilesForBbox(area.split(',').map(Number) as [number, number, number, number]));
  expect(expectedTiles.map((tiles) => tiles.length)).toEqual([2, 1]);
  expect(perArea.map((item) => item.json.tile)).toEqual(expectedTiles.flat());
  expect(perArea.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 0 }, { item: 1 }]);
  // Metadata only: the tile's URL under `url`; `path` is kept for a file on disk.
  expect(perArea.map((item) => item.json.url)).toEqual(
    expectedTiles.flat().map((tile) =>
      worldCoverPath(
        WORLDCOVER_EDITIONS.find((e) => e.year === 2021)!,
        tile,
      ),
    ),
  );
  expect(perArea.every((item) => item.json.path === undefined)).toBe(true);

  // Eight EO nodes, two credentials, two token requests (metadata only needs none).
  expect(emu.counters().tokenRequests).toMatchObject({ client_credentials: 1, password: 1, total: 2 });
});
