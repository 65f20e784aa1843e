// Prints the reliability table (scenario → expected → observed) after jest's own summary and
// writes it as markdown for the README. Rows come from test/reliability/scenarios.ts.
const fs = require('node:fs');
const path = require('node:path');

const DIR = path.resolve(__dirname, '../../test-artifacts/reliability');
const FILE = path.join(DIR, 'scenarios.jsonl');
/** The secrets the suite used (hygiene.ts SECRETS_FILE): never printed, so every cell is redacted with them. */
const SECRETS = path.join(DIR, 'secrets', 'values.jsonl');

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

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
  // Each run starts clean: its rows, the table, the artefacts the secret sweep reads and the secrets it looks for.
  onRunStart() {
    for (const stale of [FILE, path.join(DIR, 'table.md'), path.join(DIR, 'runs'), path.join(DIR, 'secrets')])
      fs.rmSync(stale, { recursive: true, force: true });
    fs.mkdirSync(DIR, { recursive: true });
  }

  onRunComplete() {
    if (!fs.existsSync(FILE)) return;
    const redact = redactor();
    const rows = fs
      .readFileSync(FILE, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    const lines = ['| area | engine | scenario | expected | observed | ok |', '|---|---|---|---|---|---|'];
    for (const r of rows) {
      const cells = [r.group, r.engine, r.scenario, r.expected, r.observed].map((c) => cell(redact(c)));
      lines.push(`| ${cells.join(' | ')} | ${r.skipped ? 'skipped' : r.pass ? 'yes' : '**NO**'} |`);
    }
    const table = `${lines.join('\n')}\n`;
    fs.writeFileSync(path.join(DIR, 'table.md'), table);
    const failed = rows.filter((r) => !r.pass && !r.skipped).length;
    const skipped = rows.filter((r) => r.skipped).length;
    process.stdout.write(
      `\nReliability and security: ${rows.length} scenarios, ${failed} not as expected${skipped ? `, ${skipped} skipped (could not run here)` : ''}\n\n${table}\n`,
    );
  }
}
module.exports = ReliabilityReporter;
