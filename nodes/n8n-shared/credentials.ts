/**
 * From n8n credentials to the core's checked connection, for every node of the package. The token
 * provider comes from the core's process-wide cache, so every item, execution and node using the
 * same credentials in this n8n process shares one token.
 */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { resolveConnection, tokenProviderFor, type Connection, type ConnectionSettings, type TokenProvider } from '../core';

/** The package's credential types (credentials/*.credentials.ts), by the service they sign in to. */
export const CREDENTIAL_TYPE = {
  sentinelHub: 'sentinelHubApi',
  terrascope: 'terrascopeApi',
} as const;

/** `sentinelHubApi` or `terrascopeApi`. */
export type CredentialType = (typeof CREDENTIAL_TYPE)[keyof typeof CREDENTIAL_TYPE];

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A number field: n8n stores a number; credentials saved before the field existed have none. */
function count(value: unknown): number | string | undefined {
  return typeof value === 'number' || typeof value === 'string' ? value : undefined;
}

/** Maps a stored credential of type `sentinelHubApi` or `terrascopeApi` onto the core's settings. */
export function settingsFromCredentials(type: string, data: ICredentialDataDecryptedObject): ConnectionSettings {
  const provider = type === CREDENTIAL_TYPE.terrascope ? 'terrascope' : (text(data.environment) ?? 'sentinel-hub');
  return {
    provider,
    tokenUrl: text(data.tokenUrl),
    baseUrl: text(data.baseUrl),
    grant: text(data.grant),
    clientAuth: text(data.clientAuth),
    clientId: text(data.clientId),
    clientSecret: text(data.clientSecret),
    username: text(data.username),
    password: text(data.password),
    extraOrigins: text(data.extraOrigins),
    maxConnections: count(data.maxConnections),
  };
}

/** What a node needs to call a provider: the checked connection and its shared token provider. */
export interface ProviderAccess {
  connection: Connection;
  tokens: TokenProvider;
}

/** The connection and the shared token provider for a stored credential of type `type`. */
export function accessFromCredentials(type: CredentialType, data: ICredentialDataDecryptedObject): ProviderAccess {
  const connection = resolveConnection(settingsFromCredentials(type, data));
  return { connection, tokens: tokenProviderFor(connection) };
}
