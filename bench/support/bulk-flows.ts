/**
 * The Node-RED flows the bulk-ingest benchmark times, each behind an `http in` route that answers
 * once the whole run is done (so the benchmark knows when it starts and ends):
 *   WorldCover: http in → EO Request (WorldCover tiles of msg.payload.bbox) ; complete → http response
 *   large file: http in → EO Request (Terrascope download of msg.payload.url) → http response
 *   naive:      http in → split the tile URLs → core http request (static bearer) → file → join → http response
 * Each EO Request flow has its own EO Auth (`maxConnections`) and emulator account, so the caps and
 * the emulator's counters of two flows never mix. A Catch node answers 500 with the error.
 */
import type { FlowNode } from '../../test/support/flows';
import type { EmulatorEndpoints } from '../../test/emulator/types';

/** An emulator account a flow downloads with. */
export interface BulkAccount {
  username: string;
  password: string;
}

const FAILED = 'msg.statusCode = 500;\nmsg.payload = { error: String(msg.error && msg.error.message) };\nreturn msg;';

function at(tab: string, column: number, row = 0): { z: string; x: number; y: number } {
  return { z: tab, x: 120 + 200 * column, y: 60 + 60 * row };
}

function authNode(id: string, endpoints: EmulatorEndpoints, account: BulkAccount, maxConnections: number): FlowNode {
  return {
    id,
    type: 'eo-auth',
    name: `${account.username} (${maxConnections} connections)`,
    provider: 'terrascope',
    tokenUrl: endpoints.terrascope.tokenUrl,
    baseUrl: endpoints.terrascope.baseUrl,
    extraOrigins: '',
    maxConnections: String(maxConnections),
    credentials: { username: account.username, password: account.password },
  };
}

function request(tab: string, auth: string, operation: 'worldcover' | 'download', directory: string, wires: string[][]): FlowNode {
  return {
    id: `${tab}-request`,
    type: 'eo-request',
    ...at(tab, 1),
    name: operation,
    auth,
    operation,
    method: 'GET',
    url: '',
    headers: [],
    directory,
    filename: '',
    overwrite: 'always',
    year: 2021,
    bbox: '',
    wires,
  };
}

function frame(tab: string, label: string, route: string): FlowNode[] {
  return [
    { id: tab, type: 'tab', label, disabled: false, info: '' },
    {
      id: `${tab}-in`,
      type: 'http in',
      ...at(tab, 0),
      name: '',
      url: route,
      method: 'post',
      upload: false,
      swaggerDoc: '',
      wires: [[`${tab}-request`]],
    },
    { id: `${tab}-out`, type: 'http response', ...at(tab, 4), name: '', statusCode: '', headers: {}, wires: [] },
    { id: `${tab}-catch`, type: 'catch', ...at(tab, 0, 2), name: '', scope: null, uncaught: false, wires: [[`${tab}-failed`]] },
    { id: `${tab}-failed`, type: 'function', ...at(tab, 1, 2), name: 'failed', func: FAILED, outputs: 1, wires: [[`${tab}-out`]] },
  ];
}

/**
 * WorldCover tiles of `msg.payload` (a bbox) into `directory`, answering when the node is done
 * with every tile (its Complete node); the tile messages themselves go nowhere.
 */
export function worldCoverFlow(
  tab: string,
  route: string,
  endpoints: EmulatorEndpoints,
  account: BulkAccount,
  maxConnections: number,
  directory: string,
): FlowNode[] {
  const auth = authNode(`${tab}-auth`, endpoints, account, maxConnections);
  return [
    ...frame(tab, `bulk: WorldCover, ${maxConnections} connections`, route),
    request(tab, auth.id, 'worldcover', directory, [[]]),
    {
      id: `${tab}-complete`,
      type: 'complete',
      ...at(tab, 2, 1),
      name: '',
      scope: [`${tab}-request`],
      uncaught: false,
      wires: [[`${tab}-done`]],
    },
    {
      id: `${tab}-done`,
      type: 'function',
      ...at(tab, 3, 1),
      name: 'done',
      func: 'msg.payload = { done: true };\nreturn msg;',
      outputs: 1,
      wires: [[`${tab}-out`]],
    },
    auth,
  ];
}

/** One download of `msg.url` into `directory`, answering with its `msg.eo`. */
export function largeFileFlow(
  tab: string,
  route: string,
  endpoints: EmulatorEndpoints,
  account: BulkAccount,
  maxConnections: number,
  directory: string,
): FlowNode[] {
  const auth = authNode(`${tab}-auth`, endpoints, account, maxConnections);
  const nodes = frame(tab, `bulk: one large file, ${maxConnections} connections`, route);
  nodes[1].wires = [[`${tab}-setup`]];
  return [
    ...nodes,
    {
      id: `${tab}-setup`,
      type: 'function',
      ...at(tab, 0, 1),
      name: 'url',
      func: 'msg.url = msg.payload.url;\nreturn msg;',
      outputs: 1,
      wires: [[`${tab}-request`]],
    },
    request(tab, auth.id, 'download', directory, [[`${tab}-done`]]),
    {
      id: `${tab}-done`,
      type: 'function',
      ...at(tab, 3),
      name: 'done',
      func: 'msg.payload = msg.eo;\nreturn msg;',
      outputs: 1,
      wires: [[`${tab}-out`]],
    },
    auth,
  ];
}

/**
 * What a user would wire without this package: the tile URLs split into messages, each fetched by
 * the core http request node (whole body in memory, a bearer token pasted in) and written by the
 * file node; a join collects the status codes. Nothing limits how many run at once.
 */
export function naiveFlow(tab: string, route: string, token: string, directory: string): FlowNode[] {
  const nodes = frame(tab, 'bulk: split → http request → file', route);
  nodes[1].wires = [[`${tab}-urls`]];
  return [
    ...nodes,
    {
      id: `${tab}-urls`,
      type: 'function',
      ...at(tab, 0, 1),
      name: 'urls',
      func: 'msg.payload = msg.payload.urls;\nreturn msg;',
      outputs: 1,
      wires: [[`${tab}-split`]],
    },
    {
      id: `${tab}-split`,
      type: 'split',
      ...at(tab, 1, 1),
      name: '',
      splt: '\\n',
      spltType: 'str',
      arraySplt: 1,
      arraySpltType: 'len',
      stream: false,
      addname: '',
      wires: [[`${tab}-set`]],
    },
    {
      id: `${tab}-set`,
      type: 'function',
      ...at(tab, 2, 1),
      name: 'url and file',
      func: `msg.url = msg.payload;\nmsg.filename = ${JSON.stringify(directory)} + '/' + msg.payload.split('/').pop();\ndelete msg.payload;\nreturn msg;`,
      outputs: 1,
      wires: [[`${tab}-get`]],
    },
    {
      id: `${tab}-get`,
      type: 'http request',
      ...at(tab, 3, 1),
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
      wires: [[`${tab}-file`]],
    },
    {
      id: `${tab}-file`,
      type: 'file',
      ...at(tab, 4, 1),
      name: 'write',
      filename: 'filename',
      filenameType: 'msg',
      appendNewline: false,
      createDir: true,
      overwriteFile: 'true',
      encoding: 'none',
      wires: [[`${tab}-status`]],
    },
    {
      id: `${tab}-status`,
      type: 'function',
      ...at(tab, 5, 1),
      name: 'status',
      func: 'msg.payload = msg.statusCode;\nreturn msg;',
      outputs: 1,
      wires: [[`${tab}-join`]],
    },
    {
      id: `${tab}-join`,
      type: 'join',
      ...at(tab, 6, 1),
      name: '',
      mode: 'auto',
      build: 'array',
      property: 'payload',
      propertyType: 'msg',
      timeout: '',
      count: '',
      reduceRight: false,
      wires: [[`${tab}-out`]],
    },
  ];
}
