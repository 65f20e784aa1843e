/** Node-RED nodes the benchmark flows are made of: our eo-auth/eo-request, and the core http request node. */
import { eoRequestNode as editorEoRequestNode, type FlowNode } from '../../test/support/flows';

/** A client the emulator accepts, and where its tokens come from. */
export interface BenchAccount {
  tokenUrl: string;
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

export function eoAuthNode(id: string, account: BenchAccount): FlowNode {
  return {
    id,
    type: 'eo-auth',
    name: `bench ${account.clientId}`,
    provider: 'sentinel-hub',
    tokenUrl: account.tokenUrl,
    baseUrl: account.baseUrl,
    grant: 'client_credentials',
    clientAuth: 'body',
    extraOrigins: '',
    credentials: { clientId: account.clientId, clientSecret: account.clientSecret },
  };
}

/** An eo-request node: a custom GET of `path`, or a Process request answered as `accept`. */
export function eoRequestNode(
  id: string,
  auth: string,
  call: { operation: 'request'; path: string } | { operation: 'process'; accept: string },
): FlowNode {
  const props = call.operation === 'request' ? { url: call.path } : { accept: call.accept };
  return editorEoRequestNode(id, '', { x: 400, y: 80 }, { auth, operation: call.operation, ...props });
}

/**
 * Node-RED's own http request node, with keep-alive on (as eo-request's connection pool) and fixed
 * headers. With `senderr` a failed request goes only to Catch nodes; without, it also goes on with
 * the error code as msg.statusCode (so it must not be caught as well, or it would count twice).
 */
export function httpRequestNode(
  id: string,
  options: {
    method: 'GET' | 'POST';
    url: string;
    ret: 'obj' | 'bin' | 'txt';
    headers?: Record<string, string>;
    wires?: string[][];
    senderr?: boolean;
  },
): FlowNode {
  return {
    id,
    type: 'http request',
    name: '',
    method: options.method,
    ret: options.ret,
    paytoqs: 'ignore',
    url: options.url,
    tls: '',
    persist: true,
    proxy: '',
    insecureHTTPParser: false,
    authType: '',
    senderr: options.senderr ?? false,
    headers: Object.entries(options.headers ?? {}).map(([name, value]) => ({
      keyType: 'other',
      keyValue: name,
      valueType: 'other',
      valueValue: value,
    })),
    x: 400,
    y: 80,
    wires: options.wires ?? [[]],
  };
}

/** Node-RED's own file node, writing msg.payload to the path in msg.filename (folders created, file replaced). */
export function fileNode(id: string, wires: string[][] = [[]]): FlowNode {
  return {
    id,
    type: 'file',
    name: 'write',
    filename: 'filename',
    filenameType: 'msg',
    appendNewline: false,
    createDir: true,
    overwriteFile: 'true',
    encoding: 'none',
    x: 500,
    y: 80,
    wires,
  };
}

export function functionNode(id: string, func: string, wires: string[][]): FlowNode {
  return { id, type: 'function', name: '', func, outputs: wires.length, x: 300, y: 80, wires };
}

/** A small Process API request (8×8 PNG): the emulator renders it in well under a millisecond. */
export const PROCESS_BODY = {
  input: {
    bounds: { bbox: [13.35, 45.8, 13.36, 45.81], properties: { crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84' } },
    data: [{ type: 'sentinel-2-l2a' }],
  },
  output: { width: 8, height: 8, responses: [{ identifier: 'default', format: { type: 'image/png' } }] },
  evalscript: '//VERSION=3\nfunction setup(){return{input:["B04"],output:{bands:1}}}\nfunction evaluatePixel(s){return [s.B04]}',
};

/** A small authenticated GET: the list of batch jobs (empty), a few bytes of JSON. */
export const SMALL_GET_PATH = '/api/v2/batch/process';

/** Fetches a token the way any client does (for the peers that send a fixed bearer header). */
export async function fetchToken(account: BenchAccount): Promise<string> {
  const res = await fetch(account.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret }),
  });
  if (!res.ok) throw new Error(`token request answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
