import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';
import { providerProperties, providerSelector } from './credentialFields';

const ENVIRONMENTS = ['sentinel-hub', 'cdse', 'custom'] as const;

/**
 * Sentinel Hub API access (services.sentinel-hub.com, the Copernicus Data Space Ecosystem, or a
 * custom deployment) with an OAuth client. Tokens are fetched and cached by the node, not by n8n.
 */
export class SentinelHubApi implements ICredentialType {
  name = 'sentinelHubApi';

  displayName = 'Sentinel Hub API';

  icon: Icon = { light: 'file:eo.svg', dark: 'file:eo.dark.svg' };

  documentationUrl = 'https://github.com/eo-nodes/n8n-nodes-earth-observation#using-it-in-n8n';

  properties: INodeProperties[] = [
    providerSelector('environment', 'Environment', [...ENVIRONMENTS]),
    ...providerProperties('environment', [...ENVIRONMENTS]),
  ];
}
