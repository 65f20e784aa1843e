/**
 * The core inside a real Node-RED runtime (5.x on Node 24, 4.1 on Node 20), loaded by
 * node-red-node-test-helper: two nodes of a flow share one token through the process-wide cache,
 * and a failure reaches the runtime as a node error. The eo-auth and eo-request nodes build on
 * exactly this.
 */
import { startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { loadTestHelper, nodeRedRuntime, type NodeRedTestHelper } from '../support/node-red-runtime';
import { eoRequest, resolveConnection, tokenProviderFor, SENTINEL_HUB_PATHS } from '../../nodes/core';

let emu: Emulator;
let helper: NodeRedTestHelper;

interface RedLike {
  nodes: {
    createNode(node: object, config: object): void;
    registerType(type: string, ctor: (this: NodeLike, config: Record<string, string>) => void): void;
  };
}
interface NodeLike {
  on(event: 'input', listener: (msg: Record<string, unknown>, send: (msg: object) => void, done: (err?: Error) => void) => void): void;
}

/** A throw-away node type that asks the core for a catalog page, the way eo-request will. */
function catalogProbe(RED: RedLike): void {
  RED.nodes.registerType('catalog-probe', function (this: NodeLike, config: Record<string, string>) {
    RED.nodes.createNode(this, config);
    const connection = resolveConnection({
      provider: 'sentinel-hub',
      tokenUrl: emu.endpoints.sentinelHub.tokenUrl,
      baseUrl: emu.endpoints.sentinelHub.baseUrl,
      clientId: 'demo-client',
      clientSecret: config.secret,
    });
    this.on('input', (msg, send, done) => {
      eoRequest({
        connection,
        tokens: tokenProviderFor(connection),
        method: 'POST',
        url: SENTINEL_HUB_PATHS.catalogSearch,
        body: { collections: ['sentinel-2-l2a'], limit: 1 },
      })
        .then((res) => {
          send({ ...msg, statusCode: res.statusCode, payload: res.body });
          done();
        })
        .catch((err: Error) => done(err));
    });
  });
}

beforeAll(async () => {
  emu = await startEmulator();
  helper = loadTestHelper();
  await helper.startServer();
});
afterAll(async () => {
  await helper.stopServer();
  await emu.close();
});
afterEach(async () => {
  await helper.unload();
  emu.reset();
});

test(`runs Node-RED ${nodeRedRuntime.major} on Node ${process.versions.node.split('.')[0]}`, () => {
  expect(Number(helper._RED.version().split('.')[0])).toBe(nodeRedRuntime.major);
});

test('two nodes answer 20 messages each with one token request between them', async () => {
  const flow = [
    { id: 'a', type: 'catalog-probe', secret: 'demo-secret', wires: [['out']] },
    { id: 'b', type: 'catalog-probe', secret: 'demo-secret', wires: [['out']] },
    { id: 'out', type: 'helper' },
  ];
  await helper.load(catalogProbe, flow);
  const out = helper.getNode('out');
  const received: number[] = [];
  const all = new Promise<void>((resolve) => {
    out?.on('input', (msg) => {
      received.push(msg.statusCode as number);
      if (received.length === 40) resolve();
    });
  });
  for (let i = 0; i < 20; i++) {
    helper.getNode('a')?.receive({ payload: i });
    helper.getNode('b')?.receive({ payload: i });
  }
  await all;
  expect(received.every((status) => status === 200)).toBe(true);
  expect(emu.counters().tokenRequests.total).toBe(1);
  expect(emu.counters().apiRequests).toBe(40);
});

test('a rejected secret reaches the runtime as a node error naming the field, never the secret', async () => {
  await helper.load(catalogProbe, [{ id: 'a', type: 'catalog-probe', secret: 'wrong-secret-xyz', wires: [[]] }]);
  const node = helper.getNode('a');
  const error = new Promise<unknown[]>((resolve) => node?.on('call:error', (call) => resolve(call.args)));
  node?.receive({ payload: 1 });
  const [err] = await error;
  expect(String(err)).toContain('Check Client secret');
  expect(String(err)).not.toContain('wrong-secret-xyz');
});
