/**
 * No secret reaches a message of the file outputs: whatever the download, Process-to-file and
 * WorldCover operations send on carries neither the connection's secret or password nor any
 * token, and msg.eo holds only the documented report fields.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FullConfig } from '../emulator/state';
import { authNode, demoCredentials, GOLDEN_PROCESS, nextMessages, NODES, requestFlow, useTestBed, type Msg } from './eo-flow';
import { DEMO_CLIENT, DEMO_USER } from '../emulator/state';
import type { EmulatedProvider } from '../support/emulated-providers';

const bed = useTestBed();
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-nr-secrets-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The fields msg.eo may have (see EoReport): a report of the call, never credentials. */
const EO_KEYS = ['attempts', 'processingUnits', 'bytes', 'path', 'skipped', 'resumed', 'pages', 'tokenRefreshes', 'next'];

async function run(provider: EmulatedProvider, props: Record<string, unknown>, msg: Msg, count = 1): Promise<Msg[]> {
  await bed.helper.load(NODES, requestFlow(authNode(bed.emu, provider), { directory: dir, ...props }), demoCredentials(provider));
  const out = nextMessages(bed.helper, 'out', count);
  bed.helper.getNode('req')?.receive(msg);
  return out;
}

function expectNoSecrets(msg: Msg): void {
  const text = JSON.stringify(msg);
  expect(text).not.toContain(DEMO_CLIENT.clientSecret);
  expect(text).not.toContain(DEMO_USER.password);
  expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
  expect(text).not.toMatch(/bearer/i);
  expect(Object.keys(msg.eo as object).filter((key) => !EO_KEYS.includes(key))).toEqual([]);
}

test.each<EmulatedProvider>(['terrascope', 'sentinel-hub'])('a download through a %s connection sends no secret on', async (provider) => {
  // Sentinel Hub's realm may download too, so the client secret is in the connection that downloads.
  const realms: Partial<FullConfig> = { downloadRealms: ['terrascope', 'main'] };
  bed.emu.configure(realms);
  const [msg] = await run(provider, { operation: 'download', url: '/download/synthetic/1000.bin' }, { payload: 'x' });
  expect(fs.statSync(msg.payload as string).size).toBe(1000);
  expectNoSecrets(msg);
});

test('Process into a file sends no secret on', async () => {
  const [msg] = await run(
    'sentinel-hub',
    { operation: 'process', accept: 'image/tiff', output: 'file', filename: 'scene.tif' },
    { payload: GOLDEN_PROCESS },
  );
  expect(msg.payload).toBe(path.join(dir, 'scene.tif'));
  expectNoSecrets(msg);
});

test('WorldCover tile messages send no secret on', async () => {
  bed.emu.configure({ worldCoverTileBytes: 1000 });
  const msgs = await run('terrascope', { operation: 'worldcover', year: 2021, bbox: '' }, { payload: [5.5, 0.5, 6.5, 1.5] }, 2);
  expect(msgs.map((m) => m.tile).sort()).toEqual(['N00E003', 'N00E006']);
  for (const msg of msgs) expectNoSecrets(msg);
});
