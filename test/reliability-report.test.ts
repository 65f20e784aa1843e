/**
 * What the reliability reporter writes (test/reliability/report.js): the full table, the readable
 * summary docs/reliability.md shows, and the rule that only a full, green `npm run
 * test:reliability` may rewrite that page. Here rather than under test/reliability/, whose files
 * are the slow suite with its own run.
 */
import { publishVerdict, renderSummary, renderTable } from './reliability/report';

const ROWS = [
  {
    group: 'API',
    engine: 'Node-RED',
    scenario: '429, Retry-After: 1200 (ms)',
    expected: 'waits ≥ 1200 ms',
    observed: '2 calls | 2nd after 1203 ms',
    pass: true,
  },
  {
    group: 'Admin permissions',
    engine: 'Node-RED',
    scenario: 'user with "*": Test connection',
    expected: '200 ok',
    observed: '200 ok',
    pass: true,
  },
  {
    group: 'API',
    engine: 'n8n',
    scenario: 'reset on every attempt (download), Continue On Fail on',
    expected: 'item 1: {"error": …} naming EO_DOWNLOAD_INCOMPLETE; item 2 OK',
    observed:
      'item 1: error EO_DOWNLOAD_INCOMPLETE "The download of http://localhost/download/synthetic/300000.bin stopped at 150000 of ' +
      '300000 bytes after 5 resumes; the file was not created. The next execution starts it over."; item 2: 4096 bytes; ' +
      'token requests 1 (client_credentials 1); _private_ kept, client_credentials in a word',
    pass: false,
  },
];

test('the full table: one row per scenario, pipes escaped, a miss in bold', () => {
  const table = renderTable(ROWS).split('\n');
  expect(table[0]).toBe('| area | engine | scenario | expected | observed | ok |');
  expect(table[2]).toBe('| API | Node-RED | 429, Retry-After: 1200 (ms) | waits ≥ 1200 ms | 2 calls \\| 2nd after 1203 ms | yes |');
  expect(table[4]).toMatch(/ \| \*\*NO\*\* \|$/);
  expect(table).toHaveLength(ROWS.length + 3);
});

test('the summary: a heading per area in the order met, every scenario with its verdict, lines kept short', () => {
  const summary = renderSummary(ROWS, { date: '2026-11-23' });
  const lines = summary.trimEnd().split('\n');
  expect(lines[0]).toBe('Latest full run (2026-11-23): 3 scenarios, 1 not as expected.');
  expect(lines.filter((l) => l.startsWith('### '))).toEqual(['### API', '### Admin permissions']);
  expect(summary).toContain('- **429, Retry-After: 1200 (ms)** (Node-RED): as expected\n  - expected: waits ≥ 1200 ms\n');
  expect(summary).toContain('- **user with "\\*": Test connection** (Node-RED): as expected');
  expect(summary).toContain('(n8n): **not as expected**');
  expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
  // Wrapping loses no word: the observed text reads back whole, with only markdown escapes added.
  // (API's rows come first, so the n8n row is the second scenario; its text ends at the next heading.)
  const observed = summary.split('  - observed: ')[2].split('\n\n')[0];
  const unwrapped = observed
    .replace(/\n {4}/g, ' ')
    .trim()
    .replace(/\\([_*])/g, '$1');
  expect(unwrapped).toBe(ROWS[2].observed);
  expect(observed).toContain('\\_private\\_ kept, client_credentials in a word');
});

describe('only a full, green `npm run test:reliability` rewrites docs/reliability.md', () => {
  const suiteFiles = ['faults-api.test.ts', 'soak.test.ts', 'secrets-sweep.test.ts'];
  const ran = (files: string[]) => files.map((f) => ({ testFilePath: `/repo/test/reliability/${f}` }));
  const green = { testResults: ran(suiteFiles), numFailedTests: 0, numRuntimeErrorTestSuites: 0, numPendingTests: 0, numTodoTests: 0 };
  const env = { EO_RELIABILITY_PUBLISH: '1' };

  test('a full, green run publishes', () => {
    expect(publishVerdict({ env, suiteFiles, results: green })).toEqual({ publish: true });
  });

  test('npm test (no flag, a 2-minute soak) does not', () => {
    expect(publishVerdict({ env: { EO_SOAK_SECONDS: '120' }, suiteFiles, results: green })).toMatchObject({
      publish: false,
      reason: expect.stringMatching(/npm run test:reliability/),
    });
  });

  test.each([
    ['a shorter soak', { env: { ...env, EO_SOAK_SECONDS: '60' } }, /EO_SOAK_SECONDS=60/],
    ['fewer fuzzed messages', { env: { ...env, EO_FUZZ_COUNT: '100' } }, /EO_FUZZ_COUNT=100/],
    [
      'one file only',
      { results: { ...green, testResults: ran(['soak.test.ts']) } },
      /missing: faults-api\.test\.ts, secrets-sweep\.test\.ts/,
    ],
    ['a failed test', { results: { ...green, numFailedTests: 1 } }, /1 failed/],
    ['a file that did not load', { results: { ...green, numRuntimeErrorTestSuites: 1 } }, /1 failed/],
    ['a test left out by -t', { results: { ...green, numPendingTests: 2 } }, /2 test\(s\) skipped/],
    ['an interrupted run', { results: { ...green, wasInterrupted: true } }, /interrupted/],
  ])('%s does not, and says why', (_what, change, reason) => {
    expect(publishVerdict({ env, suiteFiles, results: green, ...change })).toEqual({
      publish: false,
      reason: expect.stringMatching(reason),
    });
  });

  test('a seed only replays a run, so it still publishes', () => {
    expect(publishVerdict({ env: { ...env, EO_SOAK_SEED: '7', EO_FUZZ_SEED: '8' }, suiteFiles, results: green })).toEqual({
      publish: true,
    });
  });
});
