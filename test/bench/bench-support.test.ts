/**
 * The parts of `npm run bench` that turn observations into figures: which OAuth client a request
 * in the emulator's log belongs to, percentiles, the markdown tables (a missed goal or a crashed
 * section must show as such), and where a run writes them (only a full run touches tracked files).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PERFORMANCE_PAGE, writeBenchResults } from '../../bench/publish';
import { renderMarkdown, renderSummary, type BenchResults } from '../../bench/report';
import { fetchToken } from '../../bench/support/bench-nodes';
import { completeLog, countsFor } from '../../bench/support/emulator-log';
import { statusIn } from '../../bench/support/status';
import { percentile, shareOfGap } from '../../bench/support/stats';
import { defaultConfig } from '../emulator/state';
import type { Emulator } from '../emulator/types';
import { useEmulator } from '../support/fixtures';
import { tempDir } from '../support/paths';

let emu: Emulator;
useEmulator((started) => (emu = started));

function token(clientId: string): Promise<string> {
  const { tokenUrl, baseUrl } = emu.endpoints.sentinelHub;
  return fetchToken({ tokenUrl, baseUrl, clientId, clientSecret: `${clientId}-secret` });
}

async function get(bearer: string): Promise<number> {
  const res = await fetch(`${emu.endpoints.sentinelHub.baseUrl}/api/v2/batch/process`, { headers: { authorization: `Bearer ${bearer}` } });
  await res.arrayBuffer();
  return res.status;
}

test('token requests, API calls and 401s are told apart per OAuth client', async () => {
  emu.configure({
    clients: [
      ...defaultConfig().clients,
      { clientId: 'peer-a', clientSecret: 'peer-a-secret' },
      { clientId: 'peer-b', clientSecret: 'peer-b-secret' },
    ],
  });
  const a = await token('peer-a');
  const b = await token('peer-b');
  await token('peer-b');
  expect(await get(a)).toBe(200);
  expect(await get(a)).toBe(200);
  expect(await get(b)).toBe(200);
  emu.configure({ accessTokenLifetimeS: { ...defaultConfig().accessTokenLifetimeS, main: 0 } });
  const expired = await token('peer-b');
  expect(await get(expired)).toBe(401);
  const log = emu.log();
  const apiTimes = (bearers: string[]) =>
    log.filter((e) => bearers.includes(String(e.headers.authorization).slice('Bearer '.length))).map((e) => e.time);
  const span = (times: number[]) => (Math.max(...times) - Math.min(...times)) / 1000;
  expect(countsFor(log, 'peer-a')).toEqual({ tokenRequests: 1, apiRequests: 2, api401: 0, apiSpanS: span(apiTimes([a])) });
  expect(countsFor(log, 'peer-b')).toEqual({ tokenRequests: 3, apiRequests: 2, api401: 1, apiSpanS: span(apiTimes([b, expired])) });
  // A window counts only what came within that many seconds of the client's first request.
  const late = log.filter((e) => e.form?.client_id === 'peer-b').at(-1);
  const shifted = log.map((e) => (e === late ? { ...e, time: e.time + 60_000 } : e));
  expect(countsFor(shifted, 'peer-b', 30).tokenRequests).toBe(2);
  expect(countsFor(shifted, 'peer-b').tokenRequests).toBe(3);
});

test("a log that reached the emulator's limit is refused, not counted", () => {
  const log = emu.log();
  expect(completeLog(log, log.length + 1)).toBe(log);
  expect(() => completeLog(log, log.length)).toThrow(/reached its limit/);
});

test('the status a failure names', () => {
  expect(statusIn('Request failed with status code 401')).toBe('401');
  expect(statusIn('upstream answered 503 Service Unavailable')).toBe('503');
  expect(statusIn('connect ECONNREFUSED 127.0.0.1:4010')).toBe('error');
  expect(statusIn('took 1401 ms', 'ETIMEDOUT')).toBe('ETIMEDOUT');
});

test('percentiles by nearest rank', () => {
  const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  expect(percentile(values, 50)).toBe(5);
  expect(percentile(values, 99)).toBe(10);
  expect(percentile(values, 10)).toBe(1);
  expect(percentile([], 50)).toBeNaN();
});

test("the share of ours's gap to a reference that another peer shows too", () => {
  expect(shareOfGap(0.7, 0.85)).toBeCloseTo(0.5);
  expect(shareOfGap(0.7, 0.7)).toBeCloseTo(1);
  expect(shareOfGap(0.8, 1.04)).toBeCloseTo(-0.2);
  expect(shareOfGap(1, 0.9)).toBeUndefined();
  expect(shareOfGap(1.1, 0.9)).toBeUndefined();
});

function sampleResults(): BenchResults {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    quick: false,
    totalSeconds: 12,
    machine: { cpus: 2, cpuModel: 'test CPU', node: '24.0.0', nodeRed: '5.0.0', n8n: '2.41.1', platform: 'linux' },
    outcomes: [
      {
        name: 'overhead',
        seconds: 5,
        sections: [
          {
            title: '2. Request overhead',
            setup: 'setup line',
            rows: [
              { metric: 'throughput', ours: 80, peer: 100, peerName: 'raw undici', unit: 'req/s', ratio: 0.8, goal: '≥ 0.9×', met: false },
              { metric: 'p50', ours: 1, peer: 1, unit: 'ms', ratio: 1, goal: '≥ 0.9×', met: true },
            ],
          },
        ],
      },
      { name: 'tokens', seconds: 3, sections: [], error: 'Error: boom' },
    ],
  };
}

test('the table marks a missed goal and a crashed section', () => {
  const md = renderMarkdown(sampleResults());
  expect(md).toContain('| throughput | 80 req/s | 100 req/s (raw undici) | 0.8× | ≥ 0.9× | **no** |');
  expect(md).toContain('| p50 | 1 ms | 1 ms | 1× | ≥ 0.9× | yes |');
  expect(md).toContain('\nsetup line\n');
  expect(md).toContain('Run time per section: overhead 5 s, tokens 3 s.');
  expect(md).toContain('## tokens');
  expect(md).toContain('Failed after 3 s: Error: boom');
  expect(md).toContain('2 × test CPU');
});

test('the summary for docs/performance.md: a table per section, a missed goal and a crashed section marked', () => {
  const md = renderSummary(sampleResults(), true);
  expect(md).toMatch(/^Latest full run \(2026-01-01, 12 s; 2 × test CPU, Node 24\.0\.0, Node-RED 5\.0\.0, n8n 2\.41\.1\)\.\n/);
  expect(md).toContain('[`bench/results.md`](../bench/results.md)');
  expect(md).toContain('\n### 2. Request overhead\n\n| metric | ours | peer | ratio | goal | met |\n');
  expect(md).toContain('| throughput | 80 req/s | 100 req/s (raw undici) | 0.8× | ≥ 0.9× | **no** |\n');
  expect(md).toContain('| p50 | 1 ms | 1 ms | 1× | ≥ 0.9× | yes |\n');
  expect(md).toContain('\n### tokens\n\nFailed after 3 s: Error: boom');
  expect(renderSummary({ ...sampleResults(), quick: true }, false)).toMatch(
    /^Run with --quick, not published .*\n.*`results\.md` beside this file/,
  );
});

describe('where a run writes its results', () => {
  const page = [
    '# Performance',
    '',
    'By hand.',
    '',
    '<!-- bench:begin -->',
    'old table',
    '<!-- bench:end -->',
    '',
    'Notes by hand.',
    '',
  ].join('\n');
  let root: string;
  beforeEach(() => {
    root = tempDir('eo-bench-publish');
    fs.mkdirSync(path.join(root, 'docs'));
    fs.writeFileSync(path.join(root, PERFORMANCE_PAGE), page);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a full run: bench/results.* and the table in docs/performance.md, the rest of the page kept', () => {
    const written = writeBenchResults(sampleResults(), root, true);
    expect(written).toEqual([path.join('bench', 'results.json'), path.join('bench', 'results.md'), PERFORMANCE_PAGE]);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'bench', 'results.json'), 'utf8'))).toEqual(sampleResults());
    const updated = fs.readFileSync(path.join(root, PERFORMANCE_PAGE), 'utf8');
    expect(updated).toBe(page.replace('old table', renderSummary(sampleResults(), true).trim()));
    expect(fs.existsSync(path.join(root, 'test-artifacts'))).toBe(false);
  });

  test('any other run: test-artifacts/bench/ only, the page untouched', () => {
    const written = writeBenchResults({ ...sampleResults(), quick: true }, root, false);
    const out = path.join('test-artifacts', 'bench');
    expect(written).toEqual([path.join(out, 'results.json'), path.join(out, 'results.md'), path.join(out, 'summary.md')]);
    expect(fs.readFileSync(path.join(root, out, 'summary.md'), 'utf8')).toMatch(/^Run with --quick, not published/);
    expect(fs.readFileSync(path.join(root, PERFORMANCE_PAGE), 'utf8')).toBe(page);
    expect(fs.existsSync(path.join(root, 'bench'))).toBe(false);
  });

  test('a page without its markers: the results are kept and the error names the page', () => {
    fs.writeFileSync(path.join(root, PERFORMANCE_PAGE), '# Performance\n');
    expect(() => writeBenchResults(sampleResults(), root, true)).toThrow(/docs\/performance\.md: expected one "<!-- bench:begin -->"/);
    expect(fs.existsSync(path.join(root, 'bench', 'results.json'))).toBe(true);
  });
});
