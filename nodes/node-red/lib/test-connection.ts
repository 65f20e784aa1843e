/**
 * What the "Test connection" button answers: who the provider issued a token to and until when,
 * or the core's error (code, message naming the field, hint). The token itself never leaves.
 */
import {
  isEoError,
  readTokenClaims,
  resolveConnection,
  sharedTokenCache,
  tokenSharingStatus,
  type ConnectionSettings,
  type ProviderId,
} from '../../core';

/** A token was obtained. Times are epoch milliseconds. */
export interface TestSuccess {
  ok: true;
  /** `preferred_username`, else the client the token was issued to (`azp`), else the configured id. */
  subject: string;
  provider: ProviderId;
  expiresAt: number;
  /** Password grant: when the refresh token ends, when the provider said. */
  refreshExpiresAt?: number;
  /** How tokens are shared: "shared via Redis at host:port" or "this process only". */
  sharing: string;
}

/** No token: why, and what to change. */
export interface TestFailure {
  ok: false;
  code: string;
  message: string;
  field?: string;
  hint?: string;
  /** How tokens are shared, as on success. */
  sharing: string;
}

export type TestResult = TestSuccess | TestFailure;

/** A test must answer the editor even when the endpoint hangs. */
const TEST_TIMEOUT_MS = 60_000;

/**
 * Fetches a token for `settings` through the shared cache (a token already held is reused, so
 * pressing the button costs no token request) and reports on it.
 *
 * @example
 * const r = await testConnection({ provider: 'cdse', clientId, clientSecret });
 * r.ok ? `${r.subject} until ${new Date(r.expiresAt)}` : r.message;
 */
export async function testConnection(settings: ConnectionSettings): Promise<TestResult> {
  try {
    const connection = resolveConnection(settings);
    const tokens = sharedTokenCache().provider(connection);
    const token = await tokens.getToken({ signal: AbortSignal.timeout(TEST_TIMEOUT_MS) });
    const claims = readTokenClaims(token.value);
    const state = tokens.state();
    const result: TestSuccess = {
      ok: true,
      subject: claims?.preferredUsername ?? claims?.authorizedParty ?? connection.username ?? connection.clientId,
      provider: connection.provider,
      expiresAt: token.expiresAt,
      sharing: tokenSharingStatus().text,
    };
    if (state.refreshExpiresAt !== undefined) result.refreshExpiresAt = state.refreshExpiresAt;
    return result;
  } catch (err) {
    if (isEoError(err)) {
      const failure: TestFailure = { ok: false, code: err.code, message: err.message, sharing: tokenSharingStatus().text };
      if (err.field) failure.field = err.field;
      if (err.hint) failure.hint = err.hint;
      return failure;
    }
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return {
      ok: false,
      code: timedOut ? 'EO_TIMEOUT' : 'EO_NETWORK',
      message: timedOut
        ? `The token endpoint did not answer within ${TEST_TIMEOUT_MS / 1000} s.`
        : `The test failed: ${err instanceof Error ? err.message : String(err)}`,
      field: 'tokenUrl',
      sharing: tokenSharingStatus().text,
    };
  }
}
