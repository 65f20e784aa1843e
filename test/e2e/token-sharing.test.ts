/**
 * One token for a whole Node-RED process: 300 messages through three EO Request nodes
 * that share one EO Auth node cost exactly one token request at the provider, and redeploying
 * (full, or only the changed flows) costs none. Real Node-RED process, package from its tarball,
 * provider emulator over loopback.
 */
import fs from 'node:fs';
import {
  clearCollected,
  debugNode,
  emulatedAuthNode,
  eoRequestNode,
  injectNode,
  waitForCollected,
  withCollectors,
  type FlowNode,
} from '../support/flows';
import { tempDir } from '../support/paths';
import { startStack, type Stack } from '../support/node-red-stack';

const PER_NODE = 100;
const REQUESTS = ['eo-request-1', 'eo-request-2', 'eo-request-3'];
let stack: Stack;
let work: string;

/** inject → function fanning out 100 messages per output → 3 EO Request nodes → debug. */
function flows(label = 'one account'): FlowNode[] {
  const tab = 'tab-tokens';
  const fanOut = `for (let i = 0; i < ${PER_NODE}; i++) node.send([{ payload: { collections: ['sentinel-2-l2a'], limit: 1 }, i }, { payload: { collections: ['sentinel-2-l2a'], limit: 1 }, i }, { payload: { collections: ['sentinel-2-l2a'], limit: 1 }, i }]);\nreturn null;`;
  return withCollectors([
    { id: tab, type: 'tab', label, disabled: false, info: '' },
    emulatedAuthNode(stack.target, 'sentinel-hub', 'auth', {
      name: 'shared',
      grant: 'client_credentials',
      clientAuth: 'body',
      extraOrigins: '',
    }),
    injectNode('fire', tab, { x: 100, y: 100, name: 'fire' }, undefined, ['fan-out']),
    {
      id: 'fan-out',
      type: 'function',
      z: tab,
      name: 'fan out',
      func: fanOut,
      outputs: 3,
      x: 250,
      y: 100,
      wires: [[REQUESTS[0]], [REQUESTS[1]], [REQUESTS[2]]],
    },
    ...REQUESTS.map((id, i) =>
      eoRequestNode(
        id,
        tab,
        { x: 450, y: 60 + 40 * i },
        { name: `catalog ${i + 1}`, auth: 'auth', operation: 'catalog', method: 'POST', output: 'json', catalogLimit: 1 },
        [['done']],
      ),
    ),
    debugNode('done', tab, { x: 650, y: 100, active: false }),
  ]);
}

/** Presses "fire" and waits for the 300 answers; all must be successes. */
async function fire(): Promise<void> {
  await clearCollected(stack.nodeRed);
  await stack.nodeRed.inject('fire');
  for (const id of REQUESTS) {
    const answers = await waitForCollected(stack.nodeRed, PER_NODE, id, 60_000);
    expect(answers.filter((m) => m.statusCode === 200 && (m.payload as { features?: unknown[] }).features?.length === 1)).toHaveLength(
      PER_NODE,
    );
  }
}

beforeAll(async () => {
  work = tempDir('eo-e2e-tokens');
  stack = await startStack({ workDir: work, deployExamples: false });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('300 messages through 3 EO Request nodes sharing one EO Auth cost exactly 1 token request', async () => {
  await stack.nodeRed.deploy(flows());
  stack.emulator.reset();
  await fire();
  const counters = stack.emulator.counters();
  expect(counters.tokenRequests.total).toBe(1);
  expect(counters.apiRequests).toBe(3 * PER_NODE);
}, 90_000);

test('a full redeploy costs no token request', async () => {
  await stack.nodeRed.deploy(flows());
  await fire(); // a token in the cache, whatever ran before
  await stack.nodeRed.deploy(flows(), 'full');
  stack.emulator.reset();
  await fire();
  expect(stack.emulator.counters().tokenRequests.total).toBe(0);
  expect(stack.emulator.counters().apiRequests).toBe(3 * PER_NODE);
}, 90_000);

test('a "modified flows" redeploy that restarts the flow and its EO Auth node costs none either', async () => {
  await stack.nodeRed.deploy(flows());
  await fire();
  const changed = flows('one account, renamed').map((n) => (n.type === 'eo-auth' ? { ...n, name: 'shared, renamed' } : n));
  await stack.nodeRed.deploy(changed, 'flows');
  stack.emulator.reset();
  await fire();
  expect(stack.emulator.counters().tokenRequests.total).toBe(0);
  const deployed = (await stack.nodeRed.flows()) as FlowNode[];
  expect(deployed.find((n) => n.id === 'auth')?.name).toBe('shared, renamed');
}, 90_000);
