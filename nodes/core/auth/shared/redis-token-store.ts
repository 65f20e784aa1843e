/**
 * The Redis side of token sharing: one identity's entries (see identity-slot.ts) read, written and
 * locked with single commands or small Lua scripts, so every decision that must not race ("write
 * only if newer", "release only my own lease", "forget only the token that was rejected") is
 * taken inside Redis, atomically. Values are sealed before they leave the process.
 */
import { randomBytes } from 'node:crypto';
import type { Redis as RedisClient } from 'ioredis';
import type { IdentitySlot } from './identity-slot';
import type { RedisConnection } from '../../shared-store/redis-connection';
import type { RefreshRecord, TokenRecord } from './renewal-port';

/** A refresh token whose end is unknown (offline token) is kept this long. */
const UNKNOWN_REFRESH_LIFETIME_MS = 24 * 3600_000;

/** What a failed renewal leaves for the processes that waited on it: the error, rebuilt there. */
export interface SharedFailure {
  /** The lease owner whose renewal failed: only its waiters take this over. */
  owner: string;
  code: string;
  message: string;
  hint?: string;
  field?: string;
  status?: number;
  retryAfterMs?: number;
  providerCode?: string;
  providerMessage?: string;
  url?: string;
}

/** One identity's shared state at one moment. */
export interface SharedSnapshot {
  access?: TokenRecord;
  refresh?: RefreshRecord;
  /** How often the refresh chain was written: a writer that read generation g writes only while it is still g. */
  refreshGeneration: number;
  /** The owner of the lease, when someone renews right now. */
  leaseOwner?: string;
  /** Milliseconds of 429 cool-down left (0 when none). */
  coolDownMs: number;
  failure?: SharedFailure;
}

const READ = `
local a = redis.call('HGET', KEYS[1], 'box')
local r = redis.call('HMGET', KEYS[2], 'gen', 'box')
local lease = redis.call('GET', KEYS[3])
local cool = redis.call('PTTL', KEYS[4])
local fail = redis.call('GET', KEYS[5])
return {a, r[1], r[2], lease, cool, fail}`;

/** The access token only when it expires later than the one there; the refresh token only when nobody rotated it meanwhile. */
const PUBLISH = `
local wrote = 0
if ARGV[1] ~= '' then
  local current = tonumber(redis.call('HGET', KEYS[1], 'exp') or '0')
  if tonumber(ARGV[1]) > current then
    redis.call('DEL', KEYS[1])
    redis.call('HSET', KEYS[1], 'exp', ARGV[1], 'fp', ARGV[2], 'box', ARGV[3])
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    wrote = 1
  end
end
if ARGV[5] ~= '' then
  local gen = tonumber(redis.call('HGET', KEYS[2], 'gen') or '0')
  if gen == tonumber(ARGV[6]) then
    redis.call('HSET', KEYS[2], 'gen', gen + 1, 'box', ARGV[5])
    redis.call('PEXPIRE', KEYS[2], ARGV[7])
    wrote = wrote + 2
  end
end
return wrote`;

/** Forgets the access token only if it is still the one that was rejected. */
const REJECT = `
if redis.call('HGET', KEYS[1], 'fp') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** A cool-down only ever grows. */
const COOL_DOWN = `
if tonumber(ARGV[1]) > redis.call('PTTL', KEYS[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) return 1 end
return 0`;

const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type Reply = string | number | null;

/** The commands token sharing sends, for one Redis connection. */
export class RedisTokenStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly now: () => number = Date.now,
  ) {}

  private eval(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.redis.run((client: RedisClient) => client.eval(script, keys.length, ...keys, ...args));
  }

  /** Everything about one identity, in one round trip. */
  async read(slot: IdentitySlot): Promise<SharedSnapshot> {
    const k = slot.keys;
    const [access, gen, refresh, lease, cool, failure] = (await this.eval(
      READ,
      [k.access, k.refresh, k.lease, k.coolDown, k.failure],
      [],
    )) as Reply[];
    return {
      access: slot.open<TokenRecord>(k.access, access as string | null),
      refresh: slot.open<RefreshRecord>(k.refresh, refresh as string | null),
      refreshGeneration: Number(gen ?? 0) || 0,
      leaseOwner: typeof lease === 'string' ? lease : undefined,
      coolDownMs: typeof cool === 'number' && cool > 0 ? cool : 0,
      failure: slot.open<SharedFailure>(k.failure, failure as string | null),
    };
  }

  /** Takes the lease for `ttlMs` if nobody holds it; returns the owner id, or `undefined` when taken. */
  async acquire(slot: IdentitySlot, ttlMs: number): Promise<string | undefined> {
    const owner = randomBytes(16).toString('base64url');
    const ok = await this.redis.run((client: RedisClient) => client.set(slot.keys.lease, owner, 'PX', Math.ceil(ttlMs), 'NX'));
    return ok === 'OK' ? owner : undefined;
  }

  /** Extends a lease still held by `owner`; false when it was lost. */
  async extend(slot: IdentitySlot, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.eval(EXTEND, [slot.keys.lease], [owner, Math.ceil(ttlMs)])) === 1;
  }

  async release(slot: IdentitySlot, owner: string): Promise<void> {
    await this.eval(RELEASE, [slot.keys.lease], [owner]);
  }

  /**
   * Offers a renewal's outcome to the other processes: the access token if it outlives the one
   * there, the refresh token if the chain is still at `generation`. Returns what was written.
   */
  async publish(
    slot: IdentitySlot,
    token: TokenRecord,
    refresh: RefreshRecord | undefined,
    generation: number,
  ): Promise<{ access: boolean; refresh: boolean }> {
    const k = slot.keys;
    const now = this.now();
    const accessTtl = Math.floor(token.expiresAt - now);
    const accessArgs =
      accessTtl > 0 ? [String(token.expiresAt), slot.fingerprint(token.value), slot.seal(k.access, token), accessTtl] : ['', '', '', 0];
    const refreshTtl = refresh ? Math.floor((refresh.expiresAt ?? now + UNKNOWN_REFRESH_LIFETIME_MS) - now) : 0;
    const refreshArgs = refresh && refreshTtl > 0 ? [slot.seal(k.refresh, refresh), generation, refreshTtl] : ['', 0, 0];
    const wrote = Number(await this.eval(PUBLISH, [k.access, k.refresh], [...accessArgs, ...refreshArgs]));
    return { access: (wrote & 1) === 1, refresh: (wrote & 2) === 2 };
  }

  /** Forgets the shared access token if it is `tokenValue` (a newer one stays). */
  async reject(slot: IdentitySlot, tokenValue: string): Promise<void> {
    await this.eval(REJECT, [slot.keys.access], [slot.fingerprint(tokenValue)]);
  }

  /** Starts (or lengthens) the shared 429 cool-down. */
  async coolDown(slot: IdentitySlot, ms: number): Promise<void> {
    if (ms > 0) await this.eval(COOL_DOWN, [slot.keys.coolDown], [Math.ceil(ms)]);
  }

  /** Leaves a failed renewal's error for its waiters, for `ttlMs`. */
  async fail(slot: IdentitySlot, failure: SharedFailure, ttlMs: number): Promise<void> {
    await this.redis.run((client: RedisClient) =>
      client.set(slot.keys.failure, slot.seal(slot.keys.failure, failure), 'PX', Math.ceil(ttlMs)),
    );
  }
}
