/**
 * The watch logic of the core: one scene shape for Catalog features and STAC items, the cursor
 * with its look-back window (late scenes, republished scenes, pruning), settings that name the
 * field at fault, claims, and polls against the emulator that follow every page and lose or
 * double nothing when a page fails.
 */
import {
  advanceCursor,
  checkWatchSettings,
  InProcessEmissionClaims,
  isEoError,
  MAX_REMEMBERED_SCENES,
  newestScene,
  pollScenes,
  sceneFromItem,
  searchBody,
  sortScenes,
  TokenCache,
  watchKey,
  type EmissionClaims,
  type FoundScene,
  type WatchCursor,
  type WatchSettings,
} from '../../../nodes/core';
import { TERRASCOPE_S2_TOC } from '../../emulator/server';
import type { Emulator } from '../../emulator/types';
import { emulatorConnection, useEmulator } from '../../support/fixtures';
import { printTally, tallyScenes } from '../../support/scene-tally';
import { recordOf, sceneWatcher } from './scene-watcher';

const HOUR = 3_600_000;
const FIELD = '4.67,50.55,4.70,50.57';

function found(id: string, acquired: number, updated?: number): FoundScene {
  const scene: FoundScene = { id, collection: 'c', acquired: new Date(acquired).toISOString(), assets: {}, links: [], properties: {} };
  if (updated !== undefined) scene.updated = new Date(updated).toISOString();
  return scene;
}

describe('scene shape', () => {
  test('a Sentinel Hub Catalog feature and a Terrascope STAC item become the same shape', () => {
    const catalog = sceneFromItem(
      {
        type: 'Feature',
        id: 'S2B_MSIL2A_20240603T103629_N0510_R008_T31UFS_20240603T103629.SAFE',
        collection: 'sentinel-2-l2a',
        bbox: [4.3, 50.4, 5.8, 51.4],
        geometry: { type: 'Polygon', coordinates: [] },
        properties: { datetime: '2024-06-03T10:36:29Z', 'eo:cloud_cover': 12.5, updated: '2024-06-03T14:00:00Z', platform: 'sentinel-2b' },
        assets: { thumbnail: { href: 'https://x/thumb.jpg', type: 'image/jpeg', roles: ['thumbnail'] }, broken: { title: 'no href' } },
        links: [{ rel: 'self', href: 'https://x/item' }, { rel: 'broken' }],
      },
      'sentinel-2-l2a',
    );
    const stac = sceneFromItem(
      {
        id: 'S2B_20240603T103629_31UFS_TOC_V210',
        bbox: [4.3, 50.4, 5.8, 51.4],
        properties: { start_datetime: '2024-06-03T10:36:29.000Z', 'eo:cloud_cover': 3 },
        assets: { B04: { href: 'https://x/B04.tif', type: 'image/tiff' } },
      },
      TERRASCOPE_S2_TOC,
    );
    expect(catalog).toEqual({
      id: 'S2B_MSIL2A_20240603T103629_N0510_R008_T31UFS_20240603T103629.SAFE',
      collection: 'sentinel-2-l2a',
      acquired: '2024-06-03T10:36:29.000Z',
      updated: '2024-06-03T14:00:00.000Z',
      cloudCover: 12.5,
      bbox: [4.3, 50.4, 5.8, 51.4],
      geometry: { type: 'Polygon', coordinates: [] },
      assets: { thumbnail: { href: 'https://x/thumb.jpg', type: 'image/jpeg', roles: ['thumbnail'] } },
      links: [{ rel: 'self', href: 'https://x/item' }],
      properties: expect.objectContaining({ platform: 'sentinel-2b' }),
    });
    expect(stac).toMatchObject({ collection: TERRASCOPE_S2_TOC, acquired: '2024-06-03T10:36:29.000Z', cloudCover: 3 });
    expect(stac?.updated).toBeUndefined();
    expect(sceneFromItem({ id: 'x', properties: {} }, 'c')).toBeUndefined();
    expect(sceneFromItem({ properties: { datetime: '2024-01-01T00:00:00Z' } }, 'c')).toBeUndefined();
  });
});

describe('cursor', () => {
  const key = 'k';
  const now = Date.parse('2024-06-10T12:00:00Z');
  const at = (t: number) => ({ key, polledAt: t, windowStart: t - 72 * HOUR });

  test('a late scene is new when it appears inside the window; a republished one is updated once per new updated time', () => {
    const a = found('a', now - 2 * HOUR, now - HOUR);
    let cursor = advanceCursor(undefined, [a], at(now));
    // Acquired 2 days ago, published only now: still inside the window, so it is new.
    const late = found('late', now - 48 * HOUR, now + HOUR);
    const republished = found('a', now - 2 * HOUR, now + HOUR);
    const sorted = sortScenes(cursor, [a, late]);
    expect(sorted.fresh.map((s) => [s.id, s.reason])).toEqual([['late', 'new']]);
    expect(sorted.unchanged).toBe(1);
    cursor = advanceCursor(cursor, [a, late], at(now + HOUR));
    expect(sortScenes(cursor, [republished, late]).fresh.map((s) => [s.id, s.reason])).toEqual([['a', 'updated']]);
    cursor = advanceCursor(cursor, [republished, late], at(now + 2 * HOUR));
    expect(sortScenes(cursor, [republished, late]).fresh).toEqual([]);
    // An older `updated` (a stale replica) is not an update.
    expect(sortScenes(cursor, [found('a', now - 2 * HOUR, now - 5 * HOUR)]).fresh).toEqual([]);
    // Without `updated` times a scene is emitted once and never as updated.
    const plain = advanceCursor(undefined, [found('p', now)], at(now));
    expect(sortScenes(plain, [found('p', now)]).fresh).toEqual([]);
  });

  test('scenes acquired before the window are forgotten: memory follows the window, not the run time', () => {
    let cursor: WatchCursor | undefined;
    // A scene every hour for 30 days, polled every hour with a 72-hour window.
    for (let h = 0; h < 30 * 24; h++) {
      const t = now + h * HOUR;
      cursor = advanceCursor(cursor, [found(`s${h}`, t - HOUR)], at(t));
    }
    const ids = Object.keys(cursor!.seen);
    expect(ids.length).toBeLessThanOrEqual(73);
    expect(ids).toContain(`s${30 * 24 - 1}`);
    expect(ids).not.toContain('s0');
    expect(Object.values(cursor!.seen).every(([, acquired]) => acquired >= cursor!.windowStart)).toBe(true);
  });

  test('at most MAX_REMEMBERED_SCENES are kept, the most recently acquired', () => {
    const many = Array.from({ length: MAX_REMEMBERED_SCENES + 5 }, (_, i) => found(`m${i}`, now - HOUR + i));
    const cursor = advanceCursor(undefined, many, at(now));
    expect(Object.keys(cursor.seen)).toHaveLength(MAX_REMEMBERED_SCENES);
    expect(cursor.seen.m0).toBeUndefined();
    expect(cursor.seen[`m${MAX_REMEMBERED_SCENES + 4}`]).toBeDefined();
  });

  test("another watch's cursor is not used", () => {
    const cursor = advanceCursor(undefined, [found('a', now)], at(now));
    expect(advanceCursor(cursor, [], { ...at(now), key: 'other' }).seen).toEqual({});
  });
});

describe('settings', () => {
  const base = { source: 'catalog', collection: 'sentinel-2-l2a', bbox: FIELD };

  test.each([
    [{ bbox: '5,50,4,51' }, 'bbox', /West \(5\) must be less than east \(4\)/],
    [{ bbox: '' }, 'bbox', /empty/],
    [{ bbox: '[1,2,3' }, 'bbox', /not a valid JSON list/],
    [{ collection: ' ' }, 'collection', /collection is empty/],
    [{ maxCloudCover: 120 }, 'maxCloudCover', /from 0 to 100/],
    [{ filter: '{"op":' }, 'filter', /not valid JSON/],
    [{ geometry: '{"type":"Polygon"}' }, 'geometry', /coordinates/],
    [{ lookbackHours: 'soon' }, 'lookbackHours', /look-back/],
    [{ firstPoll: 'since' }, 'since', /needs the date/],
    [{ source: 'stac', filter: 'eo:cloud_cover < 5' }, 'filter', /STAC/],
    [{ source: 'opensearch' }, 'source', /Unknown source/],
  ])('%j is refused naming %s', (over, field, message) => {
    let err: unknown;
    try {
      checkWatchSettings({ ...base, ...over });
    } catch (e) {
      err = e;
    }
    expect(isEoError(err, 'EO_INVALID_CONFIG') && { field: err.field, message: err.message }).toEqual({
      field,
      message: expect.stringMatching(message),
    });
  });

  test('a maximum cloud cover of 100 % is no limit: the search does not compare eo:cloud_cover, so radar scenes are kept', () => {
    for (const maxCloudCover of [100, '100', ' 100 ', '', undefined]) {
      expect(checkWatchSettings({ ...base, maxCloudCover }).maxCloudCover).toBeUndefined();
    }
    expect(checkWatchSettings({ ...base, maxCloudCover: '99.5' }).maxCloudCover).toBe(99.5);
    expect(checkWatchSettings({ ...base, maxCloudCover: 0 }).maxCloudCover).toBe(0);
    const from = Date.parse('2024-06-01T00:00:00Z');
    expect(searchBody(checkWatchSettings({ ...base, maxCloudCover: 100 }), from, from + HOUR).filter).toBeUndefined();
    const radar = searchBody(checkWatchSettings({ ...base, maxCloudCover: 100, filter: "platform = 'sentinel-1a'" }), from, from + HOUR);
    expect(radar.filter).toBe("(platform = 'sentinel-1a')");
    const stac = checkWatchSettings({ source: 'stac', collection: TERRASCOPE_S2_TOC, bbox: FIELD, maxCloudCover: '100' });
    expect(searchBody(stac, from, from).query).toBeUndefined();
  });

  test('the key follows the collection and the area, not the cloud limit or the window', () => {
    const key = (over: object) => watchKey(checkWatchSettings({ ...base, ...over }), 'node-1');
    expect(key({})).toBe(key({ maxCloudCover: 20, lookbackHours: 12 }));
    expect(key({})).not.toBe(key({ bbox: '4.6,50.5,4.7,50.6' }));
    expect(key({})).not.toBe(key({ collection: 'sentinel-2-l1c' }));
    expect(watchKey(checkWatchSettings(base), 'node-2')).not.toBe(key({}));
  });

  test('search bodies: CQL2 text and JSON filters with the cloud limit, the STAC query extension', () => {
    const from = Date.parse('2024-06-01T00:00:00Z');
    const body = (over: object) => searchBody(checkWatchSettings({ ...base, ...over }), from, from + HOUR);
    expect(body({ maxCloudCover: 20 })).toMatchObject({
      collections: ['sentinel-2-l2a'],
      bbox: [4.67, 50.55, 4.7, 50.57],
      datetime: '2024-06-01T00:00:00.000Z/2024-06-01T01:00:00.000Z',
      filter: 'eo:cloud_cover <= 20',
      'filter-lang': 'cql2-text',
    });
    expect(body({ maxCloudCover: 20, filter: "platform = 'sentinel-2b'" }).filter).toBe(
      "(platform = 'sentinel-2b') AND eo:cloud_cover <= 20",
    );
    const json = { op: '=', args: [{ property: 'platform' }, 'sentinel-2b'] };
    expect(body({ maxCloudCover: 20, filter: JSON.stringify(json) })).toMatchObject({
      filter: { op: 'and', args: [json, { op: '<=', args: [{ property: 'eo:cloud_cover' }, 20] }] },
      'filter-lang': 'cql2-json',
    });
    expect(body({}).filter).toBeUndefined();
    const stac = searchBody(
      checkWatchSettings({ source: 'stac', collection: TERRASCOPE_S2_TOC, bbox: FIELD, maxCloudCover: 15 }),
      from,
      from,
    );
    expect(stac).toMatchObject({ query: { 'eo:cloud_cover': { lte: 15 } } });
    expect(stac.filter).toBeUndefined();
  });
});

describe('in-process claims', () => {
  const t = (h: number) => new Date(Date.UTC(2024, 5, 1, h)).toISOString();

  test('a scene is won once per newer version, until it may be forgotten', async () => {
    let now = 1000;
    const claims = new InProcessEmissionClaims(() => now);
    const v1 = { id: 'a', updated: t(1) };
    expect(await claims.claim('w', [v1, { id: 'b', updated: '' }], 2000)).toEqual([v1, { id: 'b', updated: '' }]);
    expect(await claims.claim('w', [v1, { id: 'b', updated: '' }], 2000)).toEqual([]);
    // Republished: won once more, saying which version it replaced; an older one never wins back.
    expect(await claims.claim('w', [{ id: 'a', updated: t(2) }], 2000)).toEqual([{ id: 'a', updated: t(2), replaced: t(1) }]);
    expect(await claims.claim('w', [{ id: 'a', updated: t(2) }], 2000)).toEqual([]);
    expect(await claims.claim('w', [v1], 2000)).toEqual([]);
    expect(await claims.claim('w', [{ id: 'b', updated: t(3) }], 2000)).toEqual([{ id: 'b', updated: t(3), replaced: '' }]);
    expect(await claims.claim('other watch', [v1], 2000)).toEqual([v1]);
    now = 2500;
    expect(await claims.claim('w', [v1], 3000)).toEqual([v1]);
    expect(claims.size).toBe(1);
  });

  test('a release gives a scene back to the version it replaced, never over a newer claim', async () => {
    const claims = new InProcessEmissionClaims();
    const until = Date.now() + HOUR;
    const [first] = await claims.claim('w', [{ id: 'a', updated: t(1) }], until);
    await claims.release('w', [first]);
    expect(await claims.claim('w', [{ id: 'a', updated: t(1) }], until)).toHaveLength(1);
    const [update] = await claims.claim('w', [{ id: 'a', updated: t(2) }], until);
    await claims.release('w', [update]);
    expect(await claims.claim('w', [{ id: 'a', updated: t(1) }], until)).toEqual([]);
    const [again] = await claims.claim('w', [{ id: 'a', updated: t(2) }], until);
    await claims.claim('w', [{ id: 'a', updated: t(3) }], until);
    await claims.release('w', [again]);
    expect(await claims.claim('w', [{ id: 'a', updated: t(3) }], until)).toEqual([]);
  });
});

describe('polls against the emulator', () => {
  let emu: Emulator;
  useEmulator((e) => (emu = e));
  afterEach(() => emu.clearScenes());

  const request = () => {
    const connection = emulatorConnection(emu, 'sentinel-hub');
    return { connection, tokens: new TokenCache().provider(connection), maxRetries: 0 };
  };
  const settings = (over: object = {}): WatchSettings =>
    checkWatchSettings({ source: 'catalog', collection: 'sentinel-2-l2a', bbox: FIELD, maxCloudCover: 20, ...over });

  const watcher = (s: WatchSettings, claims?: EmissionClaims) => sceneWatcher(request, s, claims);
  const record = recordOf;

  test('scenes published over time, some late, some republished, some too cloudy: each emitted once, oldest first per poll', async () => {
    const w = watcher(settings());
    const now = Date.now();
    const before = emu.publishScene({ acquired: now - 5 * HOUR, cloudCover: 10 });
    const first = await w.poll();
    expect({ first: first.first, emitted: first.scenes.length, found: first.counts.found }).toEqual({ first: true, emitted: 0, found: 1 });

    // Acquired after the first poll: on time. The cloudy one never matches.
    const t1 = Date.now();
    emu.publishScene({ acquired: t1 + 2, cloudCover: 15 });
    emu.publishScene({ acquired: t1 + 1, cloudCover: 5 });
    emu.publishScene({ acquired: t1 + 3, cloudCover: 70 });
    // Acquired before the first poll searched, published only now.
    const late = emu.publishScene({ acquired: now - 40 * HOUR, cloudCover: 2, publishDelayMs: Date.now() - now + 40 * HOUR });
    await new Promise((r) => setTimeout(r, 20)); // let the clock pass their acquisition
    const second = await w.poll();
    expect(second.scenes.map((s) => s.acquired)).toEqual([...second.scenes.map((s) => s.acquired)].sort());
    expect(second.scenes.map((s) => s.reason)).toEqual(['new', 'new', 'new']);
    expect(second.scenes[0].id).toBe(late.id);

    emu.republishScene(before.id, { cloudCover: 8 });
    emu.publishScene({ acquired: Date.now(), cloudCover: 1 });
    const third = await w.poll();
    expect(third.scenes.map((s) => [s.id === before.id, s.reason])).toEqual([
      [true, 'updated'],
      [false, 'new'],
    ]);
    const fourth = await w.poll();
    expect(fourth.scenes).toEqual([]);
    expect(fourth.counts.unchanged).toBe(5);

    // What the test expects: the scene there before the first poll is only remembered, the cloudy one never matches.
    const matching = emu.scenes().filter((s) => s.cloudCover <= 20 && s.id !== before.id);
    const tally = tallyScenes(matching, record(w.emitted.filter((s) => s.id !== before.id)), w.searches);
    expect(tally).toMatchObject({ late: 1, doubled: 0, missed: 0, outOfOrder: 0 });
    expect(w.emitted.filter((s) => s.id === before.id).map((s) => s.reason)).toEqual(['updated']);
    printTally('core poll', tally);
  });

  test('a poll failing halfway through the pages keeps the cursor: the next one emits everything once, nothing lost, nothing doubled', async () => {
    const w = watcher(settings({ firstPoll: 'since', since: new Date(Date.now() - 24 * HOUR).toISOString() }));
    const now = Date.now();
    // 230 scenes: three pages of at most 100.
    for (let i = 0; i < 230; i++) emu.publishScene({ acquired: now - HOUR - i * 60_000, cloudCover: 1 });
    emu.fault({
      route: '^POST /api/v1/catalog/1.0.0/search$',
      after: 1,
      times: 1,
      status: 503,
      body: { code: 503, description: 'Service Unavailable' },
    });
    const failure = await w.poll().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEoError(failure, 'EO_HTTP_STATUS') && failure.status).toBe(503);
    expect(w.cursor).toBeUndefined();
    expect(w.emitted).toEqual([]);
    const retry = await w.poll();
    expect({ pages: retry.pages, emitted: retry.scenes.length }).toEqual({ pages: 3, emitted: 230 });
    expect(await w.poll()).toMatchObject({ scenes: [], counts: { unchanged: 230 } });
    const tally = tallyScenes(emu.scenes(), record(w.emitted), w.searches);
    expect(tally).toMatchObject({ published: 230, emitted: 230, doubled: 0, missed: 0, outOfOrder: 0 });
    printTally('core poll, page 2 of 3 failing once', tally);
  });

  test('two copies of one watch sharing their claims emit each scene once in total; claims that fail never stop the emission', async () => {
    const shared = new InProcessEmissionClaims();
    const s = settings({ firstPoll: 'since', since: new Date(Date.now() - 24 * HOUR).toISOString() });
    const a = watcher(s, shared);
    const b = watcher(s, shared);
    for (let i = 0; i < 4; i++) emu.publishScene({ acquired: Date.now() - (i + 1) * HOUR, cloudCover: 3 });
    await Promise.all([a.poll(), b.poll()]);
    emu.publishScene({ acquired: Date.now() - 10 * 60_000, cloudCover: 3 });
    const [ra, rb] = await Promise.all([a.poll(), b.poll()]);
    expect(ra.counts.claimedElsewhere + rb.counts.claimedElsewhere).toBe(1);
    expect(tallyScenes(emu.scenes(), record([...a.emitted, ...b.emitted]))).toMatchObject({ emitted: 5, doubled: 0, missed: 0 });

    const down: EmissionClaims = {
      claim: () => Promise.reject(new Error('store down')),
      release: () => Promise.reject(new Error('store down')),
    };
    const c = watcher(s, down);
    const result = await c.poll();
    expect({ emitted: result.scenes.length, unavailable: result.claimsUnavailable }).toEqual({ emitted: 5, unavailable: true });
  });

  test('a scene a catalogue returns twice in one search (pages shifting under it) is emitted once, in its latest version', async () => {
    const item = (id: string, updated: string) => ({
      type: 'Feature',
      id,
      collection: 'sentinel-2-l2a',
      properties: { datetime: new Date(Date.now() - HOUR).toISOString(), updated, 'eo:cloud_cover': 1 },
    });
    const features = [item('a', '2026-01-01T00:00:00Z'), item('b', '2026-01-01T00:00:00Z'), item('a', '2026-01-02T00:00:00Z')];
    emu.fault({
      route: '^POST /api/v1/catalog/1.0.0/search$',
      status: 200,
      body: { type: 'FeatureCollection', features, context: { limit: 100, returned: 3 } },
      times: 1,
    });
    const w = watcher(settings({ firstPoll: 'since', since: new Date(Date.now() - 24 * HOUR).toISOString() }));
    const result = await w.poll();
    expect(result.scenes.map((s) => [s.id, s.updated])).toEqual([
      ['a', '2026-01-02T00:00:00.000Z'],
      ['b', '2026-01-01T00:00:00.000Z'],
    ]);
  });

  test('the newest scene for a manual run, whether seen or not, leaves the cursor alone', async () => {
    const w = watcher(settings());
    emu.publishScene({ acquired: Date.now() - 3 * HOUR, cloudCover: 1 });
    const newest = emu.publishScene({ acquired: Date.now() - HOUR, cloudCover: 1 });
    await w.poll();
    const cursor = JSON.stringify(w.cursor);
    const { scene } = await newestScene({ ...request(), settings: settings() });
    expect(scene?.id).toBe(newest.id);
    expect(JSON.stringify(w.cursor)).toBe(cursor);
    expect((await newestScene({ ...request(), settings: settings({ bbox: '-10,-10,-9,-9' }) })).scene).toBeUndefined();
  });

  test('an unknown collection and a malformed filter fail with the field to fix and the catalogue’s own words', async () => {
    const w = watcher(settings({ collection: 'sentinel-9' }));
    const unknown = await w.poll().catch((e: unknown) => e);
    expect(isEoError(unknown, 'EO_INVALID_CONFIG') && [unknown.field, unknown.message]).toEqual([
      'collection',
      expect.stringContaining('"sentinel-9" (404). The catalogue said: Collection not found.'),
    ]);
    const bad = await watcher(settings({ filter: 'eo:cloud_cover <<< 3' }))
      .poll()
      .catch((e: unknown) => e);
    expect(isEoError(bad, 'EO_INVALID_CONFIG') && [bad.field, bad.message]).toEqual(['filter', expect.stringContaining('Invalid filter')]);

    const connection = emulatorConnection(emu, 'terrascope');
    const stac = checkWatchSettings({
      source: 'stac',
      searchUrl: `${emu.endpoints.terrascope.stacUrl}/search`,
      collection: 'terrascope-nope',
      bbox: FIELD,
    });
    const err = await pollScenes({ connection, tokens: new TokenCache().provider(connection), settings: stac, key: 'k' }).catch(
      (e: unknown) => e,
    );
    expect(isEoError(err, 'EO_INVALID_CONFIG') && err.field).toBe('collection');
    expect(w.cursor).toBeUndefined();
  });

  test('a STAC watch on Terrascope follows the cloud-cover query and emits items whose assets are the emulator’s', async () => {
    const connection = emulatorConnection(emu, 'terrascope');
    const s = checkWatchSettings({
      source: 'stac',
      searchUrl: `${emu.endpoints.terrascope.stacUrl}/search`,
      collection: TERRASCOPE_S2_TOC,
      bbox: FIELD,
      maxCloudCover: 20,
      firstPoll: 'since',
      since: new Date(Date.now() - 24 * HOUR).toISOString(),
    });
    const clear = emu.publishScene({ collection: TERRASCOPE_S2_TOC, acquired: Date.now() - 2 * HOUR, cloudCover: 4 });
    emu.publishScene({ collection: TERRASCOPE_S2_TOC, acquired: Date.now() - HOUR, cloudCover: 90 });
    const result = await pollScenes({ connection, tokens: new TokenCache().provider(connection), settings: s, key: watchKey(s) });
    expect(result.scenes.map((x) => x.id)).toEqual([clear.id]);
    expect(result.scenes[0].assets.B04.href.startsWith(`${emu.url}/download/`)).toBe(true);
  });
});
