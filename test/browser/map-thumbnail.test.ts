/**
 * The EO Request dialog's map and the canvas thumbnail in the Node-RED 5 editor, in a real
 * Chromium, with the package installed from its tarball: a box dragged on the map fills the
 * Bounding box field; a typed box moves the rectangle; the WorldCover tile count shown is the
 * core's `worldCoverTiles`; a Process → PNG run with "Show the image under the node" draws the
 * image, scaled down, under the node. Screenshots: test-artifacts/browser/ (and docs/images/
 * with EO_UPDATE_DOCS_IMAGES=1).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { worldCoverTiles, type BBox } from '../../nodes/core';
import { launchChromium, publishDocsImage, screenshot } from '../support/browser';
import { debugNode, emulatedAuthNode, eoRequestNode, injectNode, type FlowNode } from '../support/flows';
import { startStack, type Stack } from '../support/node-red-stack';
import { tempDir } from '../support/paths';

/** The editor's toasts ("Successfully deployed"), which would cover a dialog's header in a screenshot. */
const NOTIFICATIONS = '.red-ui-notification';

const TAB = 'tab-map';
const BELGIAN_COAST: BBox = [2.5, 50.6, 3.5, 51.2];
/** The Process answer's size; the thumbnail is at most 160 pixels a side. */
const IMAGE = { width: 256, height: 128 };
const THUMBNAIL = { width: 160, height: 80 };
const PROCESS_REQUEST = {
  input: { bounds: { bbox: [12.44, 41.87, 12.54, 41.93] }, data: [{ type: 'sentinel-2-l2a' }] },
  output: IMAGE,
  evalscript:
    '//VERSION=3\nfunction setup() { return { input: ["B02", "B03", "B04"], output: { bands: 3 } }; }\nfunction evaluatePixel(s) { return [2.5 * s.B04, 2.5 * s.B03, 2.5 * s.B02]; }',
};

/** What the page functions below touch of the editor; they run in Chromium. */
interface EditorGlobal {
  RED: {
    editor: { edit(node: unknown): void };
    nodes: { node(id: string): unknown; getType(type: string): unknown };
  };
  document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };
}

let stack: Stack;
let work: string;
let context: BrowserContext;
let page: Page;
/** Script errors of the editor page, with their stacks. */
const pageErrors: string[] = [];

function flow(): FlowNode[] {
  const t = stack.target;
  const request = (id: string, props: Record<string, unknown>, x: number, y: number, wires: string[][] = [[]]): FlowNode =>
    eoRequestNode(id, TAB, { x, y }, { catalogLimit: 10, ...props }, wires);
  return [
    { id: TAB, type: 'tab', label: 'EO map and thumbnail', disabled: false, info: '' },
    emulatedAuthNode(t, 'sentinel-hub', 'auth-sh', { name: 'Sentinel Hub (emulator)' }),
    emulatedAuthNode(t, 'terrascope', 'auth-ts', { name: 'Terrascope (emulator)' }),
    injectNode('inject-process', TAB, { x: 150, y: 80, name: 'true colour, 256×128' }, PROCESS_REQUEST, ['process']),
    request(
      'process',
      { name: 'Process → PNG', auth: 'auth-sh', operation: 'process', accept: 'image/png', output: 'buffer', thumbnail: true },
      400,
      80,
      [['debug-process']],
    ),
    debugNode('debug-process', TAB, { x: 640, y: 80 }),
    request('worldcover', { name: 'WorldCover tiles', auth: 'auth-ts', operation: 'worldcover', directory: 'worldcover' }, 400, 360),
    request('catalog', { name: 'Catalog search', auth: 'auth-sh', operation: 'catalog', method: 'POST' }, 400, 440),
  ];
}

beforeAll(async () => {
  work = tempDir('eo-browser-map');
  stack = await startStack({ workDir: work, deployExamples: false });
  await stack.nodeRed.deploy(flow());
  ({ context, page } = await launchChromium(path.join(work, 'chromium-profile')));
  page.on('pageerror', (err) => pageErrors.push(`${err.message}\n${err.stack ?? ''}`));
  await page.goto(stack.nodeRed.url);
  await page.waitForFunction(
    () =>
      !!(globalThis as unknown as EditorGlobal).RED?.nodes?.getType('eo-request') &&
      !!(globalThis as unknown as EditorGlobal).RED.nodes.node('worldcover'),
    undefined,
    {
      timeout: 60_000,
    },
  );
}, 180_000);

afterAll(async () => {
  await context?.close();
  await stack?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Opens a node's dialog and waits for its map with the country outlines drawn. */
async function openDialog(id: string): Promise<void> {
  await page.evaluate(
    (nodeId) => (globalThis as unknown as EditorGlobal).RED.editor.edit((globalThis as unknown as EditorGlobal).RED.nodes.node(nodeId)),
    id,
  );
  await page.locator('.eo-map-svg').waitFor({ state: 'visible' });
  await page.waitForFunction(() => !!(globalThis as unknown as EditorGlobal).document.querySelector('.eo-map-land')?.getAttribute('d'));
}

async function closeDialog(button: 'ok' | 'cancel' = 'cancel'): Promise<void> {
  await page.click(`#node-dialog-${button}`);
  await page.locator('.eo-map-svg').waitFor({ state: 'detached' });
}

/** The drawn rectangle as [west, south, east, north], read from its SVG attributes (y is minus the latitude). */
async function drawnBox(): Promise<BBox | null> {
  const box = page.locator('.eo-map-box');
  if ((await box.getAttribute('display')) === 'none') return null;
  const [x, y, w, h] = await Promise.all(['x', 'y', 'width', 'height'].map(async (a) => Number(await box.getAttribute(a))));
  return [x, 0 - (y + h), x + w, 0 - y];
}

/**
 * Where a longitude/latitude is on the screen, worked out here from the map's viewBox and its
 * size on the page (the map keeps a 2:1 box, centred), not from the map's own code.
 */
async function screenPoint(lon: number, lat: number): Promise<{ x: number; y: number; perPixel: number }> {
  const svg = page.locator('.eo-map-svg');
  const rect = (await svg.boundingBox())!;
  const [vx, vy, vw, vh] = (await svg.getAttribute('viewBox'))!.split(/[\s,]+/).map(Number);
  // The CSS box includes a 1-pixel border on each side.
  const inner = { x: rect.x + 1, y: rect.y + 1, width: rect.width - 2, height: rect.height - 2 };
  const scale = Math.min(inner.width / vw, inner.height / vh);
  const left = inner.x + (inner.width - vw * scale) / 2;
  const top = inner.y + (inner.height - vh * scale) / 2;
  return { x: left + (lon - vx) * scale, y: top + (-lat - vy) * scale, perPixel: 1 / scale };
}

/** Types into the Bounding box field as a user does, then waits for the map to have asked the runtime. */
async function typeBbox(text: string): Promise<void> {
  await page.fill('#node-input-bbox', text);
  await page.waitForFunction(
    (typed) => (globalThis as unknown as EditorGlobal).document.querySelector('.eo-map-info')?.getAttribute('data-asked') === typed,
    text,
    { timeout: 10_000 },
  );
}

test('dragging a box on the WorldCover map fills the Bounding box field with where the mouse went', async () => {
  await openDialog('worldcover');
  expect(await page.inputValue('#node-input-bbox')).toBe('');
  expect(await drawnBox()).toBeNull();

  // Zoom in over Belgium with the mouse wheel, then drag from the north-west to the south-east corner.
  const centre = await screenPoint(3, 51);
  await page.mouse.move(centre.x, centre.y);
  for (let i = 0; i < 12; i++) await page.mouse.wheel(0, -100);
  await page.waitForFunction(
    () =>
      Number((globalThis as unknown as EditorGlobal).document.querySelector('.eo-map-svg')?.getAttribute('viewBox')?.split(' ')[2]) < 40,
  );
  const from = await screenPoint(BELGIAN_COAST[0], BELGIAN_COAST[3]);
  const to = await screenPoint(BELGIAN_COAST[2], BELGIAN_COAST[1]);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 8 });
  await page.mouse.up();

  const typed = (await page.inputValue('#node-input-bbox')).split(',').map(Number);
  expect(typed).toHaveLength(4);
  // Within a pixel's worth of degrees of the corners the mouse was on.
  typed.forEach((v, i) => expect(Math.abs(v - BELGIAN_COAST[i])).toBeLessThanOrEqual(from.perPixel));
  await page.waitForFunction(
    (text) => (globalThis as unknown as EditorGlobal).document.querySelector('.eo-map-info')?.getAttribute('data-asked') === text,
    typed.join(','),
  );
  expect(await drawnBox()).toEqual(typed);
  // The runtime counted the tiles of the drawn box.
  expect(Number(await page.locator('.eo-map-info').getAttribute('data-tiles'))).toBe(worldCoverTiles(typed as BBox, 2021).length);

  // A click (no drag) is not a box: the field stays.
  await page.mouse.click(to.x - 40, to.y - 40);
  expect((await page.inputValue('#node-input-bbox')).split(',').map(Number)).toEqual(typed);
  await closeDialog();
}, 60_000);

test('typing a bounding box moves the rectangle; a box that cannot be read says why', async () => {
  await openDialog('worldcover');
  await typeBbox('5.5,0.5,6.5,1.5');
  expect(await drawnBox()).toEqual([5.5, 0.5, 6.5, 1.5]);

  // Far away: the rectangle moves there and the map follows it into view.
  await typeBbox('-75 -15 -70 -10');
  expect(await drawnBox()).toEqual([-75, -15, -70, -10]);
  const map = (await page.locator('.eo-map-svg').boundingBox())!;
  const rect = (await page.locator('.eo-map-box').boundingBox())!;
  expect(rect.x).toBeGreaterThanOrEqual(map.x);
  expect(rect.x + rect.width).toBeLessThanOrEqual(map.x + map.width);
  expect(rect.y).toBeGreaterThanOrEqual(map.y);
  expect(rect.y + rect.height).toBeLessThanOrEqual(map.y + map.height);

  await typeBbox('5,0,4,1');
  expect(await drawnBox()).toBeNull();
  expect(await page.locator('.eo-map-info').getAttribute('class')).toContain('eo-map-error');
  expect(await page.locator('.eo-map-info').textContent()).toContain('West (5) must be less than east (4)');
  await closeDialog();
}, 60_000);

test('the WorldCover tile count shown is the core’s worldCoverTiles for the box', async () => {
  await openDialog('worldcover');
  for (const bbox of [[-10, 35, 30, 60], [6, 0, 9, 3], [10, -80, 20, -65], [-0.5, 51.2, 0.5, 51.7], BELGIAN_COAST] as BBox[]) {
    await typeBbox(bbox.join(','));
    const tiles = worldCoverTiles(bbox, 2021);
    const info = page.locator('.eo-map-info');
    expect({ bbox, shown: Number(await info.getAttribute('data-tiles')) }).toEqual({ bbox, shown: tiles.length });
    const text = (await info.textContent()) ?? '';
    if (tiles.length === 0) expect(text).toContain('Covers no WorldCover tile');
    else expect(text).toContain(tiles.length === 1 ? `Covers 1 WorldCover tile` : `Covers ${tiles.length} WorldCover tiles`);
    if (tiles.length) {
      expect(text).toContain(tiles[0].tile);
      expect(text).toMatch(/open ocean/);
      // The shaded area is the union of those tiles.
      const covered = page.locator('.eo-map-covered');
      const [x, y, w, h] = await Promise.all(['x', 'y', 'width', 'height'].map(async (a) => Number(await covered.getAttribute(a))));
      expect([x, 0 - (y + h), x + w, 0 - y]).toEqual([
        tiles[0].bounds[0],
        tiles[0].bounds[1],
        tiles.at(-1)!.bounds[2],
        tiles.at(-1)!.bounds[3],
      ]);
    }
  }
  // The tile grid is drawn over the Belgian coast, 3° apart.
  const lines = await page.locator('.eo-map-grid line').count();
  expect(lines).toBeGreaterThan(2);
  await page.click('#node-dialog-ok');
  await page.locator('.eo-map-svg').waitFor({ state: 'detached' });
  await openDialog('worldcover');
  await page.waitForFunction(
    () => !!(globalThis as unknown as EditorGlobal).document.querySelector('.eo-map-info')?.getAttribute('data-tiles'),
  );
  publishDocsImage(await screenshot(page, 'eo-request-map', page.locator('.red-ui-tray').last(), NOTIFICATIONS), 'eo-request-map.png');
  await closeDialog();
}, 60_000);

test('Process and Catalog search show the map without the tile grid; Custom request has no map', async () => {
  for (const id of ['process', 'catalog']) {
    await openDialog(id);
    await typeBbox('12.44,41.87,12.54,41.93');
    expect(await drawnBox()).toEqual([12.44, 41.87, 12.54, 41.93]);
    expect(await page.locator('.eo-map-info').getAttribute('data-tiles')).toBeNull();
    expect(await page.locator('.eo-map-grid line').count()).toBe(0);
    if (id === 'process') {
      await page.selectOption('#node-input-operation', 'request');
      await page.locator('.eo-map-row').waitFor({ state: 'hidden' });
    }
    await closeDialog();
  }
}, 60_000);

test('a Process → PNG run with the thumbnail on shows the image under the node, scaled to 160 pixels', async () => {
  await stack.nodeRed.inject('inject-process');
  const image = page.locator('[id="process"] .eo-thumbnail image');
  await image.waitFor({ state: 'attached', timeout: 30_000 });
  expect({
    width: Number(await image.getAttribute('width')),
    height: Number(await image.getAttribute('height')),
    source: await image.getAttribute('data-source-size'),
  }).toEqual({ ...THUMBNAIL, source: `${IMAGE.width}x${IMAGE.height}` });
  // What the canvas holds is the scaled copy, not the full image.
  const href = (await image.getAttribute('href')) ?? '';
  expect(href).toMatch(/^data:image\/png;base64,/);
  const natural = await page.evaluate(
    (src) =>
      new Promise<number[]>((resolve) => {
        const img = new (
          globalThis as unknown as { Image: new () => { onload: () => void; src: string; naturalWidth: number; naturalHeight: number } }
        ).Image();
        img.onload = () => resolve([img.naturalWidth, img.naturalHeight]);
        img.src = src;
      }),
    href,
  );
  expect(natural).toEqual([THUMBNAIL.width, THUMBNAIL.height]);
  // Below the node (and its status line), not on it.
  const node = (await page.locator('[id="process"] .red-ui-flow-node').first().boundingBox())!;
  const drawn = (await image.boundingBox())!;
  expect(drawn.y).toBeGreaterThan(node.y + node.height);
  // The flow from the inject node to the debug node, thumbnail included.
  const start = (await page.locator('[id="inject-process"]').boundingBox())!;
  const end = (await page.locator('[id="debug-process"]').boundingBox())!;
  const clip = { x: start.x - 20, y: start.y - 20, width: end.x + end.width - start.x + 40, height: drawn.y + drawn.height - start.y + 40 };
  publishDocsImage(await screenshot(page, 'eo-request-thumbnail', page, NOTIFICATIONS, clip), 'eo-request-thumbnail.png');

  // Unticking the option removes it at once, before any deploy.
  await page.evaluate(() =>
    (globalThis as unknown as EditorGlobal).RED.editor.edit((globalThis as unknown as EditorGlobal).RED.nodes.node('process')),
  );
  await page.locator('#node-input-thumbnail').uncheck();
  await closeDialog('ok');
  await page.locator('[id="process"] .eo-thumbnail').waitFor({ state: 'detached' });
}, 60_000);

test('the map and thumbnail scripts raised no error in the page', () => {
  // The editor's own rare errors (seen once: "reading 'html'", in no script of this package) are shown, not counted.
  const ours = pageErrors.filter((e) => e.includes(`/resources/@eo-nodes/`));
  if (pageErrors.length > ours.length) console.warn(`editor errors outside this package:\n${pageErrors.join('\n')}`);
  expect(ours).toEqual([]);
});
