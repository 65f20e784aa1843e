/**
 * The two Node-RED flows the download benchmark times, each behind an `http in` route so the
 * benchmark knows exactly when a transfer starts and when its file is complete:
 *   ours: http in → set url/filename → eo-request (Terrascope download) → summary → http response
 *   core: http in → set url/filename → http request (binary buffer, static bearer) → file → summary → http response
 * A Catch node answers with status 500 and the error, so a failure never leaves the call hanging.
 * Request body: `{"url": <path under the Terrascope base URL>, "filename": <name in the folder>}`.
 */
import { eoRequestNode, type FlowNode } from '../../test/support/flows';
import type { NodeRedProcess } from '../../test/support/node-red-process';
import { DEMO_USER } from '../../test/emulator/state';
import type { EmulatorEndpoints } from '../../test/emulator/types';
import { fileNode } from './bench-nodes';

/** The route both flows listen on. */
export const DOWNLOAD_ROUTE = '/bench/download';

const SUMMARY = 'msg.payload = { bytes: Buffer.isBuffer(msg.payload) ? msg.payload.length : msg.eo && msg.eo.bytes };\nreturn msg;';
const FAILED = 'msg.statusCode = 500;\nmsg.payload = { error: String(msg.error && msg.error.message) };\nreturn msg;';

function frame(tab: string, label: string, setup: string, middle: FlowNode[], firstMiddle: string): FlowNode[] {
  const at = (i: number) => ({ z: tab, x: 120 + 180 * i, y: 80 });
  const lastMiddle = middle[middle.length - 1].id;
  return [
    { id: tab, type: 'tab', label, disabled: false, info: '' },
    {
      id: `${tab}-in`,
      type: 'http in',
      ...at(0),
      name: '',
      url: DOWNLOAD_ROUTE,
      method: 'post',
      upload: false,
      swaggerDoc: '',
      wires: [[`${tab}-setup`]],
    },
    { id: `${tab}-setup`, type: 'function', ...at(1), name: 'url and file name', func: setup, outputs: 1, wires: [[firstMiddle]] },
    ...middle.map((node, i) => ({ ...at(2 + i), ...node })),
    {
      id: `${tab}-summary`,
      type: 'function',
      ...at(2 + middle.length),
      name: 'summary',
      func: SUMMARY,
      outputs: 1,
      wires: [[`${tab}-out`]],
    },
    { id: `${tab}-out`, type: 'http response', ...at(3 + middle.length), name: '', statusCode: '', headers: {}, wires: [] },
    { id: `${tab}-catch`, type: 'catch', z: tab, x: 120, y: 160, name: '', scope: null, uncaught: false, wires: [[`${tab}-failed`]] },
    { id: `${tab}-failed`, type: 'function', z: tab, x: 300, y: 160, name: 'failed', func: FAILED, outputs: 1, wires: [[`${tab}-out`]] },
  ].map((node) => (node.id === lastMiddle ? { ...node, wires: [[`${tab}-summary`]] } : node)) as FlowNode[];
}

/** Our nodes: an EO Auth (Terrascope, password grant) and an EO Request download into `directory`. */
export function ourDownloadFlow(endpoints: EmulatorEndpoints, directory: string): FlowNode[] {
  const tab = 'bench-ours';
  const auth: FlowNode = {
    id: `${tab}-auth`,
    type: 'eo-auth',
    name: 'Terrascope (emulator)',
    provider: 'terrascope',
    tokenUrl: endpoints.terrascope.tokenUrl,
    baseUrl: endpoints.terrascope.baseUrl,
    grant: 'password',
    clientAuth: 'body',
    extraOrigins: '',
    credentials: { username: DEMO_USER.username, password: DEMO_USER.password },
  };
  const request = eoRequestNode(
    `${tab}-request`,
    tab,
    { x: 480, y: 80 },
    { name: 'download', auth: auth.id, operation: 'download', directory, overwrite: 'always' },
    [],
  );
  const setup = 'msg.url = msg.payload.url;\nmsg.filename = msg.payload.filename;\ndelete msg.payload;\nreturn msg;';
  return [...frame(tab, 'download benchmark: EO Request', setup, [request], request.id), auth];
}

/** Node-RED's own nodes: http request (whole body as one Buffer, a static bearer token) → file. */
export function coreDownloadFlow(endpoints: EmulatorEndpoints, token: string, directory: string): FlowNode[] {
  const tab = 'bench-core';
  const request: FlowNode = {
    id: `${tab}-request`,
    type: 'http request',
    name: 'GET',
    method: 'GET',
    ret: 'bin',
    paytoqs: 'ignore',
    url: '',
    tls: '',
    persist: false,
    proxy: '',
    insecureHTTPParser: false,
    authType: 'bearer',
    senderr: false,
    headers: [],
    credentials: { user: '', password: token },
    wires: [],
  };
  const file = fileNode(`${tab}-file`, []);
  request.wires = [[file.id]];
  const setup = [
    `msg.url = ${JSON.stringify(endpoints.terrascope.baseUrl)} + msg.payload.url;`,
    `msg.filename = ${JSON.stringify(directory)} + '/' + msg.payload.filename;`,
    'delete msg.payload;',
    'return msg;',
  ].join('\n');
  return frame(tab, 'download benchmark: http request + file', setup, [request, file], request.id);
}

/** One download through a deployed flow: resolves when its file is complete (or the flow failed). */
export async function downloadThroughFlow(red: NodeRedProcess, url: string, filename: string): Promise<{ ok: boolean; error?: string }> {
  try {
    const { body } = await red.whenStarted(() => red.request('POST', DOWNLOAD_ROUTE, { url, filename }));
    return { ok: true, ...(body as object) };
  } catch (err) {
    // A dropped connection usually means the runtime died: say so, with the error it printed.
    for (let i = 0; i < 20 && red.running; i++) await new Promise((r) => setTimeout(r, 100));
    if (red.running) return { ok: false, error: (err as Error).message };
    const lines = red.output().trim().split('\n');
    const cause = lines.find((line) => /Error|error:/.test(line)) ?? lines[lines.length - 1];
    return { ok: false, error: `Node-RED exited during the download: ${cause.trim().slice(0, 300)}` };
  }
}
