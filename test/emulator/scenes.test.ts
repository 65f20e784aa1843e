/**
 * The emulator's catalogues over time: scenes appear at their publication time, republished scenes
 * keep their id with a newer `updated`, the Catalog's CQL2 filter and the STAC query really
 * filter, bad filters answer 400 like the Catalog, and every asset an item points at downloads
 * from the emulator with the provider's own token.
 */
import { Agent, request } from 'undici';
import { DEMO_CLIENT, DEMO_USER, startEmulator, TERRASCOPE_S2_TOC } from './server';
import type { Emulator } from './types';

const agent = new Agent({ keepAliveTimeout: 1000 });
let emu: Emulator;
let shToken: string;
let tsToken: string;

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await request(url, {
    method: method as 'GET',
    dispatcher: agent,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const raw = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, raw, json: () => JSON.parse(raw.toString()) };
}

async function token(url: string, form: Record<string, string>): Promise<string> {
  const r = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return ((await r.body.json()) as { access_token: string }).access_token;
}

beforeAll(async () => {
  emu = await startEmulator();
  shToken = await token(emu.endpoints.sentinelHub.realmTokenUrl, {
    grant_type: 'client_credentials',
    client_id: DEMO_CLIENT.clientId,
    client_secret: DEMO_CLIENT.clientSecret,
  });
  tsToken = await token(emu.endpoints.terrascope.tokenUrl, {
    grant_type: 'password',
    client_id: 'public',
    username: DEMO_USER.username,
    password: DEMO_USER.password,
  });
});

afterAll(async () => {
  await emu.close();
  await agent.close();
});

beforeEach(() => emu.clearScenes());

const FIELD = [4.67, 50.55, 4.7, 50.57];
const HOUR = 3_600_000;

function catalog(body: Record<string, unknown>) {
  return call(
    'POST',
    `${emu.url}/api/v1/catalog/1.0.0/search`,
    { collections: ['sentinel-2-l2a'], bbox: FIELD, ...body },
    {
      authorization: `Bearer ${shToken}`,
    },
  );
}

const lastDays = (days: number) => `${new Date(Date.now() - days * 24 * HOUR).toISOString()}/${new Date(Date.now() + 1000).toISOString()}`;
const ids = (page: { features: { id: string }[] }) => page.features.map((f) => f.id);

test('a scene is found from its publication time on, and a republished one keeps its id with a newer updated', async () => {
  const now = Date.now();
  const late = emu.publishScene({ acquired: now - 30 * HOUR, publishDelayMs: 30 * HOUR + 1500, cloudCover: 5 });
  const onTime = emu.publishScene({ acquired: now - 2 * HOUR, cloudCover: 10 });
  const first = (await catalog({ datetime: lastDays(3) })).json();
  // The recent window holds only published scenes: the synthetic archive ends 30 days back.
  expect(ids(first)).toEqual([onTime.id]);
  expect(first.features[0].properties).toMatchObject({ 'eo:cloud_cover': 10, datetime: expect.any(String), updated: expect.any(String) });
  await new Promise((r) => setTimeout(r, 1600));
  const second = (await catalog({ datetime: lastDays(3) })).json();
  expect(ids(second)).toEqual([onTime.id, late.id]);

  const before = second.features[0].properties.updated;
  emu.republishScene(onTime.id, { cloudCover: 12 });
  const third = (await catalog({ datetime: lastDays(3) })).json();
  expect(ids(third)).toEqual([onTime.id, late.id]);
  expect(Date.parse(third.features[0].properties.updated)).toBeGreaterThan(Date.parse(before));
  expect(third.features[0].properties['eo:cloud_cover']).toBe(12);
  // Outside the box, nothing.
  expect((await catalog({ datetime: lastDays(3), bbox: [-10, -10, -9, -9] })).json().features).toEqual([]);
});

test('the Catalog filter really filters, in CQL2 text and JSON, and pages after filtering', async () => {
  const now = Date.now();
  const covers = [3, 15, 19.5, 20, 35, 80];
  const published = covers.map((cloudCover, i) => emu.publishScene({ acquired: now - (i + 1) * HOUR, cloudCover }));
  const clear = published.filter((s) => s.cloudCover < 20).map((s) => s.id);
  const text = (await catalog({ datetime: lastDays(1), filter: 'eo:cloud_cover < 20', 'filter-lang': 'cql2-text' })).json();
  expect(ids(text)).toEqual(clear);
  const json = await catalog({
    datetime: lastDays(1),
    filter: {
      op: 'and',
      args: [
        { op: '<=', args: [{ property: 'eo:cloud_cover' }, 20] },
        { op: '>', args: [{ property: 'eo:cloud_cover' }, 10] },
      ],
    },
    'filter-lang': 'cql2-json',
  });
  expect(ids(json.json())).toEqual(published.filter((s) => s.cloudCover <= 20 && s.cloudCover > 10).map((s) => s.id));
  const paged = (await catalog({ datetime: lastDays(1), filter: '(eo:cloud_cover < 20) OR NOT (eo:cloud_cover < 50)', limit: 2 })).json();
  expect(paged.context).toEqual({ next: 2, limit: 2, returned: 2 });
  // Without a filter, every published scene.
  expect((await catalog({ datetime: lastDays(1) })).json().features).toHaveLength(covers.length);
});

test.each([
  ['eo:cloud_cover <', 'cql2-text'],
  ['eo:cloud_cover << 20', 'cql2-text'],
  ['(eo:cloud_cover < 20', 'cql2-text'],
  [{ op: 'lessThan', args: [{ property: 'eo:cloud_cover' }, 20] }, 'cql2-json'],
  ['eo:cloud_cover < 20', 'cql2-yaml'],
])('a filter that does not parse (%j, %s) is answered 400 in the STAC error shape', async (filter, lang) => {
  const res = await catalog({ datetime: lastDays(1), filter, 'filter-lang': lang });
  expect(res.status).toBe(400);
  expect(res.json()).toEqual({ code: 400, description: expect.stringMatching(/^Invalid filter: /) });
});

test('the synthetic archive still answers the golden searches of past years', async () => {
  const page = (await catalog({ bbox: [13, 45, 14, 46], datetime: '2023-01-01T00:00:00Z/2023-12-31T23:59:59Z', limit: 5 })).json();
  expect(page.context).toEqual({ next: 5, limit: 5, returned: 5 });
  const all = (await catalog({ bbox: [13, 45, 14, 46], datetime: '2023-01-01T00:00:00Z/2023-12-31T23:59:59Z', limit: 100 })).json();
  expect(all.features).toHaveLength(emu.config.catalogTotal);
});

test('every Catalog feature’s thumbnail downloads from the emulator with a Sentinel Hub token, and only with one', async () => {
  emu.publishScene({ acquired: Date.now() - HOUR });
  const [scene] = (await catalog({ datetime: lastDays(1) })).json().features;
  const [archived] = (await catalog({ bbox: [13, 45, 14, 46], datetime: '2023-06-01T00:00:00Z/2023-06-30T00:00:00Z', limit: 1 })).json()
    .features;
  for (const feature of [scene, archived]) {
    const href = feature.assets.thumbnail.href as string;
    expect(href.startsWith(`${emu.url}/`)).toBe(true);
    const ok = await call('GET', href, undefined, { authorization: `Bearer ${shToken}` });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('image/jpeg');
    expect(ok.raw.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect((await call('GET', href)).status).toBe(401);
  }
});

test('Terrascope STAC: the TOC collection, its items with the cloud-cover query, and band assets that download with a Terrascope token', async () => {
  const stac = emu.endpoints.terrascope.stacUrl;
  const collections = (await call('GET', `${stac}/collections`)).json().collections.map((c: { id: string }) => c.id);
  expect(collections).toContain(TERRASCOPE_S2_TOC);
  expect((await call('GET', `${stac}/collections/${TERRASCOPE_S2_TOC}`)).json().id).toBe(TERRASCOPE_S2_TOC);
  const now = Date.now();
  const cloudy = emu.publishScene({ collection: TERRASCOPE_S2_TOC, acquired: now - 3 * HOUR, cloudCover: 60 });
  const clear = emu.publishScene({ collection: TERRASCOPE_S2_TOC, acquired: now - 2 * HOUR, cloudCover: 8 });
  const pending = emu.publishScene({ collection: TERRASCOPE_S2_TOC, acquired: now - HOUR, publishDelayMs: 2 * HOUR, cloudCover: 1 });
  const search = (extra: Record<string, unknown>) =>
    call('POST', `${stac}/search`, { collections: [TERRASCOPE_S2_TOC], bbox: FIELD, datetime: lastDays(1), ...extra });
  expect(ids((await search({})).json())).toEqual([clear.id, cloudy.id]);
  const filtered = (await search({ query: { 'eo:cloud_cover': { lte: 20 } } })).json();
  expect(ids(filtered)).toEqual([clear.id]);
  expect((await search({ query: { 'eo:cloud_cover': { below: 20 } } })).status).toBe(400);
  // GET search and the collection's items take the same query.
  const get = (
    await call('GET', `${stac}/search?collections=${TERRASCOPE_S2_TOC}&query=${encodeURIComponent('{"eo:cloud_cover":{"gt":50}}')}`)
  ).json();
  expect(ids(get)).toEqual([cloudy.id]);

  const band = filtered.features[0].assets.B04.href as string;
  expect(band.startsWith(`${emu.url}/download/`)).toBe(true);
  const got = await call('GET', band, undefined, { authorization: `Bearer ${tsToken}` });
  expect(got.status).toBe(200);
  expect(got.raw.subarray(0, 4)).toEqual(Buffer.from([0x49, 0x49, 0x2a, 0x00]));
  expect((await call('GET', band, undefined, { authorization: `Bearer ${shToken}` })).status).toBe(401);
  // A scene not yet published has no files and no item.
  const unpublished = band.replace(clear.id, pending.id).replace(clear.id.replace(/_TOC_V210$/, ''), pending.id.replace(/_TOC_V210$/, ''));
  expect((await call('GET', unpublished, undefined, { authorization: `Bearer ${tsToken}` })).status).toBe(404);
  expect((await call('GET', `${stac}/collections/${TERRASCOPE_S2_TOC}/items/${pending.id}`)).status).toBe(404);
  expect((await call('GET', `${stac}/collections/${TERRASCOPE_S2_TOC}/items/${clear.id}`)).json().id).toBe(clear.id);
  expect((await call('GET', `${stac}/collections/no-such-collection`)).status).toBe(404);
});

test('scenes are published, republished, listed and cleared over /__emulator/scenes as well', async () => {
  emu.reset();
  const [a, b] = (
    await call('POST', `${emu.url}/__emulator/scenes`, [{ acquired: Date.now() - HOUR, cloudCover: 4 }, { cloudCover: 9 }])
  ).json();
  expect(a.id).not.toBe(b.id);
  const again = (await call('POST', `${emu.url}/__emulator/scenes/republish`, { id: a.id, cloudCover: 6 })).json();
  expect(again).toMatchObject({ id: a.id, version: 2, cloudCover: 6 });
  expect(again.updated).toBeGreaterThan(a.updated);
  expect((await call('GET', `${emu.url}/__emulator/scenes`)).json().map((s: { id: string }) => s.id)).toEqual([a.id, b.id]);
  expect((await call('POST', `${emu.url}/__emulator/scenes`, { id: a.id })).status).toBe(400);
  await call('DELETE', `${emu.url}/__emulator/scenes`);
  expect(emu.scenes()).toEqual([]);
  expect(emu.counters().apiRequests).toBe(0);
});
