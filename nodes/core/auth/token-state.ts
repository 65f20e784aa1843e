/** What a status display may know about one identity's tokens: times and counters, no secrets. */
import { steadyNow } from '../clock';
import type { EoErrorCode } from '../errors';
import type { GrantType, ProviderId } from '../config/providers';

/** One identity's token health, e.g. for a node status badge (see `formatTokenState`). */
export interface TokenState {
  /** Client id or username: never a secret. */
  identity: string;
  provider: ProviderId;
  grant: GrantType;
  /** Epoch ms when the cached access token expires; absent when none is cached. */
  expiresAt?: number;
  /** Epoch ms when the cached refresh token expires (password grant), when known. */
  refreshExpiresAt?: number;
  /** Whether a refresh token is held (password grant). */
  hasRefreshToken: boolean;
  /** Token requests this identity made (each HTTP retry counted once per attempt). */
  tokenRequests: number;
  /** Epoch ms of the last token obtained. */
  lastTokenAt?: number;
  /** Epoch ms until which no token request is sent (after a 429). */
  coolDownUntil?: number;
  /** Epoch ms of the last 429 from the token endpoint. */
  lastRateLimitAt?: number;
  /** The last failure, cleared by the next success. */
  lastError?: { code: EoErrorCode | string; message: string; at: number };
  /** A token request is under way. */
  refreshing: boolean;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 || m >= 10 ? `${m}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h}h` : `${h}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * A one-line summary for node status badges.
 *
 * @example
 * formatTokenState(cache.state(connection)); // "access 4m12s · refresh 52m"
 */
export function formatTokenState(state: TokenState, now: number = steadyNow()): string {
  const parts: string[] = [];
  if (state.coolDownUntil !== undefined && state.coolDownUntil > now) parts.push(`rate limited ${duration(state.coolDownUntil - now)}`);
  if (state.expiresAt !== undefined && state.expiresAt > now) parts.push(`access ${duration(state.expiresAt - now)}`);
  else if (state.refreshing) parts.push('requesting token');
  else parts.push('no token');
  if (state.hasRefreshToken && state.refreshExpiresAt !== undefined && state.refreshExpiresAt > now) {
    parts.push(`refresh ${duration(state.refreshExpiresAt - now)}`);
  }
  if (state.lastError && !(state.expiresAt !== undefined && state.expiresAt > now)) parts.push(state.lastError.code);
  return parts.join(' · ');
}
