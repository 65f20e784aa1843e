/**
 * What the edit dialogs' map asks the runtime: `GET /eo-request/area?bbox=<text>` reads a bounding
 * box exactly as the nodes read it, and with `&worldcover=<year>` says which WorldCover tiles it
 * covers. The rules stay in the core (`validateBBox`, `worldCoverTiles`, `WORLDCOVER_GRID`); the
 * browser only draws what this answers.
 */
import { isEoError, parseBBox, worldCoverTiles, WORLDCOVER_GRID, type BBox, type WorldCoverYear } from '../../../core';
import type { AdminRequest, AdminResponse, NodeRedApi } from '../red';

/** How many tile names an answer lists (a continent-sized box covers thousands). */
export const LISTED_TILES_MAX = 12;

/** The tiles a box covers, for the map: how many, the area they span, the first names. */
export interface WorldCoverCoverage {
  year: WorldCoverYear;
  grid: typeof WORLDCOVER_GRID;
  count: number;
  /** The union of the tiles' bounds; null when the box lies outside the published latitudes. */
  extent: BBox | null;
  /** The first {@link LISTED_TILES_MAX} tile names. */
  tiles: string[];
}

export interface AreaAnswer {
  /** The box as the nodes read it; null for an empty text (the area then comes from msg). */
  bbox: BBox | null;
  worldCover?: WorldCoverCoverage;
}

/**
 * The answer for a typed bounding box and, when `worldCoverYear` is given (empty: the latest
 * edition, whose grid is the same), its WorldCover tiles.
 *
 * @throws EoError `EO_INVALID_CONFIG` naming `bbox` or `year`.
 */
export function describeArea(text: string, worldCoverYear?: string): AreaAnswer {
  const bbox = text.trim() ? parseBBox(text) : null;
  if (worldCoverYear === undefined) return { bbox };
  const year = (worldCoverYear.trim() ? Number(worldCoverYear) : 2021) as WorldCoverYear;
  const tiles = bbox ? worldCoverTiles(bbox, year) : [];
  const extent: BBox | null = tiles.length
    ? [
        Math.min(...tiles.map((t) => t.bounds[0])),
        Math.min(...tiles.map((t) => t.bounds[1])),
        Math.max(...tiles.map((t) => t.bounds[2])),
        Math.max(...tiles.map((t) => t.bounds[3])),
      ]
    : null;
  return {
    bbox,
    worldCover: {
      year,
      grid: WORLDCOVER_GRID,
      count: tiles.length,
      extent,
      tiles: tiles.slice(0, LISTED_TILES_MAX).map((t) => t.tile),
    },
  };
}

/** Registers the endpoint; reading it needs `eo-request.read` (any user who may open the editor). */
export function registerEditorEndpoints(RED: NodeRedApi): void {
  RED.httpAdmin.get('/eo-request/area', RED.auth.needsPermission('eo-request.read'), (req: AdminRequest, res: AdminResponse) => {
    const query = new URL(req.url ?? '', 'http://editor.invalid').searchParams;
    try {
      res.json(describeArea(query.get('bbox') ?? '', query.get('worldcover') ?? undefined));
    } catch (err) {
      if (!isEoError(err)) throw err;
      res.status(400).json({ code: err.code, message: err.message, field: err.field });
    }
  });
}
