/**
 * The soak's yardsticks: how many token requests an ideal cache would make for the API calls an
 * identity really made, and the trend of a series of memory samples.
 */

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
