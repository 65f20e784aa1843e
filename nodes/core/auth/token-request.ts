/**
 * Token requests: client credentials (Sentinel Hub, CDSE), password and refresh token
 * (Terrascope, CDSE downloads). One function, `requestToken`, that either returns a usable
 * token or throws an `EoError` saying whose fault it was. Caching is `token-cache.ts`'s job.
 */
import { request, type Dispatcher } from 'undici';
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter, sleep, type BackoffPolicy } from '../http/backoff';
import { EoError, isEoError, safeUrl } from '../errors';
import { defaultDispatcher } from '../http/dispatcher';
import { readCapped } from '../http/response-body';
import { firstValue, headerValue } from '../http/response-headers';
import { readTokenClaims } from './jwt-claims';
import type { Connection } from '../config/connection';
import { readJsonObject } from '../config/json-object';
import { endpointFailed, endpointUnreachable, notATokenEndpoint, oauthRejection, parseOAuthError, tokenRateLimited } from './token-errors';

/** The grant to use for one token request. */
export type TokenGrant = { type: 'client_credentials' } | { type: 'password' } | { type: 'refresh_token'; refreshToken: string };

/** How one token request is sent. */
export interface TokenRequestOptions {
  /** Defaults to the core's shared dispatcher (which honours HTTPS_PROXY / NO_PROXY). */
  dispatcher?: Dispatcher;
  /** Aborts the request and the waits between retries; the signal's reason is thrown as is. */
  signal?: AbortSignal;
  /** Per attempt. Default 30 s. */
  timeoutMs?: number;
  /** Retries after a 5xx, a network error or a timeout. Default 3. 4xx answers are never retried. */
  retries?: number;
  /** Delays between those retries. Default `DEFAULT_BACKOFF`. */
  backoff?: BackoffPolicy;
  /** Clock for expiry times. Default `Date.now`. */
  now?: () => number;
  /** Called before every HTTP request sent (retries and redirects included), for request counters. */
  onAttempt?: () => void;
}

/** A successful token response. Only `accessToken` and `refreshToken` are secret. */
export interface TokenResponse {
  /** Never log it, never put it in a message. */
  accessToken: string;
  /** Epoch ms: the earlier of JWT `exp` and `expires_in`; a conservative default when neither is given. */
  expiresAt: number;
  /** When the request was sent (epoch ms): lifetimes are counted from here, the safe side. */
  requestedAt: number;
  /** Never log it, never put it in a message. */
  refreshToken?: string;
  /** Epoch ms, from `refresh_expires_in` or the refresh token's own `exp`; unknown when neither is given. */
  refreshExpiresAt?: number;
  tokenType?: string;
  scope?: string;
  /** JWT `iss`. */
  issuer?: string;
  /** JWT `sub`. */
  subject?: string;
  /** JWT `azp`. */
  authorizedParty?: string;
  /** JWT `preferred_username`. */
  preferredUsername?: string;
  /** The other response fields (expires_in, session_state, not-before-policy...), tokens removed. */
  fields: Record<string, unknown>;
}

/** Per attempt: long enough for a slow identity server, short enough that a flow does not stall. */
export const DEFAULT_TOKEN_TIMEOUT_MS = 30_000;
/** Retries after 5xx, network errors and timeouts; with the default backoff about 3 s in total. */
export const DEFAULT_TOKEN_RETRIES = 3;
/** Lifetime assumed when a token carries no `exp` and the response no `expires_in`: short, so a wrong guess costs little. */
export const DEFAULT_TOKEN_LIFETIME_MS = 300_000;

const MAX_REDIRECTS = 3;
/** Token responses are small; a large body is not a token response and is not worth reading whole. */
const MAX_BODY_BYTES = 256 * 1024;
const SECRET_FIELDS = new Set(['access_token', 'refresh_token', 'id_token']);

/**
 * Requests a token from `connection.tokenUrl`.
 *
 * Retries 5xx answers, network errors and timeouts (`retries`, with backoff); never retries a 4xx.
 * Follows 307/308 redirects only within the token URL's origin, so secrets never leave it.
 *
 * @throws EoError `EO_AUTH_INVALID_CLIENT` (field `clientId`/`clientSecret`), `EO_AUTH_INVALID_GRANT`
 * (field `password`; no field for a refresh token), `EO_AUTH_REJECTED`, `EO_RATE_LIMITED`
 * (`retryAfterMs`), `EO_TOKEN_ENDPOINT_UNAVAILABLE`, `EO_NOT_A_TOKEN_ENDPOINT` (field `tokenUrl`),
 * `EO_ORIGIN_NOT_ALLOWED`, `EO_TOO_MANY_REDIRECTS`; or `signal.reason` when aborted.
 * @example
 * const token = await requestToken(resolveConnection(settings), { type: 'client_credentials' });
 * fetchSomething({ headers: { authorization: `Bearer ${token.accessToken}` } });
 */
export async function requestToken(connection: Connection, grant: TokenGrant, options: TokenRequestOptions = {}): Promise<TokenResponse> {
  const retries = options.retries ?? DEFAULT_TOKEN_RETRIES;
  for (let attempt = 0; ; attempt++) {
    try {
      return await requestTokenOnce(connection, grant, options);
    } catch (err) {
      const retryable = isEoError(err, 'EO_TOKEN_ENDPOINT_UNAVAILABLE') && !options.signal?.aborted;
      if (!retryable || attempt >= retries) throw err;
      await sleep(backoffDelay(attempt + 1, options.backoff ?? DEFAULT_BACKOFF), options.signal);
    }
  }
}

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 §2.3.1 uses it for Basic too). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function buildRequest(connection: Connection, grant: TokenGrant): { body: string; headers: Record<string, string> } {
  const form = new URLSearchParams({ grant_type: grant.type, client_id: connection.clientId });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (grant.type === 'password') {
    form.set('username', connection.username ?? '');
    form.set('password', connection.password ?? '');
  } else if (grant.type === 'refresh_token') {
    form.set('refresh_token', grant.refreshToken);
  }
  if (connection.clientSecret) {
    if (connection.clientAuth === 'basic') {
      const pair = `${formEncode(connection.clientId)}:${formEncode(connection.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_secret', connection.clientSecret);
    }
  }
  return { body: form.toString(), headers };
}

async function requestTokenOnce(connection: Connection, grant: TokenGrant, options: TokenRequestOptions): Promise<TokenResponse> {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const { body, headers } = buildRequest(connection, grant);
  const origin = new URL(connection.tokenUrl).origin;
  let url = connection.tokenUrl;
  const requestedAt = now();

  try {
    for (let hop = 0; ; hop++) {
      options.onAttempt?.();
      const res = await request(url, { method: 'POST', headers, body, signal, dispatcher: options.dispatcher ?? defaultDispatcher() });
      if (res.statusCode === 307 || res.statusCode === 308) {
        await res.body.dump();
        url = followRedirect(connection, url, origin, firstValue(res.headers.location), res.statusCode, hop);
        continue;
      }
      return await readTokenResponse(connection, grant, url, res, requestedAt, now);
    }
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (isEoError(err)) throw err;
    throw endpointUnreachable(connection, url, err, timeout.aborted ? timeoutMs : undefined);
  }
}

/** The legacy Sentinel Hub /oauth/token may redirect; the form carries secrets, so only within its origin. */
function followRedirect(
  connection: Connection,
  from: string,
  origin: string,
  location: string | undefined,
  status: number,
  hop: number,
): string {
  if (!location) throw notATokenEndpoint(connection, `redirect ${status} without Location`, status, from);
  const target = new URL(location, from);
  if (target.origin !== origin) {
    throw new EoError(
      'EO_ORIGIN_NOT_ALLOWED',
      `${connection.providerLabel}: the token endpoint redirected to another origin (${safeUrl(target)}); the request was not sent there.`,
      { status, field: 'tokenUrl', url: safeUrl(from), hint: 'If you trust that address, set Token URL to it.' },
    );
  }
  if (hop + 1 > MAX_REDIRECTS) {
    throw new EoError(
      'EO_TOO_MANY_REDIRECTS',
      `${connection.providerLabel}: the token endpoint redirected more than ${MAX_REDIRECTS} times.`,
      {
        status,
        field: 'tokenUrl',
        url: safeUrl(from),
        hint: 'Set Token URL to the final address.',
      },
    );
  }
  return target.href;
}

function describeBody(text: string, contentType: string | undefined): string {
  if (/html/i.test(contentType ?? '') || /^\s*</.test(text)) return 'HTML';
  if (text.trim().length === 0) return 'empty body';
  return 'not JSON';
}

async function readTokenResponse(
  connection: Connection,
  grant: TokenGrant,
  url: string,
  res: Dispatcher.ResponseData,
  requestedAt: number,
  now: () => number,
): Promise<TokenResponse> {
  const status = res.statusCode;
  // Status first: a failing server must never be reported as a configuration problem.
  if (status === 429) {
    await res.body.dump();
    throw tokenRateLimited(connection, url, parseRetryAfter(res.headers['retry-after'], connection.retryAfterUnit, now()));
  }
  if (status >= 500 || status === 408) {
    await res.body.dump();
    throw endpointFailed(connection, status, url);
  }
  const contentType = headerValue(res.headers, 'content-type');
  const read = await readCapped(res.body, MAX_BODY_BYTES);
  if (read.broken) throw read.broken.error;
  const { truncated } = read;
  const text = read.bytes.toString('utf8');

  if (status >= 300 && status < 400) {
    const location = firstValue(res.headers.location);
    const where = location ? ` to ${safeUrl(new URL(location, url))}` : '';
    throw notATokenEndpoint(connection, `redirect ${status}${where}`, status, url);
  }
  if (status >= 400) {
    const oauth = truncated ? undefined : parseOAuthError(text, secretsOf(connection, grant));
    // A token endpoint exists and takes POST: 404/405 mean a wrong URL even with an OAuth-style
    // body (Keycloak answers a mistyped realm with 404 {"error":"Realm does not exist"}).
    if (oauth && (status === 404 || status === 405)) {
      throw notATokenEndpoint(connection, `status ${status}: ${oauth.description ?? oauth.error}`, status, url);
    }
    if (oauth) throw oauthRejection(connection, grant.type, status, oauth, url);
    // RFC 6749 §5.2 lets a token endpoint refuse client authentication with a bare 401 and a
    // WWW-Authenticate challenge: that is a credentials answer, not a wrong URL.
    if (status === 401 && res.headers['www-authenticate'] !== undefined) {
      const error = grant.type === 'client_credentials' ? 'unauthorized_client' : 'invalid_grant';
      throw oauthRejection(connection, grant.type, status, { error, description: 'HTTP 401 with an authentication challenge' }, url);
    }
    throw notATokenEndpoint(connection, `${describeBody(text, contentType)}, status ${status}`, status, url);
  }
  if (status < 200 || truncated) throw notATokenEndpoint(connection, `status ${status}`, status, url);

  const body = readJsonObject(text);
  if (!body.ok && body.problem === 'not-json') {
    throw notATokenEndpoint(connection, `${describeBody(text, contentType)}, status ${status}`, status, url);
  }
  // JSON that is no object (an array, a string) has no access_token either.
  const fields = body.ok ? body.value : {};
  if (typeof fields.access_token !== 'string' || fields.access_token.length === 0) {
    throw notATokenEndpoint(connection, `JSON without access_token, status ${status}`, status, url);
  }
  return toTokenResponse(fields, fields.access_token, requestedAt);
}

function secretsOf(connection: Connection, grant: TokenGrant): (string | undefined)[] {
  return [connection.clientSecret, connection.password, grant.type === 'refresh_token' ? grant.refreshToken : undefined];
}

function positiveSeconds(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

function toTokenResponse(fields: Record<string, unknown>, accessToken: string, requestedAt: number): TokenResponse {
  const claims = readTokenClaims(accessToken);
  const expiresIn = positiveSeconds(fields.expires_in);
  const fromExpiresIn = expiresIn === undefined ? undefined : requestedAt + expiresIn * 1000;
  // `exp` is the documented source; `expires_in` is counted on our own clock, so taking the earlier
  // of the two keeps a token from being used past its end when the server's clock runs ahead.
  const candidates = [claims?.expiresAt, fromExpiresIn].filter((t): t is number => t !== undefined);
  const expiresAt = candidates.length > 0 ? Math.min(...candidates) : requestedAt + DEFAULT_TOKEN_LIFETIME_MS;

  const refreshToken = typeof fields.refresh_token === 'string' && fields.refresh_token.length > 0 ? fields.refresh_token : undefined;
  let refreshExpiresAt: number | undefined;
  if (refreshToken) {
    // Keycloak sends refresh_expires_in 0 for refresh tokens without an end (offline tokens).
    const refreshExpiresIn = positiveSeconds(fields.refresh_expires_in);
    refreshExpiresAt = refreshExpiresIn !== undefined ? requestedAt + refreshExpiresIn * 1000 : readTokenClaims(refreshToken)?.expiresAt;
  }

  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (!SECRET_FIELDS.has(key)) rest[key] = value;

  return {
    accessToken,
    expiresAt,
    requestedAt,
    refreshToken,
    refreshExpiresAt,
    tokenType: typeof fields.token_type === 'string' ? fields.token_type : undefined,
    scope: typeof fields.scope === 'string' ? fields.scope : undefined,
    issuer: claims?.issuer,
    subject: claims?.subject,
    authorizedParty: claims?.authorizedParty,
    preferredUsername: claims?.preferredUsername,
    fields: rest,
  };
}
