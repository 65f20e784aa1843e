/**
 * Reading the claims of an access token. We are the client, not the resource server: the
 * signature is the API's business, so the claims are decoded without verification and only used
 * to know how long to reuse a token and which service issued it.
 */
import { decodeJwt } from 'jose';

/** The claims the token cache and error messages care about. Times are epoch milliseconds. */
export interface TokenClaims {
  /** `exp`: when the provider stops accepting the token. */
  expiresAt?: number;
  /** `iat`. */
  issuedAt?: number;
  /** `iss`: the realm URL, used to explain a 401 from the wrong service. */
  issuer?: string;
  /** `azp`: the client the token was issued to. */
  authorizedParty?: string;
  /** `sub`. */
  subject?: string;
  /** `preferred_username` (Keycloak, password grant). */
  preferredUsername?: string;
}

function seconds(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value * 1000 : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Decodes the claims of `token` without verifying it.
 *
 * @returns the claims, or `undefined` when the token is not a JWT (opaque tokens are legal OAuth
 * tokens; their lifetime then comes from `expires_in`).
 * @example
 * const claims = readTokenClaims(accessToken);
 * const expiresAt = claims?.expiresAt ?? Date.now() + expiresIn * 1000;
 */
export function readTokenClaims(token: string): TokenClaims | undefined {
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(token);
  } catch {
    return undefined;
  }
  return {
    expiresAt: seconds(payload.exp),
    issuedAt: seconds(payload.iat),
    issuer: text(payload.iss),
    authorizedParty: text(payload.azp),
    subject: text(payload.sub),
    preferredUsername: text(payload.preferred_username),
  };
}
