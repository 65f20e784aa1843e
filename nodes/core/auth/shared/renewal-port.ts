/**
 * What the token cache and the cross-process coordination say to each other at the renewal step.
 * The cache keeps its rules (refresh margin, minValidityMs, 429 loop, refresh → password); the
 * coordination decides only who asks the provider and hands results between processes.
 */
import type { Connection } from '../../config/connection';

/** An access token with its times (epoch ms). */
export interface TokenRecord {
  value: string;
  expiresAt: number;
  /** When it was requested: lifetime = expiresAt - obtainedAt. */
  obtainedAt: number;
  issuer?: string;
}

/** A refresh token (password grant) with its times (epoch ms). */
export interface RefreshRecord {
  value: string;
  /** Unknown for refresh tokens without an end (Keycloak offline tokens). */
  expiresAt?: number;
  obtainedAt: number;
}

/** A refresh token held in this process, and whether another process may hold it too. */
export interface HeldRefresh extends RefreshRecord {
  /**
   * True once it came from, or was offered to, the shared store. Such a token is used only under
   * the lease: two processes must never redeem the same rotating refresh token at once.
   */
  shared: boolean;
}

/** What a renewal produced. */
export interface Renewed {
  token: TokenRecord;
  /** Obtained from the provider by this renewal (rather than taken over from another process). */
  fresh: boolean;
}

/** What a token request in this process produced. */
export interface Obtained {
  token: TokenRecord;
  /** The refresh token the response carried (rotation), when it carried one. */
  refresh?: RefreshRecord;
}

/** One identity's renewal, as the token cache offers it to the coordination. */
export interface RenewalPort {
  readonly connection: Connection;
  /** The in-process identity key: names this identity in the coordination's memory, never sent anywhere. */
  readonly localKey: string;
  /** The refresh token this process holds, if any. */
  heldRefresh(): HeldRefresh | undefined;
  /** Whether `token` serves the callers of this renewal (refresh margin and their minValidityMs). */
  serves(token: TokenRecord): boolean;
  /** Whether `refresh` is still worth sending (not expired, not inside the margin). */
  refreshUsable(refresh: RefreshRecord): boolean;
  /** Takes over a token (and the newest refresh token) that another process obtained. */
  adopt(token: TokenRecord, refresh: RefreshRecord | undefined): void;
  /** A 429 cool-down that another process met: no token request before `untilMs`. */
  coolDown(untilMs: number): void;
  /**
   * Asks the provider here: with `refresh` when given (a refused one falls back to the connection's
   * own grant), waiting out cool-downs and retrying 429s as the cache does alone.
   * `shared` tags the refresh token it gets; `onCoolDown` hears every cool-down it starts.
   */
  obtain(refresh: RefreshRecord | undefined, options: { shared: boolean; onCoolDown?: (untilMs: number) => void }): Promise<Obtained>;
}

/** The cross-process coordination a token cache calls at its renewal step (see shared-renewal.ts). */
export interface TokenSharing {
  /** Renews the token of `port`'s identity: from another process when one has it, else here under the lease. */
  renew(port: RenewalPort): Promise<Renewed>;
  /** The API rejected `tokenValue` (401): forget it everywhere unless a newer one replaced it. */
  invalidate(port: Pick<RenewalPort, 'connection' | 'localKey'>, tokenValue: string): void;
  /** What the status line says. */
  status(): TokenSharingStatus;
  /** Closes the Redis connection (tests, and scripts that want to exit). */
  close(): Promise<void>;
}

/** How tokens are shared, for status lines. No secret in it. */
export interface TokenSharingStatus {
  /** `redis`: across processes through Redis; `local`: this process only. */
  mode: 'redis' | 'local';
  /** `host:port` of the Redis, when one is configured. */
  address?: string;
  /** Redis is configured but does not answer right now: this process works on its own meanwhile. */
  unavailable?: boolean;
  /** Why sharing is off although it was asked for (a malformed EO_REDIS_URL), or why Redis does not answer. */
  problem?: string;
  /** One line for a status display, e.g. "shared via Redis at cache:6379" or "this process only". */
  text: string;
}
