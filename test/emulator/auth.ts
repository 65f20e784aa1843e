/**
 * API-side authentication: the Bearer check of the Sentinel Hub APIs (realm must be in
 * config.apiRealms) and the Terrascope download check (Bearer or Basic user:password).
 */
import type { Ctx } from './context';
import { COMMON_UNAUTHORIZED_BODY, isObject, parseJson, sendBadPayload, sendJson, sendMethodNotAllowed } from './http';
import { verifyToken, type VerifiedToken } from './jwt';
import type { Realm } from './types';

export function bearerOf(ctx: Ctx): string | undefined {
  const header = ctx.req.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

export function basicOf(ctx: Ctx): { user: string; password: string } | undefined {
  const header = ctx.req.headers.authorization;
  const m = header ? /^Basic\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

export function sendUnauthorized(ctx: Ctx): void {
  sendJson(ctx.res, 401, COMMON_UNAUTHORIZED_BODY, { 'www-authenticate': 'Bearer' });
}

/** Verifies the Bearer token for a realm list; answers 401 itself and returns undefined on failure. */
export async function requireBearer(ctx: Ctx, realms: Realm[]): Promise<VerifiedToken | undefined> {
  const token = bearerOf(ctx);
  const verified = token ? await verifyToken(ctx.state, token, 'Bearer') : undefined;
  if (!verified || !realms.includes(verified.realm)) {
    sendUnauthorized(ctx);
    return undefined;
  }
  return verified;
}

/** Sentinel Hub API paths (process, catalog, statistics, batch). */
export function requireApiToken(ctx: Ctx): Promise<VerifiedToken | undefined> {
  return requireBearer(ctx, ctx.state.config.apiRealms);
}

/**
 * The opening every Sentinel Hub POST API shares: POST only, then a valid token. Answers the
 * failure itself and returns false.
 */
export async function acceptApiPost(ctx: Ctx): Promise<boolean> {
  if (ctx.req.method !== 'POST') {
    sendMethodNotAllowed(ctx.res, 'POST');
    return false;
  }
  return (await requireApiToken(ctx)) !== undefined;
}

/** `acceptApiPost`, then the body as a JSON object; answers 400 itself when it is not one. */
export async function acceptApiJsonPost(ctx: Ctx): Promise<Record<string, unknown> | undefined> {
  if (!(await acceptApiPost(ctx))) return undefined;
  const body = parseJson(ctx.body);
  if (isObject(body)) return body;
  sendBadPayload(ctx.res, 'Could not parse request body as JSON object');
  return undefined;
}

/**
 * Terrascope /download: Bearer or Basic. With no credentials at all the real service sends the
 * browser to its login page (302), which a client must not mistake for the file.
 */
export async function requireDownloadAuth(ctx: Ctx): Promise<boolean> {
  const header = ctx.req.headers.authorization;
  if (!header) {
    const back = encodeURIComponent(ctx.originUrl + ctx.url.pathname + ctx.url.search);
    const login =
      `${ctx.originUrl}/auth/realms/terrascope/protocol/openid-connect/auth` +
      `?client_id=terrascope-download&response_type=code&scope=openid&redirect_uri=${back}`;
    ctx.res.writeHead(302, { location: login, 'content-length': 0 });
    ctx.res.end();
    return false;
  }
  const basic = basicOf(ctx);
  if (basic) {
    const ok = ctx.state.config.users.some((u) => u.username === basic.user && u.password === basic.password);
    if (!ok) sendUnauthorized(ctx);
    return ok;
  }
  return (await requireBearer(ctx, ctx.state.config.downloadRealms ?? ['terrascope'])) !== undefined;
}
