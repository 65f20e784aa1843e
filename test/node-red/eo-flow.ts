/**
 * What the eo-auth and eo-request tests share: one emulator and one Node-RED runtime per test
 * file, flows built from the emulator's endpoints, and ways to wait for what the nodes send.
 */
import eoAuth from '../../nodes/node-red/eo-auth';
import eoRequest from '../../nodes/node-red/eo-request';
import { sharedTokenCache } from '../../nodes/core';
import { startEmulator } from '../emulator/server';
import { defaultConfig } from '../emulator/state';
import type { Emulator } from '../emulator/types';
import { demoAccount, emulatedEndpoints, type EmulatedProvider } from '../support/emulated-providers';
import { loadTestHelper, type NodeRedTestHelper } from '../support/node-red-runtime';

export const NODES = [eoAuth, eoRequest];

export type FlowNode = Record<string, unknown> & { id: string; type: string };
export type Msg = Record<string, unknown>;

/** The parts of node-red-node-test-helper beyond the shared declaration: redeploys and the admin API. */
export interface FullTestHelper extends NodeRedTestHelper {
  /** Deploys `flow` as the editor does ("full" restarts every node), with these credentials. */
  setFlows(flow: object[], type: 'full' | 'flows' | 'nodes', credentials?: Record<string, object>): Promise<void>;
  /** supertest against the admin app, where the nodes register their admin endpoints. */
  request(): {
    get(path: string): AdminCall;
    post(path: string): AdminCall & { send(body: object): AdminCall };
  };
}

export interface AdminCall extends PromiseLike<{ status: number; body: unknown; text: string }> {
  expect(status: number): AdminCall;
}

export interface TestBed {
  emu: Emulator;
  helper: FullTestHelper;
}

/**
 * Starts the emulator and the runtime for the file. After each test the flows are stopped, the
 * emulator is back to its defaults and the process-wide token cache is empty, so token counts
 * of one test never depend on another.
 */
export function useTestBed(): TestBed {
  const bed = {} as TestBed;
  beforeAll(async () => {
    bed.emu = await startEmulator();
    bed.helper = loadTestHelper() as FullTestHelper;
    await bed.helper.startServer();
  });
  afterAll(async () => {
    await bed.helper.stopServer();
    await bed.emu.close();
  });
  afterEach(async () => {
    await bed.helper.unload();
    bed.emu.reset();
    bed.emu.configure(defaultConfig());
    sharedTokenCache().clear();
  });
  return bed;
}

/** An eo-auth node pointing at the emulator. */
export function authNode(emu: Emulator, provider: EmulatedProvider = 'sentinel-hub', extra: Record<string, unknown> = {}): FlowNode {
  const { tokenUrl, baseUrl } = emulatedEndpoints(emu, provider);
  return { id: 'auth', type: 'eo-auth', name: 'emulator', provider, tokenUrl, baseUrl, ...extra };
}

/** The demo credentials of `provider`, keyed by the config node id as helper.load wants them. */
export function demoCredentials(provider: EmulatedProvider = 'sentinel-hub', id = 'auth'): Record<string, object> {
  return { [id]: demoAccount(provider) };
}

/** A tab with eo-request `props` wired to a helper node `out`, and a Catch node wired to `caught`. */
export function requestFlow(auth: FlowNode, props: Record<string, unknown>, more: FlowNode[] = []): FlowNode[] {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    auth,
    { id: 'req', type: 'eo-request', z: 'tab', x: 100, y: 100, auth: auth.id, name: '', wires: [['out']], ...props },
    { id: 'out', type: 'helper', z: 'tab', x: 300, y: 100 },
    { id: 'catch', type: 'catch', z: 'tab', x: 100, y: 200, scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 200 },
    ...more,
  ];
}

/** The next `count` messages arriving at helper node `id`. */
export function nextMessages(helper: NodeRedTestHelper, id: string, count = 1): Promise<Msg[]> {
  const node = helper.getNode(id);
  if (!node) throw new Error(`no node ${id}`);
  const got: Msg[] = [];
  return new Promise((resolve) => {
    node.on('input', (msg) => {
      got.push(msg);
      if (got.length === count) resolve(got);
    });
  });
}

/** Sends `msg` into `id` and waits for the error a Catch node reports. */
export async function caughtError(
  helper: NodeRedTestHelper,
  msg: Msg,
  id = 'req',
): Promise<Msg & { error: { message: string; code?: string } }> {
  const caught = nextMessages(helper, 'caught');
  helper.getNode(id)?.receive(msg);
  return (await caught)[0] as Msg & { error: { message: string; code?: string } };
}

/** Every status the node `id` has shown so far and from now on. */
export function statusLog(helper: NodeRedTestHelper, id = 'req'): { text?: string; fill?: string }[] {
  const log: { text?: string; fill?: string }[] = [];
  helper.getNode(id)?.on('call:status', (call) => log.push(call.args[0] as { text?: string; fill?: string }));
  return log;
}

export const GOLDEN_PROCESS = {
  input: {
    bounds: { bbox: [414315, 4958219, 414859, 4958819], properties: { crs: 'http://www.opengis.net/def/crs/EPSG/0/32633' } },
    data: [{ type: 'sentinel-2-l2a', dataFilter: { timeRange: { from: '2023-06-01T00:00:00Z', to: '2023-06-30T00:00:00Z' } } }],
  },
  output: { resx: 10, resy: 10 },
  evalscript:
    '//VERSION=3\nfunction setup() { return { input: ["B02", "B03", "B04"], output: { bands: 3 } }; }\nfunction evaluatePixel(s) { return [2.5 * s.B04, 2.5 * s.B03, 2.5 * s.B02]; }',
};

export const STATISTICS_REQUEST = {
  input: {
    bounds: { bbox: [12.44, 41.87, 12.46, 41.89] },
    data: [{ type: 'sentinel-2-l2a' }],
  },
  aggregation: {
    timeRange: { from: '2023-06-01T00:00:00Z', to: '2023-06-04T00:00:00Z' },
    aggregationInterval: { of: 'P1D' },
    evalscript:
      '//VERSION=3\nfunction setup(){return {input:["B04","B08","dataMask"],output:[{ id: "ndvi", bands: 1 },{ id: "dataMask", bands: 1 }]}}\nfunction evaluatePixel(s){return {ndvi:[(s.B08-s.B04)/(s.B08+s.B04)],dataMask:[s.dataMask]}}',
    width: 10,
    height: 10,
  },
};

export const CATALOG_SEARCH = {
  collections: ['sentinel-2-l2a'],
  bbox: [13, 45, 14, 46],
  datetime: '2023-06-01T00:00:00Z/2023-06-30T23:59:59Z',
  limit: 10,
};

/** The first argument of every `node.<method>()` call of node `id` from now on (warn, error, status, ...). */
export function callLog(helper: NodeRedTestHelper, method: string, id = 'req'): unknown[] {
  const log: unknown[] = [];
  const node = helper.getNode(id) as unknown as { on(event: string, listener: (call: { args: unknown[] }) => void): void } | null;
  node?.on(`call:${method}`, (call) => log.push(call.args[0]));
  return log;
}
