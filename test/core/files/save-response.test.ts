/**
 * saveResponseToFile replaces a file only with a complete answer: a cut answer to a request for
 * a name that already exists leaves the earlier file as it was and nothing that looks complete.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FaultScript, Emulator } from '../../emulator/types';
import { saveResponseToFile, type SaveResponseOptions } from '../../../nodes/core/files/save-response';
import { TokenCache } from '../../../nodes/core/auth/token-cache';
import { emulatorConnection, expectEoError, useEmulator } from '../../support/fixtures';

const PROCESS_BODY = {
  input: {
    bounds: { bbox: [414315, 4958219, 414859, 4958819], properties: { crs: 'http://www.opengis.net/def/crs/EPSG/0/32633' } },
    data: [{ type: 'sentinel-2-l2a', dataFilter: { timeRange: { from: '2023-06-01T00:00:00Z', to: '2023-06-30T00:00:00Z' } } }],
  },
  output: { resx: 10, resy: 10 },
  evalscript:
    '//VERSION=3\nfunction setup() { return { input: ["B04"], output: { bands: 1 } }; }\nfunction evaluatePixel(s) { return [s.B04]; }',
};

let emu: Emulator;
let dir: string;
useEmulator((e) => (emu = e));
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'eo-save-response-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function processToFile(filename: string): SaveResponseOptions {
  const connection = emulatorConnection(emu, 'sentinel-hub');
  return {
    connection,
    tokens: new TokenCache().provider(connection),
    method: 'POST',
    url: '/api/v1/process',
    body: PROCESS_BODY,
    headers: { accept: 'image/tiff' },
    directory: dir,
    filename,
  };
}

test.each<[string, Omit<FaultScript, 'route'>]>([
  ['ends early', { shortBodyBytes: 100 }],
  ['breaks off', { resetAfterBytes: 100 }],
])('an answer that %s keeps the earlier file with that name as it was', async (_, fault) => {
  const first = await saveResponseToFile(processToFile('cut.tif'));
  const firstBytes = readFileSync(first.path);
  expect(first.bytes).toBeGreaterThan(100);
  expect(firstBytes.length).toBe(first.bytes);

  emu.fault({ route: '^POST /api/v1/process$', ...fault });
  await expectEoError(saveResponseToFile(processToFile('cut.tif')), 'EO_DOWNLOAD_INCOMPLETE');

  expect(readdirSync(dir)).toEqual(['cut.tif']);
  expect(readFileSync(path.join(dir, 'cut.tif')).equals(firstBytes)).toBe(true);
});
