/**
 * Everything the two origins share: configuration, counters, the request log, fault scripts,
 * batch jobs and the signing keys. One instance per started emulator.
 */
import type { EmulatorConfig, EmulatorCounters, FaultScript, IssuedTokens, Realm, RequestLogEntry } from './types';
import type { Keys } from './jwt';
import { SceneTimeline } from './scenes';

export const REALMS: Realm[] = ['main', 'CDSE', 'terrascope'];

/** Sentinel Hub / CDSE demo OAuth client, accepted in every realm. */
export const DEMO_CLIENT = { clientId: 'demo-client', clientSecret: 'demo-secret' } as const;
/** Terrascope (and CDSE password-grant) demo user. */
export const DEMO_USER = { username: 'demo', password: 'demo-password' } as const;

/** Public clients for the password grant: Terrascope uses `public`, CDSE `cdse-public`. */
export const PUBLIC_CLIENTS: Record<string, Realm[]> = { public: ['terrascope'], 'cdse-public': ['CDSE'] };

/** Optional knobs beyond the contract; all have defaults that match the real services. */
export interface ExtraConfig {
  /** A refresh token can be used once only (Keycloak "Revoke Refresh Token"). Default false. */
  revokeUsedRefreshTokens?: boolean;
  /** Realms whose tokens Terrascope /download accepts. Default ['terrascope']. */
  downloadRealms?: Realm[];
  /** Entries the request log keeps (oldest dropped first). Default 20000. */
  logLimit?: number;
  /**
   * Keep every access and refresh token issued, for a secret sweep that must know them. Default
   * false, or true when the environment sets EO_EMULATOR_RECORD_TOKENS=1 (the reliability suite).
   */
  recordIssuedTokens?: boolean;
  /**
   * The Catalog's synthetic archive (`catalogTotal` features) covers acquisitions up to this time,
   * ISO 8601. Default: 30 days before each search, so a watch's recent window sees only the scenes
   * published into the timeline.
   */
  catalogArchiveUntil?: string;
}

export type FullConfig = EmulatorConfig & ExtraConfig;

export function defaultConfig(): FullConfig {
  return {
    accessTokenLifetimeS: { main: 3600, CDSE: 600, terrascope: 300 },
    refreshTokenLifetimeS: 3600,
    clockSkewS: 0,
    tokenDelayMs: 0,
    omitExp: false,
    opaqueTokens: false,
    apiRealms: [...REALMS],
    legacyTokenRedirect: 0,
    worldCoverTilePixels: 512,
    worldCoverTileBytes: 0,
    missingTiles: ['N00W030'],
    catalogTotal: 23,
    statisticsIntervalErrors: {},
    clients: [{ ...DEMO_CLIENT }],
    users: [{ ...DEMO_USER }],
    revokeUsedRefreshTokens: false,
    downloadRealms: ['terrascope'],
    logLimit: 20000,
    recordIssuedTokens: process.env.EO_EMULATOR_RECORD_TOKENS === '1',
    latencyMs: 0,
    connectionBytesPerSecond: 0,
    linkBytesPerSecond: 0,
    downloadsPerAccount: 0,
    downloadCapRetryAfterS: 1,
  };
}

/** Applies a patch; per-realm lifetimes merge so `{accessTokenLifetimeS:{CDSE:5}}` is enough. */
export function applyConfig(config: FullConfig, patch: Partial<FullConfig>): void {
  for (const [key, value] of Object.entries(patch) as [keyof FullConfig, unknown][]) {
    if (value === undefined) continue;
    if (key === 'accessTokenLifetimeS') {
      config.accessTokenLifetimeS = { ...config.accessTokenLifetimeS, ...(value as object) };
    } else {
      (config as unknown as Record<string, unknown>)[key] = value;
    }
  }
}

export function emptyCounters(): EmulatorCounters {
  return {
    tokenRequests: { client_credentials: 0, password: 0, refresh_token: 0, total: 0 },
    tokenStatus: {},
    apiStatus: {},
    apiRequests: 0,
    downloads: { admitted: {}, peakConcurrent: {}, refused: {} },
  };
}

export interface ActiveFault {
  script: FaultScript;
  regex: RegExp;
  seen: number;
  applied: number;
}

/** A token the emulator cannot read back from itself (opaque, or a JWT without exp). */
export interface TokenRecord {
  realm: Realm;
  exp: number;
  typ: 'Bearer' | 'Refresh';
}

export interface BatchJob {
  id: string;
  status: string;
  created: string;
  request: unknown;
}

export class EmulatorState {
  config: FullConfig = defaultConfig();
  counters: EmulatorCounters = emptyCounters();
  log: RequestLogEntry[] = [];
  faults: ActiveFault[] = [];
  /** Tokens whose expiry is not inside them (opaque tokens, JWTs issued with omitExp). */
  tokenRecords = new Map<string, TokenRecord>();
  /** Refresh tokens with a sequence number below this are revoked. */
  refreshEpoch = 0;
  refreshSeq = 0;
  usedRefresh = new Set<string>();
  batch = new Map<string, BatchJob>();
  /** Tokens issued while `recordIssuedTokens` was on (kept across reset(): they stay valid). */
  issued: IssuedTokens = { access: [], refresh: [] };
  /** Scenes published while the emulator runs (kept across reset(), like issued tokens). */
  scenes = new SceneTimeline();
  mainUrl = '';
  secondUrl = '';

  constructor(readonly keys: Keys) {}

  /** The emulator clock in seconds: real time plus the configured skew. */
  now(): number {
    return Date.now() / 1000 + this.config.clockSkewS;
  }

  originUrl(origin: 'main' | 'second'): string {
    return origin === 'main' ? this.mainUrl : this.secondUrl;
  }

  addFault(script: FaultScript): void {
    if (typeof script?.route !== 'string') throw new Error('fault script needs a "route" string');
    this.faults.push({ script, regex: new RegExp(script.route), seen: 0, applied: 0 });
  }

  pushLog(entry: RequestLogEntry): void {
    this.log.push(entry);
    const limit = this.config.logLimit ?? 20000;
    if (this.log.length > limit * 1.25) this.log = this.log.slice(this.log.length - limit);
  }

  reset(): void {
    this.counters = emptyCounters();
    this.log = [];
    this.faults = [];
  }

  revokeRefreshTokens(): void {
    this.refreshEpoch = this.refreshSeq;
  }
}
