/**
 * ESA WorldCover tiles for a bounding box and year: every tile downloaded into the node's folder
 * (unchanged tiles skipped), one message per tile as soon as it is on disk.
 */
import { downloadToFile, isMissingWorldCoverTile, parseBBox, worldCoverTiles, worldCoverYear } from '../../../../core';
import type { NodeMessage } from '../../red';
import type { EoReport, OperationContext } from './context';

export async function worldCoverDownload(ctx: OperationContext): Promise<void> {
  const { config, msg } = ctx;
  const bbox = parseBBox(config.bbox || msg.payload);
  // The node's year wins; msg.year when the property is empty; the latest edition when neither says.
  const year = worldCoverYear(config.year ?? msg.year);
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
      if (isMissingWorldCoverTile(err)) {
        ctx.warn(ctx.t('eo-request.errors.missingTile', { tile: tile.tile }));
        continue;
      }
      throw err;
    }
  }
}
