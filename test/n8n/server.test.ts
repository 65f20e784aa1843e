/**
 * The package inside one long-running `n8n start`: executions share the process-wide token cache,
 * and the credential test behind n8n's "Test" button (POST /rest/credentials/test) reports the
 * core's classification without ever echoing a secret.
 */
import { DEMO_CLIENT, DEMO_USER, startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import {
  callWebhook,
  emulatorCredentials,
  N8nHome,
  N8nRest,
  SENTINEL_HUB_CREDENTIAL,
  startN8n,
  TERRASCOPE_CREDENTIAL,
  type N8nServer,
} from '../support/n8n-process';
import { webhookProcess } from './workflows';

jest.setTimeout(120_000);

let emu: Emulator;
let home: N8nHome;
let server: N8nServer;
let rest: N8nRest;

beforeAll(async () => {
  emu = await startEmulator();
  home = await N8nHome.create();
  await home.importCredentials(emulatorCredentials(emu));
  await home.importWorkflows([webhookProcess('eoWebhookProcess', 'eo-process')]);
  // n8n 2.x runs production webhooks of published workflows only.
  const published = await home.cli(['publish:workflow', '--id=eoWebhookProcess']);
  expect(published.code).toBe(0);
  server = await startN8n(home);
  rest = new N8nRest(server.url);
  await rest.setupOwner();
}, 240_000);

afterAll(async () => {
  await server?.stop();
  await home?.remove();
  await emu?.close();
});

beforeEach(() => emu.reset());

test('two executions in one n8n process share one token', async () => {
  for (let call = 0; call < 2; call++) {
    const res = await callWebhook(server, 'eo-process');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ format: 'image/png', width: 8, height: 8 });
    expect(body.processingUnits).toBeGreaterThan(0);
  }
  const counters = emu.counters();
  expect(counters.apiStatus['200']).toBe(2);
  expect(counters.tokenRequests).toMatchObject({ client_credentials: 1, total: 1 });
});

type TestResult = { data: { status: 'OK' | 'Error'; message: string } };

/** Presses "Test" on a stored credential with the form's (possibly edited) data. */
async function credentialTest(credential: { id: string; name: string }, type: string, data: Record<string, unknown>) {
  const res = await rest.request<TestResult>('POST', '/rest/credentials/test', { credentials: { ...credential, type, data } });
  expect(res.status).toBe(200);
  return res.body.data;
}

const sentinelHubData = (over: Record<string, unknown> = {}) => ({
  environment: 'sentinel-hub',
  clientId: DEMO_CLIENT.clientId,
  clientSecret: DEMO_CLIENT.clientSecret,
  tokenUrl: emu.endpoints.sentinelHub.tokenUrl,
  baseUrl: emu.endpoints.sentinelHub.baseUrl,
  ...over,
});

const terrascopeData = (over: Record<string, unknown> = {}) => ({
  username: DEMO_USER.username,
  password: DEMO_USER.password,
  tokenUrl: emu.endpoints.terrascope.tokenUrl,
  baseUrl: emu.endpoints.terrascope.baseUrl,
  ...over,
});

test('the credential test fetches a real token for good Sentinel Hub and Terrascope credentials', async () => {
  const sh = await credentialTest(SENTINEL_HUB_CREDENTIAL, 'sentinelHubApi', sentinelHubData());
  expect(sh).toMatchObject({ status: 'OK' });
  expect(sh.message).toMatch(
    /^Sentinel Hub: token for demo-client, valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC\. Tokens: this process only\.$/,
  );
  const ts = await credentialTest(TERRASCOPE_CREDENTIAL, 'terrascopeApi', terrascopeData());
  expect(ts).toMatchObject({ status: 'OK' });
  expect(ts.message).toMatch(/^Terrascope: token for demo, valid until .* UTC, refresh until .* UTC\. Tokens: this process only\.$/);
  expect(emu.counters().tokenRequests).toMatchObject({ client_credentials: 1, password: 1 });
});

test('a wrong client secret is reported as such, naming the field and not the secret', async () => {
  const result = await credentialTest(SENTINEL_HUB_CREDENTIAL, 'sentinelHubApi', sentinelHubData({ clientSecret: 'wrong-secret-value' }));
  expect(result.status).toBe('Error');
  expect(result.message).toMatch(/rejected the client id or secret/);
  expect(result.message).toMatch(/field: clientSecret/);
  expect(result.message).not.toContain('wrong-secret-value');
});

test('an unknown client is reported as a rejected client', async () => {
  const result = await credentialTest(SENTINEL_HUB_CREDENTIAL, 'sentinelHubApi', sentinelHubData({ clientId: 'no-such-client' }));
  expect(result.status).toBe('Error');
  expect(result.message).toMatch(/rejected the client id or secret/);
  expect(result.message).not.toContain(DEMO_CLIENT.clientSecret);
});

test('a wrong Terrascope password is reported as rejected username or password', async () => {
  const result = await credentialTest(TERRASCOPE_CREDENTIAL, 'terrascopeApi', terrascopeData({ password: 'not-the-password' }));
  expect(result.status).toBe('Error');
  expect(result.message).toMatch(/^Terrascope rejected the username or password \(invalid_grant/);
  expect(result.message).not.toContain('not-the-password');
});

test('a token endpoint answering 503 is "unavailable", never "bad credentials"', async () => {
  emu.fault({ route: '/protocol/openid-connect/token$|^POST /oauth/token$', status: 503, body: 'Service Unavailable' });
  const result = await credentialTest(SENTINEL_HUB_CREDENTIAL, 'sentinelHubApi', sentinelHubData());
  expect(result.status).toBe('Error');
  expect(result.message).toMatch(/token endpoint is unavailable/i);
  expect(result.message).not.toMatch(/rejected/);
  expect(result.message).not.toContain(DEMO_CLIENT.clientSecret);
  // The test retried once (someone is waiting for the answer), then reported.
  expect(emu.counters().tokenStatus['503']).toBe(2);
});

test('a URL that is not a token endpoint is named as such', async () => {
  const result = await credentialTest(TERRASCOPE_CREDENTIAL, 'terrascopeApi', terrascopeData({ tokenUrl: `${emu.url}/stac` }));
  expect(result.status).toBe('Error');
  expect(result.message).toMatch(/did not answer like a token endpoint/);
  expect(result.message).toMatch(/field: tokenUrl/);
  expect(result.message).not.toContain(DEMO_USER.password);
});

test('the server log holds no secret or token after all of the above', () => {
  const log = server.output();
  for (const secret of [DEMO_CLIENT.clientSecret, DEMO_USER.password, 'wrong-secret-value', 'not-the-password'])
    expect(log).not.toContain(secret);
  expect(log).not.toMatch(/eyJ[\w-]{8,}\.eyJ[\w-]{8,}/);
});
