/**
 * Emission claims in Redis, for the copies of a flow that share one (`EO_REDIS_URL`, or n8n's
 * queue-mode Redis). Every decision is one small Lua script, so two copies polling at the same
 * moment cannot both win a scene version: Redis runs one script at a time.
 *
 * What Redis holds, per watch and scene: the `updated` time last claimed (epoch ms; '' for a
 * scene without one), nothing else. The key names are digests of the watch key (itself a digest
 * of the watched settings and the node) and the scene id: a Redis dump tells neither the area nor
 * the scenes watched. Entries expire when their scene has left the look-back window, plus a margin.
 *
 * Redis down, slow or refusing: `claim` rejects within the connection's short bound (at once while
 * an outage is under way), the poll emits on its own cursor's word, and the connection says so once
 * per outage.
 */
import { createHash } from 'node:crypto';
import type { Redis as RedisClient } from 'ioredis';
import { SharedStoreUnavailable, type RedisConnection, type SharedStoreUse } from '../../shared-store/redis-connection';
import type { ClaimedVersion, EmissionClaims, SceneVersion } from './emission-claims';

/** Bumped when the layout changes: old entries are then simply not found (and expire). */
const LAYOUT = 'eo-nodes:v1:watch';
/**
 * Kept this long after the scene left the window: covers copies whose clocks disagree and a poll
 * that started just before the scene left it. Claims are a few dozen bytes each.
 */
export const CLAIM_MARGIN_MS = 3_600_000;
/**
 * Scenes per script: Redis runs one script at a time and serves nobody else meanwhile, so a first
 * poll that emits thousands of scenes claims them in slices. Each scene's claim is atomic alone.
 */
const SCENES_PER_SCRIPT = 500;

/**
 * KEYS: one per scene. ARGV[1]: TTL in ms; ARGV[1 + i]: the version of KEYS[i]. A version wins when
 * nothing is held, or an older version ('' is older than any time, and never newer than anything).
 * Replies per scene: '-' lost, '+' won, '>' .. held: won over the version held.
 */
const CLAIM = `
local ttl = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local version = ARGV[i + 1]
  local held = redis.call('GET', key)
  if not held then
    redis.call('SET', key, version, 'PX', ttl)
    out[i] = '+'
  elseif version ~= '' and (held == '' or tonumber(version) > tonumber(held)) then
    redis.call('SET', key, version, 'PX', math.max(ttl, redis.call('PTTL', key)))
    out[i] = '>' .. held
  else
    out[i] = '-'
  end
end
return out`;

/**
 * KEYS: one per scene. ARGV[2i - 1]: the version claimed; ARGV[2i]: the version to put back, or
 * '-' for none. Only a claim still at the version claimed is given back: a newer one stays.
 */
const RELEASE = `
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[2 * i - 1] then
    if ARGV[2 * i] == '-' then
      redis.call('DEL', key)
    else
      redis.call('SET', key, ARGV[2 * i], 'PX', math.max(1, redis.call('PTTL', key)))
    end
  end
end
return 0`;

/** What the watches say when Redis stops answering, and when it is back. */
const WATCH_SHARING: SharedStoreUse = {
  name: 'Watch sharing',
  meanwhile: 'Each watch emits the scenes its own cursor has not seen until it answers again, so copies of a flow may emit the same scene.',
  resumed: 'each scene is emitted once across processes again.',
};

function digest(...parts: string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 22);
}

/** An `updated` time as Redis keeps it: epoch ms, '' for none. */
function stored(updated: string): string {
  return updated === '' ? '' : String(Date.parse(updated));
}

/** A version as Redis kept it, back to an `updated` time. */
function updatedOf(kept: string): string {
  return kept === '' ? '' : new Date(Number(kept)).toISOString();
}

function slices<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += SCENES_PER_SCRIPT) out.push(list.slice(i, i + SCENES_PER_SCRIPT));
  return out;
}

/**
 * Claims shared by every process on one Redis connection.
 *
 * @example
 * const claims = new RedisEmissionClaims(connection);
 * const won = await claims.claim(watchKey(settings, node.id), [{ id, updated }], keepUntil);
 */
export class RedisEmissionClaims implements EmissionClaims {
  /**
   * Releases that Redis did not take (it failed while a stopped poll gave its claims back), per
   * watch: retried before that watch's next claim, which in Node-RED is the redeployed node's
   * first poll. Without this the scenes would stay claimed and nobody would emit them.
   */
  private readonly unreleased = new Map<string, ClaimedVersion[]>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly now: () => number = Date.now,
  ) {
    redis.use(WATCH_SHARING);
  }

  /** The Redis key of one scene of one watch. The `{…}` hash tag keeps a watch's keys in one cluster slot. */
  static keyOf(watch: string, id: string): string {
    return `${LAYOUT}:{${digest(watch)}}:${digest(watch, id)}`;
  }

  async claim(watch: string, versions: readonly SceneVersion[], keepUntil: number): Promise<ClaimedVersion[]> {
    this.check();
    const unreleased = this.unreleased.get(watch);
    if (unreleased) {
      this.unreleased.delete(watch);
      // Failing again, the release keeps them for the next claim, and this claim fails like any other.
      await this.release(watch, unreleased);
    }
    const ttl = Math.max(0, Math.ceil(keepUntil - this.now())) + CLAIM_MARGIN_MS;
    const won: ClaimedVersion[] = [];
    try {
      for (const slice of slices(versions)) {
        const keys = slice.map((v) => RedisEmissionClaims.keyOf(watch, v.id));
        const replies = (await this.eval(CLAIM, keys, [ttl, ...slice.map((v) => stored(v.updated))])) as string[];
        slice.forEach((v, i) => {
          const reply = String(replies[i]);
          if (reply === '+') won.push({ ...v });
          else if (reply.startsWith('>')) won.push({ ...v, replaced: updatedOf(reply.slice(1)) });
        });
      }
    } catch (err) {
      // A later slice failed: the poll emits on its own cursor's word, so the scenes of the slices
      // already won go back (or, Redis failing for that too, before this watch's next claim).
      if (won.length > 0) await this.release(watch, won).catch(() => undefined);
      throw err;
    }
    return won;
  }

  async release(watch: string, claimed: readonly ClaimedVersion[]): Promise<void> {
    try {
      this.check();
      for (const slice of slices(claimed)) {
        const keys = slice.map((c) => RedisEmissionClaims.keyOf(watch, c.id));
        const args = slice.flatMap((c) => [stored(c.updated), c.replaced === undefined ? '-' : stored(c.replaced)]);
        await this.eval(RELEASE, keys, args);
      }
    } catch (err) {
      // Giving back twice is harmless: only a claim still at the version claimed goes back.
      this.unreleased.set(watch, [...(this.unreleased.get(watch) ?? []), ...claimed]);
      throw err;
    }
  }

  /** During an outage, fails at once instead of waiting for Redis: the poll goes on with its cursor. */
  private check(): void {
    if (!this.redis.worthTrying()) throw new SharedStoreUnavailable(this.redis.outage() ?? 'is not available');
  }

  private eval(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.redis.run((client: RedisClient) => client.eval(script, keys.length, ...keys, ...args));
  }
}
