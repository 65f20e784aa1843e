/**
 * Several Node-RED 5 processes with the same flows, the way a high-availability setup runs them
 * behind a load balancer: the package installed once from its tarball and copied to each user
 * directory, each process on its own port with the same environment (EO_REDIS_URL, ...). Used by
 * the scale-out tests, the Redis fault scenarios and the scale-out benchmark.
 *
 * `sharedTokenFlows()` is the flow they run: an EO Auth node, an inject "fire" that fans out
 * `perFire` messages to one EO Request node, a Catch node, and the test collector.
 * `sharedTokenRoutes()` serves one message per HTTP call instead, for latency and per-call outcomes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { debugNode, withCollectors, type FlowNode } from './flows';
import { installPackage, nodeRed5Runtime, startNodeRed, type NodeRedProcess } from './node-red-process';
import { packPackage } from './package-tarball';

/** Options of {@link startNodeRedGroup}. */
export interface NodeRedGroupOptions {
  /** Holds the tarball and one user directory per process. */
  workDir: string;
  count: number;
  /** The environment of every process (e.g. EO_REDIS_URL), or one per process. */
  env?: NodeJS.ProcessEnv | NodeJS.ProcessEnv[];
  /** A tarball already packed; default: pack the built package now. */
  tarball?: string;
}

/** Starts `count` Node-RED 5 processes; on a failed start the ones already running are stopped. */
export async function startNodeRedGroup(options: NodeRedGroupOptions): Promise<NodeRedProcess[]> {
  const runtime = nodeRed5Runtime();
  const packDir = path.join(options.workDir, 'pack');
  fs.mkdirSync(packDir, { recursive: true });
  const tarball = options.tarball ?? (await packPackage(packDir));
  const first = path.join(options.workDir, 'node-red-1');
  await installPackage(first, tarball, runtime.nodeBin);
  const dirs = [first];
  for (let i = 2; i <= options.count; i++) {
    const dir = path.join(options.workDir, `node-red-${i}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(first, dir, { recursive: true });
    dirs.push(dir);
  }
  const started: NodeRedProcess[] = [];
  try {
    for (const [i, userDir] of dirs.entries()) {
      const env = Array.isArray(options.env) ? options.env[i] : options.env;
      started.push(await startNodeRed({ userDir, runtime, env: { ...env } }));
    }
    return started;
  } catch (err) {
    await Promise.all(started.map((red) => red.stop()));
    throw err;
  }
}

/** The identity an EO Auth node of {@link sharedTokenFlows} uses. */
export type FlowIdentity =
  | { provider: 'sentinel-hub'; tokenUrl: string; baseUrl: string; clientId: string; clientSecret: string }
  | { provider: 'terrascope'; tokenUrl: string; baseUrl: string; username: string; password: string };

/** The EO Auth config node of `identity`. */
function eoAuthOf(identity: FlowIdentity, id: string, name: string): FlowNode {
  const sentinel = identity.provider === 'sentinel-hub';
  return {
    id,
    type: 'eo-auth',
    name,
    provider: identity.provider,
    tokenUrl: identity.tokenUrl,
    baseUrl: identity.baseUrl,
    grant: sentinel ? 'client_credentials' : 'password',
    clientAuth: 'body',
    extraOrigins: '',
    credentials: sentinel
      ? { clientId: identity.clientId, clientSecret: identity.clientSecret }
      : { username: identity.username, password: identity.password },
  };
}

/** An EO Request node for `identity`: a Catalog search (one feature) for Sentinel Hub, a small download for Terrascope. */
function eoRequestOf(
  identity: FlowIdentity,
  node: { id: string; z: string; auth: string; x: number; y: number; wires: string[][] },
): FlowNode {
  const sentinel = identity.provider === 'sentinel-hub';
  return {
    type: 'eo-request',
    name: sentinel ? 'catalog' : 'download',
    operation: sentinel ? 'catalog' : 'request',
    method: 'GET',
    url: sentinel ? '' : '/download/synthetic/2048.bin',
    headers: [],
    accept: 'image/tiff',
    output: sentinel ? 'json' : 'auto',
    directory: '',
    filename: '',
    overwrite: 'if-changed',
    catalogLimit: 1,
    catalogSplit: false,
    year: 2021,
    bbox: '',
    ...node,
  };
}

/** The msg.payload an EO Request node of `identity` is sent (JavaScript source). */
function payloadOf(identity: FlowIdentity): string {
  return identity.provider === 'sentinel-hub' ? "{ collections: ['sentinel-2-l2a'], limit: 1 }" : 'null';
}

/** Ids of the nodes of {@link sharedTokenFlows}, for inject and the collector. */
export const SHARED_FLOW = { fire: 'fire', request: 'eo-request', catch: 'catch-all' } as const;

/**
 * inject "fire" → function sending `perFire` messages → EO Request → debug, plus a Catch node
 * (→ debug) for the tab. Sentinel Hub identities run a Catalog search (one feature), Terrascope
 * ones a small download (kept in the message). `label` changes the tab's label (a "modified" deploy).
 */
export function sharedTokenFlows(identity: FlowIdentity, perFire: number, label = 'shared tokens'): FlowNode[] {
  const tab = 'tab-shared-tokens';
  const fanOut = `for (let i = 0; i < ${perFire}; i++) node.send({ payload: ${payloadOf(identity)}, i });\nreturn null;`;
  return withCollectors([
    { id: tab, type: 'tab', label, disabled: false, info: '' },
    eoAuthOf(identity, 'auth', 'shared identity'),
    {
      id: SHARED_FLOW.fire,
      type: 'inject',
      z: tab,
      name: 'fire',
      props: [{ p: 'payload' }],
      repeat: '',
      crontab: '',
      once: false,
      onceDelay: 0.1,
      topic: '',
      payload: '',
      payloadType: 'date',
      x: 100,
      y: 100,
      wires: [['fan-out']],
    },
    { id: 'fan-out', type: 'function', z: tab, name: 'fan out', func: fanOut, outputs: 1, x: 250, y: 100, wires: [[SHARED_FLOW.request]] },
    eoRequestOf(identity, { id: SHARED_FLOW.request, z: tab, auth: 'auth', x: 450, y: 100, wires: [['done']] }),
    { id: SHARED_FLOW.catch, type: 'catch', z: tab, name: 'errors', scope: null, uncaught: false, x: 450, y: 40, wires: [['done']] },
    debugNode('done', tab, { x: 650, y: 100, active: false }),
  ]);
}

/** Where {@link sharedTokenRoutes} answers: POST `${SHARED_ROUTE}/<identity index>`. */
export const SHARED_ROUTE = '/eo-shared';

/**
 * One http-in route per identity: POST <SHARED_ROUTE>/<i> → EO Request → 200 with the status it
 * got; an error caught by the tab's Catch node answers 500 with its code. Sentinel Hub identities
 * run a Catalog search, Terrascope ones a small download.
 */
export function sharedTokenRoutes(identities: FlowIdentity[]): FlowNode[] {
  const tab = 'tab-shared-routes';
  const nodes: FlowNode[] = [
    { id: tab, type: 'tab', label: 'shared token routes', disabled: false, info: '' },
    { id: 'routes-catch', type: 'catch', z: tab, name: 'errors', scope: null, uncaught: false, x: 300, y: 20, wires: [['routes-failed']] },
    {
      id: 'routes-failed',
      type: 'function',
      z: tab,
      name: 'failed',
      func: 'msg.statusCode = 500;\nmsg.payload = { failed: (msg.error && msg.error.code) || "error" };\nreturn msg;',
      outputs: 1,
      x: 500,
      y: 20,
      wires: [['routes-answer']],
    },
    { id: 'routes-answer', type: 'http response', z: tab, name: '', statusCode: '', headers: {}, x: 900, y: 20, wires: [] },
  ];
  identities.forEach((identity, i) => {
    const y = 100 + i * 60;
    nodes.push(
      eoAuthOf(identity, `routes-auth-${i}`, `identity ${i}`),
      {
        id: `routes-in-${i}`,
        type: 'http in',
        z: tab,
        name: '',
        url: `${SHARED_ROUTE}/${i}`,
        method: 'post',
        upload: false,
        swaggerDoc: '',
        x: 100,
        y,
        wires: [[`routes-body-${i}`]],
      },
      {
        id: `routes-body-${i}`,
        type: 'function',
        z: tab,
        name: 'request',
        func: `msg.payload = ${payloadOf(identity)};\nreturn msg;`,
        outputs: 1,
        x: 300,
        y,
        wires: [[`routes-request-${i}`]],
      },
      eoRequestOf(identity, { id: `routes-request-${i}`, z: tab, auth: `routes-auth-${i}`, x: 500, y, wires: [[`routes-ok-${i}`]] }),
      {
        id: `routes-ok-${i}`,
        type: 'function',
        z: tab,
        name: 'answered',
        func: 'msg.payload = { status: msg.statusCode };\nmsg.statusCode = 200;\nreturn msg;',
        outputs: 1,
        x: 700,
        y,
        wires: [['routes-answer']],
      },
    );
  });
  return nodes;
}
