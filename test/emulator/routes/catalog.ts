/**
 * Sentinel Hub Catalog (STAC) search: an archive of `config.catalogTotal` deterministic features
 * for any query acquired before `catalogArchiveUntil`, plus the scenes published into the
 * emulator's timeline (scenes.ts) once their publication time has come; the CQL2 `filter`
 * applies to both. Paged with an integer `next` offset and a `context` object; STAC-style 404 for
 * unknown collections and 400 for a filter that does not parse. Every feature's thumbnail asset
 * is served here with a Sentinel Hub token.
 */
import type { Ctx } from '../context';
import { acceptApiJsonPost, requireApiToken } from '../auth';
import { FilterError, parseFilter, type Predicate } from '../cql2';
import { encodeJpeg } from '../images';
import { fnv1a, prng, sendBadPayload, sendBytes, sendJson, sendMethodNotAllowed, sendNotFound } from '../http';
import { catalogFeatureOf, parseThumbnailPath, polygon, thumbnailAsset } from '../scenes';
import { geometryBbox, isKnownCollection } from './process';

/** The archive ends this long before now unless `catalogArchiveUntil` says otherwise: watch windows see only published scenes. */
const ARCHIVE_GAP_MS = 30 * 24 * 3600 * 1000;

function parseDatetime(value: unknown): [number, number] {
  const fallback: [number, number] = [Date.UTC(2023, 0, 1), Date.UTC(2023, 11, 31)];
  if (typeof value !== 'string') return fallback;
  const [a, b] = value.split('/');
  const start = a && a !== '..' ? Date.parse(a) : NaN;
  const end = b && b !== '..' ? Date.parse(b) : a && !b ? Date.parse(a) : NaN;
  return [Number.isFinite(start) ? start : fallback[0], Number.isFinite(end) ? end : Number.isFinite(start) ? start : fallback[1]];
}

/** A `datetime` interval with open ends ('..' or missing) as ±Infinity, for the scene timeline. */
function openRange(value: unknown): [number, number] {
  if (typeof value !== 'string') return [-Infinity, Infinity];
  const [a, b] = value.split('/');
  const at = (t: string | undefined, open: number) => (t && t !== '..' && Number.isFinite(Date.parse(t)) ? Date.parse(t) : open);
  return b === undefined ? [at(a, -Infinity), at(a, Infinity)] : [at(a, -Infinity), at(b, Infinity)];
}

function compact(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15);
}

/** Feature `index` of a search; the same query always gives the same features. */
export function catalogFeature(
  collection: string,
  index: number,
  bbox: number[],
  range: [number, number],
  originUrl = '',
): Record<string, unknown> {
  const rnd = prng(fnv1a(`${collection}:${index}`));
  const [start, end] = range;
  const step = Math.max(0, end - start) / 100; // spread over the interval, newest first
  const time = Math.round(end - step * index);
  const datetime = new Date(Math.max(start, time)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const stamp = compact(Date.parse(datetime));
  const [w, s, e, n] = bbox;
  const id =
    collection === 'sentinel-1-grd'
      ? `S1A_IW_GRDH_1SDV_${stamp}_${compact(Date.parse(datetime) + 25000)}_0${String(40000 + index).padStart(5, '0')}_04C8D1_${(index * 7919).toString(16).toUpperCase().padStart(4, '0').slice(-4)}_COG.SAFE`
      : collection.startsWith('sentinel-2')
        ? `S2${index % 2 ? 'B' : 'A'}_MSI${collection.endsWith('l1c') ? 'L1C' : 'L2A'}_${stamp}_N0509_R${String(1 + (index % 143)).padStart(3, '0')}_T33TVF_${stamp}.SAFE`
        : `${collection}-${String(index).padStart(6, '0')}`;
  const properties: Record<string, unknown> = { datetime };
  if (collection.startsWith('sentinel-2')) {
    properties['eo:cloud_cover'] = Math.round(rnd() * 10000) / 100;
    properties.platform = index % 2 ? 'sentinel-2b' : 'sentinel-2a';
    properties.instruments = ['msi'];
    properties.constellation = 'sentinel-2';
    properties.gsd = 10;
  } else if (collection === 'sentinel-1-grd') {
    properties['sar:instrument_mode'] = 'IW';
    properties['sat:orbit_state'] = index % 2 ? 'descending' : 'ascending';
    properties.platform = 'sentinel-1a';
  }
  return {
    stac_version: '1.0.0',
    stac_extensions: [],
    type: 'Feature',
    id,
    collection,
    bbox: [w, s, e, n],
    geometry: polygon([w, s, e, n]),
    properties,
    assets: originUrl ? { thumbnail: thumbnailAsset(originUrl, collection, id) } : {},
    links: [],
  };
}

/** The archive's features for a query: spread over the part of its interval before the archive's end. */
function archiveFeatures(ctx: Ctx, collection: string, bbox: number[], range: [number, number]): Record<string, unknown>[] {
  const configured = ctx.state.config.catalogArchiveUntil;
  const until = configured === undefined ? Date.now() - ARCHIVE_GAP_MS : Date.parse(configured);
  const clipped: [number, number] = [range[0], Math.min(range[1], until)];
  if (clipped[1] < clipped[0]) return [];
  const total = Math.max(0, ctx.state.config.catalogTotal);
  return Array.from({ length: total }, (_, i) => catalogFeature(collection, i, bbox, clipped, ctx.originUrl));
}

/** Newest acquisition first, like the archive's own order (a stable sort keeps it for equal times). */
function newestFirst(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const time = (f: Record<string, unknown>) => String((f.properties as { datetime: string }).datetime);
  return time(a) < time(b) ? 1 : time(a) > time(b) ? -1 : 0;
}

export async function handleCatalog(ctx: Ctx): Promise<void> {
  const { res } = ctx;
  const body = await acceptApiJsonPost(ctx);
  if (!body) return;
  const { collections } = body;
  if (!Array.isArray(collections) || collections.length !== 1 || typeof collections[0] !== 'string') {
    return sendBadPayload(res, 'collections must be an array with exactly one collection id');
  }
  const collection = collections[0] as string;
  if (!isKnownCollection(collection)) return sendJson(res, 404, { code: 404, description: 'Collection not found.' });
  let bbox = [-180, -90, 180, 90];
  // As STAC item search: the area is either a bbox or a geometry, never both.
  if (body.bbox !== undefined && body.intersects !== undefined) return sendBadPayload(res, 'only one of bbox and intersects may be given');
  if (body.bbox !== undefined) {
    if (!Array.isArray(body.bbox) || body.bbox.length !== 4 || !body.bbox.every((v) => typeof v === 'number')) {
      return sendBadPayload(res, 'bbox must be an array of 4 numbers');
    }
    bbox = body.bbox as number[];
  } else if (body.intersects !== undefined) {
    const g = geometryBbox(body.intersects);
    if (!g) return sendBadPayload(res, 'intersects must be a GeoJSON geometry');
    bbox = g;
  }
  const rawLimit = body.limit === undefined ? 10 : Number(body.limit);
  if (!Number.isInteger(rawLimit)) return sendBadPayload(res, 'limit must be an integer');
  const limit = Math.min(100, Math.max(1, rawLimit));
  const offset = body.next === undefined ? 0 : Number(body.next);
  if (!Number.isInteger(offset) || offset < 0) return sendBadPayload(res, 'next must be a non-negative integer');
  let filter: Predicate | undefined;
  try {
    filter = parseFilter(body.filter, body['filter-lang']);
  } catch (err) {
    if (!(err instanceof FilterError)) throw err;
    return sendJson(res, 400, { code: 400, description: `Invalid filter: ${err.message}` });
  }
  const published = ctx.state.scenes
    .search(collection, Date.now(), openRange(body.datetime), bbox)
    .map((scene) => catalogFeatureOf(scene, ctx.originUrl));
  let all = [...archiveFeatures(ctx, collection, bbox, parseDatetime(body.datetime)), ...published].sort(newestFirst);
  if (filter) all = all.filter((f) => filter((f.properties ?? {}) as Record<string, unknown>));
  const features = all.slice(offset, offset + limit);
  const context: Record<string, number> = { limit, returned: features.length };
  if (offset + features.length < all.length) context.next = offset + features.length;
  sendJson(res, 200, { type: 'FeatureCollection', features, links: [], context }, {}, 'application/geo+json');
}

/** `GET …/collections/{collection}/items/{id}/thumbnail`: a small JPEG quicklook, with a Sentinel Hub token. */
export async function handleThumbnail(ctx: Ctx): Promise<void> {
  if (ctx.req.method !== 'GET' && ctx.req.method !== 'HEAD') return sendMethodNotAllowed(ctx.res, 'GET, HEAD');
  if (!(await requireApiToken(ctx))) return;
  const target = parseThumbnailPath(ctx.url.pathname);
  if (!target || !isKnownCollection(target.collection)) return sendNotFound(ctx.res, `No thumbnail at ${ctx.url.pathname}`);
  sendBytes(ctx.res, 200, encodeJpeg(64, 64), 'image/jpeg');
}
