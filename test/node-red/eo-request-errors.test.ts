/**
 * How eo-request fails: through done(err) so a Catch node gets the original message, with the
 * provider's own message and the core's hint, never a secret or token in a message, status or
 * error; and a redeploy cancels work in flight instead of leaving it running.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  authNode,
  CATALOG_SEARCH,
  caughtError,
  demoCredentials,
  GOLDEN_PROCESS,
  nextMessages,
  NODES,
  requestFlow,
  statusLog,
  useTestBed,
} from './eo-flow';
import { DEMO_CLIENT } from '../emulator/state';

const bed = useTestBed();
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

test("a token from the wrong realm: the provider's 401 message and the hint, on the original msg", async () => {
  // Sentinel Hub API, but the token URL of the CDSE realm: the API refuses the token.
  bed.emu.configure({ apiRealms: ['main'] });
  const flow = requestFlow(authNode(bed.emu, 'sentinel-hub', { tokenUrl: bed.emu.endpoints.cdse.tokenUrl }), {
    operation: 'process',
    accept: 'image/png',
  });
  await bed.helper.load(NODES, flow, demoCredentials());
  const statuses = statusLog(bed.helper);
  const caught = await caughtError(bed.helper, { payload: GOLDEN_PROCESS, topic: 'scene-1' });
  expect(caught.topic).toBe('scene-1');
  expect(caught.payload).toEqual(GOLDEN_PROCESS);
  expect(caught.error.code).toBe('EO_HTTP_STATUS');
  expect(caught.error.message).toContain('You are not authorized!');
  expect(caught.error.message).toContain('realm "CDSE"');
  expect(caught.error.message).toContain('check the token URL');
  // One replay with a fresh token, then the explanation.
  expect(bed.emu.counters().apiStatus).toEqual({ '401': 2 });
  await new Promise((resolve) => setImmediate(resolve));
  expect(statuses.at(-1)).toEqual({ fill: 'red', shape: 'ring', text: 'http status (401)' });
});

test('a rejected Process request carries the provider message', async () => {
  const { evalscript: _omit, ...noEvalscript } = GOLDEN_PROCESS;
  await bed.helper.load(NODES, requestFlow(authNode(bed.emu), { operation: 'process' }), demoCredentials());
  const caught = await caughtError(bed.helper, { payload: noEvalscript });
  expect(caught.error.code).toBe('EO_HTTP_STATUS');
  expect(caught.error.message).toMatch(/evalscript/i);
  expect(caught.error.message).toContain('400');
});

test('a Process payload that is not an object names "payload" and sends nothing', async () => {
  await bed.helper.load(NODES, requestFlow(authNode(bed.emu), { operation: 'process' }), demoCredentials());
  const caught = await caughtError(bed.helper, { payload: 42 });
  expect(caught.error.message).toContain('(field: payload)');
  // What the payload should have been, translated only now that it is needed.
  expect(caught.error.message).toContain('msg.payload must be the Process API request as a JSON object (got number)');
  expect(bed.emu.counters().tokenRequests.total + bed.emu.counters().apiRequests).toBe(0);
});

test('an absolute URL on a foreign origin is refused before anything is sent', async () => {
  await bed.helper.load(NODES, requestFlow(authNode(bed.emu), { operation: 'request', method: 'GET', url: '' }), demoCredentials());
  const caught = await caughtError(bed.helper, { url: `${bed.emu.secondUrl}/download/synthetic/10.bin` });
  expect(caught.error.code).toBe('EO_ORIGIN_NOT_ALLOWED');
  expect(caught.error.message).toContain('(field: url)');
  expect(bed.emu.log()).toEqual([]);
});

test('no secret or token in any message, status or error', async () => {
  const secret = 'very-secret-value-123';
  const flow = requestFlow(authNode(bed.emu), {
    operation: 'request',
    method: 'POST',
    url: '/api/v1/catalog/1.0.0/search',
    output: 'json',
  });
  await bed.helper.load(NODES, flow, { auth: { clientId: DEMO_CLIENT.clientId, clientSecret: secret } });
  const statuses = statusLog(bed.helper);
  const failed = await caughtError(bed.helper, { payload: CATALOG_SEARCH });
  expect(failed.error.code).toBe('EO_AUTH_INVALID_CLIENT');

  await bed.helper.setFlows(flow, 'full', demoCredentials());
  const okStatuses = statusLog(bed.helper);
  const out = nextMessages(bed.helper, 'out');
  bed.helper.getNode('req')?.receive({ payload: CATALOG_SEARCH });
  const [ok] = await out;
  await new Promise((resolve) => setImmediate(resolve));
  const everything = JSON.stringify({ failed, statuses, ok, okStatuses });
  expect(everything).not.toContain(secret);
  expect(everything).not.toContain(DEMO_CLIENT.clientSecret);
  expect(everything).not.toMatch(JWT);
  expect(everything.toLowerCase()).not.toContain('bearer');
});

test('a redeploy cancels a download in flight: no output, no final file, nothing left running', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-nr-close-'));
  try {
    bed.emu.fault({ route: '/download/', hang: true });
    await bed.helper.load(
      NODES,
      requestFlow(authNode(bed.emu, 'terrascope'), { operation: 'download', url: '/download/synthetic/5000.bin', directory: dir }),
      demoCredentials('terrascope'),
    );
    let outputs = 0;
    let errors = 0;
    bed.helper.getNode('out')?.on('input', () => outputs++);
    bed.helper.getNode('caught')?.on('input', () => errors++);
    bed.helper.getNode('req')?.receive({});
    while (!bed.emu.log().some((e) => e.path.startsWith('/download/'))) await new Promise((resolve) => setTimeout(resolve, 5));
    await bed.helper.unload();
    expect(outputs).toBe(0);
    expect(errors).toBe(0);
    expect(fs.existsSync(path.join(dir, '5000.bin'))).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
