/**
 * The credential test behind n8n's "Test" button: it really asks the token endpoint for a token
 * (bypassing the cache, so a stale success cannot hide a changed secret) and reports the core's
 * classification: rejected client or password, endpoint unavailable (5xx: never called "bad
 * credentials"), or a URL that is not a token endpoint. Messages never contain a secret.
 */
import type { ICredentialTestFunctions, ICredentialsDecrypted, INodeCredentialTestResult } from 'n8n-workflow';
import { isEoError, requestToken, resolveConnection, tokenSharingStatus } from '../../core';
import { settingsFromCredentials } from '../transport';

function clock(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Tests a `sentinelHubApi` or `terrascopeApi` credential by fetching one token. */
export async function eoCredentialTest(
  this: ICredentialTestFunctions,
  credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
  try {
    const connection = resolveConnection(settingsFromCredentials(credential.type, credential.data ?? {}));
    // One retry only: someone is waiting in front of the dialog.
    const token = await requestToken(connection, { type: connection.grant }, { retries: 1 });
    const who = connection.username ?? connection.clientId;
    const refresh = token.refreshExpiresAt ? `, refresh until ${clock(token.refreshExpiresAt)}` : '';
    return {
      status: 'OK',
      message: `${connection.providerLabel}: token for ${who}, valid until ${clock(token.expiresAt)}${refresh}. Tokens: ${tokenSharingStatus().text}.`,
    };
  } catch (err) {
    const message = isEoError(err)
      ? `${err.message}${err.field ? ` (field: ${err.field})` : ''}`
      : 'The credential test failed unexpectedly.';
    return { status: 'Error', message };
  }
}
