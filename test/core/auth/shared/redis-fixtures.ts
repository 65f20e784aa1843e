/**
 * What the token-sharing tests share: one real redis-server per test file (emptied after each
 * test), token caches that share through it, and the lines their sharing logged.
 */
import { RedisTokenSharing, type RedisTokenSharingOptions } from '../../../../nodes/core/auth/shared/shared-renewal';
import { sharingConfig, type RedisSettings } from '../../../../nodes/core/shared-store/sharing-config';
import { TokenCache, type TokenCacheOptions } from '../../../../nodes/core/auth/token-cache';
import { RedisServer } from '../../../support/redis-server';

/** Redis settings from a URL, as EO_REDIS_URL would give them. */
export function settingsOf(url: string): RedisSettings {
  const config = sharingConfig({ EO_REDIS_URL: url });
  if (config.mode !== 'redis') throw new Error(`not a Redis URL: ${url}`);
  return config.redis;
}

/** A token cache sharing through `url`, and the lines its sharing logged. */
export interface SharingCache {
  cache: TokenCache;
  logs: string[];
}

/**
 * One redis-server for the file (started before all tests, emptied after each), and a factory of
 * token caches sharing through it that are closed after each test.
 */
export function useRedis(use: (redis: RedisServer) => void, options: { password?: string } = {}) {
  let redis: RedisServer | undefined;
  const open: TokenCache[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start(options);
    use(redis);
  }, 30_000);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    if (redis && !redis.running) await redis.restart();
    await redis?.command('FLUSHALL');
  });
  afterAll(async () => {
    await redis?.remove();
  });
  return function sharingCache(
    url: string | undefined,
    cacheOptions: TokenCacheOptions = {},
    sharingOptions: RedisTokenSharingOptions = {},
  ): SharingCache {
    const logs: string[] = [];
    const sharing = new RedisTokenSharing(settingsOf(url ?? redis!.url), {
      now: cacheOptions.now,
      ...sharingOptions,
      log: (l) => logs.push(l),
    });
    const cache = new TokenCache({ ...cacheOptions, sharing });
    open.push(cache);
    return { cache, logs };
  };
}
