/**
 * Workflows the n8n tests import: the shipped examples (with their file paths moved into the test's
 * user folder), and small workflows for counting tokens, for bad input and for one call.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EO_REQUEST_TYPE, SENTINEL_HUB_CREDENTIAL, TERRASCOPE_CREDENTIAL } from '../support/n8n-process';
import { repoRoot } from '../support/paths';

type Workflow = {
  id: string;
  name: string;
  nodes: Array<Record<string, unknown> & { name: string; type: string; parameters: Record<string, unknown> }>;
  connections: Record<string, unknown>;
} & Record<string, unknown>;

/** A workflow from n8n-workflows/, with every "Write to disk" node writing under `filesDir/<sub>`. */
export function example(file: string, filesDir: string, sub: string): Workflow {
  const workflow = JSON.parse(readFileSync(join(repoRoot, 'n8n-workflows', file), 'utf8')) as Workflow;
  for (const node of workflow.nodes) {
    if (node.type === 'n8n-nodes-base.readWriteFile') {
      const expression = String(node.parameters.fileName);
      node.parameters.fileName = expression.replace(/^=.*\/(\{\{[^}]+\}\})$/, `=${join(filesDir, sub)}/$1`);
    }
  }
  return workflow;
}

function link(...names: string[]): Record<string, unknown> {
  const connections: Record<string, unknown> = {};
  for (let i = 0; i + 1 < names.length; i++) connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
  return connections;
}

let nodeCounter = 0;
function node(name: string, type: string, typeVersion: number, parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  nodeCounter += 1;
  return {
    id: `7c0e0000-0000-4000-8000-${String(nodeCounter).padStart(12, '0')}`,
    name,
    type,
    typeVersion,
    position: [nodeCounter * 200, 0],
    parameters,
    ...extra,
  };
}

const manual = () => node('Start', 'n8n-nodes-base.manualTrigger', 1, {});

/** A workflow to import, inactive, with n8n's current execution order. */
function workflowOf(id: string, name: string, nodes: Workflow['nodes'], connections: Workflow['connections']): Workflow {
  return { id, name, active: false, settings: { executionOrder: 'v1' }, nodes, connections };
}

/** Process parameters for a small image of the area in `bbox` (an expression or text). */
export function processParameters(bbox: string): Record<string, unknown> {
  return {
    resource: 'sentinelHub',
    operation: 'process',
    dataCollection: 'sentinel-2-l2a',
    areaType: 'bbox',
    bbox,
    timeFrom: '2024-06-01T00:00:00.000Z',
    timeTo: '2024-06-30T00:00:00.000Z',
    sizeMode: 'size',
    width: 8,
    height: 8,
    outputFormat: 'image/png',
    binaryPropertyName: 'data',
  };
}

const sentinelHubCredentials = { credentials: { sentinelHubApi: SENTINEL_HUB_CREDENTIAL } };

/**
 * Fifty Process calls in one execution: WorldCover "metadata only" lists the 50 tiles of a
 * 30° × 15° box (no request, no token), then Process renders each tile's extent.
 */
export function fiftyProcessCalls(): Workflow {
  const tiles = node(
    'Fifty tiles',
    EO_REQUEST_TYPE,
    1,
    { resource: 'terrascope', operation: 'worldCover', bbox: '0,0,30,15', year: 2021, output: 'metadata' },
    { credentials: { terrascopeApi: { id: 'eoTerrascopeCred', name: 'Terrascope account' } } },
  );
  const render = node('Render each', EO_REQUEST_TYPE, 1, processParameters('={{ $json.bounds }}'), sentinelHubCredentials);
  return workflowOf('eoFiftyItems', 'Fifty Process calls', [manual(), tiles, render], link('Start', 'Fifty tiles', 'Render each'));
}

/** The three bounding boxes of the bad-input workflows, as typed; the second has only 3 numbers. */
export const BAD_INPUT_BOXES = ['13.35,52.5,13.45,52.55', '13.35,52.5,13.45', '4.3,50.7,4.5,50.9'];

/** Three items, the second with a malformed bbox, into Process; `continueOnFail` sets "On Error". */
export function badInput(id: string, continueOnFail: boolean): Workflow {
  const boxes = node('Boxes', 'n8n-nodes-base.set', 3.4, {
    mode: 'raw',
    jsonOutput: JSON.stringify({ boxes: BAD_INPUT_BOXES }),
    options: {},
  });
  const split = node('One item per box', 'n8n-nodes-base.splitOut', 1, { fieldToSplitOut: 'boxes', options: {} });
  const render = node('Render', EO_REQUEST_TYPE, 1, processParameters('={{ $json.boxes }}'), {
    ...sentinelHubCredentials,
    ...(continueOnFail ? { onError: 'continueRegularOutput' } : {}),
  });
  return workflowOf(
    id,
    `Bad input (${continueOnFail ? 'continue' : 'stop'})`,
    [manual(), boxes, split, render],
    link('Start', 'Boxes', 'One item per box', 'Render'),
  );
}

/** A webhook (GET /webhook/<path>) answering with the Process result: run twice in one n8n process. */
export function webhookProcess(id: string, path: string): Workflow {
  const render = node('Render', EO_REQUEST_TYPE, 1, processParameters('13.35,52.5,13.45,52.55'), sentinelHubCredentials);
  return onWebhook(id, 'Process on webhook', path, '6b1c2d3e-1111-4a5b-8c9d-000000000001', render);
}

/** Webhook → Terrascope download of a small file (kept as binary), answering when the download is done. */
export function webhookDownload(id: string, path: string, webhookId: string): Workflow {
  const download = node(
    'Download',
    EO_REQUEST_TYPE,
    1,
    { resource: 'terrascope', operation: 'download', url: '/download/synthetic/4096.bin', binaryPropertyName: 'data' },
    { credentials: { terrascopeApi: TERRASCOPE_CREDENTIAL } },
  );
  return onWebhook(id, 'Terrascope download on webhook', path, webhookId, download);
}

/**
 * Webhook (GET `path`, query `size`) → Terrascope download of `/download/synthetic/<size>.bin`
 * into `folder` (output "File in Folder"), answering with the item that names the file.
 */
export function webhookDownloadToFolder(id: string, path: string, webhookId: string, folder: string): Workflow {
  const download = node(
    'Download to folder',
    EO_REQUEST_TYPE,
    1,
    {
      resource: 'terrascope',
      operation: 'download',
      url: '={{ "/download/synthetic/" + $json.query.size + ".bin" }}',
      output: 'folder',
      folder,
    },
    { credentials: { terrascopeApi: TERRASCOPE_CREDENTIAL } },
  );
  return onWebhook(id, 'Terrascope download into a folder on webhook', path, webhookId, download);
}

/** Webhook (GET `path`) → `target`, answering with what `target` put out. */
function onWebhook(id: string, name: string, path: string, webhookId: string, target: ReturnType<typeof node>): Workflow {
  const hook = node('Webhook', 'n8n-nodes-base.webhook', 2, { path, responseMode: 'lastNode', options: {} }, { webhookId });
  return {
    id,
    name,
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [hook, target],
    connections: link('Webhook', target.name),
  };
}

/**
 * Two areas for "WorldCover per area", as typed: the first spans 2 tiles, the second lies in 1, so
 * 2 input items give 3 output items and n8n cannot infer their pairing itself.
 */
export const UNEVEN_AREAS = ['0.5,0.5,4,1', '1,1,2,2'];

/** The other operations, one branch each from one manual trigger. */
export function otherOperations(stacSearchUrl: string): Workflow {
  const terrascope = { credentials: { terrascopeApi: { id: 'eoTerrascopeCred', name: 'Terrascope account' } } };
  const area = {
    areaType: 'bbox',
    bbox: '13.35,52.5,13.45,52.55',
    timeFrom: '2024-06-01T00:00:00.000Z',
    timeTo: '2024-06-30T00:00:00.000Z',
  };
  const branches = [
    node(
      'Catalog all',
      EO_REQUEST_TYPE,
      1,
      { resource: 'sentinelHub', operation: 'catalogSearch', dataCollection: 'sentinel-2-l2a', ...area, returnAll: true },
      sentinelHubCredentials,
    ),
    node(
      'Catalog 5',
      EO_REQUEST_TYPE,
      1,
      { resource: 'sentinelHub', operation: 'catalogSearch', dataCollection: 'sentinel-2-l2a', ...area, returnAll: false, limit: 5 },
      sentinelHubCredentials,
    ),
    node(
      'Statistics',
      EO_REQUEST_TYPE,
      1,
      {
        resource: 'sentinelHub',
        operation: 'statistics',
        dataCollection: 'sentinel-2-l2a',
        ...area,
        aggregationInterval: 'P10D',
        resx: 0.001,
        resy: 0.001,
      },
      sentinelHubCredentials,
    ),
    node(
      'SH API call',
      EO_REQUEST_TYPE,
      1,
      {
        resource: 'sentinelHub',
        operation: 'apiCall',
        method: 'POST',
        url: '/api/v1/catalog/1.0.0/search',
        bodyJson: '{"collections":["sentinel-2-l2a"],"limit":2}',
        responseFormat: 'json',
      },
      sentinelHubCredentials,
    ),
    node(
      'Download',
      EO_REQUEST_TYPE,
      1,
      {
        resource: 'terrascope',
        operation: 'download',
        url: '/download/synthetic/3000000.bin',
        fileName: 'synthetic.bin',
        binaryPropertyName: 'data',
      },
      terrascope,
    ),
    node(
      'STAC search',
      EO_REQUEST_TYPE,
      1,
      {
        resource: 'terrascope',
        operation: 'stacSearch',
        searchUrl: stacSearchUrl,
        collections: 'urn:eop:VITO:ESA_WorldCover_10m_2021_V2',
        bbox: '0,0,9,6',
        returnAll: true,
      },
      terrascope,
    ),
    node(
      'WorldCover ocean',
      EO_REQUEST_TYPE,
      1,
      { resource: 'terrascope', operation: 'worldCover', bbox: '-29,0.5,-25,1.5', year: 2020, output: 'binary', skipMissing: true },
      terrascope,
    ),
  ];
  // A branch of its own: two items in, a different number out (metadata only: no request).
  const areas = node('Two areas', 'n8n-nodes-base.set', 3.4, {
    mode: 'raw',
    jsonOutput: JSON.stringify({ areas: UNEVEN_AREAS }),
    options: {},
  });
  const split = node('One item per area', 'n8n-nodes-base.splitOut', 1, { fieldToSplitOut: 'areas', options: {} });
  const perArea = node(
    'WorldCover per area',
    EO_REQUEST_TYPE,
    1,
    { resource: 'terrascope', operation: 'worldCover', bbox: '={{ $json.areas }}', year: 2021, output: 'metadata' },
    terrascope,
  );
  return workflowOf('eoOtherOperations', 'Every other operation', [manual(), ...branches, areas, split, perArea], {
    Start: { main: [[...branches, areas].map((b) => ({ node: b.name, type: 'main', index: 0 }))] },
    ...link('Two areas', 'One item per area', 'WorldCover per area'),
  });
}

/**
 * Start → one EO Request node `nodeName` on the Sentinel Hub credential, a failed item passed on as
 * `{ error }` (On Error → Continue) so a test reads the message from the node's output.
 */
export function sentinelHubCall(id: string, nodeName: string, parameters: Record<string, unknown>): Workflow {
  const call = node(nodeName, EO_REQUEST_TYPE, 1, parameters, { ...sentinelHubCredentials, onError: 'continueRegularOutput' });
  return workflowOf(id, id, [manual(), call], link('Start', nodeName));
}
