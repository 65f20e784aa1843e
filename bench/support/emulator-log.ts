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

/** What the emulator saw from `clientId` (token requests by form field, API calls by the token's azp). */
export function countsFor(log: RequestLogEntry[], clientId: string): ClientCounts {
  const counts: ClientCounts = { tokenRequests: 0, apiRequests: 0, api401: 0, apiSpanS: 0 };
  let first = Infinity;
  let last = -Infinity;
  for (const entry of log) {
    if (entry.form) {
      if (entry.form.client_id === clientId) counts.tokenRequests += 1;
    } else if (clientOfBearer(entry.headers.authorization) === clientId) {
      counts.apiRequests += 1;
      if (entry.status === 401) counts.api401 += 1;
      first = Math.min(first, entry.time);
      last = Math.max(last, entry.time);
    }
  }
  if (last > first) counts.apiSpanS = (last - first) / 1000;
  return counts;
}
