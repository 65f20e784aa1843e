/**
 * The soaks' yardsticks: how many token requests an ideal cache would make for the API calls an
 * identity really made, whose calls and tokens an emulator log entry is, and the trend of a series
 * of memory samples. Node-RED's soak and n8n's measure with the same ones.
 */
import type { RequestLogEntry } from '../../emulator/types';

/**
 * Token requests a cache following the design rule needs for calls at `callTimesMs` (sorted or
 * not): a token is renewed once less than half of its life is left (nodes/core/auth/token-cache.ts: the
 * margin is 60 s but never more than half the lifetime, so for short tokens it is half). The
 * emulator writes `exp` in whole seconds, so a token requested at t lives until
 * min(floor(t) + lifetime, t + lifetime): between lifetime − 1 s and lifetime.
 */
export function idealTokenRequests(callTimesMs: number[], lifetimeS: number): number {
  let count = 0;
  let usableUntil = -Infinity;
  for (const t of [...callTimesMs].sort((a, b) => a - b)) {
    if (t < usableUntil) continue;
    count += 1;
    const expiresAt = Math.min((Math.floor(t / 1000) + lifetimeS) * 1000, t + lifetimeS * 1000);
    usableUntil = t + (expiresAt - t) / 2;
  }
  return count;
}

/** Least-squares slope of v over t (units of v per unit of t); 0 for fewer than two points. */
export function slope(points: { t: number; v: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const mv = points.reduce((s, p) => s + p.v, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The decoded claims of a JWT, or undefined. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Token endpoints: the legacy Sentinel Hub path and every realm's. */
export const isTokenPath = (p: string): boolean => p === '/oauth/token' || /\/protocol\/openid-connect\/token$/.test(p);

/** The OAuth client an emulator log entry acted for: a token request's client_id, an API call's token `azp`. */
export function clientOf(entry: RequestLogEntry): string | undefined {
  if (isTokenPath(entry.path)) return entry.form?.client_id;
  const header = entry.headers.authorization;
  const token = typeof header === 'string' ? /^Bearer\s+(\S+)/i.exec(header)?.[1] : undefined;
  const azp = token ? jwtClaims(token)?.azp : undefined;
  return typeof azp === 'string' ? azp : undefined;
}

/** How one identity used tokens in a soak, against the ideal for the API calls it really made. */
export interface TokenUse {
  actual: number;
  ideal: number;
  /** API calls made with its tokens. */
  calls: number;
  /** Token requests that were refresh grants. */
  refresh: number;
  within5: boolean;
  /** "259 requests (… refresh grants) vs ideal 258 for 1423 API calls: +0.4 %" */
  text: string;
}

/**
 * Token requests of the identity whose OAuth client is `clientId` (Terrascope users share the
 * public client: one such identity per emulator), against the ideal cache replayed over its API
 * calls, plus one per token request that got an injected fault (the cache retries it).
 */
export function tokenUse(log: RequestLogEntry[], clientId: string, lifetimeS: number): TokenUse {
  const mine = log.filter((e) => clientOf(e) === clientId);
  const calls = mine.filter((e) => !isTokenPath(e.path)).map((e) => e.time);
  const tokens = mine.filter((e) => isTokenPath(e.path));
  const ideal = idealTokenRequests(calls, lifetimeS) + tokens.filter((e) => e.fault).length;
  const actual = tokens.length;
  const refresh = tokens.filter((e) => e.form?.grant_type === 'refresh_token').length;
  const off = ideal > 0 ? ((actual - ideal) / ideal) * 100 : Infinity;
  return {
    actual,
    ideal,
    calls: calls.length,
    refresh,
    within5: Math.abs(actual - ideal) <= ideal * 0.05,
    text: `${actual} requests${refresh ? ` (${refresh} refresh grants)` : ''} vs ideal ${ideal} for ${calls.length} API calls: ${off >= 0 ? '+' : ''}${off.toFixed(1)} %`,
  };
}

/** What a soak's token rows expect, for tokens that live `lifetimeS`. */
export function tokenUseExpected(lifetimeS: number): string {
  return (
    `within 5 % of the ideal: one renewal whenever a call finds less than half of the ${lifetimeS} s token left ` +
    '(token-cache margin = min(60 s, lifetime/2); exp in whole seconds, so a token lives 4–5 s), replayed over the calls really made, + 1 per token request that got an injected 503'
  );
}

/** One memory sample of a soaked process, taken after a full GC; `t` in seconds since the soak began. */
export interface MemorySample {
  t: number;
  rss: number;
  heapUsed: number;
}

/** Trends (MB per minute) and means (MB) of the samples from `fromS` on. */
export function memoryTrend(
  samples: MemorySample[],
  fromS: number,
): { samples: number; heapTrend: number; rssTrend: number; heapMean: number; rssMean: number } {
  const window = samples.filter((m) => m.t >= fromS);
  const mb = (b: number) => b / 1024 / 1024;
  const mean = (k: 'heapUsed' | 'rss') => mb(window.reduce((s, m) => s + m[k], 0) / Math.max(1, window.length));
  return {
    samples: window.length,
    heapTrend: slope(window.map((m) => ({ t: m.t / 60, v: mb(m.heapUsed) }))),
    rssTrend: slope(window.map((m) => ({ t: m.t / 60, v: mb(m.rss) }))),
    heapMean: mean('heapUsed'),
    rssMean: mean('rss'),
  };
}
