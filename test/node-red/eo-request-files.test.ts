/**
 * eo-request's file outputs in a real Node-RED runtime against the emulator: Process into a file,
 * Terrascope downloads (progress, skip when unchanged), WorldCover tiles for a bbox, and file
 * names that try to leave the folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  authNode,
  callLog,
  caughtError,
  demoCredentials,
  GOLDEN_PROCESS,
  nextMessages,
  NODES,
  requestFlow,
  statusLog,
  useTestBed,
  type Msg,
} from './eo-flow';

const bed = useTestBed();
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-nr-files-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function load(props: Record<string, unknown>, provider: 'sentinel-hub' | 'terrascope' = 'terrascope'): Promise<void> {
  await bed.helper.load(NODES, requestFlow(authNode(bed.emu, provider), { directory: dir, ...props }), demoCredentials(provider));
}

async function send(msg: Msg, count = 1): Promise<Msg[]> {
  const out = nextMessages(bed.helper, 'out', count);
  bed.helper.getNode('req')?.receive(msg);
  return out;
}

/** Every file under `root`, relative, sorted. */
function filesUnder(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(root, f)).isFile()).sort();
}

describe('Process into a file', () => {
  test("writes the emulator's GeoTIFF bytes under the given name and nothing half-written", async () => {
    await load({ operation: 'process', accept: 'image/tiff', output: 'buffer' }, 'sentinel-hub');
    const [asBuffer] = await send({ payload: GOLDEN_PROCESS });
    await bed.helper.unload();
    await load({ operation: 'process', accept: 'image/tiff', output: 'file', filename: 'scene.tif' }, 'sentinel-hub');
    const [msg] = await send({ payload: GOLDEN_PROCESS });
    const file = path.join(dir, 'scene.tif');
    expect(msg.payload).toBe(file);
    expect(fs.readFileSync(file).equals(asBuffer.payload as Buffer)).toBe(true);
    expect((msg.eo as { bytes: number; processingUnits: number }).bytes).toBe((asBuffer.payload as Buffer).length);
    expect((msg.eo as { processingUnits: number }).processingUnits).toBeGreaterThan(0);
    expect(filesUnder(dir)).toEqual(['scene.tif']);
  });

  test('an answer cut short leaves no file under the final name', async () => {
    await load({ operation: 'process', accept: 'image/tiff', output: 'file', filename: 'cut.tif' }, 'sentinel-hub');
    bed.emu.fault({ route: '^POST /api/v1/process$', shortBodyBytes: 100 });
    const { error } = await caughtError(bed.helper, { payload: GOLDEN_PROCESS });
    expect(error.code).toBe('EO_DOWNLOAD_INCOMPLETE');
    expect(filesUnder(dir)).toEqual([]);
  });
});

describe('Terrascope download', () => {
  test('streams msg.url into the folder with progress in the status, then skips it when unchanged', async () => {
    await load({ operation: 'download', url: '' });
    const statuses = statusLog(bed.helper);
    const [first] = await send({ url: '/download/synthetic/3000000.bin' });
    const file = path.join(dir, '3000000.bin');
    expect(first.payload).toBe(file);
    expect(fs.statSync(file).size).toBe(3_000_000);
    expect(first.eo).toEqual(expect.objectContaining({ bytes: 3_000_000, skipped: false, path: file }));
    expect(statuses.some((s) => /^\d+% · \d+\.\d MB$/.test(s.text ?? '') && s.fill === 'green')).toBe(true);
    expect(statuses.at(-1)?.text).toMatch(/^access \d+m/);
    const before = bed.emu.counters().apiStatus['200'] ?? 0;
    const [second] = await send({ url: '/download/synthetic/3000000.bin' });
    expect((second.eo as { skipped: boolean }).skipped).toBe(true);
    expect(bed.emu.counters().apiStatus['200'] ?? 0).toBe(before);
  });

  test('a connection reset mid-body is resumed and reported in msg.eo.resumed', async () => {
    await load({ operation: 'download', url: '/download/synthetic/2000000.bin' });
    bed.emu.fault({ route: '^GET /download/', resetAfterBytes: 700_000, times: 1 });
    const [msg] = await send({});
    expect(fs.statSync(msg.payload as string).size).toBe(2_000_000);
    expect((msg.eo as { resumed: number }).resumed).toBeGreaterThanOrEqual(1);
    expect(filesUnder(dir)).toEqual(['2000000.bin', '2000000.bin.meta.json']);
  });

  test('msg.filename names the file inside the folder', async () => {
    await load({ operation: 'download', url: '/download/synthetic/1000.bin' });
    const [msg] = await send({ filename: 'sub/renamed.bin' });
    expect(msg.payload).toBe(path.join(dir, 'sub', 'renamed.bin'));
    expect(fs.statSync(path.join(dir, 'sub', 'renamed.bin')).size).toBe(1000);
  });

  test('a msg.filename with ".." is refused, naming the field, and nothing is written outside the folder', async () => {
    const inner = path.join(dir, 'inner');
    fs.mkdirSync(inner);
    await bed.helper.load(
      NODES,
      requestFlow(authNode(bed.emu, 'terrascope'), { operation: 'download', directory: inner, url: '/download/synthetic/1000.bin' }),
      demoCredentials('terrascope'),
    );
    const caught = await caughtError(bed.helper, { filename: '../escaped.bin', payload: 'original' });
    expect(caught.error.code).toBe('EO_PATH_NOT_ALLOWED');
    expect(caught.error.message).toContain('(field: filename)');
    expect(caught.payload).toBe('original');
    expect(filesUnder(dir)).toEqual([]);
    const absolute = await caughtError(bed.helper, { filename: path.join(dir, 'abs.bin') });
    expect(absolute.error.code).toBe('EO_PATH_NOT_ALLOWED');
    expect(filesUnder(dir)).toEqual([]);
    expect(bed.emu.counters().apiRequests).toBe(0);
  });

  test("a relative folder is resolved below Node-RED's fileWorkingDirectory, like the file nodes do", async () => {
    bed.helper.settings({ fileWorkingDirectory: dir });
    try {
      await load({ operation: 'download', url: '/download/synthetic/100.bin', directory: 'relative/data' });
      const [msg] = await send({});
      expect(msg.payload).toBe(path.join(dir, 'relative', 'data', '100.bin'));
      expect(fs.statSync(msg.payload as string).size).toBe(100);
    } finally {
      bed.helper.settings({});
    }
  });

  test('a missing folder is a configuration error naming "directory"', async () => {
    await load({ operation: 'download', url: '/download/synthetic/10.bin', directory: '' });
    const { error } = await caughtError(bed.helper, {});
    expect(error.code).toBe('EO_INVALID_CONFIG');
    expect(error.message).toContain('(field: directory)');
  });
});

describe('WorldCover tiles', () => {
  test('one message per tile with the file on disk; a second run skips every tile', async () => {
    bed.emu.configure({ worldCoverTileBytes: 50_000 });
    await load({ operation: 'worldcover', year: 2021, bbox: '' });
    const bbox = [5.5, 0.5, 6.5, 1.5];
    const msgs = await send({ payload: bbox }, 2);
    // Tiles download at once: their messages come in the order they finish.
    expect(msgs.map((m) => m.tile).sort()).toEqual(['N00E003', 'N00E006']);
    for (const m of msgs) {
      expect(fs.statSync(m.payload as string).size).toBe(50_000);
      expect(path.dirname(m.payload as string)).toBe(dir);
      expect((m.eo as { skipped: boolean }).skipped).toBe(false);
    }
    const again = await send({ payload: bbox }, 2);
    expect(again.map((m) => (m.eo as { skipped: boolean }).skipped)).toEqual([true, true]);
    expect(filesUnder(dir).filter((f) => f.endsWith('.tif'))).toHaveLength(2);
  });

  test('the configured bbox and year are used (2020 tiles)', async () => {
    bed.emu.configure({ worldCoverTileBytes: 1000 });
    await load({ operation: 'worldcover', year: '2020', bbox: '6.1, 0.5, 6.9, 1.5' });
    const [msg] = await send({ payload: 'ignored' });
    expect(msg.tile).toBe('N00E006');
    expect(path.basename(msg.payload as string)).toBe('ESA_WorldCover_10m_2020_v100_N00E006_Map.tif');
  });

  test('a tile that is not published (ocean) is skipped with a warning, the others still arrive', async () => {
    bed.emu.configure({ worldCoverTileBytes: 1000 });
    await load({ operation: 'worldcover', year: 2021, bbox: '-29.5, 0.5, -26.5, 1.5' });
    const warnings = callLog(bed.helper, 'warn');
    const [msg] = await send({});
    expect(msg.tile).toBe('N00W027');
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toEqual([expect.stringContaining('N00W030')]);
    expect(filesUnder(dir).filter((f) => f.endsWith('.tif'))).toEqual(['ESA_WorldCover_10m_2021_v200_N00W027_Map.tif']);
  });

  test('a bad bbox is reported through done(err) naming "bbox"', async () => {
    await load({ operation: 'worldcover', year: 2021, bbox: '' });
    const caught = await caughtError(bed.helper, { payload: [10, 5, 2] });
    expect(caught.error.code).toBe('EO_INVALID_CONFIG');
    expect(caught.error.message).toContain('bounding box');
    expect(caught.error.message).toContain('(field: bbox)');
    expect(caught.payload).toEqual([10, 5, 2]);
  });
});
