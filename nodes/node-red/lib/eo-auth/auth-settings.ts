/**
 * From an eo-auth node's properties and credentials to the core's connection settings. Only the
 * fields the chosen provider lists are passed on: a client secret left over from an earlier
 * provider choice must never travel with a Terrascope login.
 */
import { PROVIDERS, isProviderId, type ConnectionSettings, type CredentialFieldName } from '../../../core';

/** The eo-auth node's properties (flows.json). */
export interface EoAuthProperties {
  name?: string;
  provider?: string;
  tokenUrl?: string;
  baseUrl?: string;
  grant?: string;
  clientAuth?: string;
  extraOrigins?: string;
  /** Downloads at once for this account; empty for the provider default. */
  maxConnections?: string;
}

/** The eo-auth node's credentials (Node-RED's credential store), named as the core names them. */
export type EoAuthCredentials = Pick<ConnectionSettings, 'clientId' | 'clientSecret' | 'username' | 'password'>;

/** The credential names, as registered with Node-RED. */
export const CREDENTIAL_TYPES = {
  clientId: { type: 'text' },
  clientSecret: { type: 'password' },
  username: { type: 'text' },
  password: { type: 'password' },
} as const;

/** What the editor shows in a password field that holds a stored value. */
export const STORED_SECRET = '__PWRD__';

/**
 * Settings for `resolveConnection`, keeping only the fields of the chosen provider.
 *
 * @example
 * resolveConnection(connectionSettings(config, node.credentials));
 */
export function connectionSettings(props: EoAuthProperties, credentials: EoAuthCredentials = {}): ConnectionSettings {
  const provider = props.provider || 'sentinel-hub';
  if (!isProviderId(provider)) return { provider };
  const used = new Set<CredentialFieldName>(PROVIDERS[provider].fields.map((f) => f.name));
  const all: Record<CredentialFieldName, string | undefined> = {
    tokenUrl: props.tokenUrl,
    baseUrl: props.baseUrl,
    grant: props.grant,
    clientAuth: props.clientAuth,
    extraOrigins: props.extraOrigins,
    maxConnections: typeof props.maxConnections === 'number' ? String(props.maxConnections) : props.maxConnections,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    username: credentials.username,
    password: credentials.password,
  };
  const settings: ConnectionSettings = { provider };
  for (const name of used) {
    const value = all[name];
    if (typeof value === 'string' && value !== '') (settings as unknown as Record<string, string>)[name] = value;
  }
  return settings;
}

/**
 * The credentials the editor sent, with `__PWRD__` (or a missing secret) replaced by the one
 * stored for the config node, so "Test connection" works without retyping a saved secret.
 */
export function withStoredSecrets(sent: EoAuthCredentials, stored: EoAuthCredentials | undefined): EoAuthCredentials {
  const merged: EoAuthCredentials = {};
  for (const name of Object.keys(CREDENTIAL_TYPES) as (keyof EoAuthCredentials)[]) {
    const value = sent[name];
    const secret = CREDENTIAL_TYPES[name].type === 'password';
    if (typeof value === 'string' && value !== '' && value !== STORED_SECRET) merged[name] = value;
    else if ((secret || value === undefined) && stored?.[name]) merged[name] = stored[name];
  }
  return merged;
}

/** The token endpoint `props` point at (the provider default when empty), for comparing two configurations. */
export function tokenEndpointOf(props: EoAuthProperties): string {
  const provider = props.provider || 'sentinel-hub';
  const text = props.tokenUrl?.trim() || (isProviderId(provider) ? PROVIDERS[provider].tokenUrl : '');
  try {
    return new URL(text).href;
  } catch {
    return text;
  }
}

/** The secret fields `merged` took from the store rather than from what was sent. */
export function storedSecretsUsed(sent: EoAuthCredentials, merged: EoAuthCredentials): (keyof EoAuthCredentials)[] {
  return (['clientSecret', 'password'] as const).filter((name) => merged[name] !== undefined && merged[name] !== sent[name]);
}
