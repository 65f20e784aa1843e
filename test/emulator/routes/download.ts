/**
 * Terrascope `/download/...`: WorldCover tiles (Cloud-Optimized GeoTIFFs rendered on first use)
 * and synthetic files of any size, streamed from deterministic content with Content-Length,
 * strong ETag, Range (206/416), HEAD and If-None-Match.
 */
import { createHash } from 'node:crypto';
import type { Ctx } from '../context';
import { requireDownloadAuth } from '../auth';
import { streamBody, type BodySource } from '../bodies';
import { sendEmpty, sendJson } from '../http';
import { admitDownload } from '../network';
import { syntheticSource, worldCoverSource } from '../sources';
import { parseWorldCoverPath } from '../worldcover';
import { sceneAssetSource } from '../scenes';

/** What a download path serves: size, content seed and type; undefined for 404. */
export function downloadSource(ctx: Ctx, path: string): (BodySource & { type: string }) | undefined {
  const synthetic = /^\/download\/synthetic\/(0|[1-9]\d{0,15})\.bin$/.exec(path);
  if (synthetic) {
    const size = Number(synthetic[1]);
    return Number.isSafeInteger(size) ? { ...syntheticSource(size), type: 'application/octet-stream' } : undefined;
  }
  const sceneAsset = sceneAssetSource(ctx.state.scenes, path);
  if (sceneAsset) return sceneAsset;
  const wc = parseWorldCoverPath(path);
  if (!wc || ctx.state.config.missingTiles.includes(wc.tile)) return undefined;
  return { ...worldCoverSource(path, ctx.state.config), type: 'image/tiff' };
}

export function etagOf(path: string, size: number): string {
  return `"${createHash('sha1').update(`${path}:${size}`).digest('hex').slice(0, 20)}"`;
}

/** Parses a single `bytes=` range; 'invalid' means answer 416, undefined means serve it all. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'invalid' | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return undefined; // other units are ignored
  const specs = m[1].split(',');
  if (specs.length !== 1) return undefined; // multipart ranges are not offered; serve the whole body
  const r = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(specs[0]);
  if (!r || (r[1] === '' && r[2] === '')) return 'invalid';
  if (r[1] === '') {
    const suffix = Number(r[2]);
    if (suffix === 0 || size === 0) return 'invalid';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(r[1]);
  const end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1);
  if (start >= size || end < start) return 'invalid';
  return { start, end };
}

export async function handleDownload(ctx: Ctx): Promise<void> {
  const { req, res } = ctx;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendJson(res, 405, { error: 'Method not allowed' }, { allow: 'GET, HEAD' });
  }
  if (!(await requireDownloadAuth(ctx))) return;
  if (req.method === 'GET' && !admitDownload(ctx)) return;
  const path = ctx.url.pathname;
  const src = downloadSource(ctx, path);
  if (!src) return sendJson(res, 404, { error: 'Not Found', message: `No such file: ${path}` });
  const etag = etagOf(path, src.size);
  const common = {
    etag,
    'accept-ranges': 'bytes',
    'last-modified': 'Mon, 01 Mar 2021 00:00:00 GMT',
  };
  const inm = req.headers['if-none-match'];
  if (inm && (inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag))) {
    return sendEmpty(res, 304, common);
  }
  let range = parseRange(req.headers.range, src.size);
  const ifRange = req.headers['if-range'];
  if (range && typeof ifRange === 'string' && ifRange.trim() !== etag) range = undefined; // changed since: send it all
  if (range === 'invalid') {
    return sendEmpty(res, 416, { ...common, 'content-range': `bytes */${src.size}` });
  }
  const start = range ? range.start : 0;
  const end = range ? range.end + 1 : src.size;
  const headers: Record<string, string | number> = { ...common, 'content-type': src.type, 'content-length': end - start };
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${src.size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || start === end) {
    res.end();
    return;
  }
  await streamBody(res, src, start, end);
}
