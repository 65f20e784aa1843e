/**
 * The emulator's WorldCover tiles as a GIS sees them: downloaded over HTTP like the demo does and
 * read with GDAL (gdalinfo, gdal_translate), never with the code that wrote them. Each tile must be
 * a Cloud-Optimized GeoTIFF in EPSG:4326 covering exactly its 3° × 3°, with the product's class
 * codes and colour table, and content that looks like land cover rather than noise. With
 * EO_UPDATE_DOCS_IMAGES=1 the README's picture of the demo's tiles is refreshed too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { worldCoverTiles, type BBox, type WorldCoverTile } from '../../nodes/core';
import { loadExamples } from '../support/flows';
import { gdalinfo, pngSize, rasterValues, renderMosaicPng, type GdalInfo } from '../support/gdal';
import { repoRoot, tempDir } from '../support/paths';
import { DEMO_USER, startEmulator, worldCoverTileSize } from './server';
import { defaultConfig } from './state';
import type { Emulator } from './types';

/**
 * The WorldCover legend as the product documents it (class code → colour), written out here so
 * the emulator's own table is checked against the product, not against itself.
 */
const PRODUCT_LEGEND: Record<number, string> = {
  10: '#006400', // tree cover
  20: '#ffbb22', // shrubland
  30: '#ffff4c', // grassland
  40: '#f096ff', // cropland
  50: '#fa0000', // built-up
  60: '#b4b4b4', // bare / sparse vegetation
  70: '#f0f0f0', // snow and ice
  80: '#0064c8', // permanent water bodies
  90: '#0096a0', // herbaceous wetland
  95: '#00cf75', // mangroves
  100: '#fae6a0', // moss and lichen
};

let emu: Emulator;
let work: string;
let token: string;

/** The bbox and year of the demo's "WorldCover tiles for a bbox" flow. */
function demoRequest(): { bbox: BBox; year: 2020 | 2021 } {
  const flow = loadExamples().find((e) => e.title === 'WorldCover tiles for a bbox')!.nodes;
  const inject = flow.find((n) => n.type === 'inject')!;
  const request = flow.find((n) => n.type === 'eo-request')!;
  return { bbox: JSON.parse(String(inject.payload)) as BBox, year: Number(request.year) as 2020 | 2021 };
}

async function download(tile: WorldCoverTile, folder = work): Promise<{ file: string; length: number }> {
  const res = await fetch(`${emu.endpoints.terrascope.baseUrl}${tile.url}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/tiff');
  const bytes = Buffer.from(await res.arrayBuffer());
  const file = path.join(folder, tile.filename);
  fs.writeFileSync(file, bytes);
  return { file, length: Number(res.headers.get('content-length')) };
}

/** Share of horizontally and vertically adjacent pixel pairs with the same value. */
function sameNeighbours(rows: number[][]): number {
  let same = 0;
  let pairs = 0;
  for (let y = 0; y < rows.length; y++) {
    for (let x = 0; x < rows[y].length; x++) {
      if (x + 1 < rows[y].length) {
        pairs++;
        if (rows[y][x] === rows[y][x + 1]) same++;
      }
      if (y + 1 < rows.length) {
        pairs++;
        if (rows[y][x] === rows[y + 1][x]) same++;
      }
    }
  }
  return same / pairs;
}

const hex = (rgb: number[]) => `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;

/** What every tile must look like to GDAL: size, CRS, exact extent, COG layout, colour table. */
function expectTile(info: GdalInfo, tile: WorldCoverTile, pixels: number): void {
  const [west, south, east, north] = tile.bounds;
  expect(info.driverShortName).toBe('GTiff');
  expect(info.size).toEqual([pixels, pixels]);
  expect(info.stac?.['proj:epsg']).toBe(4326);
  expect(info.coordinateSystem.wkt).toMatch(/ID\["EPSG",4326\]\]$/);
  expect(info.cornerCoordinates.upperLeft).toEqual([west, north]);
  expect(info.cornerCoordinates.lowerRight).toEqual([east, south]);
  expect(east - west).toBe(3);
  expect(info.geoTransform).toEqual([west, 3 / pixels, 0, north, 0, -3 / pixels]);
  expect(info.metadata[''].AREA_OR_POINT).toBe('Area');
  expect(info.metadata.IMAGE_STRUCTURE.LAYOUT).toBe('COG');
  const [band] = info.bands;
  expect(band).toMatchObject({ type: 'Byte', colorInterpretation: 'Palette', noDataValue: 0 });
  expect(info.bands).toHaveLength(1);
  const entries = band.colorTable!.entries;
  expect(entries).toHaveLength(256);
  for (const [code, colour] of Object.entries(PRODUCT_LEGEND))
    expect([Number(code), hex(entries[Number(code)].slice(0, 3))]).toEqual([Number(code), colour]);
}

beforeAll(async () => {
  emu = await startEmulator();
  work = tempDir('eo-worldcover-gdal');
  const res = await fetch(emu.endpoints.terrascope.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: 'public', username: DEMO_USER.username, password: DEMO_USER.password }),
  });
  token = ((await res.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await emu.close();
  fs.rmSync(work, { recursive: true, force: true });
});

afterEach(() => emu.configure(defaultConfig()));

test('the demo bbox’s tiles are COGs in EPSG:4326 on their exact 3° × 3°, with the product’s classes and colours', async () => {
  const { bbox, year } = demoRequest();
  const tiles = worldCoverTiles(bbox, year);
  expect(tiles.length).toBeGreaterThan(1);
  const pixels = emu.config.worldCoverTilePixels;
  const grids: Record<string, number[][]> = {};
  for (const tile of tiles) {
    const { file, length } = await download(tile);
    expect(fs.statSync(file).size).toBe(length);
    expect(length).toBe(worldCoverTileSize(emu.config));
    const info = await gdalinfo(file, { histogram: true });
    expectTile(info, tile, pixels);
    // Tiled, with an overview GDAL reads from the file itself.
    const [band] = info.bands;
    expect(band.block).toEqual([256, 256]);
    expect(band.overviews).toEqual([{ size: [pixels / 2, pixels / 2] }]);

    // Only the product's class codes occur, and several of them: no class covers the whole tile.
    const counts = band.histogram!.buckets;
    expect(band.histogram).toMatchObject({ count: 256, min: -0.5, max: 255.5 });
    const present = counts.flatMap((n, value) => (n > 0 ? [value] : []));
    expect(present.filter((v) => !(v in PRODUCT_LEGEND))).toEqual([]);
    expect(present.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...counts)).toBeLessThan(0.9 * pixels * pixels);

    // Land cover comes in patches: nearly every pixel has the class of its neighbours, where
    // random classes would match about one time in eleven.
    const grid = await rasterValues(file);
    expect(grid).toHaveLength(pixels);
    expect(sameNeighbours(grid)).toBeGreaterThan(0.85);
    grids[tile.tile] = grid;
  }

  // Neighbouring tiles join up: the columns on either side of a shared edge mostly agree.
  const west = grids.N51E000;
  const east = grids.N51E003;
  const across = west.filter((row, y) => row[pixels - 1] === east[y][0]).length;
  expect(across / pixels).toBeGreaterThan(0.85);
}, 60_000);

test('tiles are deterministic, differ from tile to tile, and the pixel size is a knob', async () => {
  const [a, b] = worldCoverTiles([0.5, 0.5, 3.5, 1], 2021);
  const first = fs.readFileSync((await download(a)).file);
  const again = fs.readFileSync((await download(a, tempDir('eo-worldcover-again'))).file);
  expect(again.equals(first)).toBe(true);
  expect(fs.readFileSync((await download(b)).file).equals(first)).toBe(false);

  // 300 × 300 pixels (0.01° each): the same extent, one overview of 150 × 150.
  emu.configure({ worldCoverTilePixels: 300 });
  const { file, length } = await download(a);
  expect(length).toBe(worldCoverTileSize(emu.config));
  const info = await gdalinfo(file);
  expectTile(info, a, 300);
  expect(info.bands[0].overviews).toEqual([{ size: [150, 150] }]);

  // Small enough for one block: no overview needed.
  emu.configure({ worldCoverTilePixels: 200 });
  const small = await gdalinfo((await download(a)).file);
  expectTile(small, a, 200);
  expect(small.bands[0].overviews ?? []).toEqual([]);

  emu.configure({ worldCoverTilePixels: 0 });
  const bad = await fetch(`${emu.endpoints.terrascope.baseUrl}${a.url}`, { headers: { authorization: `Bearer ${token}` } });
  expect(bad.status).toBe(500);
  expect(await bad.text()).toMatch(/worldCoverTilePixels must be a whole number from 1 to 8192 \(got 0\)/);
});

test('the demo’s tiles render as one picture (the README’s), with the requested bbox framed', async () => {
  const { bbox, year } = demoRequest();
  const tiles = worldCoverTiles(bbox, year);
  const files = [];
  for (const tile of tiles) files.push((await download(tile)).file);
  const png = await renderMosaicPng(files, path.join(work, 'worldcover-demo-tiles.png'), { outline: bbox, outlinePx: 4 });
  const lons = new Set(tiles.map((t) => t.bounds[0])).size;
  const lats = new Set(tiles.map((t) => t.bounds[1])).size;
  const pixels = emu.config.worldCoverTilePixels;
  expect(pngSize(png)).toEqual({ width: lons * pixels, height: lats * pixels });
  if (process.env.EO_UPDATE_DOCS_IMAGES === '1') fs.copyFileSync(png, path.join(repoRoot, 'docs', 'images', 'worldcover-demo-tiles.png'));
}, 60_000);
