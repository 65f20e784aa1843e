/**
 * The package's admin endpoints in a real Node-RED with adminAuth on: the provider list needs
 * `eo-auth.read`, "Test connection" needs `eo-auth.write`, so an anonymous caller or a read-only
 * user cannot make the runtime fetch tokens (or probe URLs) with credentials.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_CLIENT, startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { installPackage, packPackage, runtimeForThisNode, startNodeRed, tempDir, type AdminUser, type NodeRedProcess } from './harness';

const ADMIN: AdminUser = { username: 'operator', password: 'operator-password', permissions: '*' };
const VIEWER: AdminUser = { username: 'viewer', password: 'viewer-password', permissions: 'read' };

let emu: Emulator;
let red: NodeRedProcess;
let work: string;

async function tokenFor(user: AdminUser): Promise<string> {
  const res = await fetch(`${red.url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: user.permissions, username: user.username, password: user.password }),
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
  work = tempDir('eo-e2e-admin');
  emu = await startEmulator();
  const userDir = path.join(work, 'node-red');
  const runtime = runtimeForThisNode();
  await installPackage(userDir, await packPackage(work), runtime.nodeBin);
  red = await startNodeRed({ userDir, runtime, adminUsers: [ADMIN, VIEWER] });
}, 180_000);

afterAll(async () => {
  await red?.stop();
  await emu?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test('without a login both endpoints refuse, and no token is requested', async () => {
  expect((await call('GET', '/eo-auth/providers')).status).toBe(401);
  expect((await call('POST', '/eo-auth/test')).status).toBe(401);
  expect(emu.counters().tokenRequests.total).toBe(0);
});

test('a read-only user sees the provider list but cannot run Test connection', async () => {
  const viewer = await tokenFor(VIEWER);
  const providers = await call('GET', '/eo-auth/providers', viewer);
  expect(providers.status).toBe(200);
  expect((JSON.parse(providers.text) as { providers: { id: string }[] }).providers.map((p) => p.id)).toEqual(['sentinel-hub', 'cdse', 'terrascope', 'custom']);
  const test = await call('POST', '/eo-auth/test', viewer);
  expect(test.status).toBe(401);
  expect(test.text).not.toContain('"ok"');
  expect(emu.counters().tokenRequests.total).toBe(0);
});

test('a user with write permission runs Test connection: one token request, and no token in the answer', async () => {
  const admin = await tokenFor(ADMIN);
  const test = await call('POST', '/eo-auth/test', admin);
  expect(test.status).toBe(200);
  expect(JSON.parse(test.text)).toMatchObject({ ok: true, provider: 'sentinel-hub', subject: DEMO_CLIENT.clientId });
  expect(test.text).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
  expect(test.text).not.toContain(DEMO_CLIENT.clientSecret);
  expect(emu.counters().tokenRequests.total).toBe(1);
});
