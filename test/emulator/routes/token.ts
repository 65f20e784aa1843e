/**
 * Keycloak-style token endpoints (and the legacy Sentinel Hub `/oauth/token`), with the exact
 * error bodies Keycloak sends, plus the small realm extras clients look at (certs, discovery,
 * login page).
 */
import { randomUUID } from 'node:crypto';
import type { Ctx } from '../context';
import { sendBytes, sendJson, sleep } from '../http';
import { mintToken, verifyToken } from '../jwt';
import { PUBLIC_CLIENTS, REALMS } from '../state';
import type { Realm } from '../types';

const REALM_PATH = /^\/auth\/realms\/([^/]+)\/(protocol\/openid-connect\/(token|certs|auth)|\.well-known\/openid-configuration)$/;

/** The realm of a token endpoint path ("legacy" = /oauth/token), or undefined for any other path. */
export function tokenPathRealm(pathname: string): string | undefined {
  if (pathname === '/oauth/token') return 'legacy';
  const m = REALM_PATH.exec(pathname);
  return m && m[3] === 'token' ? m[1] : undefined;
}

export function isRealmPath(pathname: string): boolean {
  return REALM_PATH.test(pathname);
}

/** Form fields of a token request (empty when the body is not a form, as in Keycloak). */
export function parseForm(ctx: Ctx): URLSearchParams {
  const type = String(ctx.req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams();
  return new URLSearchParams(ctx.body.toString('utf8'));
}

const SECRET_FIELDS = new Set(['client_secret', 'password', 'refresh_token', 'client_assertion']);

/** Form fields for the request log, with secrets replaced. */
export function redactForm(form: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form) out[k] = SECRET_FIELDS.has(k) ? '<redacted>' : v;
  return out;
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

function kcError(ctx: Ctx, status: number, error: string, description?: string): void {
  const body: Record<string, string> = { error };
  if (description !== undefined) body.error_description = description;
  sendJson(ctx.res, status, body, NO_STORE);
}

function decodeBasicPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

/** Client id and secret from HTTP Basic (preferred, as Keycloak does) or the form. */
function clientCredentials(ctx: Ctx, form: URLSearchParams): { id?: string; secret?: string } {
  const header = ctx.req.headers.authorization;
  const m = header ? /^Basic\s+(\S+)\s*$/i.exec(header) : null;
  if (m) {
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i >= 0) return { id: decodeBasicPart(decoded.slice(0, i)), secret: decodeBasicPart(decoded.slice(i + 1)) };
  }
  return { id: form.get('client_id') ?? undefined, secret: form.get('client_secret') ?? undefined };
}

export async function handleRealm(ctx: Ctx): Promise<void> {
  const { pathname } = ctx.url;
  const realm = pathname === '/oauth/token' ? 'main' : REALM_PATH.exec(pathname)?.[1];
  if (!realm || !REALMS.includes(realm as Realm)) {
    sendJson(ctx.res, 404, { error: 'Realm does not exist' });
    return;
  }
  const base = `${ctx.originUrl}/auth/realms/${realm}`;
  if (pathname.endsWith('/certs')) return sendJson(ctx.res, 200, { keys: [ctx.state.keys.jwk] });
  if (pathname.endsWith('/openid-configuration')) {
    return sendJson(ctx.res, 200, {
      issuer: base,
      authorization_endpoint: `${base}/protocol/openid-connect/auth`,
      token_endpoint: `${base}/protocol/openid-connect/token`,
      jwks_uri: `${base}/protocol/openid-connect/certs`,
      grant_types_supported: ['client_credentials', 'password', 'refresh_token'],
    });
  }
  if (pathname.endsWith('/auth')) {
    // The browser login page a download without credentials is sent to.
    const html =
      '<!DOCTYPE html><html><head><title>Sign in to terrascope</title></head><body><form id="kc-form-login"></form></body></html>';
    return sendBytes(ctx.res, 200, Buffer.from(html), 'text/html; charset=utf-8');
  }
  return handleToken(ctx, realm as Realm);
}

async function handleToken(ctx: Ctx, realm: Realm): Promise<void> {
  const { state, res } = ctx;
  const { config } = state;
  await sleep(config.tokenDelayMs);
  if (ctx.req.method !== 'POST') {
    sendJson(res, 405, { error: 'HTTP 405 Method Not Allowed' }, { allow: 'POST' });
    return;
  }
  if (ctx.url.pathname === '/oauth/token' && config.legacyTokenRedirect) {
    const location = `${ctx.originUrl}/auth/realms/main/protocol/openid-connect/token`;
    res.writeHead(config.legacyTokenRedirect, { location, 'content-length': 0 });
    res.end();
    return;
  }
  const form = parseForm(ctx);
  const grant = form.get('grant_type');
  if (!grant) return kcError(ctx, 400, 'invalid_request', 'Missing form parameter: grant_type');

  // Client authentication comes before the grant, as in Keycloak.
  const { id: clientId, secret } = clientCredentials(ctx, form);
  if (!clientId) return kcError(ctx, 400, 'invalid_client', 'Missing client_id parameter');
  const publicRealms = PUBLIC_CLIENTS[clientId];
  const isPublic = publicRealms !== undefined;
  if (isPublic) {
    if (!publicRealms.includes(realm)) return kcError(ctx, 401, 'invalid_client', 'Invalid client or Invalid client credentials');
  } else {
    const client = config.clients.find((c) => c.clientId === clientId && (!c.realms || c.realms.includes(realm)));
    if (!client) return kcError(ctx, 401, 'invalid_client', 'Invalid client or Invalid client credentials');
    if (!secret) return kcError(ctx, 401, 'unauthorized_client', 'Client secret not provided in request');
    if (secret !== client.clientSecret) return kcError(ctx, 401, 'unauthorized_client', 'Invalid client or Invalid client credentials');
  }

  const lifetimeS = config.accessTokenLifetimeS[realm] ?? 300;
  if (grant === 'client_credentials') {
    if (isPublic) return kcError(ctx, 401, 'unauthorized_client', 'Public client not allowed to retrieve service account');
    const access = await mintToken(state, { realm, originUrl: ctx.originUrl, clientId, lifetimeS, typ: 'Bearer' });
    return sendJson(
      res,
      200,
      {
        access_token: access,
        expires_in: lifetimeS,
        refresh_expires_in: 0,
        token_type: 'Bearer',
        'not-before-policy': 0,
        scope: 'email profile',
      },
      NO_STORE,
    );
  }

  if (grant === 'password') {
    if (!isPublic) return kcError(ctx, 400, 'unauthorized_client', 'Client not allowed for direct access grants');
    const username = form.get('username');
    const password = form.get('password');
    if (!username) return kcError(ctx, 401, 'invalid_request', 'Missing parameter: username');
    const user = config.users.find((u) => u.username === username && u.password === password);
    if (!user) return kcError(ctx, 401, 'invalid_grant', 'Invalid user credentials');
    return issueUserTokens(ctx, realm, clientId, user.username, randomUUID());
  }

  if (grant === 'refresh_token') {
    const refresh = form.get('refresh_token');
    if (!refresh) return kcError(ctx, 400, 'invalid_request', 'Missing parameter: refresh_token');
    const verified = await verifyToken(state, refresh, 'Refresh');
    const revoked = !verified || (verified.seq ?? -1) < state.refreshEpoch || verified.realm !== realm;
    if (revoked) return kcError(ctx, 400, 'invalid_grant', 'Token is not active');
    if (verified.azp !== clientId)
      return kcError(ctx, 400, 'invalid_grant', "Invalid refresh token. Token client and authorized client don't match");
    if (config.revokeUsedRefreshTokens && verified.jti) {
      if (state.usedRefresh.has(verified.jti)) return kcError(ctx, 400, 'invalid_grant', 'Maximum allowed refresh token reuse exceeded');
      state.usedRefresh.add(verified.jti);
    }
    return issueUserTokens(ctx, realm, clientId, verified.username ?? 'unknown', sessionOf(refresh));
  }

  return kcError(ctx, 400, 'unsupported_grant_type', 'Unsupported grant_type');
}

function sessionOf(jwt: string): string {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as { sid?: string };
    return payload.sid ?? randomUUID();
  } catch {
    return randomUUID();
  }
}

/** Password and refresh grants: a new access token and a NEW refresh token every time (rotation). */
async function issueUserTokens(ctx: Ctx, realm: Realm, clientId: string, username: string, sessionState: string): Promise<void> {
  const { state } = ctx;
  const lifetimeS = state.config.accessTokenLifetimeS[realm] ?? 300;
  const refreshLifetimeS = state.config.refreshTokenLifetimeS;
  const common = { realm, originUrl: ctx.originUrl, clientId, username, sessionState };
  const [access, refresh] = await Promise.all([
    mintToken(state, { ...common, lifetimeS, typ: 'Bearer' }),
    mintToken(state, { ...common, lifetimeS: refreshLifetimeS, typ: 'Refresh', seq: state.refreshSeq++ }),
  ]);
  sendJson(
    ctx.res,
    200,
    {
      access_token: access,
      expires_in: lifetimeS,
      refresh_expires_in: refreshLifetimeS,
      refresh_token: refresh,
      token_type: 'Bearer',
      'not-before-policy': 0,
      session_state: sessionState,
      scope: 'profile email',
    },
    NO_STORE,
  );
}
