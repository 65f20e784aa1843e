/**
 * Turning a token endpoint's answer into an `EoError` a user can act on. The status is looked at
 * before the body (the Sentinel Hub documentation warns that requests-oauthlib does it the other
 * way round, so a server failure reads as a credentials problem): 5xx and network trouble are the
 * endpoint's fault, only an OAuth `error` from a 4xx blames the configuration.
 */
import { EoError, errorCode, formatSeconds, safeUrl } from '../errors';
import type { Connection } from '../config/connection';
import { PROVIDERS, type GrantType } from '../config/providers';
import { readJsonObject } from '../config/json-object';

/** Which grant a token request used; the same failure means different things per grant. */
export type GrantKind = GrantType | 'refresh_token';

/** An OAuth error body (RFC 6749 §5.2). */
export interface OAuthErrorBody {
  error: string;
  description?: string;
}

const MAX_PROVIDER_TEXT = 300;

/** Replaces every secret in `text` by `<redacted>`, in case a provider echoes one back. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    // Very short values would redact ordinary words without protecting anything.
    if (secret && secret.length >= 4) out = out.split(secret).join('<redacted>');
  }
  return out;
}

/** Parses an OAuth error body, or `undefined` when the body is not one (HTML error page, empty). */
export function parseOAuthError(text: string, secrets: readonly (string | undefined)[]): OAuthErrorBody | undefined {
  const body = readJsonObject(text);
  if (!body.ok) return undefined;
  const { error, error_description: description } = body.value;
  if (typeof error !== 'string' || error.length === 0) return undefined;
  const clean = (value: string): string => redactSecrets(value, secrets).slice(0, MAX_PROVIDER_TEXT);
  return {
    error: clean(error),
    description: typeof description === 'string' && description.length > 0 ? clean(description) : undefined,
  };
}

/** Sentinel Hub and CDSE look alike; their OAuth clients do not work on each other's endpoints. */
function otherServiceHint(connection: Connection): string {
  if (connection.provider === 'sentinel-hub') {
    return ' OAuth clients created in the Copernicus Data Space (CDSE) dashboard do not work with Sentinel Hub: use a client from the Sentinel Hub dashboard, or pick the CDSE provider.';
  }
  if (connection.provider === 'cdse') {
    return ' OAuth clients created in the Sentinel Hub dashboard (services.sentinel-hub.com) do not work with CDSE: use a client from the Copernicus Data Space dashboard, or pick the Sentinel Hub provider.';
  }
  return '';
}

function said(oauth: OAuthErrorBody): string {
  return oauth.description ? `${oauth.error}: ${oauth.description}` : oauth.error;
}

/** A 4xx answer that carried an OAuth `error`. */
export function oauthRejection(connection: Connection, grant: GrantKind, status: number, oauth: OAuthErrorBody, url: string): EoError {
  const who = connection.providerLabel;
  const details = { status, providerCode: oauth.error, providerMessage: oauth.description, url: safeUrl(url) };
  const help = PROVIDERS[connection.provider].credentialsHelp;

  if (oauth.error === 'invalid_client' || oauth.error === 'unauthorized_client') {
    if (grant !== 'client_credentials') {
      // With the password grant the client is the provider's public one, so the id is what is off.
      return new EoError('EO_AUTH_INVALID_CLIENT', `${who} rejected the OAuth client "${connection.clientId}" (${said(oauth)}).`, {
        ...details,
        field: 'clientId',
        hint: `Check Client ID (for ${who} it is usually "${PROVIDERS[connection.provider].passwordClientId ?? 'public'}") and Token URL.`,
      });
    }
    // Keycloak answers unauthorized_client for a wrong secret and invalid_client for an unknown or missing client id.
    const field = oauth.error === 'unauthorized_client' ? 'clientSecret' : 'clientId';
    const first = field === 'clientSecret' ? 'Client secret' : 'Client ID';
    const second = field === 'clientSecret' ? 'Client ID' : 'Client secret';
    return new EoError('EO_AUTH_INVALID_CLIENT', `${who} rejected the client id or secret (${said(oauth)}).`, {
      ...details,
      field,
      hint: `Check ${first}, then ${second}.${otherServiceHint(connection)} ${help}`,
    });
  }

  if (oauth.error === 'invalid_grant' && grant === 'refresh_token') {
    return new EoError('EO_AUTH_INVALID_GRANT', `${who} no longer accepts the refresh token (${said(oauth)}).`, {
      ...details,
      hint: 'The session ended; logging in again with the username and password fixes it.',
    });
  }
  if (oauth.error === 'invalid_grant' && grant === 'password') {
    return new EoError('EO_AUTH_INVALID_GRANT', `${who} rejected the username or password (${said(oauth)}).`, {
      ...details,
      field: 'password',
      hint: `Check Username and Password (log in on the ${who} website to be sure they work). ${help}`,
    });
  }

  const hint =
    oauth.error === 'unsupported_grant_type'
      ? `The endpoint does not offer the ${grant} grant: check Token URL and the provider choice.`
      : 'Check Token URL and the credential settings.';
  return new EoError('EO_AUTH_REJECTED', `${who} token endpoint refused the request (${said(oauth)}, status ${status}).`, {
    ...details,
    hint,
  });
}

/** Where to look when a URL does not behave like a token endpoint. */
function tokenUrlHint(connection: Connection): string {
  const fallback = PROVIDERS[connection.provider].tokenUrl;
  return fallback
    ? `Check Token URL: it must be the OAuth2 token endpoint, e.g. ${fallback}.`
    : 'Check Token URL: it must be the OAuth2 token endpoint (usually ending in /protocol/openid-connect/token or /oauth/token).';
}

/** The URL answered, but not like a token endpoint: `what` says how ("HTML, status 200"). */
export function notATokenEndpoint(connection: Connection, what: string, status: number, url: string): EoError {
  return new EoError(
    'EO_NOT_A_TOKEN_ENDPOINT',
    `${connection.providerLabel}: this URL did not answer like a token endpoint (${what}) at ${safeUrl(url)}.`,
    { status, field: 'tokenUrl', url: safeUrl(url), hint: tokenUrlHint(connection) },
  );
}

/** 5xx (and 408): the endpoint failed; the user's settings are not in question. */
export function endpointFailed(connection: Connection, status: number, url: string): EoError {
  return new EoError(
    'EO_TOKEN_ENDPOINT_UNAVAILABLE',
    `${connection.providerLabel} token endpoint is unavailable: it failed (${status}) at ${safeUrl(url)}.`,
    {
      status,
      url: safeUrl(url),
      hint: 'The service is having trouble, not your settings; it was retried, try again later.',
    },
  );
}

/** What to call a failure that carries no code. */
function errorName(err: unknown): string {
  return err instanceof Error && err.name ? err.name : 'network error';
}

/** The endpoint could not be reached, or did not answer in time. */
export function endpointUnreachable(connection: Connection, url: string, err: unknown, timeoutMs?: number): EoError {
  const where = safeUrl(url);
  const hint = 'The service or the network is at fault, not your settings; it was retried, try again later.';
  if (timeoutMs !== undefined) {
    return new EoError(
      'EO_TOKEN_ENDPOINT_UNAVAILABLE',
      `${connection.providerLabel}: the token endpoint did not answer within ${formatSeconds(timeoutMs)} at ${where}.`,
      { url: where, hint },
    );
  }
  return new EoError(
    'EO_TOKEN_ENDPOINT_UNAVAILABLE',
    `${connection.providerLabel}: could not reach the token endpoint (${errorCode(err) ?? errorName(err)}) at ${where}.`,
    { url: where, hint, cause: err },
  );
}

/** 429: the provider wants fewer token requests. */
export function tokenRateLimited(connection: Connection, url: string, retryAfterMs: number | undefined): EoError {
  const wait = retryAfterMs === undefined ? '' : ` and asks to wait ${formatSeconds(retryAfterMs)}`;
  return new EoError('EO_RATE_LIMITED', `${connection.providerLabel} token endpoint is limiting token requests (429)${wait}.`, {
    status: 429,
    retryAfterMs,
    url: safeUrl(url),
    hint: 'Tokens are reused across nodes; if this persists, another program is requesting tokens with the same credentials.',
  });
}
