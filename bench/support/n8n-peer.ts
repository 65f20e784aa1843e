/**
 * n8n's reactive credential model, measured for real: a tiny credential type with
 * `preAuthentication` and a hidden `expirable` token field (the way n8n's own short-lived-token
 * credentials work), installed as a community package into the real n8n 2.41.1 from .cache, and
 * used by n8n's core HTTP Request node as a "predefined credential type". n8n fetches the token
 * when the field is empty, and again only after a 401 (then retries that request once).
 */
import fs from 'node:fs';
import path from 'node:path';
import { N8nHome, type ExecutionResult } from '../../test/support/n8n-process';
import type { BenchAccount } from './bench-nodes';
import { track, trackFolder } from './processes';
import { statusIn } from './status';

/** The package name n8n's community-package loader recognises (n8n-nodes-*). */
const PEER_PACKAGE = 'n8n-nodes-eo-bench-peer';
export const PEER_CREDENTIAL_TYPE = 'eoBenchPeerApi';

const CREDENTIAL_JS = String.raw`
class EoBenchPeerApi {
  constructor() {
    this.name = '${PEER_CREDENTIAL_TYPE}';
    this.displayName = 'EO bench peer (preAuthentication)';
    this.properties = [
      { displayName: 'Token URL', name: 'tokenUrl', type: 'string', default: '' },
      { displayName: 'Client ID', name: 'clientId', type: 'string', default: '' },
      { displayName: 'Client Secret', name: 'clientSecret', type: 'string', typeOptions: { password: true }, default: '' },
      { displayName: 'Access Token', name: 'accessToken', type: 'hidden', typeOptions: { expirable: true, password: true }, default: '' },
    ];
    this.authenticate = { type: 'generic', properties: { headers: { Authorization: '=Bearer {{$credentials.accessToken}}' } } };
  }
  async preAuthentication(credentials) {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret });
    const answer = await this.helpers.httpRequest({
      method: 'POST',
      url: credentials.tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const data = typeof answer === 'string' ? JSON.parse(answer) : answer;
    return { accessToken: data.access_token };
  }
}
module.exports = { EoBenchPeerApi };
`;

/** What one workflow run of the peer reports. */
export interface N8nPeerRun {
  ok: number;
  failed: number;
  failures: Record<string, number>;
  /** A few failure texts, for the console. */
  samples: string[];
  seconds: number;
}

/** One workflow the peer runs: `total` GETs of `url`, all items at once or about `ratePerS` per second. */
export interface N8nPeerPlan {
  name: string;
  account: BenchAccount;
  url: string;
  total: number;
  ratePerS?: number;
}

export interface N8nPeer {
  /** Runs the planned workflow `name` with `n8n execute`; kills it and rejects after `timeoutMs`. */
  run(name: string, timeoutMs: number): Promise<N8nPeerRun>;
  remove(): Promise<void>;
}

function workflow(id: string, credentialId: string, url: string, total: number, ratePerS?: number): object {
  const node = (name: string, type: string, typeVersion: number, x: number, parameters: object, extra: object = {}) => ({
    id: `${id}-${name.toLowerCase().replace(/\W+/g, '-')}`,
    name,
    type,
    typeVersion,
    position: [x, 0],
    parameters,
    ...extra,
  });
  // Batching sends `batchSize` items, then waits `batchInterval`: two every 100 ms is about 20/s.
  const options = ratePerS ? { batching: { batch: { batchSize: 2, batchInterval: Math.round(2000 / ratePerS) } } } : {};
  return {
    id,
    name: `bench ${id}`,
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [
      node('Start', 'n8n-nodes-base.manualTrigger', 1, 0, {}),
      node('Items', 'n8n-nodes-base.set', 3.4, 200, {
        mode: 'raw',
        jsonOutput: JSON.stringify({ items: Array.from({ length: total }, (_, i) => i) }),
        options: {},
      }),
      node('One per request', 'n8n-nodes-base.splitOut', 1, 400, { fieldToSplitOut: 'items', options: {} }),
      node(
        'Request',
        'n8n-nodes-base.httpRequest',
        4.2,
        600,
        { url, authentication: 'predefinedCredentialType', nodeCredentialType: PEER_CREDENTIAL_TYPE, options },
        {
          credentials: { [PEER_CREDENTIAL_TYPE]: { id: credentialId, name: credentialId } },
          onError: 'continueRegularOutput',
        },
      ),
    ],
    connections: {
      Start: { main: [[{ node: 'Items', type: 'main', index: 0 }]] },
      Items: { main: [[{ node: 'One per request', type: 'main', index: 0 }]] },
      'One per request': { main: [[{ node: 'Request', type: 'main', index: 0 }]] },
    },
  };
}

function tally(result: ExecutionResult, seconds: number, total: number): N8nPeerRun {
  const runs = result.run?.data.resultData.runData.Request;
  if (!runs) throw new Error(`n8n did not run the Request node (exit ${result.code}): ${(result.stdout + result.stderr).slice(-1500)}`);
  const items = runs.flatMap((r) => r.data?.main[0] ?? []);
  const failures: Record<string, number> = {};
  const samples: string[] = [];
  let failed = 0;
  for (const item of items) {
    const error = item.json.error as { message?: string; status?: number; httpCode?: string } | string | undefined;
    if (error === undefined) continue;
    failed += 1;
    const text = typeof error === 'string' ? error : `${error.httpCode ?? error.status ?? ''} ${error.message ?? ''}`;
    if (samples.length < 5) samples.push(JSON.stringify(error).slice(0, 400));
    const why = statusIn(text);
    failures[why] = (failures[why] ?? 0) + 1;
  }
  const missing = total - items.length;
  if (missing > 0) failures.missing = missing;
  return { ok: items.length - failed, failed: failed + Math.max(0, missing), failures, samples, seconds };
}

/**
 * A user folder for the real n8n with only the peer credential type installed, and the planned
 * workflows and their credentials imported (one n8n start each for all of them: n8n starts slowly).
 */
export async function createN8nPeer(plans: N8nPeerPlan[]): Promise<N8nPeer> {
  const idOf = (name: string): string => `bench${name.replace(/\W/g, '')}`;
  const home = await N8nHome.create({ withPackage: false });
  trackFolder(home.folder);
  home.onSpawn = (child) => track(child);
  try {
    const dir = path.join(home.folder, '.n8n', 'nodes', 'node_modules', PEER_PACKAGE);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({
        name: PEER_PACKAGE,
        version: '0.0.1',
        main: 'index.js',
        keywords: ['n8n-community-node-package'],
        n8n: { n8nNodesApiVersion: 1, credentials: ['EoBenchPeerApi.credentials.js'], nodes: [] },
      }),
    );
    fs.writeFileSync(path.join(dir, 'EoBenchPeerApi.credentials.js'), CREDENTIAL_JS);
    fs.writeFileSync(path.join(dir, 'index.js'), 'module.exports = {};\n');
    const manifest = path.join(home.folder, '.n8n', 'nodes', 'package.json');
    const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { dependencies: Record<string, string> };
    pkg.dependencies[PEER_PACKAGE] = '0.0.1';
    fs.writeFileSync(manifest, JSON.stringify(pkg));
    await home.importCredentials(
      plans.map(({ name, account }) => ({
        id: `${idOf(name)}Cred`,
        name: `${idOf(name)}Cred`,
        type: PEER_CREDENTIAL_TYPE,
        data: { tokenUrl: account.tokenUrl, clientId: account.clientId, clientSecret: account.clientSecret, accessToken: '' },
      })),
    );
    await home.importWorkflows(plans.map((p) => workflow(idOf(p.name), `${idOf(p.name)}Cred`, p.url, p.total, p.ratePerS)));
  } catch (err) {
    await home.remove();
    throw err;
  }
  return {
    async run(name, timeoutMs) {
      const plan = plans.find((p) => p.name === name);
      if (!plan) throw new Error(`no n8n workflow planned as ${name}`);
      const t0 = Date.now();
      const result = await home.execute(idOf(name), {}, { timeoutMs });
      return tally(result, (Date.now() - t0) / 1000, plan.total);
    },
    remove: () => home.remove(),
  };
}
