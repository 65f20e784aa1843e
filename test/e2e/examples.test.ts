/**
 * Every example flow in a real Node-RED process (5.x on Node 24, 4.1 on Node 20) with the package
 * installed from its tarball, deployed through the Admin API against the provider emulator, the
 * way `npm run demo` runs them: files land byte for byte, pages are followed, unchanged tiles are
 * skipped, errors reach the Catch node, and no secret is stored in the clear.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bodyBytes, worldCoverSource } from '../emulator/server';
import { tilesForBbox, worldCoverPath, WORLDCOVER_EDITIONS } from '../emulator/worldcover';
import { eoRequest, resolveConnection, tokenProviderFor } from '../../nodes/core';
import { clearCollected, collected, loadExamples, nodeOnTab, waitForCollected, type FlowNode } from '../support/flows';
import { runtimeForThisNode } from '../support/node-red-process';
import { tempDir } from '../support/paths';
import { startStack, type Stack } from '../support/node-red-stack';

const PACKAGE = '@eo-nodes/n8n-nodes-earth-observation';
const SECRETS = ['demo-secret', 'demo-password'];
let stack: Stack;
let work: string;

beforeAll(async () => {
  work = tempDir('eo-e2e-examples');
  stack = await startStack({ workDir: work, collectors: true });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

beforeEach(async () => {
  await clearCollected(stack.nodeRed);
  stack.emulator.reset();
});

const node = (tab: string, type: string, name?: string): FlowNode => nodeOnTab(stack.flows, tab, type, name);
/** The inject node wired to `target`. */
const injectOf = (target: FlowNode): FlowNode => stack.flows.find((n) => n.type === 'inject' && n.wires?.[0]?.includes(target.id))!;

test(`Node-RED ${runtimeForThisNode().module === 'node-red' ? 5 : 4} loads both nodes from the installed tarball, without dev dependencies`, async () => {
  const { body: settings } = await stack.nodeRed.request('GET', '/settings');
  expect(Number((settings as { version: string }).version.split('.')[0])).toBe(runtimeForThisNode().module === 'node-red' ? 5 : 4);
  const { body: nodes } = await stack.nodeRed.request('GET', '/nodes', undefined, { accept: 'application/json' });
  const ours = (nodes as { module: string; types: string[]; enabled: boolean; err?: string }[]).filter((n) => n.module === PACKAGE);
  expect(ours.flatMap((n) => n.types).sort()).toEqual(['eo-auth', 'eo-request', 'eo-watch']);
  expect(ours.map((n) => ({ enabled: n.enabled, err: n.err }))).toEqual(ours.map(() => ({ enabled: true, err: undefined })));
  const installed = path.join(stack.userDir, 'node_modules', PACKAGE);
  expect(fs.existsSync(path.join(installed, 'examples', 'WorldCover tiles for a bbox.json'))).toBe(true);
  expect(fs.existsSync(path.join(stack.userDir, 'node_modules', 'jest'))).toBe(false);
  expect(fs.existsSync(path.join(stack.userDir, 'node_modules', 'node-red'))).toBe(false);
});

test('serves the editor resources from the installed package: map and thumbnail scripts, world outlines, the area endpoint', async () => {
  const base = `${stack.nodeRed.url}/resources/${PACKAGE}`;
  const html = await (await fetch(`${stack.nodeRed.url}/nodes`, { headers: { accept: 'text/html' } })).text();
  for (const script of ['eo-map.js', 'eo-thumbnails.js']) {
    expect(html).toContain(`<script src="resources/${PACKAGE}/${script}"></script>`);
    const res = await fetch(`${base}/${script}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(script === 'eo-map.js' ? 'window.EoNodesMap = ' : 'window.EoNodesThumbnails = ');
  }
  const world = await fetch(`${base}/world-110m.json`);
  expect(world.status).toBe(200);
  const outlines = (await world.json()) as { source: string; land: number[][]; borders: number[][] };
  expect(outlines.source).toMatch(/Natural Earth 1:110m/);
  expect(outlines.land.length).toBeGreaterThan(100);
  expect(outlines.borders.length).toBeGreaterThan(100);
  const { body } = await stack.nodeRed.request('GET', '/eo-request/area?bbox=2.5,50.6,3.5,51.2&worldcover=2021');
  expect(body).toMatchObject({ bbox: [2.5, 50.6, 3.5, 51.2], worldCover: { count: 4 } });
});

test('npm installs the undici line that fits the Node running Node-RED: 8 from Node 22.19 on, else 7', () => {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const expected = major > 22 || (major === 22 && minor >= 19) ? 8 : 7;
  const manifest = path.join(stack.userDir, 'node_modules', 'undici', 'package.json');
  const installed = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string };
  expect(Number(installed.version.split('.')[0])).toBe(expected);
});

test('Import → Examples lists every example flow of the package, as shipped', async () => {
  const base = `/library/examples/flows/${PACKAGE}`;
  const { body: listing } = await stack.nodeRed.request('GET', base);
  const shipped = loadExamples();
  expect((listing as { fn: string }[]).map((e) => e.fn).sort()).toEqual(shipped.map((e) => e.title).sort());
  for (const example of shipped) {
    const { body } = await stack.nodeRed.request('GET', `${base}/${encodeURIComponent(example.title)}`);
    expect(body).toEqual(example.nodes);
  }
});

test('each example explains itself, has an EO Auth node without credentials, a debug node and a Catch node feeding one', () => {
  for (const { title, nodes } of loadExamples()) {
    const types = nodes.map((n) => n.type);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const auth = nodes.filter((n) => n.type === 'eo-auth');
    const summary = {
      title,
      comment: nodes.some((n) => n.type === 'comment' && String(n.info).length > 200),
      auth: auth.length,
      credentials: auth.some((n) => 'credentials' in n),
      requestsUseIt: nodes.filter((n) => n.type === 'eo-request').every((n) => n.auth === auth[0]?.id),
      debug: types.includes('debug'),
      catchToDebug: nodes.some((n) => n.type === 'catch' && n.wires?.[0]?.some((id) => byId.get(id)?.type === 'debug')),
    };
    expect(summary).toEqual({ title, comment: true, auth: 1, credentials: false, requestsUseIt: true, debug: true, catchToDebug: true });
  }
});

test('Sentinel Hub Process → GeoTIFF: the file on disk is exactly what the Process API answers', async () => {
  const tab = 'Sentinel Hub Process to a GeoTIFF file';
  const request = node(tab, 'eo-request');
  await stack.nodeRed.inject(node(tab, 'inject').id);
  const [msg] = await waitForCollected(stack.nodeRed, 1, request.id);
  expect(msg.error).toBeUndefined();
  const file = String(msg.payload);
  expect(file).toBe(path.join(stack.userDir, 'eo-data', 'sentinel-hub', 'rome-true-colour.tif'));
  expect(msg.eo?.processingUnits).toBeGreaterThan(0);

  // The same request straight from the core: the node must have written these bytes, no more.
  const connection = resolveConnection({
    provider: 'sentinel-hub',
    tokenUrl: stack.target.endpoints.sentinelHub.tokenUrl,
    baseUrl: stack.target.endpoints.sentinelHub.baseUrl,
    clientId: stack.target.clientId,
    clientSecret: stack.target.clientSecret,
  });
  const direct = await eoRequest<Buffer>({
    connection,
    tokens: tokenProviderFor(connection),
    method: 'POST',
    url: '/api/v1/process',
    body: JSON.parse(String(node(tab, 'inject').payload)),
    headers: { accept: 'image/tiff' },
    responseType: 'buffer',
  });
  const onDisk = fs.readFileSync(file);
  expect(onDisk.subarray(0, 4)).toEqual(Buffer.from([0x49, 0x49, 0x2a, 0x00]));
  expect(onDisk.equals(direct.body)).toBe(true);
  expect(fs.readdirSync(path.dirname(file)).filter((f) => f.endsWith('.part'))).toEqual([]);
});

test('Process errors reach the example’s Catch node with the provider’s message', async () => {
  const tab = 'Sentinel Hub Process to a GeoTIFF file';
  stack.emulator.fault({
    route: '^POST /api/v1/process$',
    status: 400,
    body: {
      error: {
        status: 400,
        reason: 'Bad Request',
        message: 'Failed to evaluate script! evaluatePixel is not defined',
        code: 'RENDERER_EXCEPTION',
      },
    },
    times: 1,
  });
  await stack.nodeRed.inject(node(tab, 'inject').id);
  const [caught] = await waitForCollected(stack.nodeRed, 1, node(tab, 'catch').id);
  expect(caught.error?.message).toContain('evaluatePixel is not defined');
  expect(caught.error?.source?.id).toBe(node(tab, 'eo-request').id);
});

test('Catalog search: all 23 features over 3 pages in one message, and the same as 23 messages', async () => {
  const tab = 'Catalog search with pagination';
  const total = stack.emulator.config.catalogTotal;
  const all = node(tab, 'eo-request', 'all pages, one message');
  const split = node(tab, 'eo-request', 'one message per feature');
  await stack.nodeRed.inject(injectOf(all).id);
  const [one] = await waitForCollected(stack.nodeRed, 1, all.id);
  const { type, features } = one.payload as { type: string; features: { id: string }[] };
  expect(type).toBe('FeatureCollection');
  expect(features).toHaveLength(total);
  expect(new Set(features.map((f) => f.id)).size).toBe(total);
  expect(one.eo?.pages).toBe(Math.ceil(total / 10));

  await stack.nodeRed.inject(injectOf(split).id);
  const each = await waitForCollected(stack.nodeRed, total, split.id);
  expect(each.map((m) => (m.payload as { id: string }).id).sort()).toEqual(features.map((f) => f.id).sort());
});

/** What the WorldCover example's comment and names promise: the Belgian coast, 2021, and so these tiles. */
const BELGIAN_COAST = { bbox: [2.5, 50.6, 3.5, 51.2], year: 2021, tiles: ['N48E000', 'N48E003', 'N51E000', 'N51E003'] };

test('the WorldCover example asks for what it promises: the Belgian coast in 2021', () => {
  const tab = 'WorldCover tiles for a bbox';
  const inject = node(tab, 'inject');
  const request = node(tab, 'eo-request');
  const comment = node(tab, 'comment');
  // The promise, in words a reader of the flow sees.
  expect({
    comment: String(comment.info).includes('Belgian coast') && String(comment.info).includes('2021'),
    inject: inject.name,
    request: request.name,
  }).toEqual({
    comment: true,
    inject: expect.stringContaining('Belgian coast'),
    request: expect.stringContaining('2021'),
  });
  // The node leaves bbox empty so the inject's payload is the bbox that is used.
  const bbox = JSON.parse(String(inject.payload)) as [number, number, number, number];
  expect({ bbox, year: request.year, nodeBbox: request.bbox, tiles: tilesForBbox(bbox) }).toEqual({ ...BELGIAN_COAST, nodeBbox: '' });
});

test('WorldCover tiles for a bbox: every tile byte-identical, then skipped unchanged on the next run', async () => {
  const tab = 'WorldCover tiles for a bbox';
  const inject = node(tab, 'inject');
  const request = node(tab, 'eo-request');
  expect(inject.crontab).toBe('0 3 1 * *');
  const bbox = JSON.parse(String(inject.payload)) as [number, number, number, number];
  const edition = WORLDCOVER_EDITIONS.find((e) => e.year === 2021)!;
  const expected = tilesForBbox(bbox).filter((t) => !stack.emulator.config.missingTiles.includes(t));
  // Named before any byte is compared, so a moved bbox reads as such and not as a byte mismatch.
  expect(expected).toEqual(BELGIAN_COAST.tiles);
  fs.rmSync(path.join(stack.userDir, 'eo-data', 'worldcover'), { recursive: true, force: true });

  await stack.nodeRed.inject(inject.id);
  const first = await waitForCollected(stack.nodeRed, expected.length, request.id);
  expect(first.map((m) => m.tile).sort()).toEqual([...expected].sort());
  for (const msg of first) {
    expect(msg.eo?.skipped).toBeFalsy();
    const file = String(msg.payload);
    expect(path.dirname(file)).toBe(path.join(stack.userDir, 'eo-data', 'worldcover'));
    const served = bodyBytes(worldCoverSource(worldCoverPath(edition, msg.tile!), stack.emulator.config));
    expect(fs.readFileSync(file).equals(served)).toBe(true);
  }
  expect(fs.readdirSync(path.join(stack.userDir, 'eo-data', 'worldcover')).filter((f) => f.endsWith('.part'))).toEqual([]);

  await clearCollected(stack.nodeRed);
  stack.emulator.reset();
  await stack.nodeRed.inject(inject.id);
  const second = await waitForCollected(stack.nodeRed, expected.length, request.id);
  expect(second.map((m) => m.eo?.skipped)).toEqual(expected.map(() => true));
  // Each tile cost one conditional request answered 304 and no body.
  expect(stack.emulator.counters().apiStatus).toEqual({ 304: expected.length });
});

test('WorldCover: a download cut by the network resumes, and the tile on disk is still exact', async () => {
  const tab = 'WorldCover tiles for a bbox';
  const inject = node(tab, 'inject');
  const request = node(tab, 'eo-request');
  const edition = WORLDCOVER_EDITIONS.find((e) => e.year === 2021)!;
  const dir = path.join(stack.userDir, 'eo-data', 'worldcover');
  const expected = tilesForBbox(JSON.parse(String(inject.payload))).filter((t) => !stack.emulator.config.missingTiles.includes(t));
  // Start from nothing, so every tile is downloaded and the cut one has to be resumed.
  fs.rmSync(dir, { recursive: true, force: true });
  stack.emulator.fault({ route: '^GET /download/', resetAfterBytes: 300_000, times: 1 });
  await stack.nodeRed.inject(inject.id);
  const msgs = await waitForCollected(stack.nodeRed, expected.length, request.id);
  expect(msgs.filter((m) => m.error)).toEqual([]);
  expect(msgs.filter((m) => Number(m.eo?.resumed) >= 1)).toHaveLength(1);
  for (const msg of msgs)
    expect(
      fs.readFileSync(String(msg.payload)).equals(bodyBytes(worldCoverSource(worldCoverPath(edition, msg.tile!), stack.emulator.config))),
    ).toBe(true);
  expect(fs.readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);
  // The resumed request asked for the rest only.
  expect(stack.emulator.log().some((e) => e.path.startsWith('/download/') && e.headers.range === 'bytes=300000-')).toBe(true);
});

test('Terrascope STAC search follows the next links and returns every WorldCover item of the bbox', async () => {
  const tab = 'Terrascope STAC search';
  const inject = node(tab, 'inject');
  const request = node(tab, 'eo-request');
  const body = JSON.parse(String(inject.payload)) as { bbox: [number, number, number, number]; limit: number };
  const tiles = tilesForBbox(body.bbox).filter((t) => !stack.emulator.config.missingTiles.includes(t));
  await stack.nodeRed.inject(inject.id);
  const [msg] = await waitForCollected(stack.nodeRed, 1, request.id);
  expect(msg.error).toBeUndefined();
  const items = (msg.payload as { features: { id: string; assets: Record<string, { href: string }> }[] }).features;
  expect(items.map((i) => i.id).sort()).toEqual(tiles.map((t) => `ESA_WorldCover_10m_2021_v200_${t}`).sort());
  expect(msg.eo?.pages).toBe(Math.ceil(tiles.length / body.limit));
  expect(
    stack.emulator
      .log()
      .filter((e) => e.path === '/stac/search')
      .every((e) => String(e.headers.authorization).startsWith('Bearer ')),
  ).toBe(true);
});

test('Watch new Sentinel-2 scenes: a scene published after the first poll becomes a true-colour GeoTIFF of the field and its mean NDVI', async () => {
  const tab = 'Watch new Sentinel-2 scenes over a field';
  const watch = node(tab, 'eo-watch');
  const process = node(tab, 'eo-request', 'Process → GeoTIFF');
  const ndvi = node(tab, 'function', 'mean NDVI');
  expect({ bbox: watch.bbox, maxCloudCover: watch.maxCloudCover, collection: watch.collection }).toEqual({
    bbox: '4.67,50.55,4.70,50.57',
    maxCloudCover: '20',
    collection: 'sentinel-2-l2a',
  });
  // Deployed with the others: its first poll has remembered what exists. Then a clear and a cloudy scene come.
  const acquired = Date.now();
  const clear = stack.emulator.publishScene({ acquired, cloudCover: 7 });
  stack.emulator.publishScene({ acquired: acquired + 1, cloudCover: 64 });
  await new Promise((r) => setTimeout(r, 20));
  await stack.nodeRed.inject(injectOf(watch).id);
  const [file] = await waitForCollected(stack.nodeRed, 1, process.id, 15_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${stack.nodeRed.output().slice(-3000)}`);
  });
  const [mean] = await waitForCollected(stack.nodeRed, 1, ndvi.id);
  const day = new Date(acquired).toISOString().slice(0, 10);
  expect(file.error).toBeUndefined();
  expect(String(file.payload)).toBe(path.join(stack.userDir, 'eo-data', 'watch', `field-${day}-true-colour.tif`));
  expect(fs.readFileSync(String(file.payload)).subarray(0, 4)).toEqual(Buffer.from([0x49, 0x49, 0x2a, 0x00]));
  expect(mean.payload).toMatchObject({ scene: clear.id, reason: 'new', cloudCover: 7, meanNdvi: expect.any(Number) });
  // The Process and Statistics requests asked for the field on the scene's day.
  const processed = stack.emulator.log().filter((e) => e.path === '/api/v1/process' || e.path === '/api/v1/statistics');
  expect(processed.map((e) => e.status)).toEqual([200, 200]);
  // Polling again sends nothing: the scene was sent once, the cloudy one never.
  await clearCollected(stack.nodeRed);
  await stack.nodeRed.inject(injectOf(watch).id);
  await new Promise((r) => setTimeout(r, 1500));
  expect((await collected(stack.nodeRed)).filter((c) => c.from === watch.id || c.from === process.id)).toEqual([]);
}, 60_000);

test('flows.json and flows_cred.json hold no secret in the clear, and the log shows none', async () => {
  const flowsFile = fs.readFileSync(path.join(stack.userDir, 'flows.json'), 'utf8');
  const credFile = fs.readFileSync(path.join(stack.userDir, 'flows_cred.json'), 'utf8');
  expect(Object.keys(JSON.parse(credFile))).toEqual(['$']);
  for (const secret of SECRETS) {
    expect(flowsFile).not.toContain(secret);
    expect(credFile).not.toContain(secret);
    expect(stack.nodeRed.output()).not.toContain(secret);
  }
  // Nor any access token (JWTs start with eyJ).
  expect(flowsFile).not.toMatch(/eyJ[\w-]{10,}/);
  expect(stack.nodeRed.output()).not.toMatch(/eyJ[\w-]{10,}/);
  // The Admin API never hands the secrets back either.
  const { body } = await stack.nodeRed.request('GET', `/credentials/eo-auth/${stack.flows.find((n) => n.type === 'eo-auth')!.id}`);
  expect(JSON.stringify(body)).not.toMatch(/demo-secret|demo-password/);
});
