import { Agent, type Dispatcher } from 'undici';
import { EoError } from '../../../nodes/core/errors';
import type { ConnectionSettings } from '../../../nodes/core/config/connection';
import { emulatorConnection, rejection as failure, useEmulator } from '../../support/fixtures';
import { sharedTokenCache, TokenCache, tokenProviderFor, type TokenCacheOptions } from '../../../nodes/core/auth/token-cache';
import { formatTokenState } from '../../../nodes/core/auth/token-state';
import { defaultConfig } from '../../emulator/state';
import type { Emulator } from '../../emulator/types';

let emu: Emulator;
useEmulator((started) => (emu = started));
const defaults = defaultConfig();

const SECRETS = ['demo-secret', 'demo-password', 'wrong-secret-123', 'wrong-password-123'];
const CREDENTIAL_WORDING = /credential|secret|password|client id|username/i;
const fastRetries: TokenCacheOptions['request'] = { backoff: { baseMs: 5, maxMs: 20, factor: 2 } };

const sentinelHub = (over: Partial<ConnectionSettings> = {}) => emulatorConnection(emu, 'sentinel-hub', over);
const terrascope = (over: Partial<ConnectionSettings> = {}) => emulatorConnection(emu, 'terrascope', over);

/**
 * A clock that tests move forward. The emulator's clock is skewed by the same amount, so tokens it
 * issues "later" carry the matching iat/exp, as if real time had passed.
 */
function movableClock() {
  let offsetMs = 0;
  return {
    now: () => Date.now() + offsetMs,
    advance(ms: number) {
      offsetMs += ms;
      emu.configure({ clockSkewS: Math.round(offsetMs / 1000) });
    },
  };
}

const tokenRequests = () => emu.counters().tokenRequests;

describe('one token per identity', () => {
  it('1,000 concurrent callers on a cold cache cause exactly one token request', async () => {
    emu.configure({ tokenDelayMs: 50 });
    const tokens = new TokenCache().provider(sentinelHub());
    const results = await Promise.all(Array.from({ length: 1000 }, () => tokens.getToken()));
    expect(tokenRequests().total).toBe(1);
    expect(new Set(results.map((t) => t.value)).size).toBe(1);
    expect(tokens.state().tokenRequests).toBe(1);
  });

  it('reuses the token for its whole validity: 500 sequential calls, one request', async () => {
    const clock = movableClock();
    const tokens = new TokenCache({ now: clock.now }).provider(sentinelHub());
    const first = await tokens.getToken();
    for (let i = 0; i < 500; i++) {
      const token = await tokens.getToken();
      expect(token.value).toBe(first.value);
      if (i % 100 === 99) clock.advance(600_000); // up to 50 min of the 60
    }
    expect(tokenRequests().total).toBe(1);
  });

  it('renews ahead of expiry (60 s margin) and never serves the old token past it', async () => {
    const clock = movableClock();
    const tokens = new TokenCache({ now: clock.now }).provider(sentinelHub());
    const first = await tokens.getToken();
    clock.advance(first.expiresAt - clock.now() - 61_000);
    expect((await tokens.getToken()).value).toBe(first.value);
    expect(tokenRequests().total).toBe(1);
    clock.advance(2_000); // 59 s before exp: inside the margin
    const second = await tokens.getToken();
    expect(second.value).not.toBe(first.value);
    expect(second.expiresAt - clock.now()).toBeGreaterThan(3500_000);
    expect(tokenRequests().total).toBe(2);
  });

  it('keeps serving a still-valid token while the endpoint fails inside the renewal margin, never past it', async () => {
    const clock = movableClock();
    const tokens = new TokenCache({ now: clock.now, request: fastRetries }).provider(sentinelHub());
    const first = await tokens.getToken();
    clock.advance(first.expiresAt - clock.now() - 30_000); // inside the 60 s margin, 30 s left
    emu.fault({ route: 'POST /oauth/token$', status: 503 });
    expect((await tokens.getToken()).value).toBe(first.value);
    expect(tokens.state().lastError?.code).toBe('EO_TOKEN_ENDPOINT_UNAVAILABLE');
    // A caller that needs 25 s more cannot be given a token with 30 s left (10 s floor).
    await expect(tokens.getToken({ minValidityMs: 25_000 })).rejects.toMatchObject({ code: 'EO_TOKEN_ENDPOINT_UNAVAILABLE' });
    // A rejected token (401 elsewhere) is never served again as a fallback.
    tokens.invalidate(first.value);
    await expect(tokens.getToken()).rejects.toMatchObject({ code: 'EO_TOKEN_ENDPOINT_UNAVAILABLE' });
  });

  it('with short real lifetimes every served token is still valid and renewal happens before exp', async () => {
    emu.configure({ accessTokenLifetimeS: { ...defaults.accessTokenLifetimeS, main: 2 } });
    const tokens = new TokenCache().provider(sentinelHub());
    const seen = new Map<string, number>();
    const end = Date.now() + 3_000;
    while (Date.now() < end) {
      const token = await tokens.getToken();
      expect(token.expiresAt).toBeGreaterThan(Date.now() + 400);
      if (!seen.has(token.value)) seen.set(token.value, token.expiresAt);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen.size).toBeGreaterThanOrEqual(2);
    // ~2 s tokens renewed at half-life over 3 s: a handful of requests, not one per call.
    expect(tokenRequests().total).toBeLessThanOrEqual(6);
  });

  it('minValidityMs renews a token that would expire during a long job, at most once per margin', async () => {
    const clock = movableClock();
    const tokens = new TokenCache({ now: clock.now }).provider(sentinelHub());
    const first = await tokens.getToken();
    // More than a token can ever give: the fresh token is the best there is, no request per call.
    expect((await tokens.getToken({ minValidityMs: 7200_000 })).value).toBe(first.value);
    expect(tokenRequests().total).toBe(1);
    clock.advance(30 * 60_000);
    expect((await tokens.getToken({ minValidityMs: 20 * 60_000 })).value).toBe(first.value);
    const renewed = await tokens.getToken({ minValidityMs: 40 * 60_000 });
    expect(renewed.value).not.toBe(first.value);
    expect((await tokens.getToken({ minValidityMs: 7200_000 })).value).toBe(renewed.value);
    expect(tokenRequests().total).toBe(2);
  });

  it('same settings on two Connection objects share one token; the identity key holds no secret', async () => {
    const cache = new TokenCache();
    const a = cache.provider(sentinelHub());
    const b = cache.provider(sentinelHub());
    expect((await a.getToken()).value).toBe((await b.getToken()).value);
    expect(tokenRequests().total).toBe(1);
    const key = cache.identityKey(sentinelHub());
    expect(key).toContain('demo-client');
    expect(key).not.toContain('demo-secret');
    const tsKey = cache.identityKey(terrascope());
    expect(tsKey).toContain('demo');
    expect(tsKey).not.toContain('demo-password');
    expect(cache.identityKey(terrascope({ password: 'other-password' }))).not.toBe(tsKey);
  });

  it('a changed password is a new identity with its own token request', async () => {
    emu.configure({ users: [...defaults.users, { username: 'demo', password: 'changed-password' }] });
    const cache = new TokenCache();
    const before = await cache.provider(terrascope()).getToken();
    const after = await cache.provider(terrascope({ password: 'changed-password' })).getToken();
    expect(after.value).not.toBe(before.value);
    expect(tokenRequests().password).toBe(2);
  });

  it('the identity key of a Connection object edited after use follows the edit', () => {
    const cache = new TokenCache();
    const connection = sentinelHub();
    const first = cache.identityKey(connection);
    // Remembered per object for speed, but never trusted blindly: every identity field is compared.
    expect(cache.identityKey(connection)).toBe(first);
    connection.clientSecret = 'edited-secret';
    const edited = cache.identityKey(connection);
    expect(edited).not.toBe(first);
    expect(edited).toBe(cache.identityKey(sentinelHub({ clientSecret: 'edited-secret' })));
    connection.clientId = 'other-client';
    expect(cache.identityKey(connection)).toContain('other-client');
  });

  it('a changed client secret sends a new token request instead of reusing the old token', async () => {
    const cache = new TokenCache();
    await cache.provider(sentinelHub()).getToken();
    const err = await failure(cache.provider(sentinelHub({ clientSecret: 'wrong-secret-123' })).getToken());
    expect(err.code).toBe('EO_AUTH_INVALID_CLIENT');
    expect(tokenRequests().total).toBe(2);
  });
});

describe('invalidate', () => {
  it('invalidate(current) makes the next call fetch once; invalidate(old) keeps the newer token', async () => {
    const tokens = new TokenCache().provider(sentinelHub());
    const first = await tokens.getToken();
    tokens.invalidate(first.value);
    const [second, alsoSecond] = await Promise.all([tokens.getToken(), tokens.getToken()]);
    expect(second.value).not.toBe(first.value);
    expect(alsoSecond.value).toBe(second.value);
    expect(tokenRequests().total).toBe(2);
    tokens.invalidate(first.value); // a late 401 for the old token
    expect((await tokens.getToken()).value).toBe(second.value);
    expect(tokenRequests().total).toBe(2);
  });
});

describe('token endpoint failures', () => {
  it.each([500, 502, 503])('%i → EO_TOKEN_ENDPOINT_UNAVAILABLE that does not blame the credentials', async (status) => {
    emu.fault({ route: '^POST /oauth/token$', status });
    const tokens = new TokenCache({ request: fastRetries }).provider(sentinelHub());
    const err = await failure(tokens.getToken());
    expect(err.code).toBe('EO_TOKEN_ENDPOINT_UNAVAILABLE');
    expect(err.message).toContain(String(status));
    expect(err.message).not.toMatch(CREDENTIAL_WORDING);
    expect(tokenRequests().total).toBe(4); // 1 + 3 retries, once
    expect(tokens.state().lastError?.code).toBe('EO_TOKEN_ENDPOINT_UNAVAILABLE');
  });

  it('a single 503 is retried, and the next success clears the error state', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 503, times: 1 });
    const tokens = new TokenCache({ request: fastRetries }).provider(sentinelHub());
    const results = await Promise.all(Array.from({ length: 20 }, () => tokens.getToken()));
    expect(new Set(results.map((t) => t.value)).size).toBe(1);
    expect(tokenRequests().total).toBe(2);
    expect(tokens.state().lastError).toBeUndefined();
  });

  it('errors are not cached: the next call tries again (once), and concurrent callers share one attempt', async () => {
    const tokens = new TokenCache({ request: fastRetries }).provider(sentinelHub({ clientSecret: 'wrong-secret-123' }));
    const errors = await Promise.all(Array.from({ length: 10 }, () => failure(tokens.getToken())));
    expect(errors.every((e) => e.code === 'EO_AUTH_INVALID_CLIENT' && e.field === 'clientSecret')).toBe(true);
    expect(tokenRequests().total).toBe(1);
    await failure(tokens.getToken());
    expect(tokenRequests().total).toBe(2);
  });

  it('unknown client → Client ID; wrong Terrascope password → EO_AUTH_INVALID_GRANT', async () => {
    const cache = new TokenCache({ request: fastRetries });
    const unknown = await failure(cache.provider(sentinelHub({ clientId: 'nobody' })).getToken());
    expect(unknown.code).toBe('EO_AUTH_INVALID_CLIENT');
    expect(unknown.field).toBe('clientId');
    const badPassword = await failure(cache.provider(terrascope({ password: 'wrong-password-123' })).getToken());
    expect(badPassword.code).toBe('EO_AUTH_INVALID_GRANT');
    expect(badPassword.field).toBe('password');
    expect(tokenRequests().total).toBe(2);
  });

  it('HTML 200 and JSON without access_token → EO_NOT_A_TOKEN_ENDPOINT', async () => {
    const tokens = new TokenCache().provider(sentinelHub());
    emu.fault({
      route: '^POST /oauth/token$',
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html>login</html>',
      times: 1,
    });
    expect(await failure(tokens.getToken())).toMatchObject({ code: 'EO_NOT_A_TOKEN_ENDPOINT', field: 'tokenUrl' });
    emu.fault({ route: '^POST /oauth/token$', status: 200, body: { ok: true }, times: 1 });
    expect(await failure(tokens.getToken())).toMatchObject({ code: 'EO_NOT_A_TOKEN_ENDPOINT', field: 'tokenUrl' });
    expect((await tokens.getToken()).value).toBeTruthy();
  });

  it('HTTP Basic client authentication works through the cache', async () => {
    const tokens = new TokenCache().provider(sentinelHub({ clientAuth: 'basic' }));
    expect((await tokens.getToken()).value).toBeTruthy();
    expect(String(emu.log().find((e) => e.form)?.headers.authorization)).toMatch(/^Basic /);
  });

  it('a token that is already expired on arrival fails clearly after one retry', async () => {
    emu.configure({ clockSkewS: -7200 });
    const tokens = new TokenCache().provider(sentinelHub());
    const err = await failure(tokens.getToken());
    expect(err.code).toBe('EO_AUTH_REJECTED');
    expect(err.message).toContain('already expired');
    expect(err.message).toContain('clock');
    expect(tokenRequests().total).toBe(2);
  });

  it('a JWT without exp and an opaque token both live for expires_in', async () => {
    emu.configure({ omitExp: true });
    const cache = new TokenCache();
    const jwt = await cache.provider(sentinelHub()).getToken();
    expect(jwt.expiresAt - Date.now()).toBeGreaterThan(3590_000);
    emu.configure({ omitExp: false, opaqueTokens: true });
    const opaque = await cache.provider(terrascope()).getToken();
    expect(opaque.value.split('.').length).not.toBe(3);
    expect(opaque.expiresAt - Date.now()).toBeGreaterThan(290_000);
    expect(opaque.expiresAt - Date.now()).toBeLessThanOrEqual(300_000);
    await cache.provider(terrascope()).getToken();
    expect(tokenRequests().total).toBe(2);
  });

  it('a caller that aborts does not cancel the shared request for the others', async () => {
    emu.configure({ tokenDelayMs: 200 });
    const tokens = new TokenCache().provider(sentinelHub());
    const impatient = tokens.getToken({ signal: AbortSignal.timeout(20) });
    const patient = tokens.getToken();
    await expect(impatient).rejects.toHaveProperty('name', 'TimeoutError');
    expect((await patient).value).toBeTruthy();
    expect(tokenRequests().total).toBe(1);
  });
});

describe('429 from the token endpoint: one shared cool-down', () => {
  it('100 concurrent callers wait out Retry-After (ms) together, then exactly one more request', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 429, headers: { 'retry-after': '1200' }, times: 1 });
    const tokens = new TokenCache().provider(sentinelHub());
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 100 }, () => tokens.getToken()));
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1200);
    expect(waited).toBeLessThan(4000);
    expect(new Set(results.map((t) => t.value)).size).toBe(1);
    expect(tokenRequests().total).toBe(2);
    expect(tokens.state().lastRateLimitAt).toBeGreaterThanOrEqual(started);
  });

  it('callers arriving during the cool-down join it instead of sending their own request', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 429, headers: { 'retry-after': '600' }, times: 1 });
    const tokens = new TokenCache().provider(sentinelHub());
    const early = tokens.getToken();
    await new Promise((r) => setTimeout(r, 200));
    expect(tokens.state().coolDownUntil).toBeGreaterThan(Date.now());
    expect(formatTokenState(tokens.state())).toContain('rate limited');
    const late = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken()));
    expect(late.every((t) => t.value === late[0].value)).toBe(true);
    expect((await early).value).toBe(late[0].value);
    expect(tokenRequests().total).toBe(2);
  });

  it('a 429 that keeps asking for (almost) no wait is not retried without end', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 429, headers: { 'retry-after': '0' } });
    const tokens = new TokenCache().provider(sentinelHub());
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<'stuck'>((resolve) => {
      timer = setTimeout(() => resolve('stuck'), 10_000);
    });
    try {
      const outcome = await Promise.race([
        tokens.getToken().then(
          () => 'token',
          (e: unknown) => e,
        ),
        stuck,
      ]);
      expect(outcome).toBeInstanceOf(EoError);
      expect((outcome as EoError).code).toBe('EO_RATE_LIMITED');
      expect(tokenRequests().total).toBeLessThanOrEqual(8);
    } finally {
      clearTimeout(timer);
      emu.clearFaults();
    }
  }, 20_000);

  it('a Retry-After beyond the cap fails at once with retryAfterMs, and later callers do not hit the endpoint', async () => {
    emu.fault({ route: '^POST /oauth/token$', status: 429, headers: { 'retry-after': '120000' }, times: 1 });
    const tokens = new TokenCache({ maxRateLimitWaitMs: 5_000 }).provider(sentinelHub());
    const started = Date.now();
    const err = await failure(tokens.getToken());
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.code).toBe('EO_RATE_LIMITED');
    expect(err.retryAfterMs).toBeGreaterThan(110_000);
    const again = await failure(tokens.getToken());
    expect(again.code).toBe('EO_RATE_LIMITED');
    expect(tokenRequests().total).toBe(1);
  });
});

describe('Terrascope: password grant, then refresh token', () => {
  /** Records the form bodies the cache sends, to see which refresh token went out. */
  function recordingDispatcher(): { dispatcher: Dispatcher; bodies: URLSearchParams[]; close: () => Promise<void> } {
    const agent = new Agent();
    const bodies: URLSearchParams[] = [];
    const dispatcher = agent.compose((dispatch) => (opts, handler) => {
      if (typeof opts.body === 'string') bodies.push(new URLSearchParams(opts.body));
      return dispatch(opts, handler);
    });
    return { dispatcher, bodies, close: () => agent.close() };
  }

  it('renews with the refresh token, always using the newest (rotated) one', async () => {
    const clock = movableClock();
    const recorder = recordingDispatcher();
    try {
      const tokens = new TokenCache({ now: clock.now, dispatcher: recorder.dispatcher }).provider(terrascope());
      const first = await tokens.getToken();
      expect(tokenRequests()).toMatchObject({ password: 1, refresh_token: 0 });
      expect(tokens.state().hasRefreshToken).toBe(true);
      const firstRefreshEnds = tokens.state().refreshExpiresAt!;

      clock.advance(250_000); // 50 s left of 300: inside the margin
      const second = await tokens.getToken();
      expect(second.value).not.toBe(first.value);
      expect(tokenRequests()).toMatchObject({ password: 1, refresh_token: 1 });
      expect(tokens.state().refreshExpiresAt!).toBeGreaterThan(firstRefreshEnds);

      clock.advance(250_000);
      await tokens.getToken();
      expect(tokenRequests()).toMatchObject({ password: 1, refresh_token: 2 });

      const used = recorder.bodies.filter((b) => b.get('grant_type') === 'refresh_token').map((b) => b.get('refresh_token'));
      expect(used).toHaveLength(2);
      expect(used[0]).toBeTruthy();
      expect(used[1]).not.toBe(used[0]);
    } finally {
      await recorder.close();
    }
  });

  it('a refresh token the server rejects (invalid_grant) falls back to the password grant once', async () => {
    const clock = movableClock();
    const tokens = new TokenCache({ now: clock.now }).provider(terrascope());
    await tokens.getToken();
    emu.revokeRefreshTokens();
    clock.advance(250_000);
    const token = await tokens.getToken();
    expect(token.expiresAt).toBeGreaterThan(clock.now() + 200_000);
    expect(tokenRequests()).toMatchObject({ password: 2, refresh_token: 1 });
    expect(tokens.state().lastError).toBeUndefined();
  });

  it('an expired refresh token is not sent: the password grant is used directly', async () => {
    const clock = movableClock();
    const tokens = new TokenCache({ now: clock.now }).provider(terrascope());
    await tokens.getToken();
    clock.advance(3_700_000);
    await tokens.getToken();
    expect(tokenRequests()).toMatchObject({ password: 2, refresh_token: 0 });
  });

  it('a refresh token about to expire (inside the margin) is not used either', async () => {
    emu.configure({ refreshTokenLifetimeS: 400 });
    const clock = movableClock();
    const tokens = new TokenCache({ now: clock.now }).provider(terrascope());
    await tokens.getToken();
    clock.advance(250_000);
    await tokens.getToken(); // refresh token has 150 s left, more than the 60 s margin
    expect(tokenRequests()).toMatchObject({ password: 1, refresh_token: 1 });
    clock.advance(350_000); // the rotated one (400 s from the refresh) has 50 s left
    await tokens.getToken();
    expect(tokenRequests()).toMatchObject({ password: 2, refresh_token: 1 });
  });

  it('state reads "access … · refresh …" and names the user, never a secret', async () => {
    const tokens = new TokenCache().provider(terrascope());
    await tokens.getToken();
    const state = tokens.state();
    expect(state.identity).toBe('demo');
    expect(state.provider).toBe('terrascope');
    expect(formatTokenState(state)).toMatch(/^access [45]m\d*s? · refresh (59|60)m/);
    expect(JSON.stringify(state)).not.toContain('demo-password');
  });
});

describe('no secret in any error', () => {
  it('every failure path keeps secrets and tokens out of messages, fields and state', async () => {
    const cache = new TokenCache({ request: { ...fastRetries, retries: 0, timeoutMs: 200 }, maxRateLimitWaitMs: 1 });
    const good = await cache.provider(terrascope()).getToken();
    const cases: Array<() => Promise<unknown>> = [
      () => cache.provider(sentinelHub({ clientSecret: 'wrong-secret-123' })).getToken(),
      () => cache.provider(sentinelHub({ clientId: 'nobody', clientSecret: 'wrong-secret-123' })).getToken(),
      () => cache.provider(terrascope({ password: 'wrong-password-123' })).getToken(),
    ];
    const faulty: Array<{ fault: Parameters<Emulator['fault']>[0] }> = [
      { fault: { route: 'token$', status: 503, times: 1 } },
      { fault: { route: 'token$', status: 429, headers: { 'retry-after': '90000' }, times: 1 } },
      { fault: { route: 'token$', status: 200, body: '<html>x</html>', headers: { 'content-type': 'text/html' }, times: 1 } },
      { fault: { route: 'token$', status: 400, body: { error: 'invalid_request', error_description: 'echo demo-secret' }, times: 1 } },
      { fault: { route: 'token$', hang: true, times: 1 } },
    ];
    const errors: EoError[] = [];
    for (const run of cases) errors.push(await failure(run()));
    for (const { fault } of faulty) {
      emu.fault(fault);
      const fresh = new TokenCache({ request: { ...fastRetries, retries: 0, timeoutMs: 200 }, maxRateLimitWaitMs: 1 });
      errors.push(await failure(fresh.provider(sentinelHub()).getToken()));
      emu.clearFaults();
    }
    expect(new Set(errors.map((e) => e.code)).size).toBeGreaterThanOrEqual(6);
    for (const err of errors) {
      const text = [err.message, err.hint, err.providerMessage, JSON.stringify(err), err.stack].join('\n');
      for (const secret of [...SECRETS, good.value]) expect(text).not.toContain(secret);
    }
    const state = JSON.stringify(cache.state(sentinelHub({ clientSecret: 'wrong-secret-123' })));
    expect(state).toContain('EO_AUTH_INVALID_CLIENT');
    for (const secret of SECRETS) expect(state).not.toContain(secret);
  });
});

describe('the shared cache', () => {
  it('is one instance per process, even across two copies of the module', async () => {
    const other = await new Promise<typeof import('../../../nodes/core/auth/token-cache')>((resolve) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a second copy of the module needs require inside isolateModules
      jest.isolateModules(() => resolve(require('../../../nodes/core/auth/token-cache')));
    });
    expect(other.TokenCache).not.toBe(TokenCache); // really a second copy
    expect(other.sharedTokenCache()).toBe(sharedTokenCache());
    const a = tokenProviderFor(sentinelHub());
    const b = other.tokenProviderFor(sentinelHub());
    expect((await a.getToken()).value).toBe((await b.getToken()).value);
    expect(tokenRequests().total).toBe(1);
    sharedTokenCache().clear();
  });
});
