/**
 * Where the access token may go, and how a redirect changes a request. Kept apart from the
 * request loop so eo-request.ts and download.ts apply one policy, and so it can be tested without
 * a server (the emulator speaks plain http, so https→http is only reachable here).
 */
import { EoError, safeUrl } from '../errors';
import type { Connection } from '../config/connection';
import { firstValue } from './response-headers';

/** True when `url`'s origin may receive the connection's bearer token. */
export function isAllowedOrigin(connection: Pick<Connection, 'allowedOrigins'>, url: URL | string): boolean {
  const origin = (typeof url === 'string' ? new URL(url) : url).origin;
  return connection.allowedOrigins.includes(origin);
}

/** URLs already resolved for a connection: a flow sends the same few paths with every message. */
interface ResolvedUrls {
  baseUrl: string;
  allowedOrigins: readonly string[];
  baseOrigin: string;
  hrefs: Map<string, string>;
}

/** Resolved URLs remembered per connection at most (messages may carry URLs of their own). */
const RESOLVED_LIMIT = 256;
const resolvedByConnection = new WeakMap<object, ResolvedUrls>();

function resolvedUrls(connection: Pick<Connection, 'baseUrl' | 'allowedOrigins'>): ResolvedUrls {
  let known = resolvedByConnection.get(connection);
  // A connection is built once; should its fields ever change, what was checked against them is dropped.
  if (!known || known.baseUrl !== connection.baseUrl || known.allowedOrigins !== connection.allowedOrigins) {
    known = {
      baseUrl: connection.baseUrl,
      allowedOrigins: connection.allowedOrigins,
      baseOrigin: new URL(connection.baseUrl).origin,
      hrefs: new Map(),
    };
    resolvedByConnection.set(connection, known);
  }
  return known;
}

/** The origin of the connection's base URL. */
export function baseOrigin(connection: Pick<Connection, 'baseUrl' | 'allowedOrigins'>): string {
  return resolvedUrls(connection).baseOrigin;
}

/**
 * Turns the URL a user typed into the URL to call. Relative URLs resolve against the base URL
 * (keeping its path prefix); absolute URLs must be on an allowed origin, because the first
 * request carries the token and a typo must not send it to a stranger.
 *
 * @throws EoError `EO_ORIGIN_NOT_ALLOWED` (field `url`) or `EO_INVALID_CONFIG` (field `url`).
 */
export function resolveRequestUrl(connection: Pick<Connection, 'baseUrl' | 'allowedOrigins'>, url: string): URL {
  const known = resolvedUrls(connection);
  const href = known.hrefs.get(url);
  // A fresh URL object each time: callers own what they get. Only URLs that passed are remembered.
  if (href !== undefined) return new URL(href);
  const resolved = checkRequestUrl(connection, url);
  if (known.hrefs.size >= RESOLVED_LIMIT) known.hrefs.clear();
  known.hrefs.set(url, resolved.href);
  return resolved;
}

function checkRequestUrl(connection: Pick<Connection, 'baseUrl' | 'allowedOrigins'>, url: string): URL {
  const text = url.trim();
  if (!text) throw new EoError('EO_INVALID_CONFIG', 'The request URL is empty: give a path such as /api/v1/process.', { field: 'url' });
  let resolved: URL;
  try {
    if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
      resolved = new URL(text);
    } else {
      // A trailing slash on the base keeps its path prefix for both "/x" and "x" forms.
      const base = new URL(connection.baseUrl.replace(/\/*$/, '/'));
      resolved = new URL(text.replace(/^\/+/, ''), base);
    }
  } catch {
    throw new EoError(
      'EO_INVALID_CONFIG',
      `The request URL "${safeUrl(text)}" is not valid: use a path like /api/v1/process or a full https:// URL.`,
      {
        field: 'url',
      },
    );
  }
  if (resolved.protocol !== 'https:' && resolved.protocol !== 'http:') {
    throw new EoError('EO_INVALID_CONFIG', `The request URL must use https:// (got ${resolved.protocol}).`, { field: 'url' });
  }
  if (resolved.username || resolved.password) {
    throw new EoError('EO_INVALID_CONFIG', 'The request URL must not contain a user name or password: put credentials in the connection.', {
      field: 'url',
    });
  }
  if (!isAllowedOrigin(connection, resolved)) {
    throw new EoError(
      'EO_ORIGIN_NOT_ALLOWED',
      `${resolved.origin} is not one of the origins allowed to receive this connection's access token (${connection.allowedOrigins.join(', ')}). ` +
        'Use a relative path, or add the origin to "Extra allowed origins" in the connection if you trust it.',
      { field: 'url', url: safeUrl(resolved) },
    );
  }
  return resolved;
}

/** Statuses that are followed as redirects; 300 and 304 are answers, not redirects. */
export function isRedirectStatus(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** The request that follows a redirect. */
export interface RedirectStep {
  url: URL;
  method: string;
  /** The body is not sent again (fetch semantics: 303, and 301/302 after POST, become GET). */
  dropBody: boolean;
  /** The origin changed: the Authorization header (and cookies) must not follow. */
  crossOrigin: boolean;
}

/**
 * The request that follows a redirect, or `undefined` when the response carries no Location
 * (then it is returned as an answer).
 *
 * @throws EoError `EO_INSECURE_REDIRECT` for https→http or a non-http(s) target.
 */
export function redirectStep(from: URL, status: number, location: string | string[] | undefined, method: string): RedirectStep | undefined {
  const loc = firstValue(location);
  if (!loc) return undefined;
  let to: URL;
  try {
    to = new URL(loc, from);
  } catch {
    throw new EoError('EO_INSECURE_REDIRECT', `${safeUrl(from)} redirected (${status}) to an invalid URL; the redirect was not followed.`, {
      status,
      url: safeUrl(from),
    });
  }
  if (to.protocol !== 'https:' && to.protocol !== 'http:') {
    throw new EoError(
      'EO_INSECURE_REDIRECT',
      `${safeUrl(from)} redirected (${status}) to a ${to.protocol} URL; only http(s) redirects are followed.`,
      {
        status,
        url: safeUrl(from),
      },
    );
  }
  if (from.protocol === 'https:' && to.protocol === 'http:') {
    throw new EoError(
      'EO_INSECURE_REDIRECT',
      `${safeUrl(from)} redirected (${status}) from https to plain http (${safeUrl(to)}); the redirect was refused so nothing travels unencrypted.`,
      { status, url: safeUrl(from), hint: 'Ask the provider for an https URL, or call the http URL directly if you really mean it.' },
    );
  }
  const upper = method.toUpperCase();
  const toGet = status === 303 ? upper !== 'HEAD' && upper !== 'GET' : (status === 301 || status === 302) && upper === 'POST';
  return {
    url: to,
    method: toGet ? 'GET' : upper,
    dropBody: toGet,
    crossOrigin: to.origin !== from.origin,
  };
}
