/**
 * Turning an API error response into an EoError a person can act on: the provider's own message
 * from whichever envelope it used, and for 401 a hint about mixed-up services.
 */
import { EoError, safeUrl, type EoErrorCode } from '../errors';
import type { Connection } from '../config/connection';
import { PROVIDERS } from '../config/providers';
import type { AccessToken } from '../auth/token-provider';

/** How much of an error body is kept: enough for any provider message, not a whole image. */
export const ERROR_BODY_LIMIT = 64 * 1024;

/** The provider's own error text and code, from whichever envelope it used. */
export interface ProviderError {
  message?: string;
  code?: string;
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim()) return value.trim();
  if (typeof value === 'number') return String(value);
  return undefined;
}

/**
 * Reads the provider's message and code from the envelopes seen in the wild: Sentinel Hub
 * `{"error":{status,reason,message,code}}` (also unwrapped `{message,code}`), STAC
 * `{code,description}`, openEO `{id,code,message}`, OAuth `{error,error_description}`.
 */
export function extractProviderError(body: unknown): ProviderError {
  if (!body || typeof body !== 'object') return {};
  const obj = body as Record<string, unknown>;
  if (obj.error && typeof obj.error === 'object') {
    const inner = obj.error as Record<string, unknown>;
    return { message: str(inner.message) ?? str(inner.reason), code: str(inner.code) };
  }
  if (typeof obj.error === 'string') return { message: str(obj.error_description), code: obj.error };
  return { message: str(obj.message) ?? str(obj.description) ?? str(obj.detail), code: str(obj.code) };
}

/** Parses a buffered error body as JSON when it looks like JSON, else keeps trimmed text. */
export function parseErrorBody(raw: Buffer, contentType: string | undefined): unknown {
  const text = raw.toString('utf8');
  if (!text.trim()) return undefined;
  if (/json/i.test(contentType ?? '') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // Fall through: a truncated or broken JSON body is still worth showing as text.
    }
  }
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

const STATUS_HINTS: Record<number, string> = {
  400: 'Check the request body against the API documentation (the provider message says which field).',
  403: 'The credentials are valid but lack access to this resource or API: check the account plan and the collection permissions.',
  404: 'Check the URL path, the collection or the tile name.',
  413: 'The request or the requested output is too large: make the area or the output size smaller.',
};

/** What an error for a refused answer says beyond its status and the provider's message. */
export interface StatusErrorDetails {
  hint?: string;
  /** Default `EO_HTTP_STATUS`. */
  code?: EoErrorCode;
  retryAfterMs?: number;
  /** The sentence before the provider's message. Default: "<url> answered <status>". */
  what?: string;
}

/** An `EO_HTTP_STATUS` error for a non-success answer. */
export function httpStatusError(status: number, url: URL, body: unknown, extra: StatusErrorDetails = {}): EoError {
  const provider = extractProviderError(body);
  const what = extra.what ?? `${safeUrl(url)} answered ${status}`;
  const message = provider.message ? `${what}: ${provider.message}${provider.code ? ` (${provider.code})` : ''}.` : `${what}.`;
  return new EoError(extra.code ?? 'EO_HTTP_STATUS', message, {
    status,
    providerMessage: provider.message,
    providerCode: provider.code,
    hint: extra.hint ?? STATUS_HINTS[status] ?? (status >= 500 ? 'The service had trouble; try again later.' : undefined),
    url: safeUrl(url),
    body,
    retryAfterMs: extra.retryAfterMs,
  });
}

/** A provider whose API host and token realm are known, to tell which service a token belongs to. */
interface KnownService {
  host: string;
  realm?: string;
  label: string;
  baseUrl: string;
}

const SERVICES: KnownService[] = (['sentinel-hub', 'cdse', 'terrascope'] as const).map((id) => {
  const provider = PROVIDERS[id];
  return {
    host: new URL(provider.baseUrl).hostname,
    realm: realmOfIssuer(provider.issuerRealm),
    label: provider.shortLabel,
    baseUrl: provider.baseUrl,
  };
});

/** The Keycloak realm name in an issuer URL (`…/auth/realms/CDSE` → `CDSE`). */
export function realmOfIssuer(issuer: string | undefined): string | undefined {
  return issuer ? /\/realms\/([^/?#]+)/.exec(issuer)?.[1] : undefined;
}

/**
 * Why a fresh token is still refused, in one sentence: a token from one service sent to another
 * (the most common mix-up between Sentinel Hub and CDSE), a token URL from the wrong realm, or
 * else credentials without access.
 */
export function unauthorizedHint(
  connection: Pick<Connection, 'issuerRealm' | 'providerLabel'>,
  token: AccessToken | undefined,
  url: URL,
): string {
  const realm = realmOfIssuer(token?.issuer);
  const service = SERVICES.find((s) => s.host === url.hostname);
  const tokenService = SERVICES.find((s) => s.realm === realm);
  if (service && realm && service.realm !== realm) {
    const fix = tokenService
      ? `set the base URL to ${tokenService.baseUrl} or use ${service.label} credentials`
      : `use ${service.label} credentials`;
    return `This is a ${tokenService?.label ?? realm} token used against ${service.host}: ${fix}.`;
  }
  const expected = realmOfIssuer(connection.issuerRealm);
  if (realm && expected && realm !== expected) {
    return `The token was issued by realm "${realm}" but ${connection.providerLabel} expects realm "${expected}": check the token URL of the connection.`;
  }
  const by = realm ? ` (token realm "${realm}")` : '';
  return `A freshly issued token${by} was refused by ${url.host}: check that these credentials belong to this service and have access to this API.`;
}
