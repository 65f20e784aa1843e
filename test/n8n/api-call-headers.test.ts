/**
 * "Custom API Call" headers typed as JSON: a name that HTTP cannot carry is reported naming the
 * field, and a typed Authorization never travels next to (or instead of) the connection's token.
 */
import { startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { emulatorCredentials, N8nHome, nodeOutput } from '../support/n8n-process';
import { sentinelHubCall } from './workflows';

jest.setTimeout(120_000);

let emu: Emulator;
let home: N8nHome;

function apiCall(id: string, headersJson: string) {
  return sentinelHubCall(id, 'Call', {
    resource: 'sentinelHub',
    operation: 'apiCall',
    method: 'POST',
    url: '/api/v1/catalog/1.0.0/search',
    bodyJson: '{"collections":["sentinel-2-l2a"],"limit":1}',
    headersJson,
    responseFormat: 'json',
  });
}

beforeAll(async () => {
  emu = await startEmulator();
  home = await N8nHome.create();
  await home.importCredentials(emulatorCredentials(emu));
  await home.importWorkflows([
    apiCall('eoBadHeaderName', '{"X Trace": "1"}'),
    apiCall('eoTypedAuthorization', '{"Authorization": "Basic bm90OnVzZWQ=", "X-Trace": "t-1"}'),
  ]);
}, 240_000);

afterAll(async () => {
  await home?.remove();
  await emu?.close();
});

beforeEach(() => emu.reset());

test('a header name with a space fails the item naming "Headers (JSON)", before any request', async () => {
  const result = await home.execute('eoBadHeaderName');
  const [item] = nodeOutput(result, 'Call');
  expect(String(item.json.error)).toBe('Headers (JSON): "X Trace" is not a header name (letters, digits and - only, no spaces).');
  expect(emu.log().some((e) => e.path === '/api/v1/catalog/1.0.0/search')).toBe(false);
});

test("a typed Authorization is dropped: the API sees the connection's bearer token and the other headers", async () => {
  const result = await home.execute('eoTypedAuthorization');
  const [item] = nodeOutput(result, 'Call');
  expect(item.json.error).toBeUndefined();
  expect(item.json.statusCode).toBe(200);
  const sent = emu.log().find((e) => e.path === '/api/v1/catalog/1.0.0/search');
  expect(String(sent?.headers.authorization)).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  expect(sent?.headers['x-trace']).toBe('t-1');
});
