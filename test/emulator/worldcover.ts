/** ESA WorldCover tile names and Terrascope download paths (3°×3° tiles, latitude −60..84). */

export interface WorldCoverEdition {
  year: 2020 | 2021;
  /** Version in the directory name (upper case) and file name (lower case). */
  version: 'v100' | 'v200';
  /** OpenSearch / STAC collection id. */
  collection: string;
}

export const WORLDCOVER_EDITIONS: WorldCoverEdition[] = [
  { year: 2020, version: 'v100', collection: 'urn:eop:VITO:ESA_WorldCover_10m_2020_V1' },
  { year: 2021, version: 'v200', collection: 'urn:eop:VITO:ESA_WorldCover_10m_2021_V2' },
];

export function tileName(lat0: number, lon0: number): string {
  const ns = lat0 < 0 ? 'S' : 'N';
  const ew = lon0 < 0 ? 'W' : 'E';
  return `${ns}${String(Math.abs(lat0)).padStart(2, '0')}${ew}${String(Math.abs(lon0)).padStart(3, '0')}`;
}

/** The tile that holds a point, e.g. (−46.5, 37.5) → S48E036. */
export function tileForPoint(lat: number, lon: number): string {
  return tileName(Math.floor(lat / 3) * 3, Math.floor(lon / 3) * 3);
}

/** Lower-left corner of a valid tile name, or undefined (wrong format, not a multiple of 3, out of range). */
export function parseTile(name: string): { lat0: number; lon0: number } | undefined {
  const m = /^([NS])(\d{2})([EW])(\d{3})$/.exec(name);
  if (!m) return undefined;
  const lat0 = (m[1] === 'S' ? -1 : 1) * Number(m[2]);
  const lon0 = (m[3] === 'W' ? -1 : 1) * Number(m[4]);
  if (lat0 % 3 !== 0 || lon0 % 3 !== 0) return undefined;
  if (lat0 < -60 || lat0 > 81 || lon0 < -180 || lon0 > 177) return undefined;
  if ((m[1] === 'S' && lat0 === 0) || (m[3] === 'W' && lon0 === 0)) return undefined; // S00 / W000 do not exist
  return { lat0, lon0 };
}

/** Tiles covering a bbox [w, s, e, n]: half-open, so a max edge on a 3° line adds no tile. */
export function tilesForBbox(bbox: [number, number, number, number]): string[] {
  const [w, s, e, n] = bbox;
  const out: string[] = [];
  const lat1 = Math.max(-60, Math.floor(s / 3) * 3);
  const lat2 = Math.min(84, n);
  const lon1 = Math.max(-180, Math.floor(w / 3) * 3);
  const lon2 = Math.min(180, e);
  for (let lat = lat1; lat < lat2 || (lat === lat1 && lat2 === lat1 && s === n); lat += 3) {
    for (let lon = lon1; lon < lon2 || (lon === lon1 && lon2 === lon1 && w === e); lon += 3) {
      if (lat <= 81 && lon <= 177) out.push(tileName(lat, lon));
    }
  }
  return out;
}

export function worldCoverPath(edition: WorldCoverEdition, tile: string): string {
  const dir = `ESA_WorldCover_10m_${edition.year}_${edition.version}_${tile}_Map`;
  return `/download/WORLDCOVER/ESA_WORLDCOVER_10M_${edition.year}_${edition.version.toUpperCase()}/MAP/${dir}/${dir}.tif`;
}

const PATH =
  /^\/download\/WORLDCOVER\/ESA_WORLDCOVER_10M_(\d{4})_(V\d{3})\/MAP\/ESA_WorldCover_10m_(\d{4})_(v\d{3})_([^/]+)_Map\/ESA_WorldCover_10m_(\d{4})_(v\d{3})_([^/]+)_Map\.tif$/;

/** Edition and tile of a download path, or undefined when the path is not a WorldCover map tile. */
export function parseWorldCoverPath(path: string): { edition: WorldCoverEdition; tile: string } | undefined {
  const m = PATH.exec(path);
  if (!m) return undefined;
  const [, y1, v1, y2, v2, t1, y3, v3, t2] = m;
  if (y1 !== y2 || y2 !== y3 || v1.toLowerCase() !== v2 || v2 !== v3 || t1 !== t2) return undefined;
  const edition = WORLDCOVER_EDITIONS.find((e) => String(e.year) === y1 && e.version === v2);
  if (!edition || !parseTile(t1)) return undefined;
  return { edition, tile: t1 };
}
