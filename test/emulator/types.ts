/**
 * The contract of the provider emulator: one loopback HTTP server that speaks like Sentinel Hub,
 * CDSE and Terrascope. Tests in this process use `startEmulator()`; other processes (a real
 * Node-RED, n8n, benchmarks) use the same controls over HTTP under `/__emulator/`.
 */
import type { SceneSpec, TimelineScene } from './scenes';

export type Realm = 'main' | 'CDSE' | 'terrascope';

export interface EmulatorClient {
  clientId: string;
  clientSecret: string;
  /** Realms that accept this client (default: all). */
  realms?: Realm[];
}

export interface EmulatorUser {
  username: string;
  password: string;
}

export interface EmulatorConfig {
  /** Access-token lifetime in seconds, per realm. Defaults: main 3600, CDSE 600, terrascope 300. */
  accessTokenLifetimeS: Record<Realm, number>;
  /** Refresh-token lifetime in seconds (password grant). Default 3600. */
  refreshTokenLifetimeS: number;
  /** Added to the emulator's clock when it stamps iat/exp (simulates clock skew). Default 0. */
  clockSkewS: number;
  /** Delay before every token response, ms. Default 0. */
  tokenDelayMs: number;
  /** `exp` claim omitted from issued JWTs (only expires_in remains). Default false. */
  omitExp: boolean;
  /** Issue opaque (non-JWT) access tokens. Default false. */
  opaqueTokens: boolean;
  /** Realms whose tokens the Sentinel Hub API paths accept. Default all three. */
  apiRealms: Realm[];
  /** The legacy `/oauth/token` path answers with this redirect to the realm "main" URL instead of serving. Default 0 (serve). */
  legacyTokenRedirect: 0 | 307 | 308;
  /**
   * WorldCover tiles are real Cloud-Optimized GeoTIFFs (EPSG:4326, the tile's 3° × 3°, class codes
   * and colour table of the product, deterministic land cover) of this many pixels square.
   * Default 512 (about 0.006° or 650 m a pixel; the product has 36000). At most 8192.
   */
  worldCoverTilePixels: number;
  /**
   * When above 0, every WorldCover tile is instead this many deterministic random bytes behind a
   * TIFF signature (not an image): for tests that need a given size. Default 0 (real GeoTIFFs).
   */
  worldCoverTileBytes: number;
  /** WorldCover tiles that do not exist (answer 404), e.g. ocean. Default ['N00W030']. */
  missingTiles: string[];
  /** Features a catalog search finds in total. Default 23. */
  catalogTotal: number;
  /**
   * Statistics intervals (by zero-based position) answered with a per-interval error instead of
   * statistics, as Sentinel Hub does for an interval that failed. Default none.
   */
  statisticsIntervalErrors: Record<string, 'BAD_REQUEST' | 'EXECUTION_ERROR' | 'TIMEOUT'>;
  clients: EmulatorClient[];
  users: EmulatorUser[];
  /**
   * Round-trip time added before every answer, ms; a connection's first request pays it twice
   * (its TCP handshake). Default 0.
   */
  latencyMs: number;
  /** Bytes per second each connection may send (a server's or a route's per-flow limit); 0 = unlimited (default). */
  connectionBytesPerSecond: number;
  /** Bytes per second all connections share (the client's link); 0 = unlimited (default). */
  linkBytesPerSecond: number;
  /**
   * Downloads (`GET /download/…`) one account may run at once, as CDSE allows 4; one more is
   * answered 429 with `Retry-After: downloadCapRetryAfterS`. 0 = no cap (default).
   */
  downloadsPerAccount: number;
  /** Retry-After, in seconds, of a download refused by `downloadsPerAccount`. Default 1. */
  downloadCapRetryAfterS: number;
}

/** A scripted misbehaviour for requests that match. Faults are checked in the order added. */
export interface FaultScript {
  /** Matches `METHOD /path` (no query) as a regular expression source, e.g. "^POST /oauth/token$" or "/download/". */
  route: string;
  /** Only requests to this origin role: 'main' (default: any) or 'second'. */
  origin?: 'main' | 'second';
  /** How many matching requests it applies to, then it is spent. Default: unlimited. */
  times?: number;
  /** Skip this many matching requests before applying. Default 0. */
  after?: number;
  /** Wait before answering (or before doing the rest of the script). */
  delayMs?: number;
  /** Answer with this status (and `body`, `headers`) instead of the real handler. */
  status?: number;
  headers?: Record<string, string>;
  /** Body for `status`; objects are sent as JSON. */
  body?: string | object;
  /** Let the real handler answer, but destroy the socket after this many body bytes. */
  resetAfterBytes?: number;
  /** Let the real handler answer with its Content-Length, but end the body cleanly after this many bytes. */
  shortBodyBytes?: number;
  /** Answer with a redirect (status, default 302) to this URL; "second:" or "main:" prefix means that origin + the rest, e.g. "second:/download/x". */
  redirectTo?: string;
  /** Never answer (hang until the client gives up). */
  hang?: boolean;
}

export interface RequestLogEntry {
  time: number;
  origin: 'main' | 'second';
  method: string;
  path: string;
  /** Request headers as received (authorization included: tests check where it went). */
  headers: Record<string, string | string[] | undefined>;
  /** Form fields of token requests (grant_type, client_id, username ...; secrets replaced by "<redacted>"). */
  form?: Record<string, string>;
  status: number;
  fault?: boolean;
}

export interface EmulatorCounters {
  /** Token requests by grant type, whatever their outcome. */
  tokenRequests: { client_credentials: number; password: number; refresh_token: number; total: number };
  /** Token responses by status. */
  tokenStatus: Record<string, number>;
  /** Non-token responses by status. */
  apiStatus: Record<string, number>;
  /** Non-token requests that reached the server. */
  apiRequests: number;
  /** Downloads per account (username, or client id): what the per-account cap saw. */
  downloads: DownloadCounters;
}

/** Per account (username, or client id for a client-credentials token). */
export interface DownloadCounters {
  /** Downloads admitted. */
  admitted: Record<string, number>;
  /** The most downloads the account ran at once. */
  peakConcurrent: Record<string, number>;
  /** Downloads answered 429 because the account was at `downloadsPerAccount`. */
  refused: Record<string, number>;
}

/** Every token issued while the record was on (`recordIssuedTokens`), oldest first. */
export interface IssuedTokens {
  access: string[];
  refresh: string[];
}

export interface StartOptions extends Partial<EmulatorConfig> {
  /** Port for the main origin; 0 (default) picks a free one. */
  port?: number;
  /** Port for the second origin; 0 (default) picks a free one. */
  secondPort?: number;
}

/** Where each production endpoint lives on the emulator. */
export interface EmulatorEndpoints {
  sentinelHub: { tokenUrl: string; realmTokenUrl: string; baseUrl: string };
  cdse: { tokenUrl: string; baseUrl: string };
  terrascope: { tokenUrl: string; baseUrl: string; stacUrl: string };
}

export interface Emulator {
  /** http://127.0.0.1:PORT of the main origin. */
  url: string;
  /** A second origin served by the same handler and state (redirect target, "another host"). */
  secondUrl: string;
  endpoints: EmulatorEndpoints;
  config: EmulatorConfig;
  /** Change configuration at run time. */
  configure(patch: Partial<EmulatorConfig>): void;
  fault(script: FaultScript): void;
  clearFaults(): void;
  counters(): EmulatorCounters;
  log(): RequestLogEntry[];
  /** Counters, log and faults back to zero; issued tokens stay valid. */
  reset(): void;
  /** Make every refresh token issued so far invalid (invalid_grant "Token is not active"). */
  revokeRefreshTokens(): void;
  /** Tokens issued while `recordIssuedTokens` was on (also `GET /__emulator/issued-tokens`). */
  issuedTokens(): IssuedTokens;
  /**
   * Publishes a scene into the Catalog (or, for `terrascope-s2-toc-v2`, the STAC API); it is found
   * from its publication time on (also `POST /__emulator/scenes`).
   */
  publishScene(spec: SceneSpec): TimelineScene;
  /** Republishes a scene under its id with a newer `updated` time (also `POST /__emulator/scenes/republish`). */
  republishScene(id: string, patch?: { cloudCover?: number }): TimelineScene;
  /** Every scene published so far, visible or not yet (also `GET /__emulator/scenes`). */
  scenes(): TimelineScene[];
  /** Forgets every published scene (also `DELETE /__emulator/scenes`). */
  clearScenes(): void;
  close(): Promise<void>;
}
