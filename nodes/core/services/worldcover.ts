/**
 * ESA WorldCover tiles on Terrascope: which 3°×3° tiles cover a bounding box, and where each
 * one is downloaded from. Tiles are named by their south-west corner (N00E006) and exist only
 * between latitudes −60 and 84.
 */
import { EoError } from '../errors';

/** The WorldCover editions: 2020 (v100) and 2021 (v200). */
export type WorldCoverYear = 2020 | 2021;
/** [west, south, east, north] in degrees (WGS84). */
export type BBox = [number, number, number, number];

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

function bboxError(message: string): EoError {
  return new EoError(
    'EO_INVALID_CONFIG',
    `${message} Write the bounding box as [west, south, east, north] in degrees, e.g. [5.5, 0.5, 6.5, 1.5].`,
    {
      field: 'bbox',
    },
  );
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

/** Checks a bbox the way a user would type it, naming the problem. */
export function validateBBox(bbox: unknown): BBox {
  if (!Array.isArray(bbox) || bbox.length !== 4) throw bboxError('The bounding box must be a list of 4 numbers.');
  if (!bbox.every((v) => typeof v === 'number' && Number.isFinite(v))) throw bboxError('The bounding box must contain 4 finite numbers.');
  const [west, south, east, north] = bbox as BBox;
  if (west < -180 || east > 180) throw bboxError(`Longitudes must be between -180 and 180 (got ${west}, ${east}).`);
  if (south < -90 || north > 90) throw bboxError(`Latitudes must be between -90 and 90 (got ${south}, ${north}).`);
  if (west >= east) {
    throw bboxError(`West (${west}) must be less than east (${east}); a box across the antimeridian must be split into two boxes.`);
  }
  if (south >= north) throw bboxError(`South (${south}) must be less than north (${north}).`);
  return [west, south, east, north];
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
  if (year !== 2020 && year !== 2021) {
    throw new EoError('EO_INVALID_CONFIG', `WorldCover exists for 2020 and 2021 only (got ${String(year)}).`, { field: 'year' });
  }
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
