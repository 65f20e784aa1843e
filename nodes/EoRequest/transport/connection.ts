/**
 * From n8n credentials to the core's checked connection. The token provider comes from the core's
 * process-wide cache, so every item, execution and node using the same credentials in this n8n
 * process shares one token.
 */
import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';
import { resolveConnection, tokenProviderFor, type Connection, type ConnectionSettings, type TokenProvider } from '../../core';

/** The node's resources; each has its own credential type. */
export type EoResource = 'sentinelHub' | 'terrascope';

/** Credential type name per resource. */
export const CREDENTIAL_TYPE: Record<EoResource, string> = {
  sentinelHub: 'sentinelHubApi',
  terrascope: 'terrascopeApi',
};

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

/** What an operation needs to call a provider. */
export interface EoContext {
  connection: Connection;
  tokens: TokenProvider;
  /** Aborted when the execution is cancelled, so a long download stops with it. */
  signal?: AbortSignal;
}

/** The connection and shared token provider for `resource`, from the credentials of item `itemIndex`. */
export async function eoContext(ctx: IExecuteFunctions, resource: EoResource, itemIndex: number): Promise<EoContext> {
  const type = CREDENTIAL_TYPE[resource];
  const data = await ctx.getCredentials(type, itemIndex);
  const connection = resolveConnection(settingsFromCredentials(type, data));
  return { connection, tokens: tokenProviderFor(connection), signal: ctx.getExecutionCancelSignal?.() };
}
