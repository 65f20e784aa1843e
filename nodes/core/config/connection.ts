/**
 * Turns what a user configured into a checked `Connection`: every URL parsed, every provider
 * default applied, and a missing or malformed value reported by field before any request is made.
 */
import { EoError } from '../errors';
import {
  MAX_CONNECTIONS_LIMIT,
  PROVIDER_IDS,
  PROVIDERS,
  isProviderId,
  type ClientAuthMethod,
  type GrantType,
  type ProviderId,
  type RetryAfterUnit,
} from './providers';

/** What a user configures: the engines map their credential stores onto this. */
export interface ConnectionSettings {
  provider: ProviderId | string;
  tokenUrl?: string;
  baseUrl?: string;
  grant?: GrantType | string;
  clientAuth?: ClientAuthMethod | string;
  clientId?: string;
  clientSecret?: string;
  username?: string;
  password?: string;
  /** Comma or whitespace separated, or a list. */
  extraOrigins?: string | string[];
  /** Downloads at once for this account in this process; empty for the provider default. */
  maxConnections?: number | string;
}

/** A validated connection: every URL parsed, every default applied. */
export interface Connection {
  provider: ProviderId;
  providerLabel: string;
  grant: GrantType;
  tokenUrl: string;
  baseUrl: string;
  /** Origins that may receive the access token: the base URL's, the provider's extras, the user's extras. */
  allowedOrigins: string[];
  clientAuth: ClientAuthMethod;
  /** For client credentials: the client id. For the password grant: the public client id. */
  clientId: string;
  clientSecret?: string;
  username?: string;
  password?: string;
  retryAfterUnit: RetryAfterUnit;
  issuerRealm?: string;
  /** Downloads this identity runs at once in this process (see `sharedConnectionCaps`). */
  maxConnections: number;
}

function fieldError(field: string, message: string): EoError {
  return new EoError('EO_INVALID_CONFIG', message, { field });
}

/** Plain http is only for this machine (a local emulator or a proxy on loopback): elsewhere tokens and secrets would travel unencrypted. */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function parseHttpUrl(field: string, label: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value itself is not repeated: a secret pasted into the wrong field must not reach a log.
    throw fieldError(field, `${label} is not a valid URL: write it as https://host/path.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw fieldError(field, `${label} must start with https:// (got ${url.protocol}).`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw fieldError(field, `${label} must use https:// (plain http is accepted only for localhost and 127.0.0.1).`);
  }
  if (url.username || url.password) {
    throw fieldError(field, `${label} must not contain a user name or password: put them in the credential fields.`);
  }
  return url;
}

function parseOrigins(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : value.split(/[\s,]+/);
  return list
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => parseHttpUrl('extraOrigins', 'Extra allowed origin', entry).origin);
}

/** The download cap a user set, or the provider's when empty. */
function parseMaxConnections(value: number | string | undefined, fallback: number): number {
  const text = typeof value === 'number' ? String(value) : (value ?? '').trim();
  if (text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONNECTIONS_LIMIT) {
    throw fieldError(
      'maxConnections',
      `Download connections must be a whole number from 1 to ${MAX_CONNECTIONS_LIMIT} (got "${text.slice(0, 20)}"); leave it empty for the provider's ${fallback}.`,
    );
  }
  return n;
}

function trimmed(value: string | undefined): string | undefined {
  const t = value?.trim();
  return t ? t : undefined;
}

/**
 * Checks settings and fills in the provider defaults. Throws `EO_INVALID_CONFIG` naming the
 * field to fix, so a missing secret is reported before any request is made.
 */
export function resolveConnection(settings: ConnectionSettings): Connection {
  if (!isProviderId(settings.provider)) {
    throw fieldError('provider', `Unknown provider "${String(settings.provider)}": choose one of ${PROVIDER_IDS.join(', ')}.`);
  }
  const def = PROVIDERS[settings.provider];
  const tokenUrlText = trimmed(settings.tokenUrl) ?? def.tokenUrl;
  const baseUrlText = trimmed(settings.baseUrl) ?? def.baseUrl;
  if (!tokenUrlText) throw fieldError('tokenUrl', 'Token URL is required for a custom provider.');
  if (!baseUrlText) throw fieldError('baseUrl', 'API base URL is required for a custom provider.');
  const tokenUrl = parseHttpUrl('tokenUrl', 'Token URL', tokenUrlText);
  const baseUrl = parseHttpUrl('baseUrl', 'API base URL', baseUrlText);

  let grant: GrantType = def.grant;
  if (def.id === 'custom' && settings.grant !== undefined && settings.grant !== '') {
    if (settings.grant !== 'client_credentials' && settings.grant !== 'password') {
      throw fieldError('grant', `Grant "${settings.grant}" is not supported: use client_credentials or password.`);
    }
    grant = settings.grant;
  }
  const clientAuthText = trimmed(settings.clientAuth) ?? 'body';
  if (clientAuthText !== 'body' && clientAuthText !== 'basic') {
    throw fieldError('clientAuth', `Client authentication "${clientAuthText}" is not supported: use body or basic.`);
  }

  const connection: Connection = {
    provider: def.id,
    providerLabel: def.label,
    grant,
    tokenUrl: tokenUrl.href,
    baseUrl: baseUrl.href.replace(/\/+$/, ''),
    allowedOrigins: [...new Set([baseUrl.origin, ...parseOrigins(def.extraOrigins), ...parseOrigins(settings.extraOrigins)])],
    clientAuth: clientAuthText,
    clientId: '',
    retryAfterUnit: def.retryAfterUnit,
    issuerRealm: def.issuerRealm,
    maxConnections: parseMaxConnections(settings.maxConnections, def.maxConnections),
  };

  if (grant === 'client_credentials') {
    const clientId = trimmed(settings.clientId);
    if (!clientId) throw fieldError('clientId', `Client ID is missing. ${def.credentialsHelp}`);
    if (!settings.clientSecret) throw fieldError('clientSecret', `Client secret is missing. ${def.credentialsHelp}`);
    connection.clientId = clientId;
    connection.clientSecret = settings.clientSecret;
  } else {
    const username = trimmed(settings.username);
    if (!username) throw fieldError('username', `Username is missing. ${def.credentialsHelp}`);
    if (!settings.password) throw fieldError('password', `Password is missing. ${def.credentialsHelp}`);
    connection.username = username;
    connection.password = settings.password;
    connection.clientId = trimmed(settings.clientId) ?? def.passwordClientId ?? 'public';
    if (settings.clientSecret) connection.clientSecret = settings.clientSecret;
  }
  return connection;
}
