/**
 * Which failures are worth another attempt, and which calls are safe to repeat. The loop that
 * applies this is send-authorized.ts (it says why it is not undici's retry interceptor).
 */
import { errorCode } from '../errors';
import { isReadOnlySentinelHubPost } from '../services/sentinel-hub-api';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/** Methods HTTP defines as safe to send twice. */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT.has(method.toUpperCase());
}

/**
 * True for POST calls that only read: Sentinel Hub Process, Catalog search and Statistics.
 * Repeating them after a 5xx costs processing units again but changes nothing; batch creation
 * (and any other POST) is not repeated, since a second job could be created.
 */
export function isReadOnlyApiCall(method: string, url: string | URL): boolean {
  if (method.toUpperCase() !== 'POST') return false;
  let path: string;
  try {
    path = (typeof url === 'string' ? new URL(url, 'http://x') : url).pathname;
  } catch {
    return false;
  }
  return isReadOnlySentinelHubPost(path);
}

/** Server statuses that usually pass: overload, gateway trouble, restarts. */
export function isRetryableStatus(status: number): boolean {
  return status === 500 || status === 502 || status === 503 || status === 504;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** A connection-level failure (refused, reset, closed mid-body): the request may not have arrived. */
export function isNetworkError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && NETWORK_CODES.has(code);
}

/** The server took longer than the configured headers or body timeout. */
export function isTimeoutError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && TIMEOUT_CODES.has(code);
}
