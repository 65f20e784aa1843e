/**
 * What reaches eo-request from upstream nodes: the msg.headers of an http-in request or of an
 * earlier answer, a WorldCover message without a year, and what a close leaves behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authNode, CATALOG_SEARCH, caughtError, demoCredentials, nextMessages, NODES, requestFlow, useTestBed, type Msg } from './eo-flow';

const bed = useTestBed();
const SEARCH_PATH = '/api/v1/catalog/1.0.0/search';

/** A custom request that POSTs msg.payload to the Catalog search and answers JSON. */
async function loadSearchRequest(): Promise<void> {
  const flow = requestFlow(authNode(bed.emu), { operation: 'request', method: 'POST', url: SEARCH_PATH, output: 'json' });
  await bed.helper.load(NODES, flow, demoCredentials());
}

/** The Catalog searches the emulator received, oldest first. */
function searchesSent() {
  return bed.emu.log().filter((e) => e.path === SEARCH_PATH);
}

async function sendAndWait(msg: Msg): Promise<{ ok?: Msg; error?: { message: string; code?: string } }> {
  const out = nextMessages(bed.helper, 'out');
  const caught = nextMessages(bed.helper, 'caught');
  bed.helper.getNode('req')?.receive(msg);
  return Promise.race([
    out.then(([ok]) => ({ ok })),
    caught.then(([c]) => ({ error: (c as { error: { message: string; code?: string } }).error })),
  ]);
}

describe('msg.headers from upstream', () => {
  test('an answer passed on to the next custom request: its headers are not sent again', async () => {
    await loadSearchRequest();
    const first = await sendAndWait({ payload: { ...CATALOG_SEARCH, limit: 1 } });
    expect(first.ok?.statusCode).toBe(200);
    // The answer's own framing headers, which would make the next request invalid if sent.
    expect(Object.keys(first.ok?.headers as object)).toEqual(expect.arrayContaining(['content-length', 'connection']));

    const second = await sendAndWait({ ...first.ok, payload: { ...CATALOG_SEARCH, limit: 2 } });
    expect(second.error).toBeUndefined();
    expect((second.ok?.payload as { features: unknown[] }).features).toHaveLength(2);
    const sent = searchesSent().at(-1);
    expect(sent?.headers['content-type']).toMatch(/json/);
    expect(sent?.headers['x-eo-request-node']).toBeUndefined();
  });

  test('edited headers of an answer are sent, without its connection and length headers', async () => {
    await loadSearchRequest();
    const first = await sendAndWait({ payload: { ...CATALOG_SEARCH, limit: 1 } });
    const headers = { ...(first.ok?.headers as Record<string, string>), 'x-trace': 'edited' };
    const second = await sendAndWait({ payload: { ...CATALOG_SEARCH, limit: 1 }, headers });
    expect(second.error).toBeUndefined();
    const sent = searchesSent().at(-1);
    expect(sent?.headers['x-trace']).toBe('edited');
  });

  test('the headers of an http-in request (host, connection, length, cookie) are not forwarded', async () => {
    await loadSearchRequest();
    const incoming = {
      host: 'localhost:1880',
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'content-length': '17',
      'transfer-encoding': 'chunked',
      cookie: 'dashboard-session=abc',
      'x-request-id': 'r-1',
    };
    const result = await sendAndWait({ payload: { ...CATALOG_SEARCH, limit: 1 }, headers: incoming });
    expect(result.error).toBeUndefined();
    expect(result.ok?.statusCode).toBe(200);
    const sent = searchesSent().at(-1);
    expect(sent?.headers['x-request-id']).toBe('r-1');
    expect(sent?.headers.cookie).toBeUndefined();
    expect(sent?.headers.host).not.toBe('localhost:1880');
  });
});

describe('headers that cannot be sent', () => {
  test('a header name with a space in the node names "headers", before any request', async () => {
    await bed.helper.load(
      NODES,
      requestFlow(authNode(bed.emu), { operation: 'catalog', headers: [{ name: 'X Trace', value: '1' }] }),
      demoCredentials(),
    );
    const caught = await caughtError(bed.helper, { payload: CATALOG_SEARCH });
    expect(caught.error.code).toBe('EO_INVALID_CONFIG');
    expect(caught.error.message).toContain('"x trace"');
    expect(caught.error.message).toContain('(field: headers)');
    expect(bed.emu.log()).toEqual([]);
  });

  test('a line break in a msg.headers value names "headers" and injects nothing', async () => {
    await loadSearchRequest();
    const caught = await caughtError(bed.helper, { payload: CATALOG_SEARCH, headers: { 'x-trace': 'a\r\nx-injected: 1' } });
    expect(caught.error.code).toBe('EO_INVALID_CONFIG');
    expect(caught.error.message).toContain('(field: headers)');
    expect(searchesSent()).toEqual([]);
  });
});

describe('WorldCover year', () => {
  /** WorldCover tiles of one small area into `dir`, the node's year left empty. */
  async function loadWorldCoverWithoutYear(dir: string): Promise<void> {
    bed.emu.configure({ worldCoverTileBytes: 1000 });
    const flow = requestFlow(authNode(bed.emu, 'terrascope'), {
      operation: 'worldcover',
      year: '',
      bbox: '6.1,0.5,6.9,1.5',
      directory: dir,
    });
    await bed.helper.load(NODES, flow, demoCredentials('terrascope'));
  }

  test('an empty year property and no msg.year mean 2021, the default of the node', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-nr-year-'));
    try {
      await loadWorldCoverWithoutYear(dir);
      const result = await sendAndWait({});
      expect(result.error).toBeUndefined();
      expect(path.basename(result.ok?.payload as string)).toBe('ESA_WorldCover_10m_2021_v200_N00E006_Map.tif');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('msg.year is used when the property is empty, and a wrong one names "year"', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-nr-year-'));
    try {
      await loadWorldCoverWithoutYear(dir);
      const ok = await sendAndWait({ year: 2020 });
      expect(path.basename(ok.ok?.payload as string)).toBe('ESA_WorldCover_10m_2020_v100_N00E006_Map.tif');
      const caught = await caughtError(bed.helper, { year: 2019 });
      expect(caught.error.message).toContain('(field: year)');
      expect(caught.error.message).toContain('2019');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('a close leaves no timer of the node behind', async () => {
  bed.emu.fault({ route: '/download/', hang: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-nr-close-'));
  const realSetTimeout = global.setTimeout;
  const created: NodeJS.Timeout[] = [];
  try {
    await bed.helper.load(
      NODES,
      requestFlow(authNode(bed.emu, 'terrascope'), { operation: 'download', url: '/download/synthetic/5000.bin', directory: dir }),
      demoCredentials('terrascope'),
    );
    bed.helper.getNode('req')?.receive({});
    while (!bed.emu.log().some((e) => e.path.startsWith('/download/'))) await new Promise((resolve) => realSetTimeout(resolve, 5));
    // Every timer started while the node closes is recorded, to see which are still pending after.
    global.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      const timer = realSetTimeout(...args);
      created.push(timer);
      return timer;
    }) as typeof setTimeout;
    await bed.helper.unload();
  } finally {
    global.setTimeout = realSetTimeout;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const pendingLong = created.filter(
    (t) => !(t as unknown as { _destroyed: boolean })._destroyed && (t as unknown as { _idleTimeout: number })._idleTimeout >= 1000,
  );
  expect(pendingLong).toEqual([]);
});
