/**
 * Sentinel Hub Process API: validation with the real error envelope, output size from
 * width/height or bbox/resolution, images in the requested format, tar for several outputs,
 * and the processing-units header.
 */
import type { Ctx } from '../context';
import { acceptApiPost } from '../auth';
import { fnv1a, isObject, parseJson, sendBadPayload, sendBytes, sendJson, shError } from '../http';
import { encodeJpeg, encodePng, encodeTiff, rgbPixels, type GeoInfo } from '../images';
import { tar } from '../tar';

export const KNOWN_DATA_TYPES = [
  'sentinel-2-l2a',
  'sentinel-2-l1c',
  'sentinel-1-grd',
  'dem',
  'landsat-ot-l1',
  'landsat-ot-l2',
  'sentinel-3-olci',
  'sentinel-5p-l2',
  'modis',
];

export function isKnownCollection(type: string): boolean {
  return KNOWN_DATA_TYPES.includes(type) || /^(byoc|batch|zarr)-[\w-]+$/.test(type);
}

const EXT: Record<string, string> = { 'image/tiff': 'tif', 'image/png': 'png', 'image/jpeg': 'jpg', 'application/json': 'json' };

/** EPSG code of a Sentinel Hub CRS URL (CRS84 counts as 4326). */
export function epsgOf(crs: unknown): number | undefined {
  if (crs === undefined) return 4326;
  if (typeof crs !== 'string') return undefined;
  if (/CRS84$/.test(crs)) return 4326;
  const m = /EPSG\/0\/(\d+)$/.exec(crs) ?? /^EPSG:(\d+)$/i.exec(crs);
  return m ? Number(m[1]) : undefined;
}

/** Bounding box of a GeoJSON geometry's coordinates. */
export function geometryBbox(geometry: unknown): [number, number, number, number] | undefined {
  if (!isObject(geometry) || !Array.isArray(geometry.coordinates)) return undefined;
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number' && typeof c[1] === 'number') {
      box[0] = Math.min(box[0], c[0]);
      box[1] = Math.min(box[1], c[1]);
      box[2] = Math.max(box[2], c[0]);
      box[3] = Math.max(box[3], c[1]);
    } else if (Array.isArray(c)) c.forEach(walk);
  };
  walk(geometry.coordinates);
  return Number.isFinite(box[0]) ? (box as [number, number, number, number]) : undefined;
}

export interface Bounds {
  bbox: [number, number, number, number];
  epsg: number;
}

/** Reads `input.bounds`; a string is the error message. */
export function readBounds(input: Record<string, unknown>): Bounds | string {
  const bounds = input.bounds;
  if (!isObject(bounds)) return 'input.bounds must be specified';
  const props = isObject(bounds.properties) ? bounds.properties : {};
  const epsg = epsgOf(props.crs);
  if (epsg === undefined) return `Unsupported CRS: ${String(props.crs)}`;
  let bbox: [number, number, number, number] | undefined;
  if (bounds.bbox !== undefined) {
    const b = bounds.bbox;
    if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      return 'input.bounds.bbox must be an array of 4 numbers';
    }
    if (b[0] >= b[2] || b[1] >= b[3]) return 'input.bounds.bbox: min must be smaller than max';
    bbox = b as [number, number, number, number];
  }
  if (bounds.geometry !== undefined) {
    const g = geometryBbox(bounds.geometry);
    if (!g || typeof (bounds.geometry as { type?: unknown }).type !== 'string')
      return 'input.bounds.geometry is not a valid GeoJSON geometry';
    bbox ??= g;
  }
  if (!bbox) return 'input.bounds must contain bbox or geometry';
  return { bbox, epsg };
}

/** Checks `input.data`; a string is the error message. */
export function readData(input: Record<string, unknown>): string | undefined {
  const data = input.data;
  if (!Array.isArray(data) || data.length === 0) return 'input.data must be a non-empty array';
  for (const [i, d] of data.entries()) {
    if (!isObject(d) || typeof d.type !== 'string') return `input.data[${i}].type must be specified`;
    if (!isKnownCollection(d.type)) return `input.data[${i}].type: unknown data collection "${d.type}"`;
  }
  return undefined;
}

/** Output size from width/height, or bbox extent / resolution; a string is the error message. */
export function outputSize(
  output: Record<string, unknown>,
  bbox: [number, number, number, number],
  where = 'output',
): { width: number; height: number } | string {
  const hasSize = output.width !== undefined || output.height !== undefined;
  const hasRes = output.resx !== undefined || output.resy !== undefined;
  if (hasSize && hasRes) return `${where}: specify either width/height or resx/resy, not both`;
  let width = 256;
  let height = 256;
  if (hasRes) {
    const { resx, resy } = output;
    if (typeof resx !== 'number' || typeof resy !== 'number' || !(resx > 0) || !(resy > 0))
      return `${where}.resx and ${where}.resy must be positive numbers`;
    width = Math.round((bbox[2] - bbox[0]) / resx);
    height = Math.round((bbox[3] - bbox[1]) / resy);
  } else if (hasSize) {
    const w = output.width ?? output.height;
    const h = output.height ?? output.width;
    if (!Number.isInteger(w) || !Number.isInteger(h)) return `${where}.width and ${where}.height must be integers`;
    width = w as number;
    height = h as number;
  }
  if (width < 1 || height < 1 || width > 2500 || height > 2500) {
    return `${where}: the output size ${width}x${height} is outside 1..2500 pixels per side`;
  }
  return { width, height };
}

/** Number of input bands in an evalscript's setup (dataMask does not count); 3 when not found. */
export function inputBandCount(evalscript: string): number {
  const m = /input\s*:\s*\[([\s\S]*?)\]\s*[,}]/.exec(evalscript);
  if (!m) return 3;
  const inner = /bands\s*:\s*\[([^\]]*)\]/.exec(m[1])?.[1] ?? m[1];
  const names = (inner.match(/["'][^"']+["']/g) ?? []).map((s) => s.slice(1, -1)).filter((s) => s !== 'dataMask');
  return names.length || 3;
}

/** Processing units: max(0.01, W·H/512²) × bands/3 × (2 for FLOAT32) × samples, at least 0.005. */
export function processingUnits(width: number, height: number, evalscript: string, samples = 1): number {
  const area = Math.max(0.01, (width * height) / (512 * 512));
  const float = /FLOAT32/.test(evalscript) ? 2 : 1;
  const pu = area * (inputBandCount(evalscript) / 3) * float * samples;
  return Math.max(0.005, pu);
}

interface ParsedRequest {
  request: Record<string, unknown>;
  evalscript?: string;
}

/** JSON body, or multipart/form-data with `request` (JSON) and `evalscript` parts. */
function parseRequest(ctx: Ctx): ParsedRequest | string {
  const type = String(ctx.req.headers['content-type'] ?? '');
  if (type.toLowerCase().startsWith('multipart/form-data')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (!boundary) return 'multipart request without boundary';
    const parts = ctx.body.toString('utf8').split(`--${boundary}`);
    const fields: Record<string, string> = {};
    for (const part of parts) {
      const split = part.indexOf('\r\n\r\n');
      if (split < 0) continue;
      const head = part.slice(0, split);
      const name = /name="([^"]+)"/i.exec(head)?.[1];
      if (name) fields[name] = part.slice(split + 4).replace(/\r\n$/, '');
    }
    const request = fields.request === undefined ? undefined : parseJson(Buffer.from(fields.request));
    if (!isObject(request)) return 'multipart part "request" must be a JSON object';
    return { request, evalscript: fields.evalscript };
  }
  const request = parseJson(ctx.body);
  if (!isObject(request)) return 'Could not parse request body as JSON object';
  return { request };
}

/**
 * Images rendered lately, by what determines their bytes. Rendering (pixels, then deflate on the
 * thread pool for PNG) was most of what a Process request cost, so a client repeating a request
 * found the emulator's rendering, not its own overhead, to be the limit. Bounded: oldest out first.
 */
const RENDERED_LIMIT = 64;
const RENDERED_MAX_BYTES = 1024 * 1024;
const renderedImages = new Map<string, Buffer>();

async function rendered(key: string, render: () => Promise<Buffer> | Buffer): Promise<Buffer> {
  const hit = renderedImages.get(key);
  if (hit) return hit;
  const bytes = await render();
  if (bytes.length <= RENDERED_MAX_BYTES) {
    if (renderedImages.size >= RENDERED_LIMIT) renderedImages.delete(renderedImages.keys().next().value!);
    renderedImages.set(key, bytes);
  }
  return bytes;
}

interface OutputResponse {
  identifier: string;
  type: string;
}

export async function handleProcess(ctx: Ctx): Promise<void> {
  const { res } = ctx;
  if (!(await acceptApiPost(ctx))) return;
  const parsed = parseRequest(ctx);
  if (typeof parsed === 'string') return sendBadPayload(res, parsed);
  const { request } = parsed;
  const evalscript = parsed.evalscript ?? request.evalscript;
  if (typeof evalscript !== 'string' || evalscript.trim() === '') return sendBadPayload(res, 'evalscript must be specified');
  const input = request.input;
  if (!isObject(input)) return sendBadPayload(res, 'input must be specified');
  const bounds = readBounds(input);
  if (typeof bounds === 'string') return sendBadPayload(res, bounds);
  const dataError = readData(input);
  if (dataError) return sendBadPayload(res, dataError);
  const output = isObject(request.output) ? request.output : {};
  const size = outputSize(output, bounds.bbox);
  if (typeof size === 'string') return sendBadPayload(res, size);

  const accept = String(ctx.req.headers.accept ?? '')
    .split(',')[0]
    .split(';')[0]
    .trim()
    .toLowerCase();
  let responses: OutputResponse[];
  if (output.responses === undefined) {
    responses = [{ identifier: 'default', type: EXT[accept] ? accept : 'image/tiff' }];
  } else {
    if (!Array.isArray(output.responses) || output.responses.length === 0)
      return sendBadPayload(res, 'output.responses must be a non-empty array');
    responses = [];
    for (const [i, r] of (output.responses as unknown[]).entries()) {
      const id = isObject(r) && typeof r.identifier === 'string' ? r.identifier : 'default';
      const format = isObject(r) && isObject(r.format) ? r.format.type : undefined;
      const t = typeof format === 'string' ? format : EXT[accept] ? accept : 'image/tiff';
      if (!EXT[t]) return sendBadPayload(res, `output.responses[${i}].format.type "${t}" is not supported`);
      responses.push({ identifier: id, type: t });
    }
  }
  const useTar = responses.length > 1 || accept === 'application/tar' || accept === 'application/x-tar';
  // An explicit format.type wins over Accept; Accept only picks the format when none is given.
  if (responses.length > 1 && accept !== '' && accept !== '*/*' && !accept.includes('tar')) {
    return sendJson(res, 406, shError(406, 'COMMON_NOT_ACCEPTABLE', 'Several output responses need Accept: application/tar'));
  }

  const { width, height } = size;
  const seed = fnv1a(JSON.stringify(request) + evalscript);
  const geo: GeoInfo = { bbox: bounds.bbox, epsg: bounds.epsg };
  const encode = async (r: OutputResponse): Promise<Buffer> => {
    if (r.type === 'application/json') {
      return Buffer.from(JSON.stringify({ identifier: r.identifier, width, height, bbox: bounds.bbox, crs: `EPSG:${bounds.epsg}`, seed }));
    }
    // An image is a pure function of these inputs: the same request gets the very same bytes.
    const key = `${r.type} ${width}x${height} ${seed ^ fnv1a(r.identifier)} ${geo.bbox.join(',')} ${geo.epsg}`;
    return rendered(key, async () => {
      if (r.type === 'image/jpeg') return encodeJpeg(width, height);
      const pixels = rgbPixels(width, height, seed ^ fnv1a(r.identifier));
      return r.type === 'image/png' ? encodePng(width, height, pixels) : encodeTiff(width, height, pixels, geo);
    });
  };
  const pu = processingUnits(width, height, evalscript);
  const headers = { 'x-processingunits-spent': String(Math.round(pu * 1e6) / 1e6) };
  if (useTar) {
    const entries = await Promise.all(responses.map(async (r) => ({ name: `${r.identifier}.${EXT[r.type]}`, data: await encode(r) })));
    return sendBytes(res, 200, tar(entries), 'application/tar', headers);
  }
  return sendBytes(res, 200, await encode(responses[0]), responses[0].type, headers);
}
