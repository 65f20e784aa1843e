/**
 * eo-request's JSON and binary operations in a real Node-RED runtime against the emulator:
 * custom requests with msg overrides, Sentinel Hub Process, Catalog paging (Sentinel Hub and
 * STAC), Statistics.
 */
import {
  authNode,
  CATALOG_SEARCH,
  demoCredentials,
  GOLDEN_PROCESS,
  nextMessages,
  NODES,
  requestFlow,
  STATISTICS_REQUEST,
  useTestBed,
  type Msg,
} from './eo-flow';

const bed = useTestBed();

async function run(
  props: Record<string, unknown>,
  msg: Msg,
  count = 1,
  provider: 'sentinel-hub' | 'terrascope' = 'sentinel-hub',
): Promise<Msg[]> {
  await bed.helper.load(NODES, requestFlow(authNode(bed.emu, provider), props), demoCredentials(provider));
  const out = nextMessages(bed.helper, 'out', count);
  bed.helper.getNode('req')?.receive(msg);
  return out;
}

describe('custom request', () => {
  test('POSTs msg.payload to a path relative to the base URL and answers parsed JSON', async () => {
    const [msg] = await run(
      { operation: 'request', method: 'POST', url: '/api/v1/catalog/1.0.0/search', output: 'auto' },
      { payload: { ...CATALOG_SEARCH, limit: 5 }, keep: 'me' },
    );
    expect(msg.statusCode).toBe(200);
    expect((msg.payload as { features: unknown[] }).features).toHaveLength(5);
    expect(msg.responseUrl).toBe(`${bed.emu.url}/api/v1/catalog/1.0.0/search`);
    expect(String((msg.headers as Record<string, string>)['content-type'])).toMatch(/json/);
    expect(msg.eo).toEqual(expect.objectContaining({ attempts: 1 }));
    expect(msg.keep).toBe('me');
  });

  test('takes method, URL and headers from msg when the node leaves them open; node headers win', async () => {
    const [msg] = await run(
      { operation: 'request', method: 'use', url: '', output: 'text', headers: [{ name: 'X-Trace', value: 'from-node' }] },
      {
        method: 'post',
        url: '/api/v1/catalog/1.0.0/search',
        headers: { 'x-trace': 'from-msg', 'x-extra': 'kept' },
        payload: { ...CATALOG_SEARCH, limit: 1 },
      },
    );
    expect(typeof msg.payload).toBe('string');
    expect(JSON.parse(msg.payload as string).features).toHaveLength(1);
    const sent = bed.emu.log().find((e) => e.path === '/api/v1/catalog/1.0.0/search');
    expect(sent?.method).toBe('POST');
    expect(sent?.headers['x-trace']).toBe('from-node');
    expect(sent?.headers['x-extra']).toBe('kept');
  });

  test('the configured URL wins over msg.url', async () => {
    const [msg] = await run(
      { operation: 'request', method: 'POST', url: '/api/v1/catalog/1.0.0/search', output: 'json' },
      { url: '/elsewhere', payload: { ...CATALOG_SEARCH, limit: 1 } },
    );
    expect(msg.statusCode).toBe(200);
    expect(bed.emu.log().some((e) => e.path === '/elsewhere')).toBe(false);
  });

  test('buffer output gives the raw bytes', async () => {
    const [msg] = await run(
      { operation: 'request', method: 'GET', url: '/download/synthetic/1000.bin', output: 'buffer' },
      {},
      1,
      'terrascope',
    );
    expect(Buffer.isBuffer(msg.payload)).toBe(true);
    expect((msg.payload as Buffer).length).toBe(1000);
    expect((msg.eo as { bytes: number }).bytes).toBe(1000);
  });
});

describe('Sentinel Hub Process', () => {
  test('answers a GeoTIFF Buffer and reports the processing units', async () => {
    const [msg] = await run({ operation: 'process', accept: 'image/tiff', output: 'auto' }, { payload: GOLDEN_PROCESS });
    const tiff = msg.payload as Buffer;
    expect(Buffer.isBuffer(tiff)).toBe(true);
    expect(tiff.subarray(0, 2).toString('latin1')).toMatch(/^(II|MM)$/);
    expect((msg.eo as { processingUnits: number }).processingUnits).toBeGreaterThan(0);
    expect(Number((msg.headers as Record<string, string>)['x-processingunits-spent'])).toBe(
      (msg.eo as { processingUnits: number }).processingUnits,
    );
    const sent = bed.emu.log().find((e) => e.path === '/api/v1/process');
    expect(sent?.method).toBe('POST');
    expect(sent?.headers.accept).toBe('image/tiff');
  });

  test('PNG when Accept says so', async () => {
    const [msg] = await run(
      { operation: 'process', accept: 'image/png' },
      { payload: { ...GOLDEN_PROCESS, output: { width: 20, height: 10 } } },
    );
    expect((msg.payload as Buffer).subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});

describe('Catalog search', () => {
  test('follows next pages and collects all 23 features in one message', async () => {
    const [msg] = await run({ operation: 'catalog', catalogLimit: 100, catalogSplit: false }, { payload: CATALOG_SEARCH });
    const payload = msg.payload as { type: string; features: { id: string }[] };
    expect(payload.type).toBe('FeatureCollection');
    expect(payload.features).toHaveLength(23);
    expect(new Set(payload.features.map((f) => f.id)).size).toBe(23);
    expect((msg.eo as { pages: number }).pages).toBe(3);
    expect(bed.emu.log().filter((e) => e.path === '/api/v1/catalog/1.0.0/search')).toHaveLength(3);
  });

  test('stops at catalogLimit and says where the search would continue', async () => {
    const [msg] = await run({ operation: 'catalog', catalogLimit: 15 }, { payload: CATALOG_SEARCH });
    expect((msg.payload as { features: unknown[] }).features).toHaveLength(15);
    expect((msg.eo as { next?: unknown }).next).toBeDefined();
  });

  test('one message per feature, with msg.parts for a join node', async () => {
    const msgs = await run({ operation: 'catalog', catalogLimit: 100, catalogSplit: true }, { payload: CATALOG_SEARCH }, 23);
    expect(msgs.map((m) => (m.parts as { index: number }).index)).toEqual([...Array(23).keys()]);
    expect(msgs.every((m) => (m.parts as { count: number }).count === 23)).toBe(true);
    expect(msgs.every((m) => (m.payload as { type: string }).type === 'Feature')).toBe(true);
  });

  test('a STAC /search URL on an allowed origin is paged through its next links', async () => {
    const body = { collections: ['urn:eop:VITO:ESA_WorldCover_10m_2021_V2'], bbox: [0, 0, 12, 6], limit: 2 };
    const [msg] = await run(
      { operation: 'catalog', url: bed.emu.endpoints.terrascope.stacUrl + '/search', catalogLimit: 100 },
      { payload: body },
      1,
      'terrascope',
    );
    const features = (msg.payload as { features: { id: string }[] }).features;
    expect(features.length).toBeGreaterThan(2);
    expect((msg.eo as { pages: number }).pages).toBe(Math.ceil(features.length / 2));
  });
});

describe('Statistics', () => {
  test('POSTs the request and answers the statistics per interval', async () => {
    const [msg] = await run({ operation: 'statistics' }, { payload: STATISTICS_REQUEST });
    const data = (msg.payload as { data: { interval: { from: string } }[] }).data;
    expect(data).toHaveLength(3);
    expect(data[0].interval.from).toBe('2023-06-01T00:00:00Z');
    expect(bed.emu.log().some((e) => e.method === 'POST' && e.path === '/api/v1/statistics')).toBe(true);
  });
});
