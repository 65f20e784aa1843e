/**
 * "Test connection" and n8n's credential "Test": one token request with the form's values, one
 * wording for both engines, and the process-wide token cache left exactly as it was.
 */
import { testConnection, type ConnectionTestFailure } from '../../../nodes/core/auth/connection-test';
import { sharedTokenCache } from '../../../nodes/core/auth/token-cache';
import type { ConnectionSettings } from '../../../nodes/core/config/connection';
import { emulatorConnection, useEmulator } from '../../support/fixtures';
import type { Emulator } from '../../emulator/types';

let emu: Emulator;
useEmulator((started) => (emu = started));
afterEach(() => sharedTokenCache().clear());

const UTC_MINUTE = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC';
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

function settings(provider: 'sentinel-hub' | 'terrascope', over: Partial<ConnectionSettings> = {}): ConnectionSettings {
  const endpoints = provider === 'terrascope' ? emu.endpoints.terrascope : emu.endpoints.sentinelHub;
  const credentials =
    provider === 'terrascope' ? { username: 'demo', password: 'demo-password' } : { clientId: 'demo-client', clientSecret: 'demo-secret' };
  return { provider, tokenUrl: endpoints.tokenUrl, baseUrl: endpoints.baseUrl, ...credentials, ...over };
}

describe('a token is issued', () => {
  test('client credentials: who and until when, in words, and never the token', async () => {
    const before = Date.now();
    const result = await testConnection(settings('sentinel-hub'));
    expect(result).toEqual({
      ok: true,
      subject: 'demo-client',
      provider: 'sentinel-hub',
      expiresAt: expect.any(Number),
      message: expect.stringMatching(
        new RegExp(`^Sentinel Hub: token for demo-client, valid until ${UTC_MINUTE}\\. Tokens: this process only\\.$`),
      ),
      sharing: 'this process only',
    });
    if (!result.ok) throw new Error('unreachable');
    expect(result.expiresAt).toBeGreaterThan(before + 3000_000);
    expect(result.message).toContain(new Date(result.expiresAt).toISOString().slice(0, 16).replace('T', ' '));
    expect(JSON.stringify(result)).not.toMatch(JWT);
    expect(emu.counters().tokenRequests).toMatchObject({ client_credentials: 1, total: 1 });
  });

  test('password grant: the user name from the token, and when the refresh token ends', async () => {
    const result = await testConnection(settings('terrascope'));
    expect(result).toMatchObject({ ok: true, subject: 'demo', provider: 'terrascope' });
    if (!result.ok) throw new Error('unreachable');
    expect(result.refreshExpiresAt).toBeGreaterThan(result.expiresAt);
    expect(result.message).toMatch(
      new RegExp(`^Terrascope: token for demo, valid until ${UTC_MINUTE}, refresh until ${UTC_MINUTE}\\. Tokens: this process only\\.$`),
    );
    expect(JSON.stringify(result)).not.toMatch(JWT);
    expect(JSON.stringify(result)).not.toContain('demo-password');
  });
});

describe('no token: why, naming the field, never the secret', () => {
  test('a wrong client secret', async () => {
    const result = (await testConnection(settings('sentinel-hub', { clientSecret: 'wrong-secret-42' }))) as ConnectionTestFailure;
    expect(result).toMatchObject({ ok: false, code: 'EO_AUTH_INVALID_CLIENT', field: 'clientSecret' });
    expect(result.message).toMatch(/rejected the client id or secret/);
    expect(JSON.stringify(result)).not.toContain('wrong-secret-42');
  });

  test('a token endpoint answering 503 is unavailable, never bad credentials, after one retry', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 503, body: 'Service Unavailable' });
    const result = (await testConnection(settings('sentinel-hub'))) as ConnectionTestFailure;
    expect(result).toMatchObject({ ok: false, code: 'EO_TOKEN_ENDPOINT_UNAVAILABLE' });
    expect(result.message).not.toMatch(/rejected|invalid|wrong/i);
    expect(emu.counters().tokenStatus['503']).toBe(2);
  });

  test('a missing secret is named before any request', async () => {
    const result = await testConnection(settings('sentinel-hub', { clientSecret: '' }));
    expect(result).toMatchObject({ ok: false, code: 'EO_INVALID_CONFIG', field: 'clientSecret' });
    expect(emu.counters().tokenRequests.total).toBe(0);
  });

  test('an endpoint that does not answer in time names tokenUrl and the time waited', async () => {
    emu.fault({ route: '^POST /oauth/token$', hang: true });
    const started = Date.now();
    const result = await testConnection(settings('sentinel-hub'), { timeoutMs: 300 });
    expect(result).toEqual({
      ok: false,
      code: 'EO_TIMEOUT',
      message: 'The token endpoint did not answer within 0.3 s.',
      field: 'tokenUrl',
      sharing: 'this process only',
    });
    // Generous: the answer comes when the deadline passes, not after the 30 s of a token request.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('the shared token cache is neither used nor changed', () => {
  test('an identity with a cached token still gets a fresh token request, and its cached token stays', async () => {
    const connection = emulatorConnection(emu, 'sentinel-hub');
    const deployed = sharedTokenCache().provider(connection);
    const cached = await deployed.getToken();
    const before = deployed.state();
    const result = await testConnection(settings('sentinel-hub'));
    expect(result.ok).toBe(true);
    // The cached token answers nothing: the test asked the endpoint itself.
    expect(emu.counters().tokenRequests.client_credentials).toBe(2);
    expect(deployed.state()).toEqual(before);
    expect((await deployed.getToken()).value).toBe(cached.value);
    expect(emu.counters().tokenRequests.client_credentials).toBe(2);
  });

  test('a failing test of the deployed identity leaves no error or cool-down on it', async () => {
    const connection = emulatorConnection(emu, 'sentinel-hub');
    const deployed = sharedTokenCache().provider(connection);
    await deployed.getToken();
    const before = deployed.state();
    emu.fault({ route: '^POST /oauth/token$', status: 429, headers: { 'retry-after': '30000' } });
    const result = await testConnection(settings('sentinel-hub'));
    expect(result).toMatchObject({ ok: false, code: 'EO_RATE_LIMITED' });
    expect(deployed.state()).toEqual(before);
    expect(deployed.state().lastError).toBeUndefined();
    expect(deployed.state().coolDownUntil).toBeUndefined();
  });

  test("a form's values that nobody deployed leave no identity behind", async () => {
    const other = settings('sentinel-hub', { clientSecret: 'typed-in-the-dialog' });
    await testConnection(other);
    const state = sharedTokenCache().state(emulatorConnection(emu, 'sentinel-hub', { clientSecret: 'typed-in-the-dialog' }));
    expect(state).toMatchObject({ tokenRequests: 0, hasRefreshToken: false, refreshing: false });
    expect(state.lastError).toBeUndefined();
  });
});
