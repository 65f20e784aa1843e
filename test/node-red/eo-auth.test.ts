/**
 * The eo-auth config node in a real Node-RED runtime: the provider list the editor builds its
 * form from, the "Test connection" admin endpoint (who and until when, never the token; stored
 * secrets behind __PWRD__; an outage never read as bad credentials), and a configuration error
 * that names the field on every node using the connection.
 */
import { PROVIDERS, PROVIDER_IDS } from '../../nodes/core';
import { authNode, caughtError, demoCredentials, NODES, requestFlow, statusLog, useTestBed } from './eo-flow';
import { DEMO_CLIENT, DEMO_USER } from '../emulator/state';

const bed = useTestBed();

/** The admin request body the editor sends for the eo-auth node `auth`. */
function testBody(provider: 'sentinel-hub' | 'terrascope', credentials: Record<string, string>, id = 'auth'): Record<string, unknown> {
  const node = authNode(bed.emu, provider);
  return { id, provider, tokenUrl: node.tokenUrl, baseUrl: node.baseUrl, extraOrigins: '', credentials };
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

async function postTest(body: Record<string, unknown>): Promise<Answer> {
  const res = await bed.helper.request().post('/eo-auth/test').send(body);
  return { status: res.status, body: res.body as Record<string, unknown>, text: res.text as string };
}

/** A JWT looks like three base64url parts; none may ever reach the editor. */
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

describe('provider list for the editor', () => {
  test('GET /eo-auth/providers serves the core PROVIDERS, fields included', async () => {
    await bed.helper.load(NODES, []);
    const res = await bed.helper.request().get('/eo-auth/providers').expect(200);
    const providers = (res.body as { providers: unknown }).providers as { id: string; fields: { name: string }[] }[];
    expect(providers.map((p) => p.id)).toEqual(PROVIDER_IDS);
    for (const p of providers)
      expect(p.fields.map((f) => f.name)).toEqual(PROVIDERS[p.id as keyof typeof PROVIDERS].fields.map((f) => f.name));
  });
});

describe('POST /eo-auth/test', () => {
  test('client credentials: says who and until when, and never sends the token', async () => {
    await bed.helper.load(NODES, []);
    const before = Date.now();
    const answer = await postTest(testBody('sentinel-hub', { ...DEMO_CLIENT }));
    expect(answer.status).toBe(200);
    // Without EO_REDIS_URL tokens stay in the process, and the answer says so.
    expect(answer.body).toEqual({
      ok: true,
      subject: 'demo-client',
      provider: 'sentinel-hub',
      expiresAt: expect.any(Number),
      // The same words as n8n's credential test.
      message: expect.stringMatching(
        /^Sentinel Hub: token for demo-client, valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC\. Tokens: this process only\.$/,
      ),
      sharing: 'this process only',
    });
    expect(answer.body.expiresAt as number).toBeGreaterThan(before + 3000_000);
    expect(answer.text).not.toMatch(JWT);
    expect(answer.text).not.toContain(DEMO_CLIENT.clientSecret);
    expect(bed.emu.counters().tokenRequests.client_credentials).toBe(1);
  });

  test('Terrascope: the user name from the token and the refresh token expiry', async () => {
    await bed.helper.load(NODES, []);
    const answer = await postTest(testBody('terrascope', { ...DEMO_USER }));
    expect(answer.body).toEqual(expect.objectContaining({ ok: true, subject: 'demo', provider: 'terrascope' }));
    expect(answer.body.refreshExpiresAt as number).toBeGreaterThan(answer.body.expiresAt as number);
    expect(answer.body.message).toMatch(
      /^Terrascope: token for demo, valid until .* UTC, refresh until .* UTC\. Tokens: this process only\.$/,
    );
    expect(answer.text).not.toMatch(JWT);
    expect(answer.text).not.toContain(DEMO_USER.password);
  });

  test('a wrong secret answers the core error naming clientSecret, without the secret', async () => {
    await bed.helper.load(NODES, []);
    const answer = await postTest(testBody('sentinel-hub', { clientId: DEMO_CLIENT.clientId, clientSecret: 'not-the-secret-42' }));
    expect(answer.body).toEqual(expect.objectContaining({ ok: false, code: 'EO_AUTH_INVALID_CLIENT', field: 'clientSecret' }));
    expect(answer.body.message).toMatch(/client/i);
    expect(answer.text).not.toContain('not-the-secret-42');
  });

  test('a token endpoint answering 503 reads as unavailable, never as bad credentials', async () => {
    await bed.helper.load(NODES, []);
    bed.emu.fault({ route: '^POST /oauth/token$', status: 503, body: 'Service Unavailable' });
    const answer = await postTest(testBody('sentinel-hub', { ...DEMO_CLIENT }));
    expect(answer.body).toEqual(expect.objectContaining({ ok: false, code: 'EO_TOKEN_ENDPOINT_UNAVAILABLE' }));
    expect(answer.body.message).toMatch(/unavailable/);
    expect(answer.body.message).not.toMatch(/rejected|invalid|wrong/i);
  });

  test('__PWRD__ (and a missing secret) use the secret stored for the config node', async () => {
    await bed.helper.load(NODES, [authNode(bed.emu)], demoCredentials());
    const stored = await postTest(testBody('sentinel-hub', { clientId: DEMO_CLIENT.clientId, clientSecret: '__PWRD__' }));
    expect(stored.body).toEqual(expect.objectContaining({ ok: true, subject: 'demo-client' }));
    const missing = await postTest(testBody('sentinel-hub', { clientId: DEMO_CLIENT.clientId }));
    expect(missing.body.ok).toBe(true);
    // A node that was never deployed has nothing stored: the missing secret is named.
    const unknown = await postTest(testBody('sentinel-hub', { clientId: DEMO_CLIENT.clientId, clientSecret: '__PWRD__' }, 'not-deployed'));
    expect(unknown.body).toEqual(expect.objectContaining({ ok: false, code: 'EO_INVALID_CONFIG', field: 'clientSecret' }));
  });

  test('a stored secret is never sent to a token URL other than the deployed one', async () => {
    await bed.helper.load(NODES, [authNode(bed.emu)], demoCredentials());
    const body = {
      ...testBody('sentinel-hub', { clientId: DEMO_CLIENT.clientId, clientSecret: '__PWRD__' }),
      tokenUrl: bed.emu.endpoints.sentinelHub.realmTokenUrl,
    };
    const answer = await postTest(body);
    expect(answer.body).toEqual(expect.objectContaining({ ok: false, code: 'EO_INVALID_CONFIG', field: 'clientSecret' }));
    expect(bed.emu.counters().tokenRequests.total).toBe(0);
    // Typed again, the secret may go to the new URL.
    const typed = await postTest({ ...body, credentials: { ...DEMO_CLIENT } });
    expect(typed.body.ok).toBe(true);
  });

  test('a typed secret wins over the stored one', async () => {
    await bed.helper.load(NODES, [authNode(bed.emu)], demoCredentials());
    const answer = await postTest(testBody('sentinel-hub', { clientId: DEMO_CLIENT.clientId, clientSecret: 'typed-but-wrong' }));
    expect(answer.body).toEqual(expect.objectContaining({ ok: false, code: 'EO_AUTH_INVALID_CLIENT' }));
  });
});

describe('configuration errors', () => {
  test('a missing secret: red status on the user and done(err) naming the field, runtime up', async () => {
    const flow = requestFlow(authNode(bed.emu), { operation: 'statistics' });
    await bed.helper.load(NODES, flow, { auth: { clientId: DEMO_CLIENT.clientId } });
    const statuses = statusLog(bed.helper);
    const caught = await caughtError(bed.helper, { payload: { any: 'thing' } });
    expect(caught.error.code).toBe('EO_INVALID_CONFIG');
    expect(caught.error.message).toContain('Client secret is missing');
    expect(caught.error.message).toContain('(field: clientSecret)');
    expect(caught.payload).toEqual({ any: 'thing' });
    // The status set at start is red and names the field; the runtime keeps serving.
    const req = bed.helper.getNode('req');
    expect(req).not.toBeNull();
    expect(statuses.every((s) => s.fill === 'red')).toBe(true);
    expect(bed.emu.counters().tokenRequests.total).toBe(0);
  });

  test('an http:// token URL off loopback names tokenUrl', async () => {
    const flow = requestFlow(authNode(bed.emu, 'sentinel-hub', { tokenUrl: 'http://example.com/token' }), { operation: 'statistics' });
    await bed.helper.load(NODES, flow, demoCredentials());
    const caught = await caughtError(bed.helper, { payload: {} });
    expect(caught.error.message).toContain('(field: tokenUrl)');
  });

  test('an eo-request without a connection names the "auth" field', async () => {
    const flow = requestFlow(authNode(bed.emu), { operation: 'statistics', auth: '' });
    await bed.helper.load(NODES, flow, demoCredentials());
    const caught = await caughtError(bed.helper, { payload: {} });
    expect(caught.error.message).toContain('(field: auth)');
  });

  test("only the chosen provider's fields are used: a leftover client secret is not sent with a Terrascope login", async () => {
    const flow = requestFlow(authNode(bed.emu, 'terrascope'), {
      operation: 'request',
      method: 'GET',
      url: '/download/synthetic/10.bin',
      output: 'buffer',
    });
    await bed.helper.load(NODES, flow, { auth: { ...DEMO_USER, clientId: 'left-over', clientSecret: 'left-over-secret' } });
    const statuses = statusLog(bed.helper);
    const caught = caughtError(bed.helper, {}).then(() => 'caught');
    const out = new Promise((resolve) => bed.helper.getNode('out')?.on('input', () => resolve('out')));
    expect(await Promise.race([caught, out])).toBe('out');
    const tokenForm = bed.emu.log().find((e) => e.form?.grant_type === 'password')?.form;
    expect(tokenForm?.client_id).toBe('public');
    expect(tokenForm?.client_secret).toBeUndefined();
    expect(statuses.length).toBeGreaterThan(0);
  });
});
