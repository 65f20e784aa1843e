/**
 * The provider emulator over real HTTP: golden cases from the provider notes, Keycloak error
 * bodies, token rotation, downloads with Range, every fault kind and the HTTP controls.
 */
import { crc32, inflateSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { decodeJwt } from 'jose';
import {
  bodyBytes,
  DEMO_CLIENT,
  DEMO_USER,
  rateLimitFault,
  SH_RATE_LIMIT_BODY,
  startEmulator,
  syntheticSource,
  untar,
  worldCoverSource,
  worldCoverTileSize,
} from './server';
import { defaultConfig } from './state';
import type { Emulator } from './types';

const agent = new Agent({ connections: null, keepAliveTimeout: 1000 });
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});

afterAll(async () => {
  await emu.close();
  await agent.close();
});

beforeEach(() => {
  emu.reset();
  emu.configure(defaultConfig());
});

type Headers = Record<string, string>;

async function call(method: string, url: string, opts: { headers?: Headers; body?: string | Buffer; headersTimeout?: number } = {}) {
  const res = await request(url, {
    method: method as 'GET',
    headers: opts.headers,
    body: opts.body,
    dispatcher: agent,
    headersTimeout: opts.headersTimeout,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers as Record<string, string>, body, json: () => JSON.parse(body.toString()) };
}

function form(fields: Record<string, string>, headers: Headers = {}) {
  return { headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() };
}

const realmUrl = (realm: string) => `${emu.url}/auth/realms/${realm}/protocol/openid-connect/token`;

async function clientToken(realm = 'main'): Promise<string> {
  const r = await call(
    'POST',
    realmUrl(realm),
    form({ grant_type: 'client_credentials', client_id: DEMO_CLIENT.clientId, client_secret: DEMO_CLIENT.clientSecret }),
  );
  expect(r.status).toBe(200);
  return r.json().access_token;
}

async function passwordTokens(): Promise<{ access_token: string; refresh_token: string }> {
  const r = await call(
    'POST',
    emu.endpoints.terrascope.tokenUrl,
    form({ grant_type: 'password', client_id: 'public', username: DEMO_USER.username, password: DEMO_USER.password }),
  );
  expect(r.status).toBe(200);
  return r.json();
}

const GOLDEN_EVALSCRIPT = `//VERSION=3
function setup() { return { input: ["B02", "B03", "B04"], output: { bands: 3 } }; }
function evaluatePixel(s) { return [2.5 * s.B04, 2.5 * s.B03, 2.5 * s.B02]; }`;

function goldenProcess(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    input: {
      bounds: { bbox: [414315, 4958219, 414859, 4958819], properties: { crs: 'http://www.opengis.net/def/crs/EPSG/0/32633' } },
      data: [{ type: 'sentinel-2-l2a', dataFilter: { timeRange: { from: '2023-06-01T00:00:00Z', to: '2023-06-30T00:00:00Z' } } }],
    },
    output: { resx: 10, resy: 10, ...extra },
    evalscript: GOLDEN_EVALSCRIPT,
  };
}

async function apiPost(path: string, token: string, body: unknown, headers: Headers = {}) {
  return call('POST', `${emu.url}${path}`, {
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Tag values of the first IFD of a little-endian TIFF. */
function tiffTags(buf: Buffer): Map<number, number> {
  expect(buf.toString('latin1', 0, 2)).toBe('II');
  expect(buf.readUInt16LE(2)).toBe(42);
  const ifd = buf.readUInt32LE(4);
  const tags = new Map<number, number>();
  for (let i = 0; i < buf.readUInt16LE(ifd); i++) {
    const at = ifd + 2 + i * 12;
    const type = buf.readUInt16LE(at + 2);
    tags.set(buf.readUInt16LE(at), type === 3 ? buf.readUInt16LE(at + 8) : buf.readUInt32LE(at + 8));
  }
  return tags;
}

const WC_N00E006 =
  '/download/WORLDCOVER/ESA_WORLDCOVER_10M_2020_V100/MAP/ESA_WorldCover_10m_2020_v100_N00E006_Map/ESA_WorldCover_10m_2020_v100_N00E006_Map.tif';

describe('token endpoints', () => {
  test('client credentials give an RS256 JWT with exp, iat, azp, iss, sub, jti, typ', async () => {
    const r = await call(
      'POST',
      emu.endpoints.sentinelHub.tokenUrl,
      form({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-secret' }),
    );
    expect(r.status).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ expires_in: 3600, refresh_expires_in: 0, token_type: 'Bearer', 'not-before-policy': 0 });
    expect(body.access_token.split('.')).toHaveLength(3);
    const claims = decodeJwt(body.access_token);
    expect(claims.azp).toBe('demo-client');
    expect(claims.iss).toBe(`${emu.url}/auth/realms/main`);
    expect(claims.typ).toBe('Bearer');
    expect(typeof claims.sub).toBe('string');
    expect(typeof claims.jti).toBe('string');
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(JSON.parse(Buffer.from(body.access_token.split('.')[0], 'base64url').toString()).alg).toBe('RS256');
  });

  test('CDSE lifetime 600 s and HTTP Basic client authentication', async () => {
    const basic = Buffer.from('demo-client:demo-secret').toString('base64');
    const r = await call(
      'POST',
      emu.endpoints.cdse.tokenUrl,
      form({ grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` }),
    );
    expect(r.status).toBe(200);
    expect(r.json().expires_in).toBe(600);
    expect(decodeJwt(r.json().access_token).iss).toBe(`${emu.url}/auth/realms/CDSE`);
  });

  test('Keycloak error bodies', async () => {
    const cases: [Record<string, string>, string, number, string, string?][] = [
      [
        { grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'wrong' },
        'main',
        401,
        'unauthorized_client',
        'Invalid client or Invalid client credentials',
      ],
      [{ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' }, 'main', 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', client_secret: 'x' }, 'CDSE', 400, 'invalid_client', 'Missing client_id parameter'],
      [
        { grant_type: 'password', client_id: 'public', username: 'demo', password: 'nope' },
        'terrascope',
        401,
        'invalid_grant',
        'Invalid user credentials',
      ],
      [
        { grant_type: 'refresh_token', client_id: 'public', refresh_token: 'garbage' },
        'terrascope',
        400,
        'invalid_grant',
        'Token is not active',
      ],
      [{ grant_type: 'authorization_code', client_id: 'demo-client', client_secret: 'demo-secret' }, 'main', 400, 'unsupported_grant_type'],
    ];
    for (const [fields, realm, status, error, description] of cases) {
      const r = await call('POST', realmUrl(realm), form(fields));
      expect([fields.grant_type, r.status]).toEqual([fields.grant_type, status]);
      expect(r.json().error).toBe(error);
      if (description) expect(r.json().error_description).toBe(description);
    }
    expect(
      (await call('POST', `${emu.url}/auth/realms/nope/protocol/openid-connect/token`, form({ grant_type: 'client_credentials' }))).status,
    ).toBe(404);
  });

  test('password grant and refresh rotation; revoked and expired refresh tokens are not active', async () => {
    const first = await passwordTokens();
    const claims = decodeJwt(first.access_token);
    expect(claims.preferred_username).toBe('demo');
    expect(claims.azp).toBe('public');
    expect(claims.exp! - claims.iat!).toBe(300);
    const refresh = (rt: string) =>
      call('POST', emu.endpoints.terrascope.tokenUrl, form({ grant_type: 'refresh_token', client_id: 'public', refresh_token: rt }));
    const r1 = await refresh(first.refresh_token);
    expect(r1.status).toBe(200);
    const second = r1.json();
    expect(second).toMatchObject({ expires_in: 300, refresh_expires_in: 3600, token_type: 'Bearer', scope: 'profile email' });
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.session_state).toBeDefined();
    // The newest refresh token keeps working.
    const r2 = await refresh(second.refresh_token);
    expect(r2.status).toBe(200);
    emu.revokeRefreshTokens();
    const revoked = await refresh(r2.json().refresh_token);
    expect(revoked.status).toBe(400);
    expect(revoked.json()).toEqual({ error: 'invalid_grant', error_description: 'Token is not active' });
    // Expiry: a new token, then the clock moves past refreshTokenLifetimeS.
    emu.configure({ refreshTokenLifetimeS: 60 });
    const fresh = await passwordTokens();
    emu.configure({ clockSkewS: 120 });
    expect((await refresh(fresh.refresh_token)).json().error_description).toBe('Token is not active');
  });

  test('CDSE password grant uses cdse-public; public is not a CDSE client', async () => {
    const ok = await call(
      'POST',
      emu.endpoints.cdse.tokenUrl,
      form({ grant_type: 'password', client_id: 'cdse-public', username: 'demo', password: 'demo-password' }),
    );
    expect(ok.status).toBe(200);
    const bad = await call(
      'POST',
      emu.endpoints.cdse.tokenUrl,
      form({ grant_type: 'password', client_id: 'public', username: 'demo', password: 'demo-password' }),
    );
    expect(bad.status).toBe(401);
    expect(bad.json().error).toBe('invalid_client');
  });

  test('legacy path redirect, omitExp, opaque tokens, token delay', async () => {
    emu.configure({ legacyTokenRedirect: 308 });
    const r = await call(
      'POST',
      emu.endpoints.sentinelHub.tokenUrl,
      form({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-secret' }),
    );
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe(emu.endpoints.sentinelHub.realmTokenUrl);
    emu.configure({ legacyTokenRedirect: 0, omitExp: true });
    const noExp = await clientToken();
    expect(decodeJwt(noExp).exp).toBeUndefined();
    expect((await apiPost('/api/v1/catalog/1.0.0/search', noExp, { collections: ['sentinel-2-l2a'] })).status).toBe(200);
    emu.configure({ omitExp: false, opaqueTokens: true, tokenDelayMs: 100 });
    const started = Date.now();
    const opaque = await clientToken();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(opaque.split('.')).toHaveLength(1);
    expect((await apiPost('/api/v1/catalog/1.0.0/search', opaque, { collections: ['sentinel-2-l2a'] })).status).toBe(200);
  });

  test('/oauth/tokeninfo answers as token introspection: claims when active, only active:false otherwise', async () => {
    const info = async (opts: { headers?: Headers; body?: string | Buffer } = {}, method = 'GET') =>
      call(method, `${emu.url}/oauth/tokeninfo`, opts);
    const token = await clientToken();
    const claims = decodeJwt(token);
    const active = await info({ headers: { authorization: `Bearer ${token}` } });
    expect(active.status).toBe(200);
    expect(active.headers['cache-control']).toBe('no-store');
    expect(active.json()).toEqual({
      active: true,
      token_type: 'Bearer',
      exp: claims.exp,
      iat: claims.iat,
      iss: `${emu.url}/auth/realms/main`,
      sub: 'service-account-demo-client',
      jti: claims.jti,
      azp: 'demo-client',
      client_id: 'demo-client',
    });
    // RFC 7662's own request: the token in a POST form.
    const user = (await passwordTokens()).access_token;
    const posted = await info(form({ token: user }), 'POST');
    expect(posted.json()).toMatchObject({ active: true, client_id: 'public', username: 'demo', iss: `${emu.url}/auth/realms/terrascope` });

    const inactive = { active: false };
    expect((await info({ headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` } })).json()).toEqual(inactive);
    emu.configure({ clockSkewS: 7200 });
    expect((await info({ headers: { authorization: `Bearer ${token}` } })).json()).toEqual(inactive);
    emu.configure({ clockSkewS: 0, apiRealms: ['main', 'CDSE'] });
    expect((await info({ headers: { authorization: `Bearer ${user}` } })).json()).toEqual(inactive);
    const none = await info();
    expect(none.status).toBe(401);
    expect(none.json().error).toBe('invalid_request');
    expect((await info({}, 'DELETE')).status).toBe(405);
  });

  test('log redacts secrets but keeps Authorization; counters by grant and status', async () => {
    await clientToken();
    await passwordTokens();
    await call('POST', realmUrl('main'), form({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'bad' }));
    const token = await clientToken();
    await apiPost('/api/v1/catalog/1.0.0/search', token, { collections: ['sentinel-2-l2a'] });
    const c = emu.counters();
    expect(c.tokenRequests).toEqual({ client_credentials: 3, password: 1, refresh_token: 0, total: 4 });
    expect(c.tokenStatus).toEqual({ 200: 3, 401: 1 });
    expect(c.apiRequests).toBe(1);
    expect(c.apiStatus).toEqual({ 200: 1 });
    const log = emu.log();
    expect(log[0].form).toEqual({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: '<redacted>' });
    expect(log[1].form).toMatchObject({ password: '<redacted>', username: 'demo' });
    expect(JSON.stringify(log)).not.toContain('demo-secret');
    expect(JSON.stringify(log)).not.toContain('demo-password');
    expect(log[4]).toMatchObject({ method: 'POST', path: '/api/v1/catalog/1.0.0/search', status: 200, origin: 'main' });
    expect(log[4].headers.authorization).toBe(`Bearer ${token}`);
  });
});

describe('Sentinel Hub APIs', () => {
  test('golden Process: 54×60 GeoTIFF with width/height tags and PU header', async () => {
    const token = await clientToken();
    const r = await apiPost('/api/v1/process', token, goldenProcess(), { accept: 'image/tiff' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('image/tiff');
    const tags = tiffTags(r.body);
    expect(tags.get(256)).toBe(54);
    expect(tags.get(257)).toBe(60);
    expect(tags.get(277)).toBe(3);
    expect(tags.get(279)).toBe(54 * 60 * 3);
    expect(tags.get(273)! + tags.get(279)!).toBe(r.body.length);
    expect(tags.has(34735)).toBe(true); // GeoKeyDirectory
    expect(Number(r.headers['x-processingunits-spent'])).toBeCloseTo((54 * 60) / 512 ** 2, 5);
    // Deterministic: the same request gives the same bytes.
    const again = await apiPost('/api/v1/process', token, goldenProcess(), { accept: 'image/tiff' });
    expect(again.body.equals(r.body)).toBe(true);
  });

  test('Process with default tiff + userdata json → tar', async () => {
    const token = await clientToken();
    const responses = [
      { identifier: 'default', format: { type: 'image/tiff' } },
      { identifier: 'userdata', format: { type: 'application/json' } },
    ];
    const r = await apiPost('/api/v1/process', token, goldenProcess({ responses }), { accept: 'application/tar' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/tar');
    const entries = untar(r.body);
    expect(entries.map((e) => e.name)).toEqual(['default.tif', 'userdata.json']);
    expect(tiffTags(entries[0].data).get(256)).toBe(54);
    expect(JSON.parse(entries[1].data.toString())).toMatchObject({ width: 54, height: 60 });
  });

  test('Process PNG and JPEG are valid images of the requested size', async () => {
    const token = await clientToken();
    const png = await apiPost('/api/v1/process', token, { ...goldenProcess(), output: { width: 20, height: 10 } }, { accept: 'image/png' });
    expect(png.status).toBe(200);
    expect(png.body.subarray(1, 4).toString()).toBe('PNG');
    expect([png.body.readUInt32BE(16), png.body.readUInt32BE(20)]).toEqual([20, 10]);
    expect(png.body.readUInt32BE(29)).toBe(crc32(png.body.subarray(12, 29)) >>> 0); // IHDR CRC
    const idatLen = png.body.readUInt32BE(33);
    expect(inflateSync(png.body.subarray(41, 41 + idatLen)).length).toBe((20 * 3 + 1) * 10);
    const jpg = await apiPost(
      '/api/v1/process',
      token,
      { ...goldenProcess(), output: { width: 33, height: 17 } },
      { accept: 'image/jpeg' },
    );
    expect(jpg.status).toBe(200);
    expect(jpg.body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const sof = jpg.body.indexOf(Buffer.from([0xff, 0xc0]));
    expect([jpg.body.readUInt16BE(sof + 5), jpg.body.readUInt16BE(sof + 7)]).toEqual([17, 33]);
    expect(jpg.body.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
  });

  test('Process validation → 400 COMMON_BAD_PAYLOAD; auth → 401 COMMON_UNAUTHORIZED', async () => {
    const token = await clientToken();
    const bad = async (body: unknown, fragment: RegExp) => {
      const r = await apiPost('/api/v1/process', token, body);
      expect(r.status).toBe(400);
      expect(r.json().error.code).toBe('COMMON_BAD_PAYLOAD');
      expect(r.json().error.message).toMatch(fragment);
    };
    const { evalscript: _omit, ...noEvalscript } = goldenProcess();
    void _omit;
    await bad(noEvalscript, /evalscript/);
    await bad({ ...goldenProcess(), output: { width: 3000, height: 10 } }, /2500/);
    await bad({ ...goldenProcess(), output: { width: 10, height: 10, resx: 10, resy: 10 } }, /not both/);
    await bad({ ...goldenProcess(), input: { data: [{ type: 'sentinel-2-l2a' }] } }, /bounds/);
    const noAuth = await call('POST', `${emu.url}/api/v1/process`, { body: '{}', headers: { 'content-type': 'application/json' } });
    expect(noAuth.status).toBe(401);
    expect(noAuth.json().error.code).toBe('COMMON_UNAUTHORIZED');
    emu.configure({ apiRealms: ['CDSE'] });
    expect((await apiPost('/api/v1/process', token, goldenProcess())).status).toBe(401);
    expect((await apiPost('/api/v1/process', await clientToken('CDSE'), goldenProcess())).status).toBe(200);
  });

  test('expired access token → 401 (clock moved on)', async () => {
    const token = await clientToken();
    emu.configure({ clockSkewS: 3601 });
    const r = await apiPost('/api/v1/catalog/1.0.0/search', token, { collections: ['sentinel-2-l2a'] });
    expect(r.status).toBe(401);
    expect(r.json().error.code).toBe('COMMON_UNAUTHORIZED');
  });

  test('Process multipart form with request and evalscript parts', async () => {
    const token = await clientToken();
    const { evalscript, ...req } = goldenProcess();
    const boundary = 'xyzBOUNDARY';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="request"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(req)}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="evalscript"\r\n\r\n${evalscript}\r\n--${boundary}--\r\n`;
    const r = await call('POST', `${emu.url}/api/v1/process`, {
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, accept: 'image/tiff' },
      body,
    });
    expect(r.status).toBe(200);
    expect(tiffTags(r.body).get(257)).toBe(60);
  });

  test('Catalog: limit 5, second page via next, clamped limit, unknown collection', async () => {
    const token = await clientToken();
    const search = (body: Record<string, unknown>) =>
      apiPost('/api/v1/catalog/1.0.0/search', token, {
        collections: ['sentinel-2-l2a'],
        bbox: [13, 45, 14, 46],
        datetime: '2023-01-01T00:00:00Z/2023-12-31T23:59:59Z',
        ...body,
      });
    const p1 = await search({ limit: 5 });
    expect(p1.status).toBe(200);
    expect(p1.headers['content-type']).toBe('application/geo+json');
    expect(p1.json().features).toHaveLength(5);
    expect(p1.json().context).toEqual({ next: 5, limit: 5, returned: 5 });
    const p2 = await search({ limit: 5, next: 5 });
    expect(p2.json().context).toEqual({ next: 10, limit: 5, returned: 5 });
    const ids = new Set([...p1.json().features, ...p2.json().features].map((f: { id: string }) => f.id));
    expect(ids.size).toBe(10);
    const last = await search({ limit: 10, next: 20 });
    expect(last.json().context).toEqual({ limit: 10, returned: 3 });
    const big = await search({ limit: 500 });
    expect(big.json().context.limit).toBe(100);
    expect(big.json().features).toHaveLength(23);
    expect((await search({})).json().features).toHaveLength(10);
    const missing = await apiPost('/api/v1/catalog/1.0.0/search', token, { collections: ['sentinel-9'] });
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ code: 404, description: 'Collection not found.' });
    expect((await apiPost('/api/v1/catalog/1.0.0/search', token, { collections: ['byoc-1234'] })).status).toBe(200);
  });

  test('Statistics: one interval per day / month', async () => {
    const token = await clientToken();
    const body = (of: string) => ({
      input: { bounds: { bbox: [13, 45, 13.1, 45.1] }, data: [{ type: 'sentinel-2-l2a' }] },
      aggregation: {
        timeRange: { from: '2023-01-01T00:00:00Z', to: '2023-04-01T00:00:00Z' },
        aggregationInterval: { of },
        evalscript:
          '//VERSION=3\nfunction setup(){return {input:["B04","B08","dataMask"],output:[{ id: "ndvi", bands: 1 },{ id: "dataMask", bands: 1 }]}}',
        width: 10,
        height: 10,
      },
    });
    const daily = await apiPost('/api/v1/statistics', token, body('P1D'));
    expect(daily.status).toBe(200);
    expect(daily.json().status).toBe('OK');
    expect(daily.json().data).toHaveLength(90);
    const monthly = (await apiPost('/api/v1/statistics', token, body('P1M'))).json();
    expect(monthly.data.map((d: { interval: { from: string } }) => d.interval.from)).toEqual([
      '2023-01-01T00:00:00Z',
      '2023-02-01T00:00:00Z',
      '2023-03-01T00:00:00Z',
    ]);
    const s = monthly.data[0].outputs.ndvi.bands.B0.stats;
    expect(Object.keys(s).sort()).toEqual(['max', 'mean', 'min', 'noDataCount', 'sampleCount', 'stDev']);
    expect(s.sampleCount).toBe(100);
    expect((await apiPost('/api/v1/statistics', token, { ...body('P1D'), aggregation: { timeRange: {} } })).json().error.code).toBe(
      'COMMON_BAD_PAYLOAD',
    );
    emu.configure({ statisticsIntervalErrors: { '1': 'EXECUTION_ERROR' } });
    const partly = (await apiPost('/api/v1/statistics', token, body('P1M'))).json();
    emu.configure({ statisticsIntervalErrors: {} });
    expect(partly.data[1]).toEqual({ interval: monthly.data[1].interval, error: { type: 'EXECUTION_ERROR' } });
    expect(partly.data[0].outputs.ndvi.bands.B0.stats).toEqual(s);
  });

  test('Batch v2 state machine', async () => {
    const token = await clientToken();
    const base = '/api/v2/batch/process';
    const created = await apiPost(base, token, {
      processRequest: goldenProcess(),
      input: { type: 'tiling-grid', id: 2, resolution: 10 },
      output: { type: 'raster' },
    });
    expect(created.status).toBe(201);
    const { id, status } = created.json();
    expect(status).toBe('CREATED');
    const get = async () => (await call('GET', `${emu.url}${base}/${id}`, { headers: { authorization: `Bearer ${token}` } })).json().status;
    expect((await apiPost(`${base}/${id}/analyse`, token, {})).status).toBe(204);
    expect(await get()).toBe('ANALYSING');
    expect(await get()).toBe('ANALYSIS_DONE');
    expect((await apiPost(`${base}/${id}/analyse`, token, {})).json().error.code).toBe('COMMON_BAD_PAYLOAD');
    expect((await apiPost(`${base}/${id}/start`, token, {})).status).toBe(204);
    expect(await get()).toBe('PROCESSING');
    expect(await get()).toBe('DONE');
    expect((await apiPost(`${base}/${id}/stop`, token, {})).status).toBe(400);
  });
});

describe('Terrascope', () => {
  test('golden WorldCover N00E006 with a password-grant token', async () => {
    const { access_token } = await passwordTokens();
    const r = await call('GET', `${emu.url}${WC_N00E006}`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(worldCoverTileSize(emu.config)));
    expect(r.headers['content-type']).toBe('image/tiff');
    expect(r.body.subarray(0, 4)).toEqual(Buffer.from('II*\0', 'latin1'));
    expect(r.body.equals(bodyBytes(worldCoverSource(WC_N00E006, emu.config)))).toBe(true);
    // A test that needs a given size gets random bytes of that size behind the TIFF signature.
    emu.configure({ worldCoverTileBytes: 1024 * 1024 });
    const sized = await call('GET', `${emu.url}${WC_N00E006}`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(sized.headers['content-length']).toBe(String(1024 * 1024));
    expect(sized.body.subarray(0, 4)).toEqual(Buffer.from('II*\0', 'latin1'));
    expect(sized.body.equals(bodyBytes(worldCoverSource(WC_N00E006, emu.config)))).toBe(true);
  });

  test('download auth: 302 to login without credentials, Basic accepted, wrong realm 401', async () => {
    const none = await call('GET', `${emu.url}${WC_N00E006}`);
    expect(none.status).toBe(302);
    expect(none.headers.location).toMatch(new RegExp(`^${emu.url}/auth/realms/terrascope/protocol/openid-connect/auth\\?`));
    const basic = Buffer.from('demo:demo-password').toString('base64');
    expect((await call('HEAD', `${emu.url}${WC_N00E006}`, { headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
    const wrong = Buffer.from('demo:nope').toString('base64');
    expect((await call('HEAD', `${emu.url}${WC_N00E006}`, { headers: { authorization: `Basic ${wrong}` } })).status).toBe(401);
    const shToken = await clientToken('main');
    expect((await call('GET', `${emu.url}${WC_N00E006}`, { headers: { authorization: `Bearer ${shToken}` } })).status).toBe(401);
  });

  test('tile names are validated; missing tiles 404; 2021 v200 exists', async () => {
    const auth = { authorization: `Bearer ${(await passwordTokens()).access_token}` };
    const head = async (path: string) => (await call('HEAD', `${emu.url}${path}`, { headers: auth })).status;
    const path = (t: string, y = '2020', v = 'v100') =>
      `/download/WORLDCOVER/ESA_WORLDCOVER_10M_${y}_${v.toUpperCase()}/MAP/ESA_WorldCover_10m_${y}_${v}_${t}_Map/ESA_WorldCover_10m_${y}_${v}_${t}_Map.tif`;
    expect(await head(path('S48E036'))).toBe(200);
    expect(await head(path('N48W120', '2021', 'v200'))).toBe(200);
    expect(await head(path('N01E006'))).toBe(404);
    expect(await head(path('N0E006'))).toBe(404);
    expect(await head(path('N00W030'))).toBe(404);
    expect(await head(path('S63E006'))).toBe(404);
    emu.configure({ missingTiles: ['S48E036'] });
    expect(await head(path('S48E036'))).toBe(404);
  });

  test('Range 206, suffix range, 416, If-None-Match 304, strong ETag', async () => {
    const auth = { authorization: `Bearer ${(await passwordTokens()).access_token}` };
    const url = `${emu.url}/download/synthetic/1000000.bin`;
    const src = syntheticSource(1000000);
    const part = await call('GET', url, { headers: { ...auth, range: 'bytes=65530-131080' } });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe('bytes 65530-131080/1000000');
    expect(part.headers['content-length']).toBe(String(131080 - 65530 + 1));
    expect(part.body.equals(bodyBytes(src, 65530, 131081))).toBe(true);
    const open = await call('GET', url, { headers: { ...auth, range: 'bytes=999990-' } });
    expect(open.status).toBe(206);
    expect(open.body.equals(bodyBytes(src, 999990))).toBe(true);
    const suffix = await call('GET', url, { headers: { ...auth, range: 'bytes=-10' } });
    expect(suffix.body.equals(open.body)).toBe(true);
    const bad = await call('GET', url, { headers: { ...auth, range: 'bytes=1000000-' } });
    expect(bad.status).toBe(416);
    expect(bad.headers['content-range']).toBe('bytes */1000000');
    const full = await call('GET', url, { headers: auth });
    expect(full.body.equals(bodyBytes(src))).toBe(true);
    expect(full.headers.etag).toMatch(/^"[0-9a-f]+"$/);
    expect((await call('GET', url, { headers: { ...auth, 'if-none-match': full.headers.etag } })).status).toBe(304);
  });

  test('2 GiB synthetic file: HEAD length and a ranged read near the end', async () => {
    const auth = { authorization: `Bearer ${(await passwordTokens()).access_token}` };
    const size = 2147483648;
    const url = `${emu.url}/download/synthetic/${size}.bin`;
    const head = await call('HEAD', url, { headers: auth });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(size));
    const r = await call('GET', url, { headers: { ...auth, range: `bytes=${size - 100000}-${size - 1}` } });
    expect(r.status).toBe(206);
    expect(r.body.length).toBe(100000);
    expect(r.body.equals(bodyBytes(syntheticSource(size), size - 100000, size))).toBe(true);
    // Beyond 4 GiB the chunk index no longer fits 32 bits; content must still differ by chunk.
    const big = syntheticSource(2 ** 40);
    expect(bodyBytes(big, 2 ** 36, 2 ** 36 + 64).equals(bodyBytes(big, 2 ** 36 + 65536, 2 ** 36 + 65536 + 64))).toBe(false);
  });

  test('OpenSearch: tiles of a bbox, paging with links.next, data hrefs download', async () => {
    const q = (extra: string) =>
      call('GET', `${emu.url}/catalogue/products?collection=urn:eop:VITO:ESA_WorldCover_10m_2020_V1&bbox=4,-2,10,3${extra}`);
    const r = await q('&startIndex=1&count=3');
    expect(r.status).toBe(200);
    const page = r.json();
    expect(page.totalResults).toBe(6); // lat -3,0 × lon 3,6,9
    expect(page.itemsPerPage).toBe(3);
    const data = page.features[0].properties.links.data[0];
    expect(data).toMatchObject({ type: 'image/tiff', length: worldCoverTileSize(emu.config) });
    expect(data.href.startsWith(`${emu.url}/download/WORLDCOVER/`)).toBe(true);
    const next = await call('GET', page.properties.links.next[0].href);
    expect(next.json().features).toHaveLength(3);
    expect(next.json().properties.links.next).toBeUndefined();
    const hrefs = [...page.features, ...next.json().features].map(
      (f: { properties: { links: { data: { href: string }[] } } }) => f.properties.links.data[0].href,
    );
    expect(hrefs.some((h) => h.endsWith('_N00E006_Map.tif'))).toBe(true);
    const { access_token } = await passwordTokens();
    const head = await call('HEAD', hrefs[0], { headers: { authorization: `Bearer ${access_token}` } });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(data.length));
  });

  test('STAC: collections, GET search with token paging, POST search', async () => {
    const stac = emu.endpoints.terrascope.stacUrl;
    const cols = (await call('GET', `${stac}/collections`)).json();
    expect(cols.collections.map((c: { id: string }) => c.id)).toContain('urn:eop:VITO:ESA_WorldCover_10m_2020_V1');
    expect((await call('GET', `${stac}/collections/urn:eop:VITO:ESA_WorldCover_10m_2021_V2`)).json().id).toBe(
      'urn:eop:VITO:ESA_WorldCover_10m_2021_V2',
    );
    const first = (await call('GET', `${stac}/search?collections=urn:eop:VITO:ESA_WorldCover_10m_2020_V1&bbox=4,-2,10,3&limit=4`)).json();
    expect(first.features).toHaveLength(4);
    const next = first.links.find((l: { rel: string }) => l.rel === 'next');
    expect(new URL(next.href).searchParams.get('token')).toBeTruthy();
    const second = (await call('GET', next.href)).json();
    expect(second.features).toHaveLength(2);
    expect(second.links.find((l: { rel: string }) => l.rel === 'next')).toBeUndefined();
    expect(first.features[0].assets.ESA_WORLDCOVER_10M_MAP.href.startsWith(`${emu.url}/download/`)).toBe(true);
    const post = await call('POST', `${stac}/search`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ collections: ['urn:eop:VITO:ESA_WorldCover_10m_2021_V2'], bbox: [4, -2, 10, 3], limit: 5 }),
    });
    const postNext = post.json().links.find((l: { rel: string }) => l.rel === 'next');
    expect(postNext.body.token).toBe('next:5');
    const p2 = await call('POST', `${stac}/search`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(postNext.body),
    });
    expect(p2.json().features).toHaveLength(1);
  });
});

describe('fault scripts', () => {
  test('429 with the SH body and Retry-After in ms; times and after; counted and logged', async () => {
    const token = await clientToken();
    emu.fault(rateLimitFault('^POST /api/v1/catalog/', 3398, { times: 2, after: 1 }));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await apiPost('/api/v1/catalog/1.0.0/search', token, { collections: ['sentinel-2-l2a'] });
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.headers['retry-after']).toBe('3398');
        expect(r.json()).toEqual(SH_RATE_LIMIT_BODY);
        expect(Object.keys(r.headers).some((h) => h.startsWith('x-ratelimit'))).toBe(false);
      }
    }
    expect(statuses).toEqual([200, 429, 429, 200]);
    expect(emu.counters().apiStatus).toEqual({ 200: 2, 429: 2 });
    expect(
      emu
        .log()
        .filter((e) => e.fault)
        .map((e) => e.status),
    ).toEqual([429, 429]);
  });

  test('token endpoint 503 with HTML body, origin filter, delay', async () => {
    emu.fault({
      route: '^POST /auth/realms/main/',
      status: 503,
      body: '<html>down</html>',
      headers: { 'content-type': 'text/html' },
      origin: 'second',
      times: 1,
    });
    const onMain = await call(
      'POST',
      realmUrl('main'),
      form({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-secret' }),
    );
    expect(onMain.status).toBe(200);
    const onSecond = await call(
      'POST',
      `${emu.secondUrl}/auth/realms/main/protocol/openid-connect/token`,
      form({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-secret' }),
    );
    expect(onSecond.status).toBe(503);
    expect(onSecond.headers['content-type']).toBe('text/html');
    expect(emu.counters().tokenStatus).toEqual({ 200: 1, 503: 1 });
    expect(emu.counters().tokenRequests.client_credentials).toBe(2);
    emu.fault({ route: 'openid-connect/token$', delayMs: 150, times: 1 });
    const started = Date.now();
    await clientToken();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  test('redirect to the second origin keeps working there', async () => {
    const { access_token } = await passwordTokens();
    emu.fault({ route: '^GET /download/', redirectTo: `second:${WC_N00E006}`, origin: 'main', times: 1 });
    const r = await call('GET', `${emu.url}${WC_N00E006}`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe(`${emu.secondUrl}${WC_N00E006}`);
    const there = await call('GET', r.headers.location, { headers: { authorization: `Bearer ${access_token}` } });
    expect(there.status).toBe(200);
    expect(emu.log().map((e) => e.origin)).toEqual(['main', 'main', 'second']);
    emu.fault({ route: '^GET /download/', redirectTo: 'main:/elsewhere', status: 307, times: 1 });
    const r307 = await call('GET', `${emu.url}${WC_N00E006}`, { headers: { authorization: `Bearer ${access_token}` } });
    expect([r307.status, r307.headers.location]).toEqual([307, `${emu.url}/elsewhere`]);
  });

  async function partialDownload(
    url: string,
    headers: Headers,
  ): Promise<{ status: number; length: string; received: number; error?: unknown }> {
    const res = await request(url, { headers, dispatcher: agent });
    let received = 0;
    try {
      for await (const chunk of res.body) received += (chunk as Buffer).length;
      return { status: res.statusCode, length: String(res.headers['content-length']), received };
    } catch (error) {
      return { status: res.statusCode, length: String(res.headers['content-length']), received, error };
    }
  }

  test('resetAfterBytes: real headers, socket destroyed mid-body', async () => {
    const auth = { authorization: `Bearer ${(await passwordTokens()).access_token}` };
    emu.fault({ route: '^GET /download/synthetic/', resetAfterBytes: 100000, times: 1 });
    const r = await partialDownload(`${emu.url}/download/synthetic/10000000.bin`, auth);
    expect(r.status).toBe(200);
    expect(r.length).toBe('10000000');
    expect(r.error).toBeDefined();
    expect(r.received).toBeLessThanOrEqual(100000);
    // Spent after one use.
    const ok = await partialDownload(`${emu.url}/download/synthetic/10000000.bin`, auth);
    expect([ok.error, ok.received]).toEqual([undefined, 10000000]);
  });

  test('shortBodyBytes: Content-Length kept, body ends early', async () => {
    const auth = { authorization: `Bearer ${(await passwordTokens()).access_token}` };
    emu.fault({ route: 'N00E006', shortBodyBytes: 5000 });
    const r = await partialDownload(`${emu.url}${WC_N00E006}`, auth);
    expect(r.length).toBe(String(worldCoverTileSize(emu.config)));
    expect(r.error).toBeDefined();
    expect(r.received).toBe(5000);
  });

  test('hang: no answer until the client gives up', async () => {
    emu.fault({ route: '^GET /stac/collections$', hang: true, times: 1 });
    await expect(call('GET', `${emu.endpoints.terrascope.stacUrl}/collections`, { headersTimeout: 200 })).rejects.toThrow();
    expect((await call('GET', `${emu.endpoints.terrascope.stacUrl}/collections`)).status).toBe(200);
  });
});

describe('HTTP controls and speed', () => {
  test('/__emulator/ controls mirror the in-process API and are not counted', async () => {
    const ctl = (method: string, path: string, body?: unknown) =>
      call(
        method,
        `${emu.secondUrl}/__emulator/${path}`,
        body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      );
    expect((await ctl('GET', 'endpoints')).json().terrascope.stacUrl).toBe(`${emu.url}/stac`);
    expect((await ctl('POST', 'config', { accessTokenLifetimeS: { CDSE: 42 } })).json().accessTokenLifetimeS).toEqual({
      main: 3600,
      CDSE: 42,
      terrascope: 300,
    });
    expect(
      (
        await call(
          'POST',
          emu.endpoints.cdse.tokenUrl,
          form({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-secret' }),
        )
      ).json().expires_in,
    ).toBe(42);
    expect((await ctl('POST', 'faults', [{ route: '^GET /stac$', status: 500 }])).status).toBe(200);
    expect((await call('GET', `${emu.url}/stac`)).status).toBe(500);
    await ctl('DELETE', 'faults');
    expect((await call('GET', `${emu.url}/stac`)).status).toBe(200);
    const counters = (await ctl('GET', 'counters')).json();
    expect(counters).toEqual({
      tokenRequests: { client_credentials: 1, password: 0, refresh_token: 0, total: 1 },
      tokenStatus: { 200: 1 },
      apiStatus: { 200: 1, 500: 1 },
      apiRequests: 2,
      downloads: { admitted: {}, peakConcurrent: {}, refused: {} },
    });
    expect((await ctl('GET', 'log')).json()).toHaveLength(3);
    const { refresh_token } = await passwordTokens();
    await ctl('POST', 'revoke-refresh-tokens');
    const refreshed = await call(
      'POST',
      emu.endpoints.terrascope.tokenUrl,
      form({ grant_type: 'refresh_token', client_id: 'public', refresh_token }),
    );
    expect(refreshed.json().error_description).toBe('Token is not active');
    await ctl('POST', 'reset');
    expect(emu.counters().apiRequests).toBe(0);
    expect(emu.log()).toHaveLength(0);
  });

  test('the record of issued tokens is off by default, and once on lists every access and refresh token, in-process and over /__emulator/', async () => {
    const ctl = (path: string) => call('GET', `${emu.url}/__emulator/${path}`);
    const before = emu.issuedTokens();
    const unrecorded = await clientToken();
    expect(emu.issuedTokens()).toEqual(before);
    emu.configure({ recordIssuedTokens: true } as Parameters<Emulator['configure']>[0]);
    try {
      const access = await clientToken();
      const user = await passwordTokens();
      const refreshed = (
        await call(
          'POST',
          emu.endpoints.terrascope.tokenUrl,
          form({ grant_type: 'refresh_token', client_id: 'public', refresh_token: user.refresh_token }),
        )
      ).json();
      const issued = emu.issuedTokens();
      expect(issued.access.slice(before.access.length)).toEqual([access, user.access_token, refreshed.access_token]);
      expect(issued.refresh.slice(before.refresh.length)).toEqual([user.refresh_token, refreshed.refresh_token]);
      expect(issued.access).not.toContain(unrecorded);
      expect((await ctl('issued-tokens')).json()).toEqual(issued);
    } finally {
      emu.configure({ recordIssuedTokens: false } as Parameters<Emulator['configure']>[0]);
    }
  });

  test('1000 concurrent token requests and 1000 concurrent API requests', async () => {
    let started = Date.now();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => clientToken()));
    const tokenMs = Date.now() - started;
    expect(new Set(tokens).size).toBe(1000);
    started = Date.now();
    const results = await Promise.all(
      tokens.map((t) => apiPost('/api/v1/catalog/1.0.0/search', t, { collections: ['sentinel-2-l2a'], limit: 1 })),
    );
    const apiMs = Date.now() - started;
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(emu.counters().tokenRequests.total).toBe(1000);
    process.stdout.write(`1000 concurrent tokens: ${tokenMs} ms, 1000 concurrent API calls: ${apiMs} ms\n`);
    // Loose bounds: jest --detectOpenHandles or a loaded CI box slow this a lot; a normal run takes ~1 s in all.
    expect(tokenMs).toBeLessThan(10000);
    expect(apiMs).toBeLessThan(10000);
  });
});
