/**
 * The "EO Auth" config node: one provider connection (endpoints and credentials), resolved by
 * the core into a checked `Connection`. Tokens are not kept here but in the core's process-wide
 * cache, keyed by identity, so every eo-request with the same credentials shares one token across
 * config nodes, flows and redeploys.
 */
import {
  isEoError,
  PROVIDER_IDS,
  PROVIDERS,
  resolveConnection,
  sharedTokenCache,
  testConnection,
  tokenSharingStatus,
  type Connection,
  type EoError,
} from '../core';
import {
  connectionSettings,
  CREDENTIAL_TYPES,
  storedSecretsUsed,
  tokenEndpointOf,
  withStoredSecrets,
  type EoAuthCredentials,
  type EoAuthProperties,
} from './lib/eo-auth/auth-settings';
import { isEoAuthHandle, type EoAuthHandle } from './lib/auth-handle';
import { translator } from './lib/messages';
import type { AdminRequest, AdminResponse, NodeRedApi, RedNode } from './lib/red';
import catalogue from './locales/en-US/eo-auth.json';

type EoAuthNode = RedNode & EoAuthHandle & { problem?: EoError; tokenEndpoint: string };

const SETTING_NAMES = ['provider', 'tokenUrl', 'baseUrl', 'grant', 'clientAuth', 'extraOrigins', 'maxConnections'] as const;

/** Only the string fields of an untrusted request body. */
function pickStrings<K extends string>(source: unknown, names: readonly K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  if (typeof source !== 'object' || source === null) return out;
  for (const name of names) {
    const value = (source as Record<string, unknown>)[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

export = function eoAuth(RED: NodeRedApi): void {
  const t = translator(RED, catalogue);

  function EoAuthNode(this: EoAuthNode, config: EoAuthProperties & { id: string }): void {
    RED.nodes.createNode(this, config);
    const node = this;
    let connection: Connection | undefined;
    try {
      connection = resolveConnection(connectionSettings(config, node.credentials as EoAuthCredentials | undefined));
    } catch (err) {
      if (!isEoError(err)) throw err;
      node.problem = err;
      // Reported once here; the nodes using this connection show it in their status and on each message.
      node.error(t('eo-auth.errors.invalid', { name: config.name || node.id, message: err.message }));
    }
    node.connection = () => {
      if (!connection) throw node.problem as EoError;
      return connection;
    };
    node.tokens = () => sharedTokenCache().provider(node.connection());
    node.tokenEndpoint = tokenEndpointOf(config);
  }

  RED.nodes.registerType('eo-auth', EoAuthNode, { credentials: CREDENTIAL_TYPES });

  // The editor builds its form from the core's provider list: one source for both engines.
  RED.httpAdmin.get('/eo-auth/providers', RED.auth.needsPermission('eo-auth.read'), (_req: AdminRequest, res: AdminResponse) => {
    res.json({ providers: PROVIDER_IDS.map((id) => PROVIDERS[id]) });
  });

  RED.httpAdmin.post('/eo-auth/test', RED.auth.needsPermission('eo-auth.write'), (req: AdminRequest, res: AdminResponse) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const id = typeof body.id === 'string' && body.id ? body.id : undefined;
    const stored = id ? (RED.nodes.getCredentials(id) as EoAuthCredentials | undefined) : undefined;
    const sent = pickStrings(body.credentials, Object.keys(CREDENTIAL_TYPES) as (keyof EoAuthCredentials)[]);
    const props = pickStrings(body, SETTING_NAMES);
    const merged = withStoredSecrets(sent, stored);
    // Only the chosen provider's fields count: the dialog still holds the hidden fields of the
    // provider it was switched from, and their stored secrets are neither used nor asked for.
    const settings = connectionSettings(props, merged);
    // A stored secret goes only to the token endpoint it was saved for: the dialog may have been
    // pointed elsewhere, and a test must not carry the secret there.
    const reused = storedSecretsUsed(sent, merged).filter((name) => settings[name] !== undefined);
    const deployed = id ? RED.nodes.getNode(id) : undefined;
    if (reused.length > 0 && (!isEoAuthHandle(deployed) || deployed.tokenEndpoint !== tokenEndpointOf(props))) {
      res.json({
        ok: false,
        code: 'EO_INVALID_CONFIG',
        message: t('eo-auth.errors.secretForOtherEndpoint'),
        field: reused[0],
        sharing: tokenSharingStatus().text,
      });
      return;
    }
    testConnection(settings).then(
      (result) => res.json(result),
      () =>
        res.json({
          ok: false,
          code: 'EO_NETWORK',
          message: t('eo-auth.test.failed', { message: 'internal error' }),
          sharing: tokenSharingStatus().text,
        }),
    );
  });
};
