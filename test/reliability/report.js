/**
 * What the reliability reporter writes, as pure functions: the full table (one row per scenario,
 * every word observed) for test-artifacts/reliability/table.md, the readable summary that
 * docs/reliability.md shows, and whether a run may rewrite that page. Rows come from
 * test/reliability/scenarios.ts.
 */
const path = require('node:path');
const { tableCell } = require('../support/markdown');

/** The page a full run rewrites, and the name of its generated block. */
const DOCS_PAGE = path.resolve(__dirname, '../../docs/reliability.md');
const DOCS_BLOCK = 'reliability';
/** Set by `npm run test:reliability`, never by `npm test`: CI must not change tracked files. */
const PUBLISH_FLAG = 'EO_RELIABILITY_PUBLISH';
/** Variables that make a run smaller than the published one (the seeds only replay a run). */
const SIZE_VARIABLES = ['EO_SOAK_SECONDS', 'EO_FUZZ_COUNT'];
/** Where the summary wraps its text, so the page reads in an editor too. */
const WIDTH = 100;

/**
 * A `skipped` row could not run on this machine (e.g. no mount allowed); it is neither a pass nor a failure.
 * @typedef {{ group: string, engine: string, scenario: string, expected: string, observed: string, pass: boolean, skipped?: string }} ScenarioRow
 */

/** @param {ScenarioRow} r */
function verdictOf(r) {
  return r.skipped ? 'skipped' : r.pass ? 'yes' : '**NO**';
}

/** @param {ScenarioRow[]} rows */
function countOf(rows) {
  return { failed: rows.filter((r) => !r.pass && !r.skipped).length, skipped: rows.filter((r) => r.skipped).length };
}

/**
 * The full table: area, engine, scenario, expected, observed, ok.
 * @param {ScenarioRow[]} rows
 * @returns {string}
 */
function renderTable(rows) {
  const lines = ['| area | engine | scenario | expected | observed | ok |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const cells = [r.group, r.engine, r.scenario, r.expected, r.observed].map(tableCell);
    lines.push(`| ${cells.join(' | ')} | ${verdictOf(r)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Plain text made safe inside a markdown list: characters that would start emphasis, code or
 * HTML are escaped; underscores inside words (client_credentials) are left alone, as GitHub does.
 * @param {string} text
 */
function escapeText(text) {
  return String(text)
    .replace(/\r?\n/g, ' ')
    .replace(/([\\`*<])/g, '\\$1')
    .replace(/(^|[^\p{L}\p{N}])_|_(?=[^\p{L}\p{N}]|$)/gu, (m) => m.replace('_', '\\_'));
}

/**
 * `first` + `text`, broken at spaces into lines of at most `WIDTH` characters (a longer word keeps
 * its own line); the lines after the first are indented by `indent`.
 * @param {string} first
 * @param {string} text
 * @param {string} indent
 */
function wrapped(first, text, indent) {
  const lines = [];
  let line = first;
  for (const word of text.split(/ +/).filter(Boolean)) {
    const fresh = line === first || line === indent;
    if (!fresh && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = indent + word;
    } else {
      line = fresh ? line + word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join('\n');
}

/**
 * The readable form for docs/reliability.md: a heading per area (in the order the run met them),
 * then per scenario its engine, verdict, what was expected and what was observed.
 * @param {ScenarioRow[]} rows
 * @param {{ date: string }} run the day of the run, e.g. "2026-11-23"
 * @returns {string}
 */
function renderSummary(rows, run) {
  const { failed, skipped } = countOf(rows);
  const verdict = (failed === 0 ? 'all as expected' : `${failed} not as expected`) + (skipped ? `, ${skipped} skipped` : '');
  const out = [`Latest full run (${run.date}): ${rows.length} scenarios, ${verdict}.`];
  const groups = [...new Set(rows.map((r) => r.group))];
  for (const group of groups) {
    out.push('', `### ${escapeText(group)}`, '');
    for (const r of rows.filter((row) => row.group === group)) {
      const mark = r.skipped ? `skipped (${escapeText(r.skipped)})` : r.pass ? 'as expected' : '**not as expected**';
      out.push(wrapped('- ', `**${escapeText(r.scenario)}** (${escapeText(r.engine)}): ${mark}`, '  '));
      out.push(wrapped('  - expected: ', escapeText(r.expected), '    '));
      out.push(wrapped('  - observed: ', escapeText(r.observed), '    '));
    }
  }
  return `${out.join('\n')}\n`;
}

/**
 * Whether this run may rewrite docs/reliability.md: `npm run test:reliability` (the flag), at its
 * published size, every file of the suite run, every test run and passed. Otherwise the reason.
 * @param {{ env: Record<string, string | undefined>, suiteFiles: string[], results: {
 *   testResults: { testFilePath: string }[], numFailedTests: number, numRuntimeErrorTestSuites: number,
 *   numPendingTests: number, numTodoTests: number, wasInterrupted?: boolean } }} run
 * @returns {{ publish: true } | { publish: false, reason: string }}
 */
function publishVerdict({ env, suiteFiles, results }) {
  if (env[PUBLISH_FLAG] !== '1') return { publish: false, reason: 'only `npm run test:reliability` rewrites it' };
  const resized = SIZE_VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '');
  if (resized.length > 0) {
    return {
      publish: false,
      reason: `${resized.map((name) => `${name}=${env[name]}`).join(', ')} set; the published run uses the defaults`,
    };
  }
  const ran = new Set(results.testResults.map((r) => path.basename(r.testFilePath)));
  const missing = suiteFiles.filter((file) => !ran.has(file));
  if (missing.length > 0) return { publish: false, reason: `not every file ran (missing: ${missing.join(', ')})` };
  if (results.wasInterrupted) return { publish: false, reason: 'the run was interrupted' };
  const broken = results.numFailedTests + results.numRuntimeErrorTestSuites;
  if (broken > 0) return { publish: false, reason: `${broken} failed test(s) or test file(s)` };
  const skipped = results.numPendingTests + results.numTodoTests;
  if (skipped > 0) return { publish: false, reason: `${skipped} test(s) skipped` };
  return { publish: true };
}

module.exports = { DOCS_PAGE, DOCS_BLOCK, PUBLISH_FLAG, renderTable, renderSummary, publishVerdict, countOf };
