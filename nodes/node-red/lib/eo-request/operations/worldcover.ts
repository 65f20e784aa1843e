/**
 * ESA WorldCover tiles for a bounding box and year: every tile downloaded into the node's folder
 * (unchanged tiles skipped), several at once within the account's connection cap, one message per
 * tile as soon as it is on disk.
 */
import {
  downloadToFile,
  isMissingWorldCoverTile,
  mapDownloads,
  parseBBox,
  worldCoverTiles,
  worldCoverYear,
  type DownloadResult,
  type WorldCoverTile,
} from '../../../../core';
import type { NodeMessage } from '../../red';
import type { EoReport, OperationContext } from './context';

/**
 * The status of a whole run: tiles done of all, and the megabytes received so far over every tile
 * (several download at once, so one tile's percentage would say little).
 */
function runProgress(ctx: OperationContext, count: number): { bytes(index: number, onDisk: number): void; done(): void } {
  const received = new Map<number, number>();
  let done = 0;
  const show = (): void => {
    let bytes = 0;
    for (const b of received.values()) bytes += b;
    ctx.progress({ bytes }, ctx.t('eo-request.status.tiles', { done, count }));
  };
  return {
    bytes(index, onDisk) {
      received.set(index, onDisk);
      show();
    },
    done() {
      done += 1;
      show();
    },
  };
}

export async function worldCoverDownload(ctx: OperationContext): Promise<void> {
  const { config, msg } = ctx;
  const bbox = parseBBox(config.bbox || msg.payload);
  // The node's year wins; msg.year when the property is empty; the latest edition when neither says.
  const year = worldCoverYear(config.year ?? msg.year);
  const tiles = worldCoverTiles(bbox, year);
  const progress = runProgress(ctx, tiles.length);
  // Several tiles at once, within the account's connection cap; each message leaves as soon as its
  // tile is on disk, so they may arrive out of the bounding box's order (msg.tile says which).
  await mapDownloads<WorldCoverTile, DownloadResult | undefined>(
    tiles,
    {
      connection: ctx.connection,
      signal: ctx.signal,
      onResult: (r, tile) => {
        if (r) ctx.send(tileMessage(ctx, tile, r));
      },
    },
    async (tile, index, signal) => {
      try {
        return await downloadToFile({
          connection: ctx.connection,
          tokens: ctx.tokens,
          url: tile.url,
          directory: config.directory,
          filename: tile.filename,
          overwrite: config.overwrite,
          signal,
          onProgress: (p) => progress.bytes(index, p.bytes),
        });
      } catch (err) {
        if (isMissingWorldCoverTile(err)) {
          ctx.warn(ctx.t('eo-request.errors.missingTile', { tile: tile.tile }));
          return undefined;
        }
        throw err;
      } finally {
        progress.done();
      }
    },
  );
}

function tileMessage(ctx: OperationContext, tile: WorldCoverTile, r: DownloadResult): NodeMessage {
  const eo: EoReport = { attempts: r.attempts, bytes: r.bytes, path: r.path, skipped: r.skipped };
  if (r.resumed > 0) eo.resumed = r.resumed;
  if (r.refusals > 0) eo.refusals = r.refusals;
  return {
    ...ctx.clone(ctx.msg),
    payload: r.path,
    filename: r.path,
    tile: tile.tile,
    bounds: tile.bounds,
    statusCode: r.statusCode,
    eo,
  };
}
