/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY: the core's default dispatcher is read from the
 * environment, so token requests and API calls go through a corporate proxy without any setting
 * in the flow. Each case loads the core afresh so the dispatcher is built from that case's env.
 */
import { startEmulator } from '../../emulator/server';
import type { Emulator } from '../../emulator/types';
import { startConnectProxy, type TestProxy } from '../../support/connect-proxy';
import type * as Core from '../../../nodes/core/index';

let emu: Emulator;
let proxy: TestProxy;
const savedEnv = { ...process.env };

beforeAll(async () => {
  emu = await startEmulator();
  proxy = await startConnectProxy();
});
afterAll(async () => {
  await Promise.all([emu.close(), proxy.close()]);
});
afterEach(() => {
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  proxy.targets.length = 0;
  emu.reset();
});

function freshCore(): typeof Core {
  let core: typeof Core | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a second copy of the module needs require inside isolateModules
    core = require('../../../nodes/core/index') as typeof Core;
  });
  return core as typeof Core;
}

async function fetchCatalogPage(core: typeof Core): Promise<number> {
  const connection = core.resolveConnection({
    provider: 'sentinel-hub',
    tokenUrl: emu.endpoints.sentinelHub.tokenUrl,
    baseUrl: emu.endpoints.sentinelHub.baseUrl,
    clientId: 'demo-client',
    clientSecret: 'demo-secret',
  });
  const res = await core.eoRequest({
    connection,
    tokens: new core.TokenCache().provider(connection),
    method: 'POST',
    url: core.SENTINEL_HUB_PATHS.catalogSearch,
    body: { collections: ['sentinel-2-l2a'], limit: 2 },
  });
  return res.statusCode;
}

test('with HTTP_PROXY set, the token request and the API call both go through the proxy', async () => {
  process.env.HTTP_PROXY = proxy.url;
  delete process.env.NO_PROXY;
  delete process.env.no_proxy;
  expect(await fetchCatalogPage(freshCore())).toBe(200);
  const emulatorHost = new URL(emu.url).host;
  expect(proxy.targets.length).toBeGreaterThanOrEqual(1);
  expect(proxy.targets.every((target) => target === emulatorHost)).toBe(true);
  expect(emu.counters().tokenRequests.total).toBe(1);
});

test('NO_PROXY exempts the host: nothing reaches the proxy', async () => {
  process.env.HTTP_PROXY = proxy.url;
  process.env.NO_PROXY = '127.0.0.1';
  expect(await fetchCatalogPage(freshCore())).toBe(200);
  expect(proxy.targets).toEqual([]);
  expect(emu.counters().apiRequests).toBe(1);
});
