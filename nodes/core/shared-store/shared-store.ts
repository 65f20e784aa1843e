/**
 * Where processes share state (tokens, watch emissions): one Redis connection read from the
 * environment, or none. The process keeps one for all its concerns (the token cache, the
 * watches), so a Node-RED copy or an n8n process opens one connection to Redis, not one per use.
 */
import { defaultSharingLog, RedisConnection, type RedisConnectionOptions } from './redis-connection';
import { sharingConfig } from './sharing-config';

/** The shared store a process uses: Redis, none, or none because the configuration cannot work. */
export type SharedStore =
  | { mode: 'local' }
  /** Sharing was asked for but cannot work as configured (said once in the log); `problem` says why. */
  | { mode: 'invalid'; problem: string }
  | { mode: 'redis'; connection: RedisConnection };

/**
 * The shared store `env` asks for, with a connection of its own. ioredis is not loaded here: only
 * at the first command. A configuration that cannot work is logged once, here, and fails nothing.
 *
 * @example
 * const store = sharedStoreFromEnvironment({ EO_REDIS_URL: 'redis://cache:6379' });
 * if (store.mode === 'redis') await store.connection.run((redis) => redis.ping());
 */
export function sharedStoreFromEnvironment(env: NodeJS.ProcessEnv = process.env, options: RedisConnectionOptions = {}): SharedStore {
  const config = sharingConfig(env);
  if (config.mode === 'redis') return { mode: 'redis', connection: new RedisConnection(config.redis, options) };
  if (config.mode === 'invalid') (options.log ?? defaultSharingLog)(`Sharing across processes is off: ${config.problem}`);
  return config;
}

let processStore: SharedStore | undefined;

/**
 * The process's shared store, read from its environment on first use. Kept per copy of this
 * module, not on `globalThis` like the token cache: its connection hands out this copy's error
 * classes, which only this copy's token sharing and claims recognise. One copy is the rule; a
 * second copy of the package in one process opens a second connection, and nothing else changes.
 */
export function processSharedStore(): SharedStore {
  return (processStore ??= sharedStoreFromEnvironment());
}
