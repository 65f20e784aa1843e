/** The deterministic body behind a download path, for tests that check bytes they received. */
import type { BodySource } from './bodies';
import { encodePaletteCog, paletteCogByteLength } from './cog';
import { fnv1a } from './http';
import { landCoverPixels, worldCoverPalette } from './landcover';
import type { EmulatorConfig } from './types';
import { parseTile, parseWorldCoverPath } from './worldcover';

/** `/download/synthetic/<size>.bin` */
export function syntheticSource(size: number): BodySource {
  return { seed: fnv1a(`/download/synthetic/${size}.bin`), size };
}

/** The two knobs that decide what a WorldCover tile is (see {@link EmulatorConfig}). */
export type WorldCoverKnobs = Pick<EmulatorConfig, 'worldCoverTilePixels' | 'worldCoverTileBytes'>;

const MAX_PIXELS = 8192;

function tilePixels(knobs: WorldCoverKnobs): number {
  const n = knobs.worldCoverTilePixels;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PIXELS) {
    throw new Error(`worldCoverTilePixels must be a whole number from 1 to ${MAX_PIXELS} (got ${String(n)})`);
  }
  return n;
}

/** Bytes of every WorldCover tile with these knobs, known without rendering one. */
export function worldCoverTileSize(knobs: WorldCoverKnobs): number {
  if (knobs.worldCoverTileBytes > 0) return knobs.worldCoverTileBytes;
  const n = tilePixels(knobs);
  return paletteCogByteLength(n, n);
}

/** Rendered tiles by tile name and pixel size, most recently used last, up to a memory budget. */
const rendered = new Map<string, Buffer>();
const RENDERED_BUDGET = 64 * 1024 * 1024;

/** The GeoTIFF of a tile (e.g. "N51E003") at `pixels` × `pixels`, rendered once and then kept. */
export function worldCoverGeoTiff(tile: string, pixels: number): Buffer {
  const key = `${tile}:${pixels}`;
  const cached = rendered.get(key);
  if (cached) {
    rendered.delete(key);
    rendered.set(key, cached);
    return cached;
  }
  const corner = parseTile(tile);
  if (!corner) throw new Error(`not a WorldCover tile name: ${tile}`);
  const { lat0, lon0 } = corner;
  const tiff = encodePaletteCog({
    width: pixels,
    height: pixels,
    pixels: landCoverPixels(lat0, lon0, pixels),
    palette: worldCoverPalette(),
    geo: { bbox: [lon0, lat0, lon0 + 3, lat0 + 3], epsg: 4326 },
    nodata: 0,
  });
  rendered.set(key, tiff);
  let held = 0;
  for (const b of rendered.values()) held += b.length;
  for (const [k, b] of rendered) {
    if (held <= RENDERED_BUDGET || k === key) break;
    rendered.delete(k);
    held -= b.length;
  }
  return tiff;
}

/**
 * The body of a WorldCover tile path (as served, starting with /download/): its GeoTIFF, or with
 * `worldCoverTileBytes` set, that many random bytes behind a TIFF signature.
 */
export function worldCoverSource(path: string, knobs: WorldCoverKnobs): BodySource {
  const seed = fnv1a(path);
  if (knobs.worldCoverTileBytes > 0) {
    // Little-endian TIFF signature first, so a quick magic-number check passes.
    return { seed, size: knobs.worldCoverTileBytes, prefix: Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]) };
  }
  const parsed = parseWorldCoverPath(path);
  if (!parsed) throw new Error(`not a WorldCover tile path: ${path}`);
  const pixels = tilePixels(knobs);
  return { seed, size: worldCoverTileSize(knobs), bytes: () => worldCoverGeoTiff(parsed.tile, pixels) };
}
