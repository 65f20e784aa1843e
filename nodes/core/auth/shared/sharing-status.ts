/** The line both engines show where they say how tokens are kept (eo-auth Test connection, n8n credential test). */
import { sharedTokenCache } from '../token-cache';
import type { TokenSharingStatus } from './renewal-port';

/**
 * How the process-wide token cache shares tokens: "shared via Redis at host:port" (with a note
 * while Redis does not answer) or "this process only". Contains no secret.
 *
 * @example
 * `Tokens: ${tokenSharingStatus().text}`; // "Tokens: shared via Redis at 10.0.0.5:6379"
 */
export function tokenSharingStatus(): TokenSharingStatus {
  return sharedTokenCache().sharingStatus();
}
