/**
 * The credential test behind n8n's "Test" button, for both nodes that use the credentials: the
 * core's connection test (one token request with the form's values, outside the token cache), in
 * the same words as Node-RED's "Test connection". The field to fix is named in the message, the
 * way n8n shows a test's result.
 */
import type { ICredentialTestFunctions, ICredentialsDecrypted, INodeCredentialTestResult } from 'n8n-workflow';
import { testConnection } from '../core';
import { settingsFromCredentials } from './credentials';

/** Tests a `sentinelHubApi` or `terrascopeApi` credential by fetching one token. */
export async function eoCredentialTest(
  this: ICredentialTestFunctions,
  credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
  const result = await testConnection(settingsFromCredentials(credential.type, credential.data ?? {}));
  if (result.ok) return { status: 'OK', message: result.message };
  return { status: 'Error', message: result.field ? `${result.message} (field: ${result.field})` : result.message };
}
