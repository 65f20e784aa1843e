/**
 * The n8n side of the download benchmarks: published workflows, Webhook → EO Request, whose
 * webhook answers when the EO Request node is done (its files in n8n's binary store), and the
 * Terrascope credential they use.
 */
import { EO_REQUEST_TYPE, TERRASCOPE_CREDENTIAL } from '../../test/support/n8n-process';
import { DEMO_USER } from '../../test/emulator/state';
import type { EmulatorEndpoints } from '../../test/emulator/types';

export const WORKFLOW_ID = 'eoBenchDownload';
export const WEBHOOK_PATH = 'eo-bench-download';

/** The Terrascope credential, pointed at the emulator with its demo user. */
export function terrascopeCredential(endpoints: EmulatorEndpoints): object {
  return {
    ...TERRASCOPE_CREDENTIAL,
    type: 'terrascopeApi',
    data: {
      username: DEMO_USER.username,
      password: DEMO_USER.password,
      tokenUrl: endpoints.terrascope.tokenUrl,
      baseUrl: endpoints.terrascope.baseUrl,
    },
  };
}

/**
 * A workflow a benchmark starts over HTTP: Webhook (`method` /webhook/`path`) → one EO Request
 * node with `parameters` and the Terrascope credential; the webhook answers with the first
 * item's JSON once the EO Request node is done.
 */
export function webhookWorkflow(
  id: string,
  name: string,
  path: string,
  method: 'GET' | 'POST',
  parameters: Record<string, unknown>,
): object {
  return {
    id,
    name,
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [
      {
        id: '7c0e0000-0000-4000-8000-b00000000001',
        name: 'Webhook',
        type: 'n8n-nodes-base.webhook',
        typeVersion: 2,
        position: [0, 0],
        webhookId: `6b1c2d3e-1111-4a5b-8c9d-${Buffer.from(id).toString('hex').padStart(12, '0').slice(-12)}`,
        parameters: { httpMethod: method, path, responseMode: 'lastNode', responseData: 'firstEntryJson', options: {} },
      },
      {
        id: '7c0e0000-0000-4000-8000-b00000000002',
        name: 'EO Request',
        type: EO_REQUEST_TYPE,
        typeVersion: 1,
        position: [220, 0],
        credentials: { terrascopeApi: TERRASCOPE_CREDENTIAL },
        parameters,
      },
    ],
    connections: { Webhook: { main: [[{ node: 'EO Request', type: 'main', index: 0 }]] } },
  };
}

/** POST /webhook/eo-bench-download?size=<bytes> downloads /download/synthetic/<bytes>.bin into binary field `data`. */
export function downloadWorkflow(): object {
  return webhookWorkflow(WORKFLOW_ID, 'Download benchmark', WEBHOOK_PATH, 'POST', {
    resource: 'terrascope',
    operation: 'download',
    url: '=/download/synthetic/{{ $json.query.size }}.bin',
    fileName: '',
    binaryPropertyName: 'data',
  });
}
