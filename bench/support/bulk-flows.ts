/**
 * The Node-RED flows the bulk-ingest benchmark times, each behind an `http in` route that answers
 * once the whole run is done (so the benchmark knows when it starts and ends):
 *   WorldCover: http in → EO Request (WorldCover tiles of msg.payload.bbox) ; complete → http response
 *   large file: http in → EO Request (Terrascope download of msg.payload.url) → http response
 *   naive:      http in → split the tile URLs → core http request (static bearer) → file → join → http response
 * Each EO Request flow has its own EO Auth (`maxConnections`) and emulator account, so the caps and
 * the emulator's counters of two flows never mix. A Catch node answers 500 with the error.
 */
import { eoRequestNode, type FlowNode } from '../../test/support/flows';
import type { EmulatorEndpoints } from '../../test/emulator/types';
import { fileNode, functionNode, httpRequestNode } from './bench-nodes';

/** An emulator account a flow downloads with. */
export interface BulkAccount {
  username: string;
  password: string;
}

/** One EO Request flow: its tab, its route, the emulator account and cap of its EO Auth, its folder. */
export interface EoFlow {
  tab: string;
  route: string;
  endpoints: EmulatorEndpoints;
  account: BulkAccount;
  maxConnections: number;
  directory: string;
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
  const { z, x, y } = at(tab, 1);
  return eoRequestNode(`${tab}-request`, z, { x, y }, { name: operation, auth, operation, directory, overwrite: 'always' }, wires);
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
export function worldCoverFlow({ tab, route, endpoints, account, maxConnections, directory }: EoFlow): FlowNode[] {
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
    { ...functionNode(`${tab}-done`, 'msg.payload = { done: true };\nreturn msg;', [[`${tab}-out`]]), z: tab },
    auth,
  ];
}

/** One download of `msg.url` into `directory`, answering with its `msg.eo`. */
export function largeFileFlow({ tab, route, endpoints, account, maxConnections, directory }: EoFlow): FlowNode[] {
  const auth = authNode(`${tab}-auth`, endpoints, account, maxConnections);
  const nodes = frame(tab, `bulk: one large file, ${maxConnections} connections`, route);
  nodes[1].wires = [[`${tab}-setup`]];
  return [
    ...nodes,
    { ...functionNode(`${tab}-setup`, 'msg.url = msg.payload.url;\nreturn msg;', [[`${tab}-request`]]), z: tab },
    request(tab, auth.id, 'download', directory, [[`${tab}-done`]]),
    { ...functionNode(`${tab}-done`, 'msg.payload = msg.eo;\nreturn msg;', [[`${tab}-out`]]), z: tab },
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
  const setFile = `msg.url = msg.payload;\nmsg.filename = ${JSON.stringify(directory)} + '/' + msg.payload.split('/').pop();\ndelete msg.payload;\nreturn msg;`;
  return [
    ...nodes,
    functionNode(`${tab}-urls`, 'msg.payload = msg.payload.urls;\nreturn msg;', [[`${tab}-split`]]),
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
    functionNode(`${tab}-set`, setFile, [[`${tab}-get`]]),
    httpRequestNode(`${tab}-get`, {
      method: 'GET',
      url: '',
      ret: 'bin',
      headers: { Authorization: `Bearer ${token}` },
      wires: [[`${tab}-file`]],
    }),
    fileNode(`${tab}-file`, [[`${tab}-status`]]),
    functionNode(`${tab}-status`, 'msg.payload = msg.statusCode;\nreturn msg;', [[`${tab}-join`]]),
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
  ].map((n) => (n.type === 'tab' ? n : { ...n, z: tab }));
}
