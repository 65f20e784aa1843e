/**
 * Small response helpers shared by the route modules, and the exact error bodies the real
 * services send (clients parse these, so they are copied verbatim from the provider notes).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Sentinel Hub answer to a missing, expired or wrong-realm token. */
export const COMMON_UNAUTHORIZED_BODY = {
  error: {
    status: 401,
    reason: 'Unauthorized',
    message:
      'You are not authorized! Please provide a valid access token within the header [Authorization: Bearer <accessToken>] of your request.',
    code: 'COMMON_UNAUTHORIZED',
  },
} as const;

/** Sentinel Hub rate-limit body; pair it with a Retry-After header in milliseconds. */
export const SH_RATE_LIMIT_BODY = {
  error: {
    status: 429,
    reason: 'Too Many Requests',
    message: 'You have exceeded your rate limit',
    code: 'RATE_LIMIT_EXCEEDED',
  },
} as const;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

/** The Sentinel Hub error envelope `{"error":{status,reason,message,code}}`. */
export function shError(status: number, code: string, message: string, errors?: unknown): object {
  const error: Record<string, unknown> = { status, reason: REASONS[status] ?? 'Error', message, code };
  if (errors !== undefined) error.errors = errors;
  return { error };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
  contentType = 'application/json',
): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': contentType, 'content-length': data.length, ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : data);
}

export function sendBytes(
  res: ServerResponse,
  status: number,
  data: Buffer,
  contentType: string,
  headers: Record<string, string | number> = {},
): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': data.length, ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : data);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  // 204 and 304 carry no Content-Length (RFC 9110); everything else says 0.
  res.writeHead(status, status === 204 || status === 304 ? headers : { 'content-length': 0, ...headers });
  res.end();
}

export function sendBadPayload(res: ServerResponse, message: string): void {
  sendJson(res, 400, shError(400, 'COMMON_BAD_PAYLOAD', message));
}

export function sendNotFound(res: ServerResponse, message = 'Not found'): void {
  sendJson(res, 404, shError(404, 'COMMON_NOT_FOUND', message));
}

export function sendMethodNotAllowed(res: ServerResponse, allow: string): void {
  sendJson(res, 405, shError(405, 'COMMON_METHOD_NOT_ALLOWED', 'Method not allowed'), { allow });
}

/** Buffers a request body; every body the emulator parses is small (JSON, forms). */
export function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => (size > limit ? reject(new Error('body too large')) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/** Parses a JSON body; undefined when it is not JSON (callers answer with their own 400). */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resolves after `ms`, or at once when ms is not positive. The timer does not keep the process alive. */
export function sleep(ms: number): Promise<void> {
  if (!(ms > 0)) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Waits until a response can take more data, or is gone (then `false`). */
export function waitDrain(res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/** FNV-1a 32-bit: cheap deterministic seeds from paths and request bodies. */
export function fnv1a(text: string | Buffer): number {
  let h = 0x811c9dc5;
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A small deterministic PRNG (mulberry32) for stats, features and pixels. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
