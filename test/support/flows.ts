/**
 * The package's example flows as deployable configurations: each example in its own tab, its
 * EO Auth node pointed at the provider emulator with the emulator's demo credentials, and (for
 * tests) a collector that records every message the examples' debug nodes would show.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EmulatorEndpoints } from '../emulator/types';
import { demoAccount, emulatedEndpoints, type EmulatedProvider } from './emulated-providers';
import { repoRoot } from './paths';

/** A node of a flow as Node-RED stores it. */
export type FlowNode = { id: string; type: string; z?: string; wires?: string[][]; x?: number; y?: number } & Record<string, unknown>;

/** One example file of examples/. */
export interface Example {
  /** File name without `.json`, e.g. "WorldCover tiles for a bbox". */
  title: string;
  file: string;
  nodes: FlowNode[];
}

/** Every example flow shipped in examples/ (what Import → Examples lists). */
export function loadExamples(dir = path.join(repoRoot, 'examples')): Example[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      title: f.replace(/\.json$/, ''),
      file: path.join(dir, f),
      nodes: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as FlowNode[],
    }));
}

/** Nodes placed on the workspace (they have coordinates); config nodes such as eo-auth do not. */
function isFlowNode(node: FlowNode): boolean {
  return typeof node.x === 'number';
}

/**
 * The example as one tab, the way Import puts it into the editor: flow nodes get `z`, config
 * nodes stay global.
 */
export function exampleTab(example: Example, tabId: string): FlowNode[] {
  const tab: FlowNode = { id: tabId, type: 'tab', label: example.title, disabled: false, info: '' };
  return [tab, ...example.nodes.map((n) => (isFlowNode(n) ? { ...structuredClone(n), z: tabId } : structuredClone(n)))];
}

/**
 * An inject node with a button, sending `payload` as msg.payload: JSON when it is an object, a
 * timestamp (Node-RED's default) when it is undefined, text otherwise.
 */
export function injectNode(
  id: string,
  z: string,
  at: { x: number; y: number; name?: string },
  payload: unknown,
  wires: string[],
): FlowNode {
  const json = typeof payload === 'object' && payload !== null;
  return {
    id,
    type: 'inject',
    z,
    name: at.name ?? '',
    props: [{ p: 'payload' }],
    repeat: '',
    crontab: '',
    once: false,
    onceDelay: 0.1,
    topic: '',
    payload: json ? JSON.stringify(payload) : String(payload ?? ''),
    payloadType: json ? 'json' : payload === undefined ? 'date' : 'str',
    x: at.x,
    y: at.y,
    wires: [wires],
  };
}

/** A debug node showing msg.payload in the sidebar (or, with `active: false`, only wired). */
export function debugNode(id: string, z: string, at: { x: number; y: number; active?: boolean }): FlowNode {
  return {
    id,
    type: 'debug',
    z,
    name: '',
    active: at.active ?? true,
    tosidebar: true,
    console: false,
    tostatus: false,
    complete: 'payload',
    targetType: 'msg',
    statusVal: '',
    statusType: 'auto',
    x: at.x,
    y: at.y,
    wires: [],
  };
}

/** The EO Request node's settings as the editor's palette adds one (the defaults of eo-request.html). */
const EO_REQUEST_DEFAULTS = {
  name: '',
  auth: '',
  operation: 'request',
  method: 'GET',
  url: '',
  headers: [],
  accept: 'image/tiff',
  output: 'auto',
  directory: '',
  filename: '',
  overwrite: 'if-changed',
  catalogLimit: 100,
  catalogSplit: false,
  year: 2021,
  bbox: '',
  thumbnail: false,
  thumbnailFiles: false,
};

/** An EO Request node as the editor saves one: its defaults, then `props`. */
export function eoRequestNode(
  id: string,
  z: string,
  at: { x: number; y: number },
  props: Record<string, unknown>,
  wires: string[][] = [[]],
): FlowNode {
  return { id, type: 'eo-request', z, ...EO_REQUEST_DEFAULTS, ...props, x: at.x, y: at.y, wires };
}

/** What an EO Auth node needs to talk to the emulator instead of the production service. */
export interface EmulatorTarget {
  /** The emulator's main origin, e.g. http://127.0.0.1:8480. */
  url: string;
  endpoints: EmulatorEndpoints;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
}

/** Production origins in example URLs and where the emulator serves the same paths. */
function emulatorUrlFor(url: string, target: EmulatorTarget): string {
  const map: [string, string][] = [
    ['https://stac.terrascope.be', target.endpoints.terrascope.stacUrl],
    ['https://services.terrascope.be', target.endpoints.terrascope.baseUrl],
    ['https://services.sentinel-hub.com', target.endpoints.sentinelHub.baseUrl],
    ['https://sh.dataspace.copernicus.eu', target.endpoints.cdse.baseUrl],
  ];
  for (const [prod, emu] of map) if (url.startsWith(prod)) return emu + url.slice(prod.length);
  return url;
}

/**
 * Points every EO Auth node at the emulator (token and base URL of its provider) with the
 * emulator's demo credentials, and absolute production URLs of EO Request nodes at the emulator.
 */
export function pointAtEmulator(nodes: FlowNode[], target: EmulatorTarget): FlowNode[] {
  return nodes.map((node) => {
    if (node.type === 'eo-auth') return { ...node, ...emulatedAuth(target, emulatedProviderOf(node.provider)) };
    if (node.type === 'eo-request' && typeof node.url === 'string' && node.url) return { ...node, url: emulatorUrlFor(node.url, target) };
    return node;
  });
}

/** The provider the emulator stands in for: Sentinel Hub for any it does not serve. */
function emulatedProviderOf(provider: unknown): EmulatedProvider {
  return provider === 'terrascope' || provider === 'cdse' ? provider : 'sentinel-hub';
}

/** What points an EO Auth node at the emulator: its provider's endpoints there, and the demo account as credentials. */
function emulatedAuth(emu: { endpoints: EmulatorEndpoints }, provider: EmulatedProvider) {
  return { ...emulatedEndpoints(emu, provider), credentials: demoAccount(provider) };
}

/**
 * An EO Auth node for `provider` on the emulator, its demo account inline as a flow deployed
 * through the admin API carries credentials.
 */
export function emulatedAuthNode(
  emu: { endpoints: EmulatorEndpoints },
  provider: EmulatedProvider,
  id: string,
  props: Record<string, unknown> = {},
): FlowNode {
  return { id, type: 'eo-auth', name: '', provider, ...emulatedAuth(emu, provider), ...props };
}

/** Every example, each in its own tab, pointed at the emulator. Tab ids: `tab-<n>`. */
export function examplesForEmulator(target: EmulatorTarget, examples = loadExamples()): FlowNode[] {
  return examples.flatMap((ex, i) => pointAtEmulator(exampleTab(ex, `tab-${i + 1}`), target));
}

/** One message as the collector recorded it (Buffers replaced by their length). */
export interface Collected {
  /** Id of the node whose output it came from. */
  from: string;
  payload?: unknown;
  statusCode?: number;
  tile?: string;
  eo?: Record<string, unknown>;
  error?: { message: string; code?: string; source?: { id?: string; type?: string } };
  /** Present when the payload was a Buffer. */
  bufferLength?: number;
}

/** Where the collector answers: GET returns the recorded messages, DELETE clears them. */
export const COLLECTOR_ROUTE = '/eo-test-results';

const RECORD = (from: string) => `
const list = global.get('eoTestResults') || [];
const entry = { from: ${JSON.stringify(from)}, statusCode: msg.statusCode, tile: msg.tile, eo: msg.eo };
if (Buffer.isBuffer(msg.payload)) entry.bufferLength = msg.payload.length; else entry.payload = msg.payload;
if (msg.error) entry.error = { message: msg.error.message, code: msg.error.code, source: msg.error.source };
list.push(entry);
global.set('eoTestResults', list);
return null;`;

/**
 * Adds a recording function node beside every debug node: each node wired to a debug node is also
 * wired to a collector that knows the sender's id. Adds a tab with GET/DELETE {@link COLLECTOR_ROUTE}.
 */
export function withCollectors(nodes: FlowNode[]): FlowNode[] {
  const debugIds = new Set(nodes.filter((n) => n.type === 'debug').map((n) => n.id));
  const extra: FlowNode[] = [];
  const result = nodes.map((node) => {
    if (!node.wires?.some((out) => out.some((id) => debugIds.has(id)))) return node;
    const collectorId = `collect-${node.id}`;
    extra.push({
      id: collectorId,
      type: 'function',
      z: node.z,
      name: `collect ${node.id}`,
      func: RECORD(node.id),
      outputs: 0,
      x: 0,
      y: 0,
      wires: [],
    });
    return { ...node, wires: node.wires.map((out) => (out.some((id) => debugIds.has(id)) ? [...out, collectorId] : out)) };
  });
  const tab = 'tab-collector';
  extra.push(
    { id: tab, type: 'tab', label: 'test collector', disabled: false, info: '' },
    {
      id: 'collector-get',
      type: 'http in',
      z: tab,
      name: '',
      url: COLLECTOR_ROUTE,
      method: 'get',
      upload: false,
      swaggerDoc: '',
      x: 100,
      y: 40,
      wires: [['collector-read']],
    },
    {
      id: 'collector-read',
      type: 'function',
      z: tab,
      name: '',
      func: "msg.payload = global.get('eoTestResults') || [];\nreturn msg;",
      outputs: 1,
      x: 300,
      y: 40,
      wires: [['collector-out']],
    },
    {
      id: 'collector-delete',
      type: 'http in',
      z: tab,
      name: '',
      url: COLLECTOR_ROUTE,
      method: 'delete',
      upload: false,
      swaggerDoc: '',
      x: 100,
      y: 100,
      wires: [['collector-clear']],
    },
    {
      id: 'collector-clear',
      type: 'function',
      z: tab,
      name: '',
      func: "global.set('eoTestResults', []);\nmsg.payload = [];\nreturn msg;",
      outputs: 1,
      x: 300,
      y: 100,
      wires: [['collector-out']],
    },
    { id: 'collector-out', type: 'http response', z: tab, name: '', statusCode: '', headers: {}, x: 500, y: 70, wires: [] },
  );
  return [...result, ...extra];
}

/** Minimal client of the collector a {@link withCollectors} flow serves. */
export interface CollectorClient {
  request(method: string, route: string): Promise<{ body: unknown }>;
  whenStarted<T>(call: () => Promise<T>): Promise<T>;
}

/** Every message recorded so far. */
export async function collected(red: CollectorClient): Promise<Collected[]> {
  return (await red.whenStarted(() => red.request('GET', COLLECTOR_ROUTE))).body as Collected[];
}

/** Forgets the recorded messages. */
export async function clearCollected(red: CollectorClient): Promise<void> {
  await red.whenStarted(() => red.request('DELETE', COLLECTOR_ROUTE));
}

/**
 * Waits until `count` messages came from the node `from` (or from any node when omitted); returns
 * them. Fails with what was recorded instead when they do not come within `timeoutMs`.
 */
export async function waitForCollected(red: CollectorClient, count: number, from?: string, timeoutMs = 30_000): Promise<Collected[]> {
  const end = Date.now() + timeoutMs;
  let seen: Collected[] = [];
  while (Date.now() < end) {
    seen = (await collected(red)).filter((c) => from === undefined || c.from === from);
    if (seen.length >= count) return seen;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `expected ${count} messages${from ? ` from ${from}` : ''}, got ${seen.length}: ${JSON.stringify(await collected(red)).slice(0, 2000)}`,
  );
}

/** The node of `type` (and `name`, when given) on the tab labelled `tabLabel`; throws when absent. */
export function nodeOnTab(flows: FlowNode[], tabLabel: string, type: string, name?: string): FlowNode {
  const tab = flows.find((n) => n.type === 'tab' && n.label === tabLabel);
  const node = flows.find((n) => n.z === tab?.id && n.type === type && (name === undefined || n.name === name));
  if (!node) throw new Error(`no ${type}${name ? ` "${name}"` : ''} on tab "${tabLabel}"`);
  return node;
}
