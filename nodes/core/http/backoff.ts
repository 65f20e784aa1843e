/** Waiting between attempts: server-announced delays and exponential backoff with jitter. */
import type { RetryAfterUnit } from '../config/providers';
import { firstValue } from './response-headers';

/**
 * Reads a `Retry-After` header as milliseconds. Sentinel Hub sends a bare number of
 * milliseconds (e.g. `3398`); the HTTP standard says seconds, or an HTTP date.
 */
export function parseRetryAfter(value: string | string[] | undefined, unit: RetryAfterUnit, now = Date.now()): number | undefined {
  const text = firstValue(value)?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return Math.ceil(unit === 'ms' ? n : n * 1000);
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface BackoffPolicy {
  /** First delay, before jitter. */
  baseMs: number;
  /** Cap for one delay. */
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 10_000, factor: 3 };

/** Delay before retry number `attempt` (1 = first retry): "equal jitter" (half fixed, half random) so parallel callers spread out. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * policy.factor ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Sleeps, waking early (with the signal's reason) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
