// Prints the reliability table (scenario → expected → observed) after jest's own summary and
// writes it to test-artifacts/reliability/: table.md in full, summary.md as docs/reliability.md
// shows it. A full `npm run test:reliability` run also rewrites that page's table
// (report.js says when); `npm test`'s shorter run never touches tracked files.
const fs = require('node:fs');
const path = require('node:path');
const { writeMarkedBlock } = require('../support/markdown');
const { DOCS_BLOCK, DOCS_PAGE, countOf, publishVerdict, renderSummary, renderTable } = require('./report');

const DIR = path.resolve(__dirname, '../../test-artifacts/reliability');
const FILE = path.join(DIR, 'scenarios.jsonl');
/** The secrets the suite used (hygiene.ts SECRETS_FILE): never printed, so every cell is redacted with them. */
const SECRETS = path.join(DIR, 'secrets', 'values.jsonl');
const TEXT_FIELDS = ['group', 'engine', 'scenario', 'expected', 'observed'];

/** Replaces each remembered secret (as is, URL-encoded, JSON-escaped) with ‹kind›, as hygiene.ts redactSecrets does. */
function redactor() {
  if (!fs.existsSync(SECRETS)) return (text) => text;
  const pairs = [];
  for (const line of fs.readFileSync(SECRETS, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const parsed = JSON.parse(line);
    const { kind, value } = typeof parsed === 'string' ? { kind: 'secret', value: parsed } : parsed;
    for (const form of new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])) pairs.push([form, `‹${kind}›`]);
  }
  return (text) => pairs.reduce((out, [form, mark]) => (out.includes(form) ? out.split(form).join(mark) : out), String(text));
}

class ReliabilityReporter {
  // Each run starts clean: its rows, the tables, the artefacts the secret sweep reads and the secrets it looks for.
  onRunStart() {
    for (const stale of [FILE, path.join(DIR, 'table.md'), path.join(DIR, 'summary.md'), path.join(DIR, 'runs'), path.join(DIR, 'secrets')])
      fs.rmSync(stale, { recursive: true, force: true });
    fs.mkdirSync(DIR, { recursive: true });
  }

  onRunComplete(_contexts, results) {
    if (!fs.existsSync(FILE)) return;
    const redact = redactor();
    const rows = fs
      .readFileSync(FILE, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .map((row) => ({ ...row, ...Object.fromEntries(TEXT_FIELDS.map((field) => [field, redact(row[field])])) }));
    const table = renderTable(rows);
    const summary = renderSummary(rows, { date: new Date().toISOString().slice(0, 10) });
    fs.writeFileSync(path.join(DIR, 'table.md'), table);
    fs.writeFileSync(path.join(DIR, 'summary.md'), summary);
    const { failed, skipped } = countOf(rows);
    const skippedNote = skipped ? `, ${skipped} skipped (could not run here)` : '';
    process.stdout.write(`\nReliability and security: ${rows.length} scenarios, ${failed} not as expected${skippedNote}\n\n${table}\n`);
    const suiteFiles = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.ts'));
    const verdict = publishVerdict({ env: process.env, suiteFiles, results });
    const page = path.relative(process.cwd(), DOCS_PAGE);
    if (verdict.publish) {
      writeMarkedBlock(DOCS_PAGE, DOCS_BLOCK, summary);
      process.stdout.write(`wrote the table of ${page} and test-artifacts/reliability/{table,summary}.md\n`);
    } else {
      process.stdout.write(`wrote test-artifacts/reliability/{table,summary}.md; ${page} left as it is: ${verdict.reason}\n`);
    }
  }
}
module.exports = ReliabilityReporter;
