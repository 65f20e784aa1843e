/**
 * ESA WorldCover tiles for a bounding box and year: every tile downloaded into the node's folder
 * (unchanged tiles skipped), one message per tile as soon as it is on disk.
 */
import { downloadToFile, isEoError, worldCoverTiles, type BBox, type WorldCoverYear } from '../../../core';
import type { NodeMessage } from '../red';
import type { EoReport, OperationContext } from './context';

const DEFAULT_YEAR: WorldCoverYear = 2021;

/** "west,south,east,north" or an array; anything else is left to the core's check, which names `bbox`. */
export function parseBbox(value: unknown): unknown {
  if (typeof value === 'string')
    return value
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v));
  if (typeof value === 'object' && value !== null && Array.isArray((value as { bbox?: unknown }).bbox))
    return parseBbox((value as { bbox: unknown }).bbox);
  return value;
}

export async function worldCoverDownload(ctx: OperationContext): Promise<void> {
  const { config, msg } = ctx;
  const bbox = parseBbox(config.bbox || msg.payload) as BBox;
  // The node's year wins; msg.year when the property is empty; 2021, the latest edition, when neither says.
  const year = (config.year ??
    (msg.year === undefined || msg.year === null || msg.year === '' ? DEFAULT_YEAR : Number(msg.year))) as WorldCoverYear;
  const tiles = worldCoverTiles(bbox, year);
  for (const [i, tile] of tiles.entries()) {
    const label = ctx.t('eo-request.status.tile', { index: i + 1, count: tiles.length });
    try {
      const r = await downloadToFile({
        connection: ctx.connection,
        tokens: ctx.tokens,
        url: tile.url,
        directory: config.directory,
        filename: tile.filename,
        overwrite: config.overwrite,
        signal: ctx.signal,
        onProgress: (p) => ctx.progress(p, label),
      });
      const eo: EoReport = { attempts: r.attempts, bytes: r.bytes, path: r.path, skipped: r.skipped };
      if (r.resumed > 0) eo.resumed = r.resumed;
      const out: NodeMessage = {
        ...ctx.clone(msg),
        payload: r.path,
        filename: r.path,
        tile: tile.tile,
        bounds: tile.bounds,
        statusCode: r.statusCode,
        eo,
      };
      ctx.send(out);
    } catch (err) {
      // Ocean tiles are not published: a gap in the map, not a failure of the run.
      if (isEoError(err, 'EO_HTTP_STATUS') && err.status === 404) {
        ctx.warn(ctx.t('eo-request.errors.missingTile', { tile: tile.tile }));
        continue;
      }
      throw err;
    }
  }
}
