/**
 * The token sharing a process gets from its environment (see shared-store/sharing-config.ts):
 * Redis when configured, this process only otherwise. A configuration that cannot work never
 * fails a flow: the shared store says it once in the log.
 */
import { processSharedStore, sharedStoreFromEnvironment, type SharedStore } from '../../shared-store/shared-store';
import { ProcessOnly } from './process-only';
import type { TokenSharing } from './renewal-port';
import { RedisTokenSharing, type RedisTokenSharingOptions } from './shared-renewal';

function tokenSharingOver(store: SharedStore, options: RedisTokenSharingOptions): TokenSharing {
  if (store.mode === 'redis') return new RedisTokenSharing(store.connection, options);
  return new ProcessOnly(store.mode === 'invalid' ? store.problem : undefined);
}

/**
 * The token sharing `env` asks for, over a Redis connection of its own. ioredis is not loaded
 * here: only at the first renewal.
 *
 * @example
 * const cache = new TokenCache({ sharing: tokenSharingFromEnvironment() });
 * cache.sharingStatus().text; // "shared via Redis at redis:6379" or "this process only"
 */
export function tokenSharingFromEnvironment(env: NodeJS.ProcessEnv = process.env, options: RedisTokenSharingOptions = {}): TokenSharing {
  return tokenSharingOver(sharedStoreFromEnvironment(env, options), options);
}

/** The token sharing of the process-wide token cache: over the process's one shared store (which the watches use too). */
export function processTokenSharing(): TokenSharing {
  return tokenSharingOver(processSharedStore(), {});
}
