/**
 * The request policy every authenticated call goes through (send-authorized.ts): origins,
 * redirects, 401 replay, 429 waits, 5xx and connection retries, timeouts. Driven through
 * eoRequest against the emulator.
 */
import { Readable } from 'node:stream';
import { Agent } from 'undici';
import { startEmulator } from '../../emulator/server';
import type { Emulator, RequestLogEntry } from '../../emulator/types';
import { resolveConnection, type Connection, type ConnectionSettings } from '../../../nodes/core/config/connection';
import { eoRequest } from '../../../nodes/core/http/eo-request';
import type { AttemptInfo } from '../../../nodes/core/http/send-authorized';
import { TokenCache } from '../../../nodes/core/auth/token-cache';
import {
  apiRequests,
  CATALOG_QUERY,
  expectEoError,
  FAST_BACKOFF,
  GOLDEN_PROCESS,
  sentinelHubRequest,
  useEmulator,
} from '../../support/fixtures';

const SH_UNAUTHORIZED = {
  error: { status: 401, reason: 'Unauthorized', message: 'You are not authorized!', code: 'COMMON_UNAUTHORIZED' },
};

let emu: Emulator;
useEmulator((started) => (emu = started));

const setup = (over: Partial<ConnectionSettings> = {}) => sentinelHubRequest(emu, over);
const apiLog = (): RequestLogEntry[] => apiRequests(emu);

describe('the request policy, through eoRequest against the emulator', () => {
  it('follows a redirect to another origin without the Authorization header', async () => {
    emu.fault({ route: '^GET /api/v1/moved$', origin: 'main', redirectTo: 'second:/landing' });
    emu.fault({ route: '^GET /landing$', origin: 'second', redirectTo: 'main:/back' });
    emu.fault({ route: '^GET /back$', origin: 'main', status: 200, body: { ok: true } });
    const res = await eoRequest({ ...setup(), url: '/api/v1/moved' });
    expect(res.body).toEqual({ ok: true });
    expect(res.attempts).toBe(3);
    expect(res.url).toBe(`${emu.url}/back`);
    const log = apiLog();
    expect(log.map((e) => `${e.origin} ${e.path}`)).toEqual(['main /api/v1/moved', 'second /landing', 'main /back']);
    expect(log[0].headers.authorization).toMatch(/^Bearer /);
    // Dropped at the origin change and not re-added on the way back: strict by design.
    expect(log[1].headers.authorization).toBeUndefined();
    expect(log[2].headers.authorization).toBeUndefined();
  });

  it('keeps the token on a same-origin redirect and the body on 307, turns 303 into GET', async () => {
    emu.fault({ route: '^POST /api/v1/a$', redirectTo: 'main:/api/v1/b', status: 307 });
    emu.fault({ route: '^POST /api/v1/b$', status: 200, body: { at: 'b' } });
    emu.fault({ route: '^POST /api/v1/c$', redirectTo: 'main:/api/v1/d', status: 303 });
    emu.fault({ route: '^GET /api/v1/d$', status: 200, body: { at: 'd' } });
    const base = { ...setup(), method: 'POST', body: { hello: 1 }, readOnly: true };
    expect((await eoRequest({ ...base, url: '/api/v1/a' })).body).toEqual({ at: 'b' });
    expect((await eoRequest({ ...base, url: '/api/v1/c' })).body).toEqual({ at: 'd' });
    const log = apiLog();
    expect(log.map((e) => `${e.method} ${e.path}`)).toEqual(['POST /api/v1/a', 'POST /api/v1/b', 'POST /api/v1/c', 'GET /api/v1/d']);
    expect(log.every((e) => typeof e.headers.authorization === 'string')).toBe(true);
    expect(log[1].headers['content-type']).toBe('application/json');
    expect(log[3].headers['content-type']).toBeUndefined();
  });

  it('never sends a caller-supplied Authorization, Cookie or Proxy-Authorization across an origin change', async () => {
    emu.fault({ route: '^GET /api/v1/hop$', origin: 'main', redirectTo: 'second:/elsewhere' });
    emu.fault({ route: '^GET /elsewhere$', origin: 'second', status: 200, body: { ok: true } });
    const headers = {
      AUTHORIZATION: 'Basic dXNlcjpwYXNzd29yZA==',
      Cookie: 'session=s3cr3t',
      'Proxy-Authorization': 'Basic cHJveHk6cHc=',
      'x-trace': 't1',
    };
    const res = await eoRequest({ ...setup(), url: '/api/v1/hop', headers });
    expect(res.body).toEqual({ ok: true });
    const [first, second] = apiLog();
    // The caller's Authorization never replaces the bearer token, and never travels on its own.
    expect(first.headers.authorization).toMatch(/^Bearer /);
    expect(first.headers.cookie).toBe('session=s3cr3t');
    expect(second.origin).toBe('second');
    expect(second.headers.authorization).toBeUndefined();
    expect(second.headers.cookie).toBeUndefined();
    expect(second.headers['proxy-authorization']).toBeUndefined();
    expect(second.headers['x-trace']).toBe('t1');
  });

  it('frees the connection of a redirect it refuses to follow', async () => {
    // One connection only: a redirect body left unread would hold it and the next call would wait forever.
    const dispatcher = new Agent({ connections: 1 });
    let timer: NodeJS.Timeout | undefined;
    try {
      emu.fault({
        route: '^GET /api/v1/odd$',
        status: 302,
        headers: { location: 'ftp://mirror.example/x.tif' },
        body: 'x'.repeat(4 * 1024 * 1024),
        times: 1,
      });
      emu.fault({ route: '^GET /api/v1/after$', status: 200, body: { ok: true } });
      await expectEoError(eoRequest({ ...setup(), dispatcher, url: '/api/v1/odd' }), 'EO_INSECURE_REDIRECT');
      const stuck = new Promise<'stuck'>((resolve) => {
        timer = setTimeout(() => resolve('stuck'), 3000);
      });
      const next = await Promise.race([eoRequest({ ...setup(), dispatcher, url: '/api/v1/after' }), stuck]);
      expect(next).not.toBe('stuck');
      expect((next as { body: unknown }).body).toEqual({ ok: true });
    } finally {
      clearTimeout(timer);
      await dispatcher.destroy();
    }
  });

  it('stops after maxRedirects', async () => {
    emu.fault({ route: '^GET /api/v1/loop$', redirectTo: 'main:/api/v1/loop' });
    const err = await expectEoError(eoRequest({ ...setup(), url: '/api/v1/loop', maxRedirects: 2 }), 'EO_TOO_MANY_REDIRECTS');
    expect(err.message).toContain('more than 2');
    expect(apiLog()).toHaveLength(3);
  });

  it('refuses an absolute URL on an origin that is not allowed, before any request', async () => {
    const err = await expectEoError(eoRequest({ ...setup(), url: `${emu.secondUrl}/api/v1/process?key=secret` }), 'EO_ORIGIN_NOT_ALLOWED');
    expect(err.field).toBe('url');
    expect(err.message).toContain(emu.url);
    expect(err.message).not.toContain('secret');
    expect(emu.log().filter((e) => e.origin === 'second')).toHaveLength(0);

    emu.fault({ route: '^GET /extra$', origin: 'second', status: 200, body: { extra: true } });
    const res = await eoRequest({ ...setup({ extraOrigins: emu.secondUrl }), url: `${emu.secondUrl}/extra` });
    expect(res.body).toEqual({ extra: true });
    expect(emu.log().find((e) => e.origin === 'second')?.headers.authorization).toMatch(/^Bearer /);
  });

  it('1,000 concurrent requests on a cold cache cause exactly one token request', async () => {
    const { connection, tokens } = setup();
    const responses = await Promise.all(
      Array.from({ length: 1000 }, () =>
        eoRequest({ connection, tokens, method: 'POST', url: '/api/v1/catalog/1.0.0/search', body: { ...CATALOG_QUERY, limit: 1 } }),
      ),
    );
    expect(responses.filter((r) => r.statusCode === 200)).toHaveLength(1000);
    expect(emu.counters().tokenRequests.total).toBe(1);
    expect(emu.counters().apiRequests).toBe(1000);
  });

  it('a 503 from the token endpoint fails the request saying the endpoint is unavailable, not the credentials', async () => {
    emu.fault({
      route: 'POST /oauth/token$',
      status: 503,
      body: '<html>Service Unavailable</html>',
      headers: { 'content-type': 'text/html' },
    });
    const { connection } = setup();
    const tokens = new TokenCache({ request: { backoff: FAST_BACKOFF } }).provider(connection);
    const err = await expectEoError(
      eoRequest({ connection, tokens, method: 'POST', url: '/api/v1/catalog/1.0.0/search', body: CATALOG_QUERY }),
      'EO_TOKEN_ENDPOINT_UNAVAILABLE',
    );
    expect(err.message).toMatch(/token endpoint is unavailable: it failed \(503\)/);
    expect(err.message).not.toMatch(/credential|secret|client id/i);
    expect(emu.counters().apiRequests).toBe(0);
  });

  it('replays once with a fresh token after a 401', async () => {
    emu.fault({ route: '^POST /api/v1/catalog/1.0.0/search$', status: 401, body: SH_UNAUTHORIZED, times: 1 });
    const res = await eoRequest<{ features: unknown[] }>({
      ...setup(),
      method: 'POST',
      url: '/api/v1/catalog/1.0.0/search',
      body: CATALOG_QUERY,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body.features.length).toBeGreaterThan(0);
    expect(res.tokenRefreshes).toBe(1);
    expect(res.attempts).toBe(2);
    expect(emu.counters().tokenRequests.total).toBe(2);
    const [first, second] = apiLog();
    expect(first.headers.authorization).not.toBe(second.headers.authorization);
  });

  it('fails a persistent 401 with a hint, after one replay', async () => {
    emu.fault({ route: '^POST /api/v1/process$', status: 401, body: SH_UNAUTHORIZED });
    const err = await expectEoError(
      eoRequest({ ...setup(), method: 'POST', url: '/api/v1/process', body: GOLDEN_PROCESS }),
      'EO_HTTP_STATUS',
    );
    expect(err.status).toBe(401);
    expect(err.providerCode).toBe('COMMON_UNAUTHORIZED');
    expect(err.hint).toContain('freshly issued token');
    expect(apiLog()).toHaveLength(2);
    expect(emu.counters().tokenRequests.total).toBe(2);
    expect(err.message).not.toMatch(/eyJ/);
  });

  it('says when a CDSE token is used against Sentinel Hub', async () => {
    emu.configure({ apiRealms: ['main'] });
    const port = new URL(emu.url).port;
    // Resolve the production host names to the emulator, so the check sees the real host.
    const dispatcher = new Agent({
      connect: {
        lookup: (_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
          opts?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4),
      } as object,
    });
    try {
      // Settings refuse plain http off loopback, so the production host name is set on the checked connection.
      const shHost = `http://services.sentinel-hub.com:${port}`;
      const connection: Connection = {
        ...resolveConnection({
          provider: 'cdse',
          tokenUrl: emu.endpoints.cdse.tokenUrl,
          clientId: 'demo-client',
          clientSecret: 'demo-secret',
        }),
        baseUrl: shHost,
        allowedOrigins: [shHost],
      };
      const tokens = new TokenCache().provider(connection);
      const err = await expectEoError(
        eoRequest({ connection, tokens, dispatcher, method: 'POST', url: '/api/v1/process', body: GOLDEN_PROCESS }),
        'EO_HTTP_STATUS',
      );
      expect(err.status).toBe(401);
      expect(err.message).toContain(
        'This is a CDSE token used against services.sentinel-hub.com: set the base URL to https://sh.dataspace.copernicus.eu or use Sentinel Hub credentials.',
      );
    } finally {
      await dispatcher.close();
    }

    // Same mix-up on the emulator's own address: the hint names the realm of the refused token.
    const cdseOnSh = resolveConnection({
      provider: 'cdse',
      tokenUrl: emu.endpoints.cdse.tokenUrl,
      baseUrl: emu.endpoints.sentinelHub.baseUrl,
      clientId: 'demo-client',
      clientSecret: 'demo-secret',
    });
    const err2 = await expectEoError(
      eoRequest({
        connection: cdseOnSh,
        tokens: new TokenCache().provider(cdseOnSh),
        method: 'POST',
        url: '/api/v1/process',
        body: GOLDEN_PROCESS,
      }),
      'EO_HTTP_STATUS',
    );
    expect(err2.hint).toContain('realm "CDSE"');

    // A Sentinel Hub connection whose token URL points at the CDSE realm.
    const { connection, tokens } = setup({ tokenUrl: emu.endpoints.cdse.tokenUrl });
    const err3 = await expectEoError(
      eoRequest({ connection, tokens, method: 'POST', url: '/api/v1/process', body: GOLDEN_PROCESS }),
      'EO_HTTP_STATUS',
    );
    expect(err3.hint).toContain('issued by realm "CDSE" but Sentinel Hub expects realm "main"');
  });

  it('does not replay a streamed body after a 401', async () => {
    emu.fault({ route: '^POST /api/v1/process$', status: 401, body: SH_UNAUTHORIZED, times: 1 });
    const err = await expectEoError(
      eoRequest({
        ...setup(),
        method: 'POST',
        url: '/api/v1/process',
        headers: { 'content-type': 'application/json' },
        body: Readable.from([JSON.stringify(GOLDEN_PROCESS)]),
      }),
      'EO_HTTP_STATUS',
    );
    expect(err.status).toBe(401);
    expect(err.hint).toContain('stream');
    expect(apiLog()).toHaveLength(1);
  });

  it('waits a Retry-After given in milliseconds after 429, then succeeds', async () => {
    emu.fault({
      route: '^POST /api/v1/catalog/1.0.0/search$',
      status: 429,
      headers: { 'retry-after': '300' },
      times: 1,
      body: { error: { status: 429, code: 'RATE_LIMIT_EXCEEDED', message: 'You have exceeded your rate limit' } },
    });
    const attempts: AttemptInfo[] = [];
    const started = Date.now();
    const res = await eoRequest({
      ...setup(),
      method: 'POST',
      url: '/api/v1/catalog/1.0.0/search',
      body: CATALOG_QUERY,
      onAttempt: (a) => attempts.push(a),
    });
    const elapsed = Date.now() - started;
    expect(res.statusCode).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3000);
    expect(attempts.map((a) => [a.reason, a.delayMs])).toEqual([
      ['initial', 0],
      ['rate-limit', 300],
    ]);
  });

  it('gives up after the bounded number of 429 waits with EO_RATE_LIMITED', async () => {
    emu.fault({
      route: '^GET /api/v1/busy$',
      status: 429,
      headers: { 'retry-after': '20' },
      body: { message: 'You have exceeded your rate limit', code: 'RATE_LIMIT_EXCEEDED' },
    });
    const err = await expectEoError(eoRequest({ ...setup(), url: '/api/v1/busy', maxRateLimitRetries: 2 }), 'EO_RATE_LIMITED');
    expect(err.retryAfterMs).toBe(20);
    expect(err.status).toBe(429);
    expect(err.providerCode).toBe('RATE_LIMIT_EXCEEDED');
    expect(apiLog()).toHaveLength(3);
  });

  it('a Retry-After longer than allowed fails at once with retryAfterMs instead of retrying early', async () => {
    emu.fault({
      route: '^GET /api/v1/later$',
      status: 429,
      headers: { 'retry-after': '120000' },
      body: { message: 'You have exceeded your rate limit', code: 'RATE_LIMIT_EXCEEDED' },
    });
    const started = Date.now();
    const err = await expectEoError(eoRequest({ ...setup(), url: '/api/v1/later', maxRetryAfterMs: 200 }), 'EO_RATE_LIMITED');
    expect(Date.now() - started).toBeLessThan(150);
    expect(err.retryAfterMs).toBe(120_000);
    expect(err.message).toContain('120');
    expect(apiLog()).toHaveLength(1);
  });

  it('reads Retry-After as seconds on an extra origin: milliseconds are the provider API dialect only', async () => {
    emu.fault({ route: '^GET /stac/search$', origin: 'second', status: 429, headers: { 'retry-after': '2' } });
    const options = { ...setup({ extraOrigins: emu.secondUrl }), url: `${emu.secondUrl}/stac/search`, maxRetryAfterMs: 500 };
    const err = await expectEoError(eoRequest(options), 'EO_RATE_LIMITED');
    expect(err.retryAfterMs).toBe(2000);
    // On the base URL the same header means 2 ms, waited out within the limit.
    emu.fault({ route: '^GET /api/v1/quick$', status: 429, headers: { 'retry-after': '2' }, times: 1 });
    emu.fault({ route: '^GET /api/v1/quick$', status: 200, body: { ok: 1 } });
    expect((await eoRequest({ ...setup(), url: '/api/v1/quick', maxRetryAfterMs: 500 })).body).toEqual({ ok: 1 });
  });

  it('retries a 503 on GET and on a Process POST, but not on batch creation', async () => {
    emu.fault({ route: '^GET /api/v1/flaky$', status: 503, times: 2 });
    emu.fault({ route: '^GET /api/v1/flaky$', status: 200, body: { ok: 1 } });
    const get = await eoRequest({ ...setup(), url: '/api/v1/flaky' });
    expect(get.body).toEqual({ ok: 1 });
    expect(get.attempts).toBe(3);

    emu.fault({ route: '^POST /api/v1/process$', status: 503, times: 1 });
    const proc = await eoRequest({
      ...setup(),
      method: 'POST',
      url: '/api/v1/process',
      body: GOLDEN_PROCESS,
      headers: { accept: 'image/tiff' },
    });
    expect(proc.statusCode).toBe(200);
    expect(proc.attempts).toBe(2);

    emu.reset();
    emu.fault({
      route: '^POST /api/v2/batch/process$',
      status: 503,
      times: 1,
      body: { error: { status: 503, reason: 'Service Unavailable', message: 'Try later', code: 'COMMON_EXCEPTION' } },
    });
    const err = await expectEoError(
      eoRequest({ ...setup(), method: 'POST', url: '/api/v2/batch/process', body: { processRequest: GOLDEN_PROCESS } }),
      'EO_HTTP_STATUS',
    );
    expect(err.status).toBe(503);
    expect(err.providerMessage).toBe('Try later');
    expect(err.hint).toContain('Not retried');
    expect(apiLog().filter((e) => e.path === '/api/v2/batch/process')).toHaveLength(1);
  });

  it('gives up after maxRetries 5xx with EO_HTTP_STATUS', async () => {
    emu.fault({ route: '^GET /api/v1/down$', status: 502 });
    const err = await expectEoError(eoRequest({ ...setup(), url: '/api/v1/down', maxRetries: 2 }), 'EO_HTTP_STATUS');
    expect(err.status).toBe(502);
    expect(apiLog()).toHaveLength(3);
  });

  it('retries a read-only call whose body was cut, and reports connection failures', async () => {
    emu.fault({ route: '^POST /api/v1/catalog/1.0.0/search$', resetAfterBytes: 10, times: 1 });
    const res = await eoRequest({ ...setup(), method: 'POST', url: '/api/v1/catalog/1.0.0/search', body: CATALOG_QUERY });
    expect(res.statusCode).toBe(200);
    expect(res.attempts).toBe(2);

    const dead = new Agent();
    const closed = await startEmulator();
    const deadUrl = closed.url;
    await closed.close();
    const connection = resolveConnection({
      provider: 'sentinel-hub',
      tokenUrl: emu.endpoints.sentinelHub.tokenUrl,
      baseUrl: deadUrl,
      clientId: 'demo-client',
      clientSecret: 'demo-secret',
    });
    const attempts: AttemptInfo[] = [];
    const base = {
      connection,
      tokens: new TokenCache().provider(connection),
      backoff: FAST_BACKOFF,
      dispatcher: dead,
      onAttempt: (a: AttemptInfo) => attempts.push(a),
    };
    const err = await expectEoError(eoRequest({ ...base, url: '/api/v1/x', maxRetries: 2 }), 'EO_NETWORK');
    expect(err.message).toContain('ECONNREFUSED');
    expect(attempts).toHaveLength(3);
    attempts.length = 0;
    await expectEoError(eoRequest({ ...base, method: 'POST', url: '/api/v2/batch/process', body: {} }), 'EO_NETWORK');
    expect(attempts).toHaveLength(1);
    await dead.close();
  });

  it('times out quickly on a server that never answers', async () => {
    emu.fault({ route: '^GET /api/v1/slow$', hang: true });
    const started = Date.now();
    const err = await expectEoError(eoRequest({ ...setup(), url: '/api/v1/slow', timeoutMs: 300 }), 'EO_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.message).toContain('300 ms');
  });

  it('surfaces the provider message of a 400', async () => {
    const err = await expectEoError(
      eoRequest({ ...setup(), method: 'POST', url: '/api/v1/process', body: { input: {} } }),
      'EO_HTTP_STATUS',
    );
    expect(err.status).toBe(400);
    expect(err.providerMessage).toBeTruthy();
    expect(err.message).toContain(err.providerMessage as string);
    expect(apiLog()).toHaveLength(1);
  });
});
