/** The emission claims every watch of a process uses by default. */
import { processSharedStore } from '../../shared-store/shared-store';
import { InProcessEmissionClaims, type EmissionClaims } from './emission-claims';
import { RedisEmissionClaims } from './redis-emission-claims';

const SHARED_CLAIMS_KEY = Symbol.for('eo-nodes.emission-claims.v1');

/**
 * The claims of this process: in Redis when the process shares through one (`EO_REDIS_URL`, or
 * n8n's queue-mode Redis; the same connection as the token cache), in this process's memory
 * otherwise. Kept on `globalThis`, shared by every copy of this module (the same reason as for
 * the token cache: Node-RED and n8n may load the package twice).
 *
 * @example
 * await pollScenes({ ...request, settings, key, cursor }); // uses sharedEmissionClaims()
 */
export function sharedEmissionClaims(): EmissionClaims {
  const holder = globalThis as typeof globalThis & { [SHARED_CLAIMS_KEY]?: EmissionClaims };
  return (holder[SHARED_CLAIMS_KEY] ??= claimsOf());
}

function claimsOf(): EmissionClaims {
  const store = processSharedStore();
  return store.mode === 'redis' ? new RedisEmissionClaims(store.connection) : new InProcessEmissionClaims();
}
