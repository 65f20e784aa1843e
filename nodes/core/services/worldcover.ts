/**
 * ESA WorldCover tiles on Terrascope: which 3°×3° tiles cover a bounding box, and where each
 * one is downloaded from. Tiles are named by their south-west corner (N00E006) and exist only
 * between latitudes −60 and 84.
 */
import { EoError, isEoError } from '../errors';
import { validateBBox, type BBox } from './bounding-box';

/** The WorldCover editions: 2020 (v100) and 2021 (v200). */
export type WorldCoverYear = 2020 | 2021;

/** One tile to download. */
export interface WorldCoverTile {
  /** Tile name, e.g. `N00E006`. */
  tile: string;
  /** Path under the Terrascope download base, e.g. `/download/WORLDCOVER/…/…_N00E006_Map.tif`. */
  url: string;
  /** The file name the tile is published under. */
  filename: string;
  /** The tile's extent [west, south, east, north]. */
  bounds: BBox;
}

const TILE_DEG = 3;
const MIN_LAT = -60;
const MAX_LAT = 84;

/** The tile grid: squares of `tileDegrees` on multiples of it, published between `minLatitude` and `maxLatitude`. */
export const WORLDCOVER_GRID = { tileDegrees: TILE_DEG, minLatitude: MIN_LAT, maxLatitude: MAX_LAT } as const;

/** Product folder and file version per year (2021 is the v200 reprocessing). */
const PRODUCTS: Record<WorldCoverYear, { folder: string; file: string }> = {
  2020: { folder: 'ESA_WORLDCOVER_10M_2020_V100', file: 'ESA_WorldCover_10m_2020_v100' },
  2021: { folder: 'ESA_WORLDCOVER_10M_2021_V200', file: 'ESA_WorldCover_10m_2021_v200' },
};

/** The edition taken when no year is given: the latest. */
export const LATEST_WORLDCOVER_YEAR: WorldCoverYear = 2021;

function yearError(value: unknown): EoError {
  return new EoError('EO_INVALID_CONFIG', `WorldCover exists for 2020 and 2021 only (got ${String(value)}).`, { field: 'year' });
}

/**
 * The edition a user asked for, as a number or text; nothing (undefined, null, '') means the latest.
 *
 * @example
 * worldCoverYear('2020'); // 2020
 * worldCoverYear(undefined); // 2021
 * @throws EoError `EO_INVALID_CONFIG` with field `year`.
 */
export function worldCoverYear(value: unknown): WorldCoverYear {
  if (value === undefined || value === null || value === '') return LATEST_WORLDCOVER_YEAR;
  const year = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (year !== 2020 && year !== 2021) throw yearError(value);
  return year;
}

/**
 * True when a tile download failed because the server does not have the tile (404). WorldCover
 * publishes no tile where there is only open ocean, so such a tile is a gap in the map, not a
 * failure of the run; the adapters skip it (and say so where the engine has a place for it).
 *
 * @example
 * try { await downloadToFile({ ...tile }); } catch (err) { if (!isMissingWorldCoverTile(err)) throw err; }
 */
export function isMissingWorldCoverTile(err: unknown): boolean {
  return isEoError(err, 'EO_HTTP_STATUS') && err.status === 404;
}

/** The name of the tile whose south-west corner is (lat0, lon0), both multiples of 3. */
export function worldCoverTileName(lat0: number, lon0: number): string {
  const ns = lat0 < 0 ? 'S' : 'N';
  const ew = lon0 < 0 ? 'W' : 'E';
  return `${ns}${String(Math.abs(lat0)).padStart(2, '0')}${ew}${String(Math.abs(lon0)).padStart(3, '0')}`;
}

/** The tile that contains a point: floor to the 3° grid. */
export function worldCoverTileAt(lat: number, lon: number): string {
  return worldCoverTileName(Math.floor(lat / TILE_DEG) * TILE_DEG, Math.floor(lon / TILE_DEG) * TILE_DEG);
}

/**
 * The WorldCover tiles that cover `bbox`, west to east within south to north. Edges are
 * half-open: a box whose east or north edge lies exactly on a tile boundary does not pull in
 * the next tile. Latitudes are clipped to −60..84; a box entirely outside gives an empty list.
 *
 * @example
 * worldCoverTiles([6.2, 0.4, 6.9, 1.1], 2020)[0].tile; // 'N00E006'
 * @throws EoError `EO_INVALID_CONFIG` with field `bbox` or `year`.
 */
export function worldCoverTiles(bbox: BBox, year: WorldCoverYear): WorldCoverTile[] {
  if (year !== 2020 && year !== 2021) throw yearError(year);
  const [west, south, east, north] = validateBBox(bbox);
  const lo = Math.max(south, MIN_LAT);
  const hi = Math.min(north, MAX_LAT);
  if (lo >= hi) return [];
  const product = PRODUCTS[year];
  const tiles: WorldCoverTile[] = [];
  const firstLat = Math.floor(lo / TILE_DEG) * TILE_DEG;
  const firstLon = Math.floor(west / TILE_DEG) * TILE_DEG;
  for (let lat0 = firstLat; lat0 < hi; lat0 += TILE_DEG) {
    for (let lon0 = firstLon; lon0 < east; lon0 += TILE_DEG) {
      const tile = worldCoverTileName(lat0, lon0);
      const filename = `${product.file}_${tile}_Map.tif`;
      tiles.push({
        tile,
        url: `/download/WORLDCOVER/${product.folder}/MAP/${product.file}_${tile}_Map/${filename}`,
        filename,
        bounds: [lon0, lat0, lon0 + TILE_DEG, lat0 + TILE_DEG],
      });
    }
  }
  return tiles;
}
