/**
 * What "Test connection" (Node-RED's EO Auth dialog) and n8n's credential "Test" answer: who the
 * provider issued a token to and until when, or the core's error (code, message naming the field,
 * hint), in one wording for both engines. The token itself never leaves this function.
 */
import type { Dispatcher } from 'undici';
import { formatSeconds, isEoError, type EoErrorCode } from '../errors';
import { resolveConnection, type ConnectionSettings } from '../config/connection';
import type { ProviderId } from '../config/providers';
import { tokenSharingStatus } from './shared/sharing-status';
import { requestToken } from './token-request';

/** A token was issued. Times are epoch milliseconds. */
export interface ConnectionTestSuccess {
  ok: true;
  /** `preferred_username`, else the client the token was issued to (`azp`), else the configured username or client id. */
  subject: string;
  provider: ProviderId;
  expiresAt: number;
  /** Password grant: when the refresh token ends, when the provider said. */
  refreshExpiresAt?: number;
  /**
   * The answer in words, ending with how tokens are shared, e.g.
   * `Sentinel Hub: token for my-client, valid until 2026-11-23 14:05 UTC. Tokens: this process only.`
   */
  message: string;
  /** How the deployed flows' tokens are shared: "shared via Redis at host:port" or "this process only". */
  sharing: string;
}

/** No token: why, and what to change. */
export interface ConnectionTestFailure {
  ok: false;
  code: EoErrorCode;
  /** The core's message (the hint included); never a secret. */
  message: string;
  /** As in {@link ConnectionTestSuccess.sharing}: a failed test does not change how tokens are shared. */
  sharing: string;
  /** The setting to fix, when one is to blame. */
  field?: string;
  hint?: string;
}

export type ConnectionTestResult = ConnectionTestSuccess | ConnectionTestFailure;

/** Options of {@link testConnection}. */
export interface ConnectionTestOptions {
  /** The longest the whole test may take: someone is waiting in front of a dialog. Default 60 s. */
  timeoutMs?: number;
  /** Default: the core's shared dispatcher (which honours HTTPS_PROXY / NO_PROXY). */
  dispatcher?: Dispatcher;
}

/** A test must answer the dialog even when the endpoint hangs. */
export const CONNECTION_TEST_TIMEOUT_MS = 60_000;
/** One retry after a 5xx or a network error, not the three of a flow: someone is waiting for the answer. */
const CONNECTION_TEST_RETRIES = 1;

/** Minute and date in UTC: the same in the editor, in n8n and in a log read elsewhere. */
function utcMinute(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function failure(err: unknown, deadline: AbortSignal, timeoutMs: number, sharing: string): ConnectionTestFailure {
  if (isEoError(err)) {
    const out: ConnectionTestFailure = { ok: false, code: err.code, message: err.message, sharing };
    if (err.field) out.field = err.field;
    if (err.hint) out.hint = err.hint;
    return out;
  }
  if (deadline.aborted) {
    return {
      ok: false,
      code: 'EO_TIMEOUT',
      message: `The token endpoint did not answer within ${formatSeconds(timeoutMs)}.`,
      field: 'tokenUrl',
      sharing,
    };
  }
  // Not the error's own message: an unexpected error is not known to be free of secrets.
  const name = typeof err === 'object' && err !== null && typeof (err as Error).name === 'string' ? (err as Error).name : typeof err;
  return { ok: false, code: 'EO_NETWORK', message: `The connection test failed unexpectedly (${name}).`, field: 'tokenUrl', sharing };
}

/**
 * Asks the token endpoint for one token with `settings` (the form's values, saved or not) and
 * reports on it. Never throws: a problem is the answer.
 *
 * The test always makes its own token request and never goes through the process-wide token cache,
 * in either direction:
 * - it answers whether these credentials work now, which only the token endpoint knows: a cached
 *   token shows only that they worked when it was issued, and would hide a secret revoked or
 *   rotated at the provider for up to a token's lifetime (an hour on Sentinel Hub);
 * - the values are a form's, perhaps never deployed: the test leaves no token, error or rate-limit
 *   cool-down in the cache, so it can neither disturb the identity that deployed flows share (their
 *   status shows its last error) nor keep an identity that nobody uses;
 * - the cost is one token request when a person presses a button, not the request per API call that
 *   the providers' rate limits are about.
 *
 * @example
 * const r = await testConnection({ provider: 'cdse', clientId, clientSecret });
 * r.message; // "Copernicus Data Space Ecosystem: token for my-client, valid until 2026-11-23 14:05 UTC. Tokens: this process only."
 */
export async function testConnection(settings: ConnectionSettings, options: ConnectionTestOptions = {}): Promise<ConnectionTestResult> {
  const timeoutMs = options.timeoutMs ?? CONNECTION_TEST_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const sharing = tokenSharingStatus().text;
  try {
    const connection = resolveConnection(settings);
    const token = await requestToken(
      connection,
      { type: connection.grant },
      { retries: CONNECTION_TEST_RETRIES, signal: deadline, dispatcher: options.dispatcher },
    );
    const subject = token.preferredUsername ?? token.authorizedParty ?? connection.username ?? connection.clientId;
    const refresh = token.refreshExpiresAt === undefined ? '' : `, refresh until ${utcMinute(token.refreshExpiresAt)}`;
    const result: ConnectionTestSuccess = {
      ok: true,
      subject,
      provider: connection.provider,
      expiresAt: token.expiresAt,
      message: `${connection.providerLabel}: token for ${subject}, valid until ${utcMinute(token.expiresAt)}${refresh}. Tokens: ${sharing}.`,
      sharing,
    };
    if (token.refreshExpiresAt !== undefined) result.refreshExpiresAt = token.refreshExpiresAt;
    return result;
  } catch (err) {
    return failure(err, deadline, timeoutMs, sharing);
  }
}
