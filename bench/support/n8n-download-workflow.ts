/**
 * The n8n side of the download benchmark: a published workflow, Webhook → EO Request (Terrascope
 * "Download File"), whose webhook answers when the file is in n8n's binary store; the Terrascope
 * credential it uses; and where n8n (filesystem binary mode) keeps the stored bytes.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
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

/** POST /webhook/eo-bench-download?size=<bytes> downloads /download/synthetic/<bytes>.bin into binary field `data`. */
export function downloadWorkflow(): object {
  return {
    id: WORKFLOW_ID,
    name: 'Download benchmark',
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [
      {
        id: '7c0e0000-0000-4000-8000-b00000000001',
        name: 'Webhook',
        type: 'n8n-nodes-base.webhook',
        typeVersion: 2,
        position: [0, 0],
        webhookId: '6b1c2d3e-1111-4a5b-8c9d-b00000000001',
        parameters: { httpMethod: 'POST', path: WEBHOOK_PATH, responseMode: 'lastNode', responseData: 'firstEntryJson', options: {} },
      },
      {
        id: '7c0e0000-0000-4000-8000-b00000000002',
        name: 'Download',
        type: EO_REQUEST_TYPE,
        typeVersion: 1,
        position: [220, 0],
        credentials: { terrascopeApi: TERRASCOPE_CREDENTIAL },
        parameters: {
          resource: 'terrascope',
          operation: 'download',
          url: '=/download/synthetic/{{ $json.query.size }}.bin',
          fileName: '',
          binaryPropertyName: 'data',
        },
      },
    ],
    connections: { Webhook: { main: [[{ node: 'Download', type: 'main', index: 0 }]] } },
  };
}

/** Every file under n8n's binary store (`<user folder>/.n8n/storage`) of exactly `bytes` bytes. */
export async function storedBinaries(userFolder: string, bytes: number): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && (await stat(full)).size === bytes) found.push(full);
    }
  };
  await walk(path.join(userFolder, '.n8n', 'storage'));
  return found;
}
