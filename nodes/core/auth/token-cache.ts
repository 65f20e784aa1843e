/**
 * The process-wide token cache. Every node, flow and execution that uses the same credentials
 * shares one token: the providers rate-limit token requests ("Do not fetch a new token for each
 * API request"), so one identity makes one request at a time, reuses the token for its whole
 * validity, renews it ahead of expiry, and waits out a 429 once for everybody.
 *
 * A valid token in memory is served without anything else being asked. Only when a token must be
 * obtained does the cache hand the renewal to its `TokenSharing`: by default this process alone,
 * with Redis configured (EO_REDIS_URL, or n8n's queue-mode Redis) every process of the deployment
 * together (shared/shared-renewal.ts).
 */
import type { Dispatcher } from 'undici';
import { backoffDelay, sleep } from '../http/backoff';
import { resyncSteadyClock, steadyNow } from '../clock';
import { EoError, formatSeconds as seconds, isEoError } from '../errors';
import { requestToken, type TokenGrant, type TokenRequestOptions, type TokenResponse } from './token-request';
import type { Connection } from '../config/connection';
import { IdentityKeys } from './identity-key';
import type { AccessToken, GetTokenOptions, TokenProvider } from './token-provider';
import type { TokenState } from './token-state';
import { ProcessOnly } from './shared/process-only';
import type {
  HeldRefresh,
  Obtained,
  RefreshRecord,
  RenewalPort,
  Renewed,
  TokenRecord,
  TokenSharing,
  TokenSharingStatus,
} from './shared/renewal-port';
import { processTokenSharing } from './shared/sharing-from-environment';

/** Settings of a `TokenCache`; all optional, the defaults suit production. */
export interface TokenCacheOptions {
  /** Sent to the token endpoints through this dispatcher. Default: the core's shared one. */
  dispatcher?: Dispatcher;
  /**
   * Renew a token this long before it expires. Default 60 s; never more than half a token's
   * lifetime, so short-lived tokens are still used for half their life.
   */
  refreshMarginMs?: number;
  /** Clock. Default `steadyNow` (clock.ts): a wall-clock step does not change how long a token is used. */
  now?: () => number;
  /**
   * The longest a caller waits out a 429 from the token endpoint (in total, per renewal). A longer
   * `Retry-After` fails at once with `EO_RATE_LIMITED` carrying `retryAfterMs`. Default 60 s.
   */
  maxRateLimitWaitMs?: number;
  /** Wait after a 429 that gave no `Retry-After`. Default 5 s. */
  defaultRateLimitWaitMs?: number;
  /** Timeout, retries and backoff of each token request. */
  request?: Pick<TokenRequestOptions, 'timeoutMs' | 'retries' | 'backoff'>;
  /**
   * Who else renews tokens with these credentials. Default: this process only. `sharedTokenCache()`
   * reads it from the environment and shares the process's one Redis connection with the watches.
   */
  sharing?: TokenSharing;
}

/** A token provider bound to one identity, with its state for status displays. */
export type CachedTokenProvider = TokenProvider & { state(): TokenState };

/** Renew this long before expiry (sentinelhub-py uses 120 s with 1 h tokens; CDSE tokens live 10 min). */
export const DEFAULT_REFRESH_MARGIN_MS = 60_000;
/** Longest shared wait after a 429 before giving up with `EO_RATE_LIMITED`. */
export const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 60_000;
const DEFAULT_RATE_LIMIT_WAIT_MS = 5_000;
/** 429 answers one renewal waits out before it gives up, however short each wait. */
const MAX_RATE_LIMITED_ATTEMPTS = 5;
/** The least a cool-down lasts after the n-th 429 in a row (about 0.1, 0.2, 0.4, 0.8 s). */
const RATE_LIMIT_FLOOR = { baseMs: 100, maxMs: 2_000, factor: 2 };
/** When a renewal fails, the old token is still served if it lives at least this much longer than the caller needs. */
const STALE_TOKEN_FLOOR_MS = 10_000;
/** Identities above this count are pruned of the idle ones (changed passwords leave old ones behind). */
const PRUNE_ABOVE = 256;

type CachedToken = TokenRecord;

interface Identity {
  key: string;
  /** Client id or username. */
  label: string;
  /** The most recent Connection for this identity (all carry the same credentials). */
  connection: Connection;
  token?: CachedToken;
  refresh?: HeldRefresh;
  /** The one renewal under way; every caller that needs a token joins it. */
  renewal?: Promise<Renewed>;
  coolDownUntil?: number;
  tokenRequests: number;
  lastTokenAt?: number;
  lastRateLimitAt?: number;
  lastError?: { code: string; message: string; at: number };
}

/** Rejects with the signal's reason when it aborts first; the shared promise itself keeps going. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Tokens per identity (provider, token URL, grant, client id or username, and a keyed SHA-256
 * digest of the secrets). Use `sharedTokenCache()` in production; a private instance in tests.
 *
 * @example
 * const tokens = new TokenCache().provider(resolveConnection(settings));
 * const { value } = await tokens.getToken({ minValidityMs: 120_000 });
 */
export class TokenCache {
  private readonly identities = new Map<string, Identity>();
  /** Keys with a per-cache secret: a leaked identity key cannot be used to test guesses offline. */
  private readonly keys = new IdentityKeys();
  private readonly dispatcher?: Dispatcher;
  private readonly refreshMarginMs: number;
  private readonly now: () => number;
  private readonly maxRateLimitWaitMs: number;
  private readonly defaultRateLimitWaitMs: number;
  private readonly requestOptions: Pick<TokenRequestOptions, 'timeoutMs' | 'retries' | 'backoff'>;
  private readonly sharing: TokenSharing;

  constructor(options: TokenCacheOptions = {}) {
    this.dispatcher = options.dispatcher;
    this.refreshMarginMs = Math.max(0, options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS);
    this.now = options.now ?? steadyNow;
    this.maxRateLimitWaitMs = Math.max(0, options.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS);
    this.defaultRateLimitWaitMs = options.defaultRateLimitWaitMs ?? DEFAULT_RATE_LIMIT_WAIT_MS;
    this.requestOptions = { ...options.request };
    this.sharing = options.sharing ?? new ProcessOnly();
  }

  /**
   * The key two connections share exactly when they hold the same credentials for the same
   * endpoint. It contains the client id or username in clear, never a secret.
   */
  identityKey(connection: Connection): string {
    return this.keys.keyOf(connection);
  }

  /** A token provider for `connection`; connections with the same identity share tokens. */
  provider(connection: Connection): CachedTokenProvider {
    const key = this.identityKey(connection);
    this.identityFor(key, connection);
    return {
      // Looked up on every call, so a provider kept across `clear()` still works.
      getToken: (options?: GetTokenOptions) => this.getToken(this.identityFor(key, connection), options),
      invalidate: (tokenValue: string) => this.invalidate(this.identityFor(key, connection), tokenValue),
      state: () => this.stateOf(this.identities.get(key), connection),
    };
  }

  /** The state of `connection`'s identity, for status displays. Safe to show: no secrets. */
  state(connection: Connection): TokenState {
    return this.stateOf(this.identities.get(this.identityKey(connection)), connection);
  }

  /** Forgets every token and cool-down of this process. Renewals under way finish but are not kept. */
  clear(): void {
    this.identities.clear();
  }

  /** How tokens are shared ("shared via Redis at host:port" or "this process only"). */
  sharingStatus(): TokenSharingStatus {
    return this.sharing.status();
  }

  /** Closes the connection to a shared store, if any (tests, and scripts that want to exit). */
  close(): Promise<void> {
    return this.sharing.close();
  }

  private identityFor(key: string, connection: Connection): Identity {
    let identity = this.identities.get(key);
    if (!identity) {
      if (this.identities.size >= PRUNE_ABOVE) this.pruneIdle();
      identity = { key, label: connection.username ?? connection.clientId, connection, tokenRequests: 0 };
      this.identities.set(key, identity);
    }
    identity.connection = connection;
    return identity;
  }

  private pruneIdle(): void {
    const now = this.now();
    for (const [key, identity] of this.identities) {
      const busy =
        identity.renewal !== undefined ||
        (identity.token !== undefined && identity.token.expiresAt > now) ||
        (identity.refresh !== undefined && (identity.refresh.expiresAt ?? Infinity) > now) ||
        (identity.coolDownUntil ?? 0) > now;
      if (!busy) this.identities.delete(key);
    }
  }

  private async getToken(identity: Identity, options: GetTokenOptions = {}): Promise<AccessToken> {
    if (options.signal?.aborted) throw options.signal.reason;
    const cached = identity.token;
    const minValidityMs = options.minValidityMs ?? 0;
    if (cached && this.isUsable(cached, minValidityMs)) return toAccessToken(cached);
    try {
      return toAccessToken(await raceSignal(this.renewedFor(identity, minValidityMs), options.signal));
    } catch (err) {
      // Renewing early is a courtesy: while the endpoint is down or throttling, a token that still
      // outlives the caller's need (and was not rejected meanwhile) keeps flows running.
      const stillHeld = cached !== undefined && identity.token === cached;
      const endpointTrouble = isEoError(err, 'EO_TOKEN_ENDPOINT_UNAVAILABLE') || isEoError(err, 'EO_RATE_LIMITED');
      if (stillHeld && endpointTrouble && cached.expiresAt - this.now() > minValidityMs + STALE_TOKEN_FLOOR_MS) {
        return toAccessToken(cached);
      }
      throw err;
    }
  }

  /**
   * A token fresh from the provider is the freshest there is and is returned as it is. One taken
   * over from another process served the renewal's first caller; a caller that needs it to live
   * longer (minValidityMs) renews once more, and that renewal takes its need into account.
   */
  private async renewedFor(identity: Identity, minValidityMs: number): Promise<CachedToken> {
    const first = await this.joinRenewal(identity, minValidityMs);
    if (first.fresh || this.isUsable(first.token, minValidityMs)) return first.token;
    return (await this.joinRenewal(identity, minValidityMs)).token;
  }

  private invalidate(identity: Identity, tokenValue: string): void {
    // Only the token that was rejected: a newer one fetched meanwhile by another caller stays.
    if (identity.token?.value === tokenValue) identity.token = undefined;
    this.sharing.invalidate({ connection: identity.connection, localKey: identity.key }, tokenValue);
  }

  private marginFor(lifetimeMs: number): number {
    return Math.max(0, Math.min(this.refreshMarginMs, lifetimeMs / 2));
  }

  private isUsable(token: CachedToken, minValidityMs: number): boolean {
    const lifetime = token.expiresAt - token.obtainedAt;
    const margin = this.marginFor(lifetime);
    // A new token cannot outlive its own lifetime. Capping the demand keeps a caller that asks for
    // more (a very long download) from causing a token request per call: it gets the freshest token,
    // renewed at most once per margin.
    const demand = Math.min(Math.max(0, minValidityMs), Math.max(0, lifetime - 2 * margin));
    return token.expiresAt - this.now() > margin + demand;
  }

  private isRefreshUsable(refresh: RefreshRecord): boolean {
    if (refresh.expiresAt === undefined) return true;
    return refresh.expiresAt - this.now() > this.marginFor(refresh.expiresAt - refresh.obtainedAt);
  }

  private joinRenewal(identity: Identity, minValidityMs: number): Promise<Renewed> {
    if (!identity.renewal) {
      const renewal: Promise<Renewed> = this.sharing
        .renew(this.renewalPort(identity, minValidityMs))
        .catch((err: unknown) => {
          identity.lastError = {
            code: isEoError(err) ? err.code : 'EO_NETWORK',
            message: err instanceof Error ? err.message : String(err),
            at: this.now(),
          };
          throw err;
        })
        .finally(() => {
          if (identity.renewal === renewal) identity.renewal = undefined;
        });
      // Callers may all have aborted; the outcome is still observed, never an unhandled rejection.
      renewal.catch(() => undefined);
      identity.renewal = renewal;
    }
    return identity.renewal;
  }

  /** What the renewal of `identity` offers the token sharing: this cache's rules, and its way of asking the provider. */
  private renewalPort(identity: Identity, minValidityMs: number): RenewalPort {
    return {
      connection: identity.connection,
      localKey: identity.key,
      heldRefresh: () => identity.refresh,
      serves: (token) => this.isUsable(token, minValidityMs),
      refreshUsable: (refresh) => this.isRefreshUsable(refresh),
      adopt: (token, refresh) => this.adopt(identity, token, refresh),
      coolDown: (untilMs) => {
        identity.coolDownUntil = Math.max(identity.coolDownUntil ?? 0, untilMs);
      },
      obtain: (refresh, options) => this.obtain(identity, refresh, options),
    };
  }

  /** Takes over a token another process obtained; a newer one held here is never replaced by an older one. */
  private adopt(identity: Identity, token: TokenRecord, refresh: RefreshRecord | undefined): void {
    if (!identity.token || identity.token.expiresAt < token.expiresAt) identity.token = { ...token };
    if (refresh && identity.connection.grant === 'password') identity.refresh = { ...refresh, shared: true };
    identity.lastTokenAt = this.now();
    identity.lastError = undefined;
  }

  /**
   * One token request from this process: waits out a cool-down, asks with `refresh` when given
   * (else the connection's grant), and repeats only after a 429 (a few times) or an already
   * expired token.
   */
  private async obtain(
    identity: Identity,
    refresh: RefreshRecord | undefined,
    options: { shared: boolean; onCoolDown?: (untilMs: number) => void },
  ): Promise<Obtained> {
    let waitedMs = 0;
    let expiredTokens = 0;
    let rateLimited = 0;
    let offered = refresh;
    for (;;) {
      waitedMs += await this.waitForCoolDown(identity, waitedMs);
      let response: TokenResponse;
      try {
        response = await this.fetchToken(identity, offered, () => {
          offered = undefined;
        });
      } catch (err) {
        if (!isEoError(err, 'EO_RATE_LIMITED')) throw err;
        rateLimited += 1;
        this.startCoolDown(identity, err.retryAfterMs, rateLimited);
        options.onCoolDown?.(identity.coolDownUntil!);
        if (rateLimited >= MAX_RATE_LIMITED_ATTEMPTS) throw err;
        continue;
      }
      const token = this.keep(identity, response, options.shared);
      if (token) {
        const rotated = identity.connection.grant === 'password' && response.refreshToken !== undefined;
        return rotated
          ? { token, refresh: { value: response.refreshToken!, expiresAt: response.refreshExpiresAt, obtainedAt: response.requestedAt } }
          : { token };
      }
      // The issuer's clock may agree with a corrected wall clock rather than with ours: follow it.
      resyncSteadyClock();
      // A token that is dead on arrival: once may be a race at the second boundary, twice is a clock problem.
      if (++expiredTokens >= 2) {
        throw new EoError(
          'EO_AUTH_REJECTED',
          `${identity.connection.providerLabel}: the token endpoint issued a token that is already expired (by ${seconds(this.now() - response.expiresAt)}).`,
          { hint: "Check the clock of this machine (and the endpoint's): they disagree by more than the token lifetime." },
        );
      }
    }
  }

  /** Sleeps until the identity's cool-down ends; fails at once if that is beyond the wait limit. */
  private async waitForCoolDown(identity: Identity, alreadyWaitedMs: number): Promise<number> {
    const remaining = (identity.coolDownUntil ?? 0) - this.now();
    if (remaining <= 0) return 0;
    if (alreadyWaitedMs + remaining > this.maxRateLimitWaitMs) {
      throw new EoError(
        'EO_RATE_LIMITED',
        `${identity.connection.providerLabel} token endpoint asked to wait ${seconds(remaining)} before the next token request (429); that is longer than the ${seconds(this.maxRateLimitWaitMs)} allowed.`,
        {
          status: 429,
          retryAfterMs: remaining,
          hint: 'Try again later; if it keeps happening, another program is requesting tokens with the same credentials.',
        },
      );
    }
    await sleep(remaining);
    return remaining;
  }

  private startCoolDown(identity: Identity, retryAfterMs: number | undefined, consecutive: number): void {
    const now = this.now();
    // A growing floor: a Retry-After of 0 (or a few ms) must not turn into a burst of token requests.
    const announced = Math.max(retryAfterMs ?? this.defaultRateLimitWaitMs, backoffDelay(consecutive, RATE_LIMIT_FLOOR));
    // A little jitter so several processes sharing the credentials do not come back in the same millisecond.
    const jitter = Math.round(Math.random() * Math.min(250, announced * 0.1));
    identity.coolDownUntil = Math.max(identity.coolDownUntil ?? 0, now + announced + jitter);
    identity.lastRateLimitAt = now;
  }

  /**
   * The refresh token when it still lives, the grant of the connection otherwise or when the
   * refresh token is refused (then `refused` is called, so a retry after a 429 does not offer it again).
   */
  private async fetchToken(identity: Identity, refresh: RefreshRecord | undefined, refused: () => void): Promise<TokenResponse> {
    const connection = identity.connection;
    if (connection.grant === 'password' && refresh && this.isRefreshUsable(refresh)) {
      try {
        return await this.send(identity, { type: 'refresh_token', refreshToken: refresh.value });
      } catch (err) {
        // A refused refresh token (ended session, revoked, rotated elsewhere) means: log in again.
        // Outages and 429 are not about the refresh token and go up as they are.
        if (!isEoError(err) || !err.code.startsWith('EO_AUTH_')) throw err;
        refused();
        if (identity.refresh?.value === refresh.value) identity.refresh = undefined;
      }
    } else if (identity.refresh && !this.isRefreshUsable(identity.refresh)) {
      identity.refresh = undefined;
    }
    return this.send(identity, { type: connection.grant });
  }

  private send(identity: Identity, grant: TokenGrant): Promise<TokenResponse> {
    return requestToken(identity.connection, grant, {
      ...this.requestOptions,
      dispatcher: this.dispatcher,
      now: this.now,
      onAttempt: () => {
        identity.tokenRequests += 1;
      },
    });
  }

  /** Stores a response; returns the token, or `undefined` when it is already expired. `shared`: see HeldRefresh. */
  private keep(identity: Identity, response: TokenResponse, shared: boolean): CachedToken | undefined {
    const now = this.now();
    // Keep the newest refresh token (rotation); a refresh response without one leaves the old one valid.
    if (identity.connection.grant === 'password' && response.refreshToken) {
      identity.refresh = { value: response.refreshToken, expiresAt: response.refreshExpiresAt, obtainedAt: response.requestedAt, shared };
    }
    if (response.expiresAt <= now) return undefined;
    const token: CachedToken = {
      value: response.accessToken,
      expiresAt: response.expiresAt,
      obtainedAt: Math.min(response.requestedAt, now),
      issuer: response.issuer,
    };
    identity.token = token;
    identity.lastTokenAt = now;
    identity.lastError = undefined;
    return token;
  }

  private stateOf(identity: Identity | undefined, connection: Connection): TokenState {
    const now = this.now();
    const token = identity?.token && identity.token.expiresAt > now ? identity.token : undefined;
    const refresh = identity?.refresh;
    return {
      identity: identity?.label ?? connection.username ?? connection.clientId,
      provider: connection.provider,
      grant: connection.grant,
      expiresAt: token?.expiresAt,
      refreshExpiresAt: refresh?.expiresAt,
      hasRefreshToken: refresh !== undefined,
      tokenRequests: identity?.tokenRequests ?? 0,
      lastTokenAt: identity?.lastTokenAt,
      coolDownUntil: identity?.coolDownUntil !== undefined && identity.coolDownUntil > now ? identity.coolDownUntil : undefined,
      lastRateLimitAt: identity?.lastRateLimitAt,
      lastError: identity?.lastError ? { ...identity.lastError } : undefined,
      refreshing: identity?.renewal !== undefined,
    };
  }
}

function toAccessToken(token: CachedToken): AccessToken {
  return { value: token.value, expiresAt: token.expiresAt, issuer: token.issuer };
}

/** Versioned, so a future incompatible cache in the same process does not pick this one up. */
const SHARED_CACHE_KEY = Symbol.for('eo-nodes.token-cache.v1');

/**
 * The one cache of the process. Kept on `globalThis` so that two copies of this module (Node-RED
 * and n8n loading the package twice, a redeploy, a bundled copy) still share tokens.
 */
export function sharedTokenCache(): TokenCache {
  const holder = globalThis as typeof globalThis & { [SHARED_CACHE_KEY]?: TokenCache };
  return (holder[SHARED_CACHE_KEY] ??= new TokenCache({ sharing: processTokenSharing() }));
}

/**
 * The shared token provider for `connection`.
 *
 * @example
 * const { value } = await tokenProviderFor(connection).getToken();
 * headers.authorization = `Bearer ${value}`;
 */
export function tokenProviderFor(connection: Connection): TokenProvider {
  return sharedTokenCache().provider(connection);
}
