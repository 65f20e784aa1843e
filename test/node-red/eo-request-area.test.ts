/**
 * The bounding box in a real Node-RED runtime: the editor's map asks `GET /eo-request/area`, which
 * must answer what the core says (`validateBBox`, `worldCoverTiles`), and the node's Bounding box
 * replaces the area of a Process, Statistics or Catalog request taken from msg.payload.
 */
import { worldCoverTiles, WORLDCOVER_GRID, type BBox } from '../../nodes/core';
import {
  authNode,
  CATALOG_SEARCH,
  caughtError,
  demoCredentials,
  GOLDEN_PROCESS,
  nextMessages,
  NODES,
  requestFlow,
  useTestBed,
  type Msg,
} from './eo-flow';

const bed = useTestBed();

async function area(query: string): Promise<{ status: number; body: Record<string, unknown> }> {
  await bed.helper.load(NODES, []);
  const res = await bed.helper.request().get(`/eo-request/area?${query}`);
  return { status: res.status, body: res.body as Record<string, unknown> };
}

describe('GET /eo-request/area', () => {
  test.each<[string, BBox]>([
    ['the Belgian coast, across a tile edge both ways', [2.5, 50.6, 3.5, 51.2]],
    ['one tile, edges on the grid', [6, 0, 9, 3]],
    ['a large box, more tiles than are listed', [-10, 35, 30, 60]],
    ['south of the published latitudes', [10, -80, 20, -65]],
  ])('%s: the count, extent and names are those of worldCoverTiles', async (_name, bbox) => {
    const { status, body } = await area(`bbox=${encodeURIComponent(bbox.join(', '))}&worldcover=2021`);
    const tiles = worldCoverTiles(bbox, 2021);
    expect(status).toBe(200);
    expect(body.bbox).toEqual(bbox);
    expect(body.worldCover).toEqual({
      year: 2021,
      grid: WORLDCOVER_GRID,
      count: tiles.length,
      extent: tiles.length
        ? [tiles[0].bounds[0], tiles[0].bounds[1], tiles[tiles.length - 1].bounds[2], tiles[tiles.length - 1].bounds[3]]
        : null,
      tiles: tiles.slice(0, 12).map((t) => t.tile),
    });
  });

  test('reads the box as the node does (spaces or commas) and says nothing of tiles unless asked', async () => {
    const { status, body } = await area(`bbox=${encodeURIComponent(' 13.35 52.5  13.45,52.55 ')}`);
    expect(status).toBe(200);
    expect(body).toEqual({ bbox: [13.35, 52.5, 13.45, 52.55] });
  });

  test('an empty box is no box (the area then comes from msg); the grid is still described', async () => {
    const { body } = await area('bbox=&worldcover=');
    expect(body).toEqual({ bbox: null, worldCover: { year: 2021, grid: WORLDCOVER_GRID, count: 0, extent: null, tiles: [] } });
  });

  test.each([
    ['west not below east', 'bbox=5,0,4,1', /West \(5\) must be less than east \(4\)/],
    ['three numbers', 'bbox=1,2,3', /list of 4 numbers/],
    ['a latitude out of range', 'bbox=0,-95,1,1', /Latitudes must be between -90 and 90/],
  ])('%s: 400 with the core’s message, naming bbox', async (_name, query, message) => {
    const { status, body } = await area(query);
    expect(status).toBe(400);
    expect(body).toEqual({ code: 'EO_INVALID_CONFIG', field: 'bbox', message: expect.stringMatching(message) });
  });

  test('an edition that does not exist: 400 naming year', async () => {
    const { status, body } = await area('bbox=1,1,2,2&worldcover=2019');
    expect(status).toBe(400);
    expect(body).toMatchObject({ field: 'year', message: expect.stringContaining('2020 and 2021') });
  });
});

describe("the node's Bounding box replaces the area of msg.payload", () => {
  async function run(props: Record<string, unknown>, msg: Msg): Promise<Msg> {
    await bed.helper.load(NODES, requestFlow(authNode(bed.emu), props), demoCredentials());
    const out = nextMessages(bed.helper, 'out');
    bed.helper.getNode('req')?.receive(msg);
    return (await out)[0];
  }

  test('Process: input.bounds becomes the box in CRS84, the rest of the request stays', async () => {
    const payload = { ...GOLDEN_PROCESS, output: { width: 8, height: 8 } };
    const msg = await run(
      { operation: 'process', accept: 'application/json', output: 'json', bbox: '12.44,41.87,12.46,41.89' },
      { payload },
    );
    // The emulator's JSON output echoes the area it rendered (the payload's own is in UTM 33N).
    expect(msg.payload).toMatchObject({ width: 8, height: 8, bbox: [12.44, 41.87, 12.46, 41.89], crs: 'EPSG:4326' });
  });

  test('Process without a Bounding box keeps the area of msg.payload', async () => {
    const payload = { ...GOLDEN_PROCESS, output: { width: 8, height: 8 } };
    const msg = await run({ operation: 'process', accept: 'application/json', output: 'json', bbox: '' }, { payload });
    expect(msg.payload).toMatchObject({ bbox: GOLDEN_PROCESS.input.bounds.bbox, crs: 'EPSG:32633' });
  });

  test('Catalog search: bbox replaced and intersects dropped (STAC allows only one of them)', async () => {
    const payload = { ...CATALOG_SEARCH, limit: 3, intersects: { type: 'Point', coordinates: [100, 10] } };
    const msg = await run({ operation: 'catalog', catalogLimit: 3, bbox: '2.5,50.6,3.5,51.2' }, { payload });
    const features = (msg.payload as { features: { bbox: number[] }[] }).features;
    expect(features).toHaveLength(3);
    for (const f of features) {
      expect(f.bbox[0]).toBeGreaterThanOrEqual(2.5);
      expect(f.bbox[2]).toBeLessThanOrEqual(3.5);
      expect(f.bbox[1]).toBeGreaterThanOrEqual(50.6);
      expect(f.bbox[3]).toBeLessThanOrEqual(51.2);
    }
  });

  test('a Bounding box that cannot be read reaches the Catch node naming bbox, and nothing is sent', async () => {
    await bed.helper.load(NODES, requestFlow(authNode(bed.emu), { operation: 'process', bbox: '10,10,5,20' }), demoCredentials());
    const caught = await caughtError(bed.helper, { payload: GOLDEN_PROCESS });
    expect(caught.error.message).toMatch(/West \(10\) must be less than east \(5\).*field: bbox/s);
    expect(bed.emu.counters().apiRequests).toBe(0);
  });
});
