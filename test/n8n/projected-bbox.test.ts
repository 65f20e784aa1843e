/**
 * Process and Statistics take their bounding box "in the CRS below": a box in metres (UTM) must
 * reach Sentinel Hub as typed, while a box in degrees is still checked against the globe.
 */
import { startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { emulatorCredentials, N8nHome, nodeOutput } from '../support/n8n-process';
import { processParameters, sentinelHubCall } from './workflows';

jest.setTimeout(120_000);

const UTM33 = 'http://www.opengis.net/def/crs/EPSG/0/32633';
const UTM_BOX = [414315, 4958219, 414859, 4958819];

let emu: Emulator;
let home: N8nHome;

beforeAll(async () => {
  emu = await startEmulator();
  home = await N8nHome.create();
  await home.importCredentials(emulatorCredentials(emu));
  await home.importWorkflows([
    sentinelHubCall('eoUtmProcess', 'Render', { ...processParameters(UTM_BOX.join(',')), crs: UTM33 }),
    sentinelHubCall('eoDegreesOutOfRange', 'Render', { ...processParameters('414315,4958219,414859,4958819') }),
  ]);
}, 240_000);

afterAll(async () => {
  await home?.remove();
  await emu?.close();
});

test('a UTM bounding box is sent to the Process API in its CRS', async () => {
  const result = await home.execute('eoUtmProcess');
  expect(result.code).toBe(0);
  const [item] = nodeOutput(result, 'Render');
  expect(item.json.error).toBeUndefined();
  expect(item.json.bounds).toEqual({ bbox: UTM_BOX, properties: { crs: UTM33 } });
  const sent = emu.log().find((e) => e.path === '/api/v1/process');
  expect(sent).toBeDefined();
});

test('the same numbers in degrees are refused, naming the Bounding Box', async () => {
  emu.reset();
  const result = await home.execute('eoDegreesOutOfRange');
  const [item] = nodeOutput(result, 'Render');
  expect(String(item.json.error)).toMatch(/^Bounding Box: Longitudes must be between -180 and 180/);
  expect(emu.log().some((e) => e.path === '/api/v1/process')).toBe(false);
});
