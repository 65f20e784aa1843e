/**
 * The package's admin endpoints in a real Node-RED with adminAuth on: the provider list needs
 * `eo-auth.read`, "Test connection" needs `eo-auth.write`, so an anonymous caller or a read-only
 * user cannot make the runtime fetch tokens (or probe URLs) with credentials. The editor map's
 * bounding-box endpoint needs `eo-request.read`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { installPackage, runtimeForThisNode, startNodeRed, type AdminUser, type NodeRedProcess } from '../support/node-red-process';
import { packPackage } from '../support/package-tarball';
import { tempDir } from '../support/paths';
import { DEMO_CLIENT, startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { artifactDir, keepEmulatorRecord, rememberSecrets } from './hygiene';
import { recordScenario } from './scenarios';

const ADMIN: AdminUser = { username: 'operator', password: 'operator-password', permissions: '*' };
const VIEWER: AdminUser = { username: 'viewer', password: 'viewer-password', permissions: 'read' };
const GROUP = 'Admin permissions';
const ENGINE = 'Node-RED';

let emu: Emulator;
let red: NodeRedProcess;
let work: string;
let artifacts: string;

async function tokenFor(user: AdminUser): Promise<string> {
  const res = await fetch(`${red.url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: 'node-red-admin',
      grant_type: 'password',
      scope: user.permissions,
      username: user.username,
      password: user.password,
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function call(method: 'GET' | 'POST', route: string, bearer?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${red.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body:
      method === 'POST'
        ? JSON.stringify({
            provider: 'sentinel-hub',
            tokenUrl: emu.endpoints.sentinelHub.tokenUrl,
            baseUrl: emu.endpoints.sentinelHub.baseUrl,
            credentials: { clientId: DEMO_CLIENT.clientId, clientSecret: DEMO_CLIENT.clientSecret },
          })
        : undefined,
  });
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  artifacts = artifactDir('admin-permissions');
  rememberSecrets([DEMO_CLIENT.clientSecret], 'client secret');
  rememberSecrets([ADMIN.password, VIEWER.password], 'password');
  work = tempDir('eo-rel-admin');
  emu = await startEmulator();
  const userDir = path.join(work, 'node-red');
  const runtime = runtimeForThisNode();
  await installPackage(userDir, await packPackage(work), runtime.nodeBin);
  red = await startNodeRed({ userDir, runtime, adminUsers: [ADMIN, VIEWER] });
}, 180_000);

afterAll(async () => {
  await red?.stop();
  if (red) fs.writeFileSync(path.join(artifacts, 'node-red-output.log'), red.output());
  if (emu) keepEmulatorRecord(emu, artifacts);
  await emu?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('without a login both endpoints refuse, and no token is requested', async () => {
  const list = await call('GET', '/eo-auth/providers');
  const probe = await call('POST', '/eo-auth/test');
  const tokens = emu.counters().tokenRequests.total;
  recordScenario({
    group: GROUP,
    engine: ENGINE,
    scenario: 'anonymous caller, adminAuth on: GET /eo-auth/providers, POST /eo-auth/test',
    expected: '401, 401; 0 token requests',
    observed: `${list.status}, ${probe.status}; ${tokens} token requests`,
    pass: list.status === 401 && probe.status === 401 && tokens === 0,
  });
  expect(list.status).toBe(401);
  expect(probe.status).toBe(401);
  expect(tokens).toBe(0);
});

test('a read-only user sees the provider list but cannot run Test connection', async () => {
  const viewer = await tokenFor(VIEWER);
  const providers = await call('GET', '/eo-auth/providers', viewer);
  const ids = providers.status === 200 ? (JSON.parse(providers.text) as { providers: { id: string }[] }).providers.map((p) => p.id) : [];
  const test = await call('POST', '/eo-auth/test', viewer);
  const tokens = emu.counters().tokenRequests.total;
  recordScenario({
    group: GROUP,
    engine: ENGINE,
    scenario: 'user with "read" only: provider list, then Test connection',
    expected: '200 with 4 providers; 401 and no result; 0 token requests',
    observed: `${providers.status} with ${ids.length} providers; ${test.status}${test.text.includes('"ok"') ? ' with a result' : ''}; ${tokens} token requests`,
    pass: providers.status === 200 && ids.length === 4 && test.status === 401 && !test.text.includes('"ok"') && tokens === 0,
  });
  expect(providers.status).toBe(200);
  expect(ids).toEqual(['sentinel-hub', 'cdse', 'terrascope', 'custom']);
  expect(test.status).toBe(401);
  expect(test.text).not.toContain('"ok"');
  expect(tokens).toBe(0);
});

test('a user with write permission runs Test connection: one token request, and no token in the answer', async () => {
  const admin = await tokenFor(ADMIN);
  const test = await call('POST', '/eo-auth/test', admin);
  const tokens = emu.counters().tokenRequests.total;
  const leaks = /eyJ[\w-]+\.[\w-]+/.test(test.text) || test.text.includes(DEMO_CLIENT.clientSecret);
  recordScenario({
    group: GROUP,
    engine: ENGINE,
    scenario: 'user with "*": Test connection',
    expected: '200 ok; 1 token request; no token or secret in the answer',
    observed: `${test.status}${test.text.includes('"ok":true') ? ' ok' : ''}; ${tokens} token request${tokens === 1 ? '' : 's'}; ${leaks ? 'token or secret in the answer' : 'none in the answer'}`,
    pass: test.status === 200 && test.text.includes('"ok":true') && tokens === 1 && !leaks,
  });
  expect(test.status).toBe(200);
  expect(JSON.parse(test.text)).toMatchObject({ ok: true, provider: 'sentinel-hub', subject: DEMO_CLIENT.clientId });
  expect(leaks).toBe(false);
  expect(tokens).toBe(1);
});

test("the editor map's area endpoint needs a login; a read-only user gets the tiles", async () => {
  const route = '/eo-request/area?bbox=2.5,50.6,3.5,51.2&worldcover=2021';
  const anonymous = await call('GET', route);
  const viewer = await call('GET', route, await tokenFor(VIEWER));
  const count = viewer.status === 200 ? (JSON.parse(viewer.text) as { worldCover: { count: number } }).worldCover.count : undefined;
  recordScenario({
    group: GROUP,
    engine: ENGINE,
    scenario: 'GET /eo-request/area: anonymous, then a user with "read"',
    expected: '401; 200 with 4 tiles',
    observed: `${anonymous.status}; ${viewer.status}${count === undefined ? '' : ` with ${count} tiles`}`,
    pass: anonymous.status === 401 && viewer.status === 200 && count === 4,
  });
  expect(anonymous.status).toBe(401);
  expect(viewer.status).toBe(200);
  expect(count).toBe(4);
});
