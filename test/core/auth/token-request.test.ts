import { createServer } from 'node:net';
import { EoError } from '../../../nodes/core/errors';
import { requestToken, type TokenRequestOptions } from '../../../nodes/core/auth/token-request';
import { readTokenClaims } from '../../../nodes/core/auth/jwt-claims';
import type { ConnectionSettings } from '../../../nodes/core/config/connection';
import { emulatorConnection, rejection as failure, useEmulator } from '../../support/fixtures';
import { defaultConfig } from '../../emulator/state';
import type { Emulator } from '../../emulator/types';

let emu: Emulator;
useEmulator((started) => (emu = started));
const defaults = defaultConfig();

/** Fast backoff so retry tests take milliseconds. */
const fast: TokenRequestOptions = { backoff: { baseMs: 5, maxMs: 20, factor: 2 } };
const SECRETS = ['demo-secret', 'demo-password', 'wrong-secret-123', 'wrong-password-123'];
const CREDENTIAL_WORDING = /credential|secret|password|client id|username/i;

const sentinelHub = (over: Partial<ConnectionSettings> = {}) => emulatorConnection(emu, 'sentinel-hub', over);
const cdse = (over: Partial<ConnectionSettings> = {}) => emulatorConnection(emu, 'cdse', over);
const terrascope = (over: Partial<ConnectionSettings> = {}) => emulatorConnection(emu, 'terrascope', over);

function expectNoSecrets(err: EoError, extra: string[] = []): void {
  const everything = [err.message, err.hint ?? '', err.providerMessage ?? '', JSON.stringify(err), String(err.stack)].join('\n');
  for (const secret of [...SECRETS, ...extra]) expect(everything).not.toContain(secret);
}

describe('client credentials', () => {
  it('gets a JWT whose lifetime comes from exp, with issuer and azp', async () => {
    const before = Date.now();
    const token = await requestToken(sentinelHub(), { type: 'client_credentials' });
    expect(token.accessToken.split('.')).toHaveLength(3);
    expect(token.expiresAt).toBeGreaterThan(before + 3590_000);
    expect(token.expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect(token.issuer).toMatch(/\/auth\/realms\/main$/);
    expect(token.authorizedParty).toBe('demo-client');
    expect(token.refreshToken).toBeUndefined();
    expect(token.fields.access_token).toBeUndefined();
    expect(token.fields.expires_in).toBe(3600);

    const entry = emu.log().find((e) => e.form);
    expect(entry?.form).toMatchObject({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: '<redacted>' });
    expect(String(entry?.headers['content-type'])).toMatch(/^application\/x-www-form-urlencoded/);
    expect(emu.counters().tokenRequests.client_credentials).toBe(1);
  });

  it('reads the CDSE lifetime (600 s) from the token', async () => {
    const before = Date.now();
    const token = await requestToken(cdse(), { type: 'client_credentials' });
    expect(token.expiresAt - before).toBeGreaterThan(590_000);
    expect(token.expiresAt - before).toBeLessThanOrEqual(601_000);
    expect(token.issuer).toMatch(/\/auth\/realms\/CDSE$/);
  });

  it('sends HTTP Basic client authentication with form-encoded id and secret (RFC 6749 §2.3.1)', async () => {
    const secret = 'p@ss:w/rd+ é&=';
    emu.configure({ clients: [...defaults.clients, { clientId: 'odd client:1', clientSecret: secret }] });
    const token = await requestToken(sentinelHub({ clientAuth: 'basic', clientId: 'odd client:1', clientSecret: secret }), {
      type: 'client_credentials',
    });
    expect(readTokenClaims(token.accessToken)?.authorizedParty).toBe('odd client:1');
    const entry = emu.log().find((e) => e.form);
    expect(String(entry?.headers.authorization)).toMatch(/^Basic /);
    expect(entry?.form?.client_secret).toBeUndefined();
  });

  it('follows a 307 from the legacy /oauth/token to the realm URL on the same origin', async () => {
    emu.configure({ legacyTokenRedirect: 307 });
    const token = await requestToken(sentinelHub(), { type: 'client_credentials' });
    expect(token.issuer).toMatch(/\/auth\/realms\/main$/);
    const posts = emu.log().filter((e) => e.method === 'POST');
    expect(posts.map((e) => e.path)).toEqual(['/oauth/token', '/auth/realms/main/protocol/openid-connect/token']);
    expect(posts[1].form?.client_secret).toBe('<redacted>');
  });

  it('refuses a redirect to another origin and sends nothing there', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 307, redirectTo: 'second:/auth/realms/main/protocol/openid-connect/token' });
    const err = await failure(requestToken(sentinelHub(), { type: 'client_credentials' }));
    expect(err.code).toBe('EO_ORIGIN_NOT_ALLOWED');
    expect(err.field).toBe('tokenUrl');
    expect(emu.log().filter((e) => e.origin === 'second')).toHaveLength(0);
    expectNoSecrets(err);
  });

  it('does not follow a 302 (a POST would turn into a GET): not a token endpoint', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 302, redirectTo: 'main:/auth/realms/main/protocol/openid-connect/token' });
    const err = await failure(requestToken(sentinelHub(), { type: 'client_credentials' }));
    expect(err.code).toBe('EO_NOT_A_TOKEN_ENDPOINT');
    expect(err.message).toContain('302');
    expect(emu.counters().tokenRequests.total).toBe(1);
  });
});

describe('password and refresh token grants (Terrascope)', () => {
  it('logs in with client_id public and returns both tokens with their lifetimes', async () => {
    const before = Date.now();
    const token = await requestToken(terrascope(), { type: 'password' });
    expect(token.expiresAt - before).toBeGreaterThan(290_000);
    expect(token.expiresAt - before).toBeLessThanOrEqual(301_000);
    expect(token.refreshToken).toBeDefined();
    expect(token.refreshExpiresAt! - before).toBeGreaterThan(3590_000);
    expect(token.preferredUsername ?? token.subject).toBeDefined();
    expect(token.fields.refresh_token).toBeUndefined();
    const entry = emu.log().find((e) => e.form);
    expect(entry?.form).toMatchObject({ grant_type: 'password', client_id: 'public', username: 'demo', password: '<redacted>' });
  });

  it('refreshes with the refresh token and gets a new (rotated) refresh token', async () => {
    const first = await requestToken(terrascope(), { type: 'password' });
    const second = await requestToken(terrascope(), { type: 'refresh_token', refreshToken: first.refreshToken! });
    expect(second.refreshToken).toBeDefined();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(emu.counters().tokenRequests).toMatchObject({ password: 1, refresh_token: 1 });
    expect(emu.log().find((e) => e.form?.grant_type === 'refresh_token')?.form).toMatchObject({ client_id: 'public' });
  });

  it('reports a revoked refresh token as EO_AUTH_INVALID_GRANT without a credential field', async () => {
    const first = await requestToken(terrascope(), { type: 'password' });
    emu.revokeRefreshTokens();
    const err = await failure(requestToken(terrascope(), { type: 'refresh_token', refreshToken: first.refreshToken! }));
    expect(err.code).toBe('EO_AUTH_INVALID_GRANT');
    expect(err.providerCode).toBe('invalid_grant');
    expect(err.field).toBeUndefined();
    expectNoSecrets(err, [first.refreshToken!, first.accessToken]);
  });
});

describe('credential errors name the field to fix and are never retried', () => {
  it('wrong secret → EO_AUTH_INVALID_CLIENT on Client secret, with the CDSE mix-up hint', async () => {
    const err = await failure(requestToken(sentinelHub({ clientSecret: 'wrong-secret-123' }), { type: 'client_credentials' }, fast));
    expect(err.code).toBe('EO_AUTH_INVALID_CLIENT');
    expect(err.field).toBe('clientSecret');
    expect(err.message).toContain(
      'Sentinel Hub rejected the client id or secret (unauthorized_client: Invalid client or Invalid client credentials)',
    );
    expect(err.message).toContain('Check Client secret');
    expect(err.message).toContain('Copernicus Data Space');
    expect(err.status).toBe(401);
    expect(emu.counters().tokenRequests.total).toBe(1);
    expectNoSecrets(err);
  });

  it('a bare 401 with a WWW-Authenticate challenge is a credentials answer, not a wrong URL', async () => {
    emu.fault({ route: 'POST /oauth/token$', status: 401, headers: { 'www-authenticate': 'Basic realm="token"' }, body: '' });
    const err = await failure(requestToken(sentinelHub({ clientAuth: 'basic' }), { type: 'client_credentials' }, fast));
    expect(err.code).toBe('EO_AUTH_INVALID_CLIENT');
    expect(err.field).toBe('clientSecret');
    expect(emu.counters().tokenRequests.total).toBe(1);
    // Without the challenge, an empty 401 says nothing about credentials.
    emu.clearFaults();
    emu.fault({ route: 'POST /oauth/token$', status: 401, body: '' });
    expect((await failure(requestToken(sentinelHub(), { type: 'client_credentials' }, fast))).code).toBe('EO_NOT_A_TOKEN_ENDPOINT');
  });

  it('unknown client → EO_AUTH_INVALID_CLIENT on Client ID, CDSE hints at Sentinel Hub', async () => {
    const err = await failure(requestToken(cdse({ clientId: 'nobody' }), { type: 'client_credentials' }, fast));
    expect(err.code).toBe('EO_AUTH_INVALID_CLIENT');
    expect(err.field).toBe('clientId');
    expect(err.providerCode).toBe('invalid_client');
    expect(err.message).toContain('Check Client ID');
    expect(err.message).toContain('Sentinel Hub dashboard');
    expect(emu.counters().tokenRequests.total).toBe(1);
    expectNoSecrets(err);
  });

  it('wrong Terrascope password → EO_AUTH_INVALID_GRANT on Password', async () => {
    const err = await failure(requestToken(terrascope({ password: 'wrong-password-123' }), { type: 'password' }, fast));
    expect(err.code).toBe('EO_AUTH_INVALID_GRANT');
    expect(err.field).toBe('password');
    expect(err.message).toContain('Terrascope rejected the username or password (invalid_grant');
    expect(emu.counters().tokenRequests.total).toBe(1);
    expectNoSecrets(err);
  });

  it('another OAuth error → EO_AUTH_REJECTED with the provider text', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 400, body: { error: 'invalid_scope', error_description: 'Invalid scopes: x' } });
    const err = await failure(requestToken(sentinelHub(), { type: 'client_credentials' }, fast));
    expect(err.code).toBe('EO_AUTH_REJECTED');
    expect(err.message).toContain('invalid_scope: Invalid scopes: x');
    expect(emu.counters().tokenRequests.total).toBe(1);
  });

  it('removes a secret a provider echoes back in error_description', async () => {
    emu.fault({
      route: '^POST /oauth/token$',
      status: 401,
      body: { error: 'unauthorized_client', error_description: 'bad secret demo-secret' },
    });
    const err = await failure(requestToken(sentinelHub(), { type: 'client_credentials' }));
    expect(err.providerMessage).toBe('bad secret <redacted>');
    expectNoSecrets(err);
  });
});

describe('the endpoint failing is never reported as a credentials problem', () => {
  it.each([500, 502, 503])('%i every time → EO_TOKEN_ENDPOINT_UNAVAILABLE after 3 retries', async (status) => {
    emu.fault({
      route: '^POST /oauth/token$',
      status,
      body: '<html><body>Service Unavailable</body></html>',
      headers: { 'content-type': 'text/html' },
    });
    const err = await failure(requestToken(sentinelHub(), { type: 'client_credentials' }, fast));
    expect(err.code).toBe('EO_TOKEN_ENDPOINT_UNAVAILABLE');
    expect(err.message).toContain(`token endpoint is unavailable: it failed (${status})`);
    expect(err.message).not.toMatch(CREDENTIAL_WORDING);
    expect(err.field).toBeUndefined();
    expect(emu.counters().tokenRequests.total).toBe(4);
  });

  it('a single 503 is retried and the token arrives', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 503, times: 1 });
    const token = await requestToken(sentinelHub(), { type: 'client_credentials' }, fast);
    expect(token.accessToken).toBeTruthy();
    expect(emu.counters().tokenRequests.total).toBe(2);
  });

  it('a 503 with a JSON OAuth-looking body is still the endpoint failing', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 503, body: { error: 'invalid_client' } });
    const err = await failure(requestToken(sentinelHub(), { type: 'client_credentials' }, { ...fast, retries: 0 }));
    expect(err.code).toBe('EO_TOKEN_ENDPOINT_UNAVAILABLE');
  });

  it('connection refused → "could not reach the token endpoint (ECONNREFUSED)"', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const connection = sentinelHub({ tokenUrl: `http://127.0.0.1:${port}/oauth/token` });
    const err = await failure(requestToken(connection, { type: 'client_credentials' }, { ...fast, retries: 1 }));
    expect(err.code).toBe('EO_TOKEN_ENDPOINT_UNAVAILABLE');
    expect(err.message).toContain('could not reach the token endpoint (ECONNREFUSED)');
    expect(err.message).not.toMatch(CREDENTIAL_WORDING);
  });

  it('a connection reset mid-body is retried', async () => {
    emu.fault({ route: '^POST /oauth/token$', resetAfterBytes: 10, times: 1 });
    const token = await requestToken(sentinelHub(), { type: 'client_credentials' }, fast);
    expect(token.accessToken).toBeTruthy();
    expect(emu.counters().tokenRequests.total).toBe(2);
  });

  it('a hanging endpoint times out as unavailable', async () => {
    emu.fault({ route: '^POST /oauth/token$', hang: true });
    const started = Date.now();
    const err = await failure(requestToken(sentinelHub(), { type: 'client_credentials' }, { ...fast, timeoutMs: 200, retries: 0 }));
    expect(err.code).toBe('EO_TOKEN_ENDPOINT_UNAVAILABLE');
    expect(err.message).toContain('did not answer within 0.2 s');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a caller's abort is passed through as is, not retried", async () => {
    emu.fault({ route: '^POST /oauth/token$', hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stopped by caller')), 50);
    await expect(requestToken(sentinelHub(), { type: 'client_credentials' }, { ...fast, signal: controller.signal })).rejects.toThrow(
      'stopped by caller',
    );
    expect(emu.counters().tokenRequests.total).toBe(1);
  });

  it('429 → EO_RATE_LIMITED with Retry-After read as milliseconds on Sentinel Hub, not retried here', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 429, headers: { 'retry-after': '3398' }, body: { error: 'too_many_requests' } });
    const err = await failure(requestToken(sentinelHub(), { type: 'client_credentials' }, fast));
    expect(err.code).toBe('EO_RATE_LIMITED');
    expect(err.retryAfterMs).toBe(3398);
    expect(emu.counters().tokenRequests.total).toBe(1);
  });

  it('429 on Terrascope reads Retry-After as seconds', async () => {
    emu.fault({ route: '/protocol/openid-connect/token$', status: 429, headers: { 'retry-after': '2' } });
    const err = await failure(requestToken(terrascope(), { type: 'password' }, fast));
    expect(err.retryAfterMs).toBe(2000);
  });
});

describe('answers that are not from a token endpoint', () => {
  it('HTML with status 200 → EO_NOT_A_TOKEN_ENDPOINT on Token URL', async () => {
    emu.fault({
      route: '^POST /oauth/token$',
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<!DOCTYPE html><html>Sign in</html>',
    });
    const err = await failure(requestToken(sentinelHub(), { type: 'client_credentials' }, fast));
    expect(err.code).toBe('EO_NOT_A_TOKEN_ENDPOINT');
    expect(err.field).toBe('tokenUrl');
    expect(err.message).toContain('did not answer like a token endpoint (HTML, status 200)');
    expect(emu.counters().tokenRequests.total).toBe(1);
  });

  it('JSON without access_token → EO_NOT_A_TOKEN_ENDPOINT', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 200, body: { token: 'abc', expires_in: 60 } });
    const err = await failure(requestToken(sentinelHub(), { type: 'client_credentials' }));
    expect(err.code).toBe('EO_NOT_A_TOKEN_ENDPOINT');
    expect(err.message).toContain('JSON without access_token');
  });

  it('404 (a mistyped realm) → EO_NOT_A_TOKEN_ENDPOINT, not a credentials error', async () => {
    const connection = cdse({ tokenUrl: `${emu.url}/auth/realms/CDSEE/protocol/openid-connect/token` });
    const err = await failure(requestToken(connection, { type: 'client_credentials' }, fast));
    expect(err.code).toBe('EO_NOT_A_TOKEN_ENDPOINT');
    expect(err.status).toBe(404);
    expect(err.field).toBe('tokenUrl');
  });

  it('404 HTML on a path that is no endpoint at all → EO_NOT_A_TOKEN_ENDPOINT', async () => {
    emu.fault({ route: '^POST /nothing-here$', status: 404, headers: { 'content-type': 'text/html' }, body: '<html>Not found</html>' });
    const err = await failure(requestToken(sentinelHub({ tokenUrl: `${emu.url}/nothing-here` }), { type: 'client_credentials' }, fast));
    expect(err.code).toBe('EO_NOT_A_TOKEN_ENDPOINT');
    expect(err.message).toContain('HTML, status 404');
  });
});

describe('lifetime without exp', () => {
  it('a JWT without exp uses expires_in', async () => {
    emu.configure({ omitExp: true });
    const token = await requestToken(sentinelHub(), { type: 'client_credentials' });
    expect(readTokenClaims(token.accessToken)?.expiresAt).toBeUndefined();
    expect(token.expiresAt).toBe(token.requestedAt + 3600_000);
  });

  it('an opaque token uses expires_in', async () => {
    emu.configure({ opaqueTokens: true });
    const token = await requestToken(cdse(), { type: 'client_credentials' });
    expect(readTokenClaims(token.accessToken)).toBeUndefined();
    expect(token.issuer).toBeUndefined();
    expect(token.expiresAt).toBe(token.requestedAt + 600_000);
  });

  it('neither exp nor expires_in → a conservative 300 s', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 200, body: { access_token: 'opaque-abc', token_type: 'Bearer' } });
    const token = await requestToken(sentinelHub(), { type: 'client_credentials' });
    expect(token.expiresAt).toBe(token.requestedAt + 300_000);
  });

  it('a server clock running ahead does not stretch the lifetime beyond expires_in', async () => {
    emu.configure({ clockSkewS: 900 });
    const token = await requestToken(sentinelHub(), { type: 'client_credentials' });
    expect(token.expiresAt).toBe(token.requestedAt + 3600_000);
  });
});
