import {
  NodeConnectionTypes,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
} from 'n8n-workflow';
import { router } from './actions/router';
import * as sentinelHub from './actions/sentinelHub';
import * as terrascope from './actions/terrascope';
import { eoCredentialTest } from '../n8n-shared/credentialTest';

/**
 * EO Request: Sentinel Hub / CDSE and Terrascope calls through the package's process-wide token
 * cache. Each resource's operations live in actions/<resource>/, all HTTP in transport/.
 */
export class EoRequest implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'EO Request',
    name: 'eoRequest',
    icon: { light: 'file:eo.svg', dark: 'file:eo.dark.svg' },
    group: ['transform'],
    version: 1,
    subtitle:
      '={{ ({ sentinelHub: "Sentinel Hub", terrascope: "Terrascope" })[$parameter["resource"]] + ": " + ({ process: "Process", catalogSearch: "Catalog Search", statistics: "Statistics", apiCall: "Custom API Call", download: "Download File", stacSearch: "STAC Search", worldCover: "WorldCover Tiles" })[$parameter["operation"]] }}',
    description: 'Sentinel Hub, Copernicus Data Space and Terrascope (WorldCover) with shared, cached OAuth tokens',
    defaults: { name: 'EO Request' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [
      { name: 'sentinelHubApi', required: true, testedBy: 'eoCredentialTest', displayOptions: { show: { resource: ['sentinelHub'] } } },
      { name: 'terrascopeApi', required: true, testedBy: 'eoCredentialTest', displayOptions: { show: { resource: ['terrascope'] } } },
    ],
    properties: [
      {
        displayName: 'Resource',
        name: 'resource',
        type: 'options',
        noDataExpression: true,
        default: 'sentinelHub',
        options: [
          { name: 'Sentinel Hub', value: 'sentinelHub', description: 'Sentinel Hub or the Copernicus Data Space Ecosystem (CDSE)' },
          { name: 'Terrascope', value: 'terrascope', description: 'Terrascope (VITO): WorldCover, downloads, STAC' },
        ],
      },
      ...sentinelHub.description,
      ...terrascope.description,
    ],
  };

  methods = { credentialTest: { eoCredentialTest } };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    return router.call(this);
  }
}
