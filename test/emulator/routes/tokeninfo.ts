/**
 * Sentinel Hub's token info endpoint (`/oauth/tokeninfo`, listed beside the token endpoint in the
 * authentication documentation, whose example GETs it with the session's Bearer token). It answers
 * as OAuth 2.0 token introspection (RFC 7662) does: `active: true` with the token's claims, or just
 * `active: false` for a token that is expired, forged or not one this host accepts. The token
 * comes as `Authorization: Bearer …`, or in a POST form as `token=…` (the RFC's request).
 */
import { decodeJwt } from 'jose';
import { bearerOf } from '../auth';
import type { Ctx } from '../context';
import { sendJson } from '../http';
import { verifyToken } from '../jwt';
import { parseForm } from './token';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** Claims of a JWT the emulator signed (already verified), or none for an opaque token. */
function claimsOf(token: string): Record<string, unknown> {
  if (token.split('.').length !== 3) return {};
  try {
    return decodeJwt(token);
  } catch {
    return {};
  }
}

export async function handleTokenInfo(ctx: Ctx): Promise<void> {
  const method = ctx.req.method;
  if (method !== 'GET' && method !== 'POST') {
    return sendJson(ctx.res, 405, { error: 'HTTP 405 Method Not Allowed' }, { allow: 'GET, POST' });
  }
  const token = bearerOf(ctx) ?? (method === 'POST' ? (parseForm(ctx).get('token') ?? undefined) : undefined);
  if (!token) {
    return sendJson(
      ctx.res,
      401,
      {
        error: 'invalid_request',
        error_description: 'No token: send it as "Authorization: Bearer <token>" (or POST the form field token)',
      },
      { ...NO_STORE, 'www-authenticate': 'Bearer' },
    );
  }
  const verified = await verifyToken(ctx.state, token, 'Bearer');
  if (!verified || !ctx.state.config.apiRealms.includes(verified.realm)) {
    return sendJson(ctx.res, 200, { active: false }, NO_STORE);
  }
  const claims = claimsOf(token);
  const info: Record<string, unknown> = {
    active: true,
    token_type: 'Bearer',
    exp: verified.exp,
    iat: claims.iat,
    iss: claims.iss,
    sub: claims.sub,
    jti: claims.jti,
    azp: verified.azp,
    client_id: verified.azp,
    username: verified.username,
  };
  // Fields a token does not have are left out, not sent as null.
  for (const key of Object.keys(info)) if (info[key] === undefined) delete info[key];
  return sendJson(ctx.res, 200, info, NO_STORE);
}
