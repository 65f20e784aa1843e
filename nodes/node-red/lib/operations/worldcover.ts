/**
 * ESA WorldCover tiles for a bounding box and year: every tile downloaded into the node's folder
 * (unchanged tiles skipped), several at once within the account's connection cap, one message per
 * tile as soon as it is on disk.
 */
import {
  downloadToFile,
  isEoError,
  mapDownloads,
  worldCoverTiles,
  type BBox,
  type DownloadResult,
  type WorldCoverTile,
  type WorldCoverYear,
} from '../../../core';
import type { NodeMessage } from '../red';
import type { EoReport, OperationContext } from './context';

const DEFAULT_YEAR: WorldCoverYear = 2021;

/** "west,south,east,north" or an array; anything else is left to the core's check, which names `bbox`. */
function parseBbox(value: unknown): unknown {
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

/**
 * The status of a whole run: tiles done of all, and the megabytes received so far over every tile
 * (several download at once, so one tile's percentage would say little).
 */
function runProgress(ctx: OperationContext, count: number): { bytes(index: number, received: number): void; done(index: number): void } {
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
  const bbox = parseBbox(config.bbox || msg.payload) as BBox;
  // The node's year wins; msg.year when the property is empty; 2021, the latest edition, when neither says.
  const year = (config.year ??
    (msg.year === undefined || msg.year === null || msg.year === '' ? DEFAULT_YEAR : Number(msg.year))) as WorldCoverYear;
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
        // Ocean tiles are not published: a gap in the map, not a failure of the run.
        if (isEoError(err, 'EO_HTTP_STATUS') && err.status === 404) {
          ctx.warn(ctx.t('eo-request.errors.missingTile', { tile: tile.tile }));
          return undefined;
        }
        throw err;
      } finally {
        progress.done(index);
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
