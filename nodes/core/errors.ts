/**
 * The one error type of the core. Every failure a user can meet carries a stable `code`, a
 * message that says what happened and what to change, and never a secret or a token.
 */
export type EoErrorCode =
  /** The token endpoint rejected the client id or client secret (invalid_client, unauthorized_client). */
  | 'EO_AUTH_INVALID_CLIENT'
  /** The token endpoint rejected the username/password or the refresh token (invalid_grant). */
  | 'EO_AUTH_INVALID_GRANT'
  /** The token endpoint answered 4xx with some other OAuth error. */
  | 'EO_AUTH_REJECTED'
  /** The token endpoint answered 5xx or could not be reached: its fault, not the credentials'. */
  | 'EO_TOKEN_ENDPOINT_UNAVAILABLE'
  /** The URL answered, but not like a token endpoint (HTML, or JSON without access_token). */
  | 'EO_NOT_A_TOKEN_ENDPOINT'
  /** HTTP 429, from the token endpoint or an API, after the bounded waits were used up. */
  | 'EO_RATE_LIMITED'
  /** An API answered with an error status. */
  | 'EO_HTTP_STATUS'
  /** A request or redirect would have sent credentials to an origin that is not allowed. */
  | 'EO_ORIGIN_NOT_ALLOWED'
  /** A redirect from https to http was refused. */
  | 'EO_INSECURE_REDIRECT'
  /** Too many redirects. */
  | 'EO_TOO_MANY_REDIRECTS'
  /** A request did not finish in time. */
  | 'EO_TIMEOUT'
  /** The connection failed (DNS, refused, reset) and retries were used up or not allowed. */
  | 'EO_NETWORK'
  /** A download ended with fewer bytes than announced. */
  | 'EO_DOWNLOAD_INCOMPLETE'
  /** A file name or path would leave the folder it must stay in. */
  | 'EO_PATH_NOT_ALLOWED'
  /** The folder cannot take the file: disk full, read-only, no permission, missing (field `directory`). */
  | 'EO_FILE_WRITE_FAILED'
  /** A configuration value is missing or malformed. */
  | 'EO_INVALID_CONFIG';

export interface EoErrorDetails {
  /** HTTP status, when a response was received. */
  status?: number;
  /** The provider's own error text (OAuth `error_description`, Sentinel Hub `error.message`, ...). */
  providerMessage?: string;
  /** The provider's own error code (OAuth `error`, Sentinel Hub `error.code`, ...). */
  providerCode?: string;
  /** What the user can do about it. */
  hint?: string;
  /** The configuration field the user should look at (`clientSecret`, `tokenUrl`, ...). */
  field?: string;
  /** For 429: how long the provider asked us to wait. */
  retryAfterMs?: number;
  /** The URL involved, without query string (queries can carry secrets). */
  url?: string;
  /** The response body, truncated, for API errors. Never set for token endpoint responses. */
  body?: unknown;
  cause?: unknown;
}

/** Marks EoErrors of every copy of this module: the token cache is shared across copies, so are its errors. */
const EO_ERROR_BRAND = Symbol.for('eo-nodes.error');

export class EoError extends Error {
  readonly [EO_ERROR_BRAND] = true;
  readonly code: EoErrorCode;
  readonly status?: number;
  readonly providerMessage?: string;
  readonly providerCode?: string;
  readonly hint?: string;
  readonly field?: string;
  readonly retryAfterMs?: number;
  readonly url?: string;
  readonly body?: unknown;

  constructor(code: EoErrorCode, message: string, details: EoErrorDetails = {}) {
    super(details.hint ? `${message} ${details.hint}` : message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'EoError';
    this.code = code;
    this.status = details.status;
    this.providerMessage = details.providerMessage;
    this.providerCode = details.providerCode;
    this.hint = details.hint;
    this.field = details.field;
    this.retryAfterMs = details.retryAfterMs;
    this.url = details.url;
    this.body = details.body;
  }
}

export function isEoError(err: unknown, code?: EoErrorCode): err is EoError {
  const branded = typeof err === 'object' && err !== null && (err as { [EO_ERROR_BRAND]?: boolean })[EO_ERROR_BRAND] === true;
  return branded && (code === undefined || (err as EoError).code === code);
}

/** A URL as it may appear in a message: origin and path only, since query strings can carry secrets. */
export function safeUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * The code of a Node or undici error (`ECONNREFUSED`, `UND_ERR_SOCKET`, ...), looked for through
 * its causes (undici wraps socket errors) and the first of an AggregateError's errors (Node's
 * happy-eyeballs connect reports one error per address).
 */
export function errorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const { code, errors } = current as { code?: unknown; errors?: unknown };
    if (typeof code === 'string' && code.length > 0) return code;
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A duration as messages write it: seconds with one decimal, rounded up so a wait never reads shorter than it is. */
export function formatSeconds(ms: number): string {
  return `${Math.ceil(ms / 100) / 10} s`;
}
