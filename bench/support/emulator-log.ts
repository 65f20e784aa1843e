/** Counts per OAuth client from the emulator's request log: token requests, API requests and API 401s. */
import type { RequestLogEntry } from '../../test/emulator/types';

export interface ClientCounts {
  tokenRequests: number;
  apiRequests: number;
  api401: number;
  /** Seconds from the client's first API request to its last (0 when it made fewer than two). */
  apiSpanS: number;
}

/** The `azp` (client id) of a bearer JWT; undefined for anything else. */
function clientOfBearer(header: unknown): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = typeof value === 'string' ? /^Bearer\s+[\w-]+\.([\w-]+)\.[\w-]+$/i.exec(value) : null;
  if (!match) return undefined;
  try {
    return (JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8')) as { azp?: string }).azp;
  } catch {
    return undefined;
  }
}

/**
 * The log as fetched, checked to be whole: the emulator keeps at most `logLimit` entries and drops
 * the oldest, so a full log would undercount without saying so.
 */
export function completeLog(log: RequestLogEntry[], logLimit: number): RequestLogEntry[] {
  if (log.length >= logLimit)
    throw new Error(`the emulator's request log reached its limit of ${logLimit} entries: counts from it would be short; raise logLimit`);
  return log;
}

/**
 * What the emulator saw from `clientId` (token requests by form field, API calls by the token's
 * azp). With `windowS`, only the requests within that many seconds of the client's first one count
 * (a peer that takes longer for the same work is compared over the same span).
 */
export function countsFor(log: RequestLogEntry[], clientId: string, windowS?: number): ClientCounts {
  const counts: ClientCounts = { tokenRequests: 0, apiRequests: 0, api401: 0, apiSpanS: 0 };
  const own = log.filter((e) => (e.form ? e.form.client_id === clientId : clientOfBearer(e.headers.authorization) === clientId));
  const start = own.reduce((min, e) => Math.min(min, e.time), Infinity);
  const inWindow = windowS === undefined ? own : own.filter((e) => e.time - start <= windowS * 1000);
  let first = Infinity;
  let last = -Infinity;
  for (const entry of inWindow) {
    if (entry.form) counts.tokenRequests += 1;
    else {
      counts.apiRequests += 1;
      if (entry.status === 401) counts.api401 += 1;
      first = Math.min(first, entry.time);
      last = Math.max(last, entry.time);
    }
  }
  if (last > first) counts.apiSpanS = (last - first) / 1000;
  return counts;
}
