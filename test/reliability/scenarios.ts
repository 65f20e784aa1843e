/**
 * The reliability table: each test records what a scenario should do and what it did, computed
 * from what was observed (never typed in). The reporter (reporter.js) prints the table after the
 * run, writes it to test-artifacts/reliability/, and after a full run into docs/reliability.md.
 */
import fs from 'node:fs';
import path from 'node:path';

export const RELIABILITY_ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/reliability');
export const SCENARIO_FILE = path.join(RELIABILITY_ARTIFACTS, 'scenarios.jsonl');

export interface ScenarioRow {
  /** Table section, e.g. "Token endpoint", "API", "Soak", "Hostile input", "Secrets". */
  group: string;
  /** Which engine ran it: "Node-RED", "n8n" or "core". */
  engine: string;
  scenario: string;
  expected: string;
  /** Built from measured values (counts, statuses, messages), so a regression shows in the table. */
  observed: string;
  /** Whether observed met expected; the test also asserts it. */
  pass: boolean;
  /**
   * Why the scenario could not run on this machine (e.g. no right to mount a file system): the
   * row then says "skipped", never "yes".
   */
  skipped?: string;
}

/** Appends one row; the reporter reads them all at the end of the run. */
export function recordScenario(row: ScenarioRow): void {
  fs.mkdirSync(RELIABILITY_ARTIFACTS, { recursive: true });
  fs.appendFileSync(SCENARIO_FILE, `${JSON.stringify(row)}\n`);
}
