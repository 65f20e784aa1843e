/**
 * `bench-undici`: raw undici as a Node-RED node, the "undici inside Node-RED" peer of the
 * request-overhead section. It makes exactly the call the raw undici process makes (one Agent with
 * the same options for all its nodes, static bearer token, JSON bodies parsed and anything else
 * read as bytes) and sends the message on, so the difference to raw undici is what Node-RED's
 * runtime costs (message routing, async hops, its heap) and the difference to eo-request is what
 * eo-request itself costs. It loads the very undici our package got installed with. Written, as
 * the driver and sink (load-nodes.ts), into the user directory's `nodes/` folder.
 */
import path from 'node:path';
import type { FlowNode } from '../../test/support/flows';
import { UNDICI_AGENT_OPTIONS } from './undici-load';
import { installUserNode } from './load-nodes';

const PACKAGE_NAME = '@eo-nodes/n8n-nodes-earth-observation';

const NODE_JS = String.raw`
const path = require('node:path');
const undici = require(require.resolve('undici', { paths: [path.join(__dirname, '..', 'node_modules', ${JSON.stringify(PACKAGE_NAME)})] }));
const dispatcher = new undici.Agent(${JSON.stringify(UNDICI_AGENT_OPTIONS)});

module.exports = function (RED) {
  function BenchUndici(config) {
    RED.nodes.createNode(this, config);
    const headers = { authorization: 'Bearer ' + ((this.credentials && this.credentials.token) || '') };
    if (config.accept) headers.accept = config.accept;
    if (config.method === 'POST') headers['content-type'] = 'application/json';
    this.on('input', (msg, send, done) => {
      const body = config.method === 'POST' ? JSON.stringify(msg.payload) : undefined;
      undici.request(config.url, { method: config.method, headers, body, dispatcher })
        .then(async (res) => {
          msg.payload = /json/.test(String(res.headers['content-type'] || '')) ? await res.body.json() : Buffer.from(await res.body.arrayBuffer());
          msg.statusCode = res.statusCode;
          return msg;
        })
        .then((out) => { send(out); done(); }, (err) => done(err));
    });
  }
  RED.nodes.registerType('bench-undici', BenchUndici, { credentials: { token: { type: 'password' } } });
};
`;

const NODE_HTML = `<script type="text/javascript">
  RED.nodes.registerType('bench-undici', { category: 'common', color: '#ddd', defaults: { method: { value: 'GET' }, url: { value: '' }, accept: { value: '' } }, credentials: { token: { type: 'password' } }, inputs: 1, outputs: 1, label: 'bench undici' });
</script>
`;

/** Writes the node type into `<userDir>/nodes/`, where Node-RED finds it at start. */
export function installUndiciNode(userDir: string): void {
  installUserNode(userDir, 'bench-undici', NODE_JS, NODE_HTML);
}

/** A `bench-undici` node calling `url` with a static bearer token (kept in the node's credentials). */
export function undiciNode(id: string, call: { method: 'GET' | 'POST'; url: string; token: string; accept?: string }): FlowNode {
  return {
    id,
    type: 'bench-undici',
    name: '',
    method: call.method,
    url: call.url,
    accept: call.accept ?? '',
    credentials: { token: call.token },
    x: 400,
    y: 80,
    wires: [[]],
  };
}

/** Version of the undici that code in `fromDir` loads (the package installed in `userDir`: `installedWith(userDir)`). */
export function undiciVersion(fromDir: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(require.resolve('undici/package.json', { paths: [fromDir] })) as { version: string }).version;
}

/** Where our installed package's own code resolves its dependencies from. */
export function installedWith(userDir: string): string {
  return path.join(userDir, 'node_modules', PACKAGE_NAME);
}
