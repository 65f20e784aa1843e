/**
 * The providers the pack knows, and the credential fields each one needs. Both engines build
 * their credential dialogs from `PROVIDERS`, so a field is added here once and shows up in
 * Node-RED's eo-auth dialog and in n8n's credential types alike.
 */
export type ProviderId = 'sentinel-hub' | 'cdse' | 'terrascope' | 'custom';
export type GrantType = 'client_credentials' | 'password';
/** How a client id and secret reach the token endpoint. */
export type ClientAuthMethod = 'body' | 'basic';
/** The unit of a numeric `Retry-After`: Sentinel Hub (and CDSE's Sentinel Hub API) send milliseconds. */
export type RetryAfterUnit = 'ms' | 's';

export type CredentialFieldName =
  | 'tokenUrl'
  | 'baseUrl'
  | 'grant'
  | 'clientAuth'
  | 'clientId'
  | 'clientSecret'
  | 'username'
  | 'password'
  | 'extraOrigins'
  | 'maxConnections';

export interface CredentialField {
  name: CredentialFieldName;
  label: string;
  description: string;
  type: 'string' | 'password' | 'options' | 'number';
  /** Secrets live only in the engines' credential stores. */
  secret: boolean;
  required: boolean;
  default?: string;
  placeholder?: string;
  options?: { value: string; label: string }[];
  /** For `number` fields: the smallest and largest value accepted. */
  range?: { min: number; max: number };
}

export interface ProviderDefinition {
  id: ProviderId;
  label: string;
  /** The name short sentences use ("a CDSE token"). */
  shortLabel: string;
  grant: GrantType;
  /** Default token endpoint. */
  tokenUrl: string;
  /** Token endpoints the user can pick instead of the default, besides typing one. */
  alternativeTokenUrls: { url: string; label: string }[];
  /** Default API base URL: relative request URLs resolve against it. */
  baseUrl: string;
  /** Further origins that receive the bearer token (downloads, catalogues). */
  extraOrigins: string[];
  /**
   * Downloads one account runs at once (shared by every node and flow of the process). CDSE
   * documents 4 concurrent download connections per account; the others publish no limit, and
   * 4 keeps a bulk download polite while filling a typical link.
   */
  maxConnections: number;
  /** The OAuth client id sent with the password grant (Terrascope: `public`). */
  passwordClientId?: string;
  retryAfterUnit: RetryAfterUnit;
  /** The issuer realm path its tokens carry, used to explain a 401 from the wrong service. */
  issuerRealm?: string;
  /** Where to get credentials, for error hints and the editor. */
  credentialsHelp: string;
  fields: CredentialField[];
}

export const SENTINEL_HUB_TOKEN_URL = 'https://services.sentinel-hub.com/oauth/token';
export const SENTINEL_HUB_REALM_TOKEN_URL = 'https://services.sentinel-hub.com/auth/realms/main/protocol/openid-connect/token';
export const CDSE_TOKEN_URL = 'https://identity.dataspace.copernicus.eu/auth/realms/CDSE/protocol/openid-connect/token';
export const TERRASCOPE_TOKEN_URL = 'https://sso.terrascope.be/auth/realms/terrascope/protocol/openid-connect/token';

export const SENTINEL_HUB_BASE_URL = 'https://services.sentinel-hub.com';
export const CDSE_BASE_URL = 'https://sh.dataspace.copernicus.eu';
export const TERRASCOPE_BASE_URL = 'https://services.terrascope.be';

const clientIdField: CredentialField = {
  name: 'clientId',
  label: 'Client ID',
  description: 'The OAuth client ID from the provider dashboard (User settings → OAuth clients).',
  type: 'string',
  secret: false,
  required: true,
};
const clientSecretField: CredentialField = {
  name: 'clientSecret',
  label: 'Client secret',
  description: 'The OAuth client secret, shown once when the client was created.',
  type: 'password',
  secret: true,
  required: true,
};
const usernameField: CredentialField = {
  name: 'username',
  label: 'Username',
  description: 'Your account username (usually your e-mail address).',
  type: 'string',
  secret: false,
  required: true,
};
const passwordField: CredentialField = {
  name: 'password',
  label: 'Password',
  description: 'Your account password.',
  type: 'password',
  secret: true,
  required: true,
};
const clientAuthField: CredentialField = {
  name: 'clientAuth',
  label: 'Send client credentials',
  description: 'In the form body (what the provider documents) or as an HTTP Basic header.',
  type: 'options',
  secret: false,
  required: false,
  default: 'body',
  options: [
    { value: 'body', label: 'In the request body' },
    { value: 'basic', label: 'As HTTP Basic authentication' },
  ],
};
function baseUrlField(defaultUrl: string): CredentialField {
  return {
    name: 'baseUrl',
    label: 'API base URL',
    description: 'Relative request URLs resolve against it. Leave empty for the provider default.',
    type: 'string',
    secret: false,
    required: false,
    placeholder: defaultUrl,
  };
}
function tokenUrlField(defaultUrl: string, options?: { value: string; label: string }[]): CredentialField {
  return {
    name: 'tokenUrl',
    label: 'Token URL',
    description: 'The OAuth2 token endpoint. Leave empty for the provider default.',
    type: 'string',
    secret: false,
    required: false,
    placeholder: defaultUrl,
    options,
  };
}
/** The most download connections a setting may ask for: beyond this a provider only refuses them. */
export const MAX_CONNECTIONS_LIMIT = 32;

/** The per-account download cap, with the provider's default as placeholder. */
function maxConnectionsField(defaultCap: number): CredentialField {
  return {
    name: 'maxConnections',
    label: 'Download connections',
    description:
      'At most this many downloads at once for this account, shared by every node, flow and execution in this process ' +
      '(CDSE allows 4 per account). With several processes on one account, divide the allowance between them.',
    type: 'number',
    secret: false,
    required: false,
    default: String(defaultCap),
    placeholder: String(defaultCap),
    range: { min: 1, max: MAX_CONNECTIONS_LIMIT },
  };
}

/** CDSE's documented cap (eu-cdse/documentation, Quotas); the default for the others too. */
const DEFAULT_MAX_CONNECTIONS = 4;

const extraOriginsField: CredentialField = {
  name: 'extraOrigins',
  label: 'Extra allowed origins',
  description:
    'Further origins (scheme://host[:port], comma separated) that may receive the access token. The base URL origin is always allowed.',
  type: 'string',
  secret: false,
  required: false,
  placeholder: 'https://example.com',
};

export const PROVIDERS: Record<ProviderId, ProviderDefinition> = {
  'sentinel-hub': {
    id: 'sentinel-hub',
    label: 'Sentinel Hub',
    shortLabel: 'Sentinel Hub',
    grant: 'client_credentials',
    tokenUrl: SENTINEL_HUB_TOKEN_URL,
    alternativeTokenUrls: [{ url: SENTINEL_HUB_REALM_TOKEN_URL, label: 'Keycloak realm "main"' }],
    baseUrl: SENTINEL_HUB_BASE_URL,
    extraOrigins: [],
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    retryAfterUnit: 'ms',
    issuerRealm: '/auth/realms/main',
    credentialsHelp: 'Create an OAuth client in the Sentinel Hub dashboard under User settings → OAuth clients.',
    fields: [
      clientIdField,
      clientSecretField,
      tokenUrlField(SENTINEL_HUB_TOKEN_URL, [
        { value: SENTINEL_HUB_TOKEN_URL, label: 'services.sentinel-hub.com/oauth/token (documented)' },
        { value: SENTINEL_HUB_REALM_TOKEN_URL, label: 'Keycloak realm "main"' },
      ]),
      baseUrlField(SENTINEL_HUB_BASE_URL),
      clientAuthField,
      extraOriginsField,
      maxConnectionsField(DEFAULT_MAX_CONNECTIONS),
    ],
  },
  cdse: {
    id: 'cdse',
    label: 'Copernicus Data Space Ecosystem',
    shortLabel: 'CDSE',
    grant: 'client_credentials',
    tokenUrl: CDSE_TOKEN_URL,
    alternativeTokenUrls: [],
    baseUrl: CDSE_BASE_URL,
    extraOrigins: [],
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    retryAfterUnit: 'ms',
    issuerRealm: '/auth/realms/CDSE',
    credentialsHelp:
      'Create an OAuth client in the Copernicus Data Space dashboard (shapps.dataspace.copernicus.eu) under User settings → OAuth clients.',
    fields: [
      clientIdField,
      clientSecretField,
      tokenUrlField(CDSE_TOKEN_URL),
      baseUrlField(CDSE_BASE_URL),
      clientAuthField,
      extraOriginsField,
      maxConnectionsField(DEFAULT_MAX_CONNECTIONS),
    ],
  },
  terrascope: {
    id: 'terrascope',
    label: 'Terrascope',
    shortLabel: 'Terrascope',
    grant: 'password',
    tokenUrl: TERRASCOPE_TOKEN_URL,
    alternativeTokenUrls: [],
    baseUrl: TERRASCOPE_BASE_URL,
    extraOrigins: ['https://stac.terrascope.be'],
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    passwordClientId: 'public',
    retryAfterUnit: 's',
    issuerRealm: '/auth/realms/terrascope',
    credentialsHelp: 'Register for a free Terrascope account at terrascope.be.',
    fields: [
      usernameField,
      passwordField,
      tokenUrlField(TERRASCOPE_TOKEN_URL),
      baseUrlField(TERRASCOPE_BASE_URL),
      extraOriginsField,
      maxConnectionsField(DEFAULT_MAX_CONNECTIONS),
    ],
  },
  custom: {
    id: 'custom',
    label: 'Custom OAuth2 / OpenID Connect',
    shortLabel: 'custom provider',
    grant: 'client_credentials',
    tokenUrl: '',
    alternativeTokenUrls: [],
    baseUrl: '',
    extraOrigins: [],
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    passwordClientId: 'public',
    retryAfterUnit: 's',
    credentialsHelp: 'Ask the provider for the token URL and your credentials.',
    fields: [
      { ...tokenUrlField(''), required: true, description: 'The OAuth2 token endpoint.' },
      { ...baseUrlField(''), required: true, description: 'Relative request URLs resolve against it.' },
      {
        name: 'grant',
        label: 'Grant',
        description: 'Client credentials (client id + secret) or password (username + password, then refresh token).',
        type: 'options',
        secret: false,
        required: true,
        default: 'client_credentials',
        options: [
          { value: 'client_credentials', label: 'Client credentials' },
          { value: 'password', label: 'Password, then refresh token' },
        ],
      },
      { ...clientIdField, description: 'The OAuth client ID (for the password grant: the public client id, e.g. "public").' },
      { ...clientSecretField, required: false, description: 'The OAuth client secret (client credentials grant).' },
      { ...usernameField, required: false, description: 'Username (password grant).' },
      { ...passwordField, required: false, description: 'Password (password grant).' },
      clientAuthField,
      extraOriginsField,
      maxConnectionsField(DEFAULT_MAX_CONNECTIONS),
    ],
  },
};

export const PROVIDER_IDS = Object.keys(PROVIDERS) as ProviderId[];

export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(PROVIDERS, value);
}
