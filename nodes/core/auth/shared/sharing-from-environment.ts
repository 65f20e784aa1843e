/**
 * The token sharing a process gets from its environment (see sharing-config.ts): Redis when
 * configured, this process only otherwise. A configuration that cannot work is said once, here,
 * and never fails a flow.
 */
import { ProcessOnly } from './process-only';
import { defaultSharingLog } from './redis-connection';
import type { TokenSharing } from './renewal-port';
import { sharingConfig } from './sharing-config';
import { RedisTokenSharing, type RedisTokenSharingOptions } from './shared-renewal';

/**
 * The token sharing `env` asks for. ioredis is not loaded here: only at the first renewal.
 *
 * @example
 * const cache = new TokenCache({ sharing: tokenSharingFromEnvironment() });
 * cache.sharingStatus().text; // "shared via Redis at redis:6379" or "this process only"
 */
export function tokenSharingFromEnvironment(env: NodeJS.ProcessEnv = process.env, options: RedisTokenSharingOptions = {}): TokenSharing {
  const config = sharingConfig(env);
  if (config.mode === 'redis') return new RedisTokenSharing(config.redis, options);
  if (config.mode === 'invalid') {
    (options.log ?? defaultSharingLog)(`Token sharing is off: ${config.problem}`);
    return new ProcessOnly(config.problem);
  }
  return new ProcessOnly();
}
