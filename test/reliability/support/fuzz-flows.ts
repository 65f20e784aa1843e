/**
 * The fuzz flow: POST a generated message to /fuzz; a decoder turns it into a real Node-RED
 * message (Buffers, huge bodies, circular objects...), a switch hands it to the eo-request node of
 * its target, and the HTTP answer says how it ended: with a result, or with an error a Catch node
 * caught. A message that never ends leaves the HTTP call hanging, which the test counts.
 */
import type { FlowNode } from '../../support/flows';
import type { Emulator } from '../../emulator/types';
import { FUZZ_TARGETS, type FuzzTarget } from './fuzz-generator';

export const FUZZ_ROUTE = '/fuzz';

/** Builds the values JSON cannot carry; runs inside Node-RED's function sandbox. */
const DECODE = `
const spec = msg.payload;
function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (v === null || typeof v !== 'object') return v;
  if (typeof v.$buf === 'string') return Buffer.from(v.$buf, 'base64');
  if (typeof v.$big === 'number') {
    const pattern = Buffer.alloc(997);
    for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 151 + 7) & 255;
    return Buffer.alloc(v.$big, pattern);
  }
  if (typeof v.$str === 'number') return 'x\\r\\n'.repeat(Math.ceil(v.$str / 3)).slice(0, v.$str);
  if (v.$circular) { const o = { a: 1 }; o.self = o; return o; }
  if (typeof v.$deep === 'number') { let o = {}; for (let i = 0; i < v.$deep; i++) o = { o }; return o; }
  if (v.$undefined) return undefined;
  if (v.$nan) return NaN;
  const out = {};
  for (const k of Object.keys(v)) out[k] = decode(v[k]);
  return out;
}
msg.fuzzId = spec.id;
msg.fuzzTarget = spec.target;
delete msg.payload;
for (const k of Object.keys(spec.fields)) msg[k] = decode(spec.fields[k]);
return msg;`;

/** The answer for the test; only what the checks need (never a payload). */
const REPLY_RESULT = `
const path = typeof msg.payload === 'string' && /file|download/.test(msg.fuzzTarget) ? msg.payload : undefined;
const seen = global.get('fuzzSeen') || {};
seen[msg.fuzzId] = (seen[msg.fuzzId] || 0) + 1;
global.set('fuzzSeen', seen);
msg.payload = { id: msg.fuzzId, outcome: 'result', statusCode: msg.statusCode, path };
msg.headers = {};
msg.statusCode = 200;
delete msg.cookies;
return msg;`;

const REPLY_ERROR = `
const e = msg.error || {};
const seen = global.get('fuzzSeen') || {};
seen[msg.fuzzId] = (seen[msg.fuzzId] || 0) + 1;
global.set('fuzzSeen', seen);
msg.payload = { id: msg.fuzzId, outcome: 'error', source: e.source && e.source.type, message: String(e.message || '').slice(0, 300) };
msg.headers = {};
msg.statusCode = 200;
delete msg.cookies;
return msg;`;

export interface FuzzFlowOptions {
  emulator: Emulator;
  outDir: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
}

function requestNode(id: FuzzTarget, tab: string, y: number, o: FuzzFlowOptions): FlowNode {
  const base = {
    id: `fuzz-${id}`,
    type: 'eo-request',
    z: tab,
    name: id,
    headers: [],
    accept: 'image/png',
    url: '',
    filename: '',
    overwrite: 'always',
    catalogLimit: 10,
    catalogSplit: false,
    bbox: '',
    x: 500,
    y,
    wires: [['fuzz-reply-result']],
  };
  switch (id) {
    case 'request-auto':
      return { ...base, auth: 'fuzz-auth-sh', operation: 'request', method: 'use', output: 'auto', directory: '' };
    case 'request-post':
      return { ...base, auth: 'fuzz-auth-sh', operation: 'request', method: 'POST', output: 'text', directory: '' };
    case 'request-file':
      return { ...base, auth: 'fuzz-auth-sh', operation: 'request', method: 'use', output: 'file', directory: o.outDir };
    case 'download':
      return { ...base, auth: 'fuzz-auth-ts', operation: 'download', method: 'GET', output: 'file', directory: o.outDir };
    default:
      return { ...base, auth: 'fuzz-auth-sh', operation: 'process', method: 'POST', output: 'buffer', directory: '' };
  }
}

export function fuzzFlows(o: FuzzFlowOptions): FlowNode[] {
  const tab = 'fuzz-tab';
  const e = o.emulator.endpoints;
  return [
    { id: tab, type: 'tab', label: 'fuzz', disabled: false, info: '' },
    {
      id: 'fuzz-auth-sh',
      type: 'eo-auth',
      name: 'Sentinel Hub',
      provider: 'sentinel-hub',
      tokenUrl: e.sentinelHub.tokenUrl,
      baseUrl: o.emulator.url,
      grant: '',
      clientAuth: 'body',
      extraOrigins: '',
      credentials: { clientId: o.clientId, clientSecret: o.clientSecret },
    },
    {
      id: 'fuzz-auth-ts',
      type: 'eo-auth',
      name: 'Terrascope',
      provider: 'terrascope',
      tokenUrl: e.terrascope.tokenUrl,
      baseUrl: o.emulator.url,
      grant: '',
      clientAuth: 'body',
      extraOrigins: '',
      credentials: { username: o.username, password: o.password },
    },
    {
      id: 'fuzz-in',
      type: 'http in',
      z: tab,
      name: '',
      url: FUZZ_ROUTE,
      method: 'post',
      upload: false,
      swaggerDoc: '',
      x: 100,
      y: 200,
      wires: [['fuzz-decode']],
    },
    { id: 'fuzz-decode', type: 'function', z: tab, name: 'decode', func: DECODE, outputs: 1, x: 250, y: 200, wires: [['fuzz-switch']] },
    {
      id: 'fuzz-switch',
      type: 'switch',
      z: tab,
      name: 'target',
      property: 'fuzzTarget',
      propertyType: 'msg',
      rules: FUZZ_TARGETS.map((t) => ({ t: 'eq', v: t, vt: 'str' })),
      checkall: 'false',
      repair: false,
      outputs: FUZZ_TARGETS.length,
      x: 380,
      y: 200,
      wires: FUZZ_TARGETS.map((t) => [`fuzz-${t}`]),
    },
    ...FUZZ_TARGETS.map((t, i) => requestNode(t, tab, 80 + i * 60, o)),
    { id: 'fuzz-catch', type: 'catch', z: tab, name: '', scope: null, uncaught: false, x: 100, y: 420, wires: [['fuzz-reply-error']] },
    {
      id: 'fuzz-reply-result',
      type: 'function',
      z: tab,
      name: 'result',
      func: REPLY_RESULT,
      outputs: 1,
      x: 700,
      y: 200,
      wires: [['fuzz-out']],
    },
    {
      id: 'fuzz-reply-error',
      type: 'function',
      z: tab,
      name: 'error',
      func: REPLY_ERROR,
      outputs: 1,
      x: 300,
      y: 420,
      wires: [['fuzz-out']],
    },
    { id: 'fuzz-out', type: 'http response', z: tab, name: '', statusCode: '', headers: {}, x: 850, y: 300, wires: [] },
    {
      id: 'fuzz-seen-in',
      type: 'http in',
      z: tab,
      name: '',
      url: '/fuzz-seen',
      method: 'get',
      upload: false,
      swaggerDoc: '',
      x: 100,
      y: 500,
      wires: [['fuzz-seen-read']],
    },
    {
      id: 'fuzz-seen-read',
      type: 'function',
      z: tab,
      name: '',
      func: "msg.payload = global.get('fuzzSeen') || {};\nreturn msg;",
      outputs: 1,
      x: 300,
      y: 500,
      wires: [['fuzz-out']],
    },
  ];
}
