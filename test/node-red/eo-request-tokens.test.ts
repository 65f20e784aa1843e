/**
 * One token per identity across eo-request nodes, config nodes and redeploys: the core's
 * process-wide cache is keyed by the identity, so unchanged credentials make no new token request
 * after a redeploy and a changed secret makes exactly one.
 */
import { authNode, CATALOG_SEARCH, demoCredentials, nextMessages, NODES, requestFlow, useTestBed, type FlowNode } from './eo-flow';
import { DEMO_CLIENT } from '../emulator/state';
import type { NodeRedTestHelper } from '../support/node-red-runtime';

const bed = useTestBed();

const CATALOG_PROPS = { operation: 'request', method: 'POST', url: '/api/v1/catalog/1.0.0/search', output: 'json' };

async function oneRequest(helper: NodeRedTestHelper): Promise<void> {
  const out = nextMessages(helper, 'out');
  helper.getNode('req')?.receive({ payload: { ...CATALOG_SEARCH, limit: 1 } });
  const [msg] = await out;
  expect(msg.statusCode).toBe(200);
}

test('3 eo-request nodes × 100 messages sharing one eo-auth make exactly 1 token request', async () => {
  const flow: FlowNode[] = [
    ...requestFlow(authNode(bed.emu), CATALOG_PROPS),
    { id: 'req2', type: 'eo-request', z: 'tab', x: 100, y: 300, auth: 'auth', ...CATALOG_PROPS, wires: [['out']] },
    { id: 'req3', type: 'eo-request', z: 'tab', x: 100, y: 400, auth: 'auth', ...CATALOG_PROPS, wires: [['out']] },
  ];
  await bed.helper.load(NODES, flow, demoCredentials());
  const all = nextMessages(bed.helper, 'out', 300);
  for (let i = 0; i < 100; i++) {
    for (const id of ['req', 'req2', 'req3']) bed.helper.getNode(id)?.receive({ payload: { ...CATALOG_SEARCH, limit: 1 }, i });
  }
  const msgs = await all;
  expect(msgs.every((m) => m.statusCode === 200)).toBe(true);
  expect(bed.emu.counters().tokenRequests.total).toBe(1);
  expect(bed.emu.counters().apiRequests).toBe(300);
});

test('10 messages sent one after another through one eo-request reuse the first token', async () => {
  await bed.helper.load(NODES, requestFlow(authNode(bed.emu), CATALOG_PROPS), demoCredentials());
  // Sequential on purpose: concurrent messages share one in-flight token request even if the cached token were dropped after each use.
  for (let i = 0; i < 10; i++) await oneRequest(bed.helper);
  expect(bed.emu.counters().apiRequests).toBe(10);
  expect(bed.emu.counters().tokenRequests.total).toBe(1);
});

test('two eo-auth nodes with the same credentials share one token', async () => {
  const second = { ...authNode(bed.emu), id: 'auth2', name: 'same identity' };
  const flow: FlowNode[] = [
    ...requestFlow(authNode(bed.emu), CATALOG_PROPS),
    second,
    { id: 'req2', type: 'eo-request', z: 'tab', x: 100, y: 300, auth: 'auth2', ...CATALOG_PROPS, wires: [['out']] },
  ];
  await bed.helper.load(NODES, flow, { ...demoCredentials(), ...demoCredentials('sentinel-hub', 'auth2') });
  const all = nextMessages(bed.helper, 'out', 2);
  bed.helper.getNode('req')?.receive({ payload: { ...CATALOG_SEARCH, limit: 1 } });
  bed.helper.getNode('req2')?.receive({ payload: { ...CATALOG_SEARCH, limit: 1 } });
  await all;
  expect(bed.emu.counters().tokenRequests.total).toBe(1);
});

test('a redeploy with unchanged credentials makes no token request; a changed secret makes exactly one', async () => {
  const flow = requestFlow(authNode(bed.emu), CATALOG_PROPS);
  await bed.helper.load(NODES, flow, demoCredentials());
  await oneRequest(bed.helper);
  expect(bed.emu.counters().tokenRequests.total).toBe(1);

  await bed.helper.setFlows(flow, 'full', demoCredentials());
  await oneRequest(bed.helper);
  await oneRequest(bed.helper);
  expect(bed.emu.counters().tokenRequests.total).toBe(1);

  // The secret was rotated in the provider's dashboard and updated in the connection.
  bed.emu.configure({ clients: [{ clientId: DEMO_CLIENT.clientId, clientSecret: 'rotated-secret' }] });
  await bed.helper.setFlows(flow, 'full', { auth: { clientId: DEMO_CLIENT.clientId, clientSecret: 'rotated-secret' } });
  await oneRequest(bed.helper);
  await oneRequest(bed.helper);
  expect(bed.emu.counters().tokenRequests.total).toBe(2);
  expect(bed.emu.counters().tokenStatus).toEqual({ '200': 2 });
});

test('the idle status shows the token state after a message', async () => {
  await bed.helper.load(NODES, requestFlow(authNode(bed.emu), CATALOG_PROPS), demoCredentials());
  const statuses: { text?: string; fill?: string }[] = [];
  bed.helper.getNode('req')?.on('call:status', (call) => statuses.push(call.args[0] as { text?: string }));
  await oneRequest(bed.helper);
  await new Promise((resolve) => setImmediate(resolve));
  expect(statuses.some((s) => s.text === '1 request' && s.fill === 'blue')).toBe(true);
  expect(statuses.at(-1)).toEqual({ fill: 'green', shape: 'dot', text: expect.stringMatching(/^access (59m|1h)/) });
});
