/**
 * The soak's Node-RED configuration: three identities (two Sentinel Hub clients, one Terrascope
 * user) and several flows per identity injecting on timers, a recorder that keeps a short line per
 * result or caught error (drained by the test, so it does not grow), and a memory probe.
 */
import type { FlowNode } from '../../support/flows';
import type { Emulator } from '../../emulator/types';

/** One identity of the soak, as an EO Auth node and the emulator account behind it. */
export interface SoakIdentity {
  id: string;
  label: string;
  provider: 'sentinel-hub' | 'terrascope';
  tokenUrl: string;
  credentials: { clientId: string; clientSecret: string } | { username: string; password: string };
}

/** A timer-driven flow: an inject, a function that builds the message, an EO Request. */
export interface SoakFlow {
  id: string;
  identity: string;
  operation: 'process' | 'catalog' | 'download';
  everyS: number;
}

/** Where the test reads (and empties) the recorded outcomes, and the memory probe. */
export const RESULTS_ROUTE = '/soak-results';
export const MEMORY_ROUTE = '/soak-memory';
/**
 * POST here and the timers keep ticking but send nothing more (the flows drain); the answer,
 * `{ stopped: true, sent }`, counts the messages sent in all (none can follow it).
 */
export const STOP_ROUTE = '/soak-stop';

/**
 * For settings.js: the memory probe the function node calls (Node-RED's function sandbox has no
 * `process`). A full collection first, so samples show live memory rather than garbage not yet
 * collected (the runtime is started with --expose-gc).
 */
export const MEMORY_PROBE_SETTING =
  'functionGlobalContext: { soakMemory: () => { if (typeof global.gc === "function") global.gc(); const m = process.memoryUsage(); return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }; } }';

const PROCESS_REQUEST = {
  input: {
    bounds: { bbox: [12.44, 41.87, 12.54, 41.93], properties: { crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84' } },
    data: [{ type: 'sentinel-2-l2a', dataFilter: { timeRange: { from: '2024-06-01T00:00:00Z', to: '2024-06-30T23:59:59Z' } } }],
  },
  output: { width: 64, height: 64, responses: [{ identifier: 'default', format: { type: 'image/png' } }] },
  evalscript:
    '//VERSION=3\nfunction setup() { return { input: ["B04"], output: { bands: 1 } }; }\nfunction evaluatePixel(s) { return [s.B04]; }\n',
};

const CATALOG_SEARCH = {
  collections: ['sentinel-2-l2a'],
  bbox: [12.44, 41.87, 12.54, 41.93],
  datetime: '2024-06-01T00:00:00Z/2024-06-30T23:59:59Z',
  limit: 10,
};

/** What the recorder keeps of each outcome: enough to check it, never the payload or a token. */
const RECORD_RESULT = `
const list = global.get('soakResults') || [];
const eo = msg.eo || {};
list.push({ kind: 'result', flow: msg.soakFlow, t: Date.now(), statusCode: msg.statusCode, path: typeof msg.payload === 'string' ? msg.payload : undefined,
  bytes: eo.bytes, attempts: eo.attempts, resumed: eo.resumed, size: msg.soakSize, features: msg.payload && Array.isArray(msg.payload.features) ? msg.payload.features.length : undefined,
  bufferLength: Buffer.isBuffer(msg.payload) ? msg.payload.length : undefined });
global.set('soakResults', list);
return null;`;

const RECORD_ERROR = `
const list = global.get('soakResults') || [];
const e = msg.error || {};
list.push({ kind: 'error', flow: msg.soakFlow, t: Date.now(), message: String(e.message || ''), code: e.code, source: e.source && e.source.id });
global.set('soakResults', list);
return null;`;

/** The message each operation sends; downloads take a size from the list in turn and a unique file name. */
function buildMessage(flow: SoakFlow, sizes: number[]): string {
  // Counted as sent here, so the test can tell whether every message ended in a result or an error.
  const tag = `if (global.get('soakStop')) return null;\nglobal.set('soakSent', (global.get('soakSent') || 0) + 1);\nmsg.soakFlow = ${JSON.stringify(flow.id)};`;
  if (flow.operation === 'process') return `${tag}\nmsg.payload = ${JSON.stringify(PROCESS_REQUEST)};\nreturn msg;`;
  if (flow.operation === 'catalog') return `${tag}\nmsg.payload = ${JSON.stringify(CATALOG_SEARCH)};\nreturn msg;`;
  return `${tag}
const n = (context.get('n') || 0) + 1;
context.set('n', n);
const sizes = ${JSON.stringify(sizes)};
const size = sizes[n % sizes.length];
msg.soakSize = size;
msg.url = '/download/synthetic/' + size + '.bin';
msg.filename = ${JSON.stringify(flow.id)} + '-' + n + '-' + size + '.bin';
return msg;`;
}

/** The whole configuration: one tab with the flows, a catch-all, the recorder and the probe. */
export function soakFlows(
  emulator: Emulator,
  identities: SoakIdentity[],
  flows: SoakFlow[],
  downloadDir: string,
  sizes: number[],
): FlowNode[] {
  const tab = 'soak-tab';
  const nodes: FlowNode[] = [{ id: tab, type: 'tab', label: 'soak', disabled: false, info: '' }];
  for (const idn of identities) {
    nodes.push({
      id: idn.id,
      type: 'eo-auth',
      name: idn.label,
      provider: idn.provider,
      tokenUrl: idn.tokenUrl,
      baseUrl: emulator.url,
      grant: '',
      clientAuth: 'body',
      extraOrigins: '',
      credentials: idn.credentials,
    });
  }
  flows.forEach((flow, i) => {
    const y = 60 + i * 60;
    nodes.push(
      {
        id: `${flow.id}-tick`,
        type: 'inject',
        z: tab,
        name: '',
        props: [],
        repeat: String(flow.everyS),
        crontab: '',
        once: true,
        onceDelay: 0.5 + i * 0.17,
        topic: '',
        x: 100,
        y,
        wires: [[`${flow.id}-build`]],
      },
      {
        id: `${flow.id}-build`,
        type: 'function',
        z: tab,
        name: `build ${flow.id}`,
        func: buildMessage(flow, sizes),
        outputs: 1,
        x: 260,
        y,
        wires: [[flow.id]],
      },
      {
        id: flow.id,
        type: 'eo-request',
        z: tab,
        name: flow.id,
        auth: flow.identity,
        operation: flow.operation,
        method: flow.operation === 'download' ? 'GET' : 'POST',
        url: '',
        headers: [],
        accept: 'image/png',
        output: flow.operation === 'download' ? 'file' : flow.operation === 'catalog' ? 'json' : 'buffer',
        directory: flow.operation === 'download' ? downloadDir : '',
        filename: '',
        overwrite: 'always',
        catalogLimit: 10,
        catalogSplit: false,
        bbox: '',
        x: 440,
        y,
        wires: [['soak-record-result']],
      },
    );
  });
  nodes.push(
    { id: 'soak-catch', type: 'catch', z: tab, name: '', scope: null, uncaught: false, x: 100, y: 20, wires: [['soak-record-error']] },
    {
      id: 'soak-record-result',
      type: 'function',
      z: tab,
      name: 'record result',
      func: RECORD_RESULT,
      outputs: 0,
      x: 640,
      y: 20,
      wires: [],
    },
    { id: 'soak-record-error', type: 'function', z: tab, name: 'record error', func: RECORD_ERROR, outputs: 0, x: 260, y: 20, wires: [] },
    {
      id: 'soak-results-in',
      type: 'http in',
      z: tab,
      name: '',
      url: RESULTS_ROUTE,
      method: 'get',
      upload: false,
      swaggerDoc: '',
      x: 100,
      y: 700,
      wires: [['soak-results-drain']],
    },
    // Hands over and forgets in one step (a function runs to completion), so nothing is lost or read twice.
    {
      id: 'soak-results-drain',
      type: 'function',
      z: tab,
      name: '',
      func: "msg.payload = global.get('soakResults') || [];\nglobal.set('soakResults', []);\nreturn msg;",
      outputs: 1,
      x: 300,
      y: 700,
      wires: [['soak-http-out']],
    },
    {
      id: 'soak-memory-in',
      type: 'http in',
      z: tab,
      name: '',
      url: MEMORY_ROUTE,
      method: 'get',
      upload: false,
      swaggerDoc: '',
      x: 100,
      y: 760,
      wires: [['soak-memory-read']],
    },
    {
      id: 'soak-memory-read',
      type: 'function',
      z: tab,
      name: '',
      func: "msg.payload = global.get('soakMemory')();\nreturn msg;",
      outputs: 1,
      x: 300,
      y: 760,
      wires: [['soak-http-out']],
    },
    {
      id: 'soak-stop-in',
      type: 'http in',
      z: tab,
      name: '',
      url: STOP_ROUTE,
      method: 'post',
      upload: false,
      swaggerDoc: '',
      x: 100,
      y: 820,
      wires: [['soak-stop-set']],
    },
    {
      id: 'soak-stop-set',
      type: 'function',
      z: tab,
      name: '',
      func: "global.set('soakStop', true);\nmsg.payload = { stopped: true, sent: global.get('soakSent') || 0 };\nreturn msg;",
      outputs: 1,
      x: 300,
      y: 820,
      wires: [['soak-http-out']],
    },
    { id: 'soak-http-out', type: 'http response', z: tab, name: '', statusCode: '', headers: {}, x: 500, y: 730, wires: [] },
  );
  return nodes;
}
