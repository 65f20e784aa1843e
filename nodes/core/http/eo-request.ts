/**
 * The authenticated request most callers want: one call, its body read as JSON, text, bytes or
 * a stream, and what it cost (attempts, token refreshes, processing units). The auth, redirect
 * and retry policy lives in send-authorized.ts, shared with downloads.
 */
import { EoError, safeUrl } from '../errors';
import { headerValue } from './response-headers';
import { sendAuthorized, type PolicyResponse, type SendOptions } from './send-authorized';

/** How the response body is handed back. */
export type ResponseType = 'json' | 'text' | 'buffer' | 'stream';

/** Options of {@link eoRequest}. */
export interface EoRequestOptions extends SendOptions {
  /** Default: `json` when the response says JSON, else `buffer`. */
  responseType?: ResponseType;
}

/** The answer of {@link eoRequest}; field names follow Node-RED's http request node where they overlap. */
export interface EoResponse<B = unknown> {
  statusCode: number;
  headers: Record<string, string | string[]>;
  /** The URL that answered, after redirects (origin, path and query). */
  url: string;
  /** Parsed per `responseType`: object, string, Buffer or Readable (the caller must consume a stream). */
  body: B;
  /** HTTP requests sent, redirect hops and retries included. */
  attempts: number;
  /** Tokens refreshed because the API answered 401. */
  tokenRefreshes?: number;
  /** Sentinel Hub processing units charged (`x-processingunits-spent`). */
  processingUnits?: number;
  /** Body size in bytes, for buffered response types. */
  bytes?: number;
}

/** True for `application/json`, `application/geo+json` and other `+json` types. */
export function isJsonContentType(contentType: string | undefined): boolean {
  return /^application\/([\w.-]+\+)?json\b/i.test(contentType?.trim() ?? '');
}

async function parseBody(
  res: PolicyResponse,
  method: string,
  responseType: ResponseType | undefined,
): Promise<{ body: unknown; bytes?: number }> {
  const contentType = headerValue(res.headers, 'content-type');
  const type = responseType ?? (isJsonContentType(contentType) ? 'json' : 'buffer');
  if (type === 'stream') return { body: res.body };
  const raw = Buffer.from(await res.body.arrayBuffer());
  if (type === 'buffer') return { body: raw, bytes: raw.length };
  const text = raw.toString('utf8');
  if (type === 'text') return { body: text, bytes: raw.length };
  if (!text.trim() || method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) return { body: null, bytes: raw.length };
  try {
    return { body: JSON.parse(text), bytes: raw.length };
  } catch (err) {
    throw new EoError('EO_HTTP_STATUS', `${safeUrl(res.url)} answered ${res.statusCode} with a body that is not valid JSON.`, {
      status: res.statusCode,
      url: safeUrl(res.url),
      body: text.length > 2000 ? `${text.slice(0, 2000)}…` : text,
      hint: 'Set the response type to text or buffer to see it as it is.',
      cause: err,
    });
  }
}

/** Reads `x-processingunits-spent`, a decimal number of processing units. */
export function processingUnitsOf(headers: Record<string, string | string[] | undefined>): number | undefined {
  const raw = headerValue(headers, 'x-processingunits-spent');
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Sends one authenticated request and reads its answer.
 *
 * @example
 * const res = await eoRequest({ connection, tokens, method: 'POST', url: '/api/v1/process',
 *   body: processRequest, headers: { accept: 'image/tiff' }, responseType: 'buffer' });
 * res.processingUnits; // e.g. 0.0123
 */
export async function eoRequest<B = unknown>(options: EoRequestOptions): Promise<EoResponse<B>> {
  const method = (options.method ?? 'GET').toUpperCase();
  const result = await sendAuthorized(options, { handle: (res) => parseBody(res, method, options.responseType) });
  const response: EoResponse<B> = {
    statusCode: result.statusCode,
    headers: result.headers,
    url: result.url.href,
    body: result.value.body as B,
    attempts: result.attempts,
  };
  if (result.tokenRefreshes > 0) response.tokenRefreshes = result.tokenRefreshes;
  const pu = processingUnitsOf(result.headers);
  if (pu !== undefined) response.processingUnits = pu;
  if (result.value.bytes !== undefined) response.bytes = result.value.bytes;
  return response;
}
