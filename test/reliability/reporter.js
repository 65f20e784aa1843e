// Prints the reliability table (scenario → expected → observed) after jest's own summary and
// writes it as markdown for the README. Rows come from test/reliability/scenarios.ts.
const fs = require('node:fs');
const path = require('node:path');

const DIR = path.resolve(__dirname, '../../test-artifacts/reliability');
const FILE = path.join(DIR, 'scenarios.jsonl');

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

class ReliabilityReporter {
  // Each run starts clean: its rows, the artefacts the secret sweep reads and the secrets it looks for.
  onRunStart() {
    for (const stale of [FILE, path.join(DIR, 'runs'), path.join(DIR, 'secrets')]) fs.rmSync(stale, { recursive: true, force: true });
    fs.mkdirSync(DIR, { recursive: true });
  }

  onRunComplete() {
    if (!fs.existsSync(FILE)) return;
    const rows = fs.readFileSync(FILE, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
    const lines = ['| area | engine | scenario | expected | observed | ok |', '|---|---|---|---|---|---|'];
    for (const r of rows) lines.push(`| ${cell(r.group)} | ${cell(r.engine)} | ${cell(r.scenario)} | ${cell(r.expected)} | ${cell(r.observed)} | ${r.pass ? 'yes' : '**NO**'} |`);
    const table = `${lines.join('\n')}\n`;
    fs.writeFileSync(path.join(DIR, 'table.md'), table);
    const failed = rows.filter((r) => !r.pass).length;
    process.stdout.write(`\nReliability and security: ${rows.length} scenarios, ${failed} not as expected\n\n${table}\n`);
  }
}
module.exports = ReliabilityReporter;
