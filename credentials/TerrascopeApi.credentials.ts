import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';
import { singleProviderProperties } from './credentialFields';

/**
 * Terrascope account (username and password; the node logs in with the password grant and keeps
 * the refresh token in its process-wide token cache).
 */
export class TerrascopeApi implements ICredentialType {
  name = 'terrascopeApi';

  displayName = 'Terrascope API';

  icon: Icon = { light: 'file:eo.svg', dark: 'file:eo.dark.svg' };

  documentationUrl = 'https://github.com/eo-nodes/n8n-nodes-earth-observation#using-it-in-n8n';

  properties: INodeProperties[] = singleProviderProperties('terrascope');
}
