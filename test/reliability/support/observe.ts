/**
 * Measuring a fault scenario and writing its row: token requests counted from the emulator's
 * log, a flow's outcome in a few words, and a list of checks that decides the row's "ok" and
 * fails the test with the checks that did not hold.
 */
import type { Emulator, RequestLogEntry } from '../../emulator/types';
import { redactSecrets } from '../hygiene';
import { recordScenario } from '../scenarios';
import type { FaultBedRun } from './fault-bed';

export type Grant = 'client_credentials' | 'password' | 'refresh_token';
export type GrantCounts = Record<Grant, number> & { total: number };

/** True for requests to a token endpoint (the legacy path and every realm). */
export function isTokenRequest(entry: RequestLogEntry): boolean {
  return entry.path === '/oauth/token' || /\/protocol\/openid-connect\/token$/.test(entry.path);
}

/** Where the log stands now: pass it to the counters below to look only at what came after. */
export function logMark(emulator: Emulator): number {
  return emulator.log().length;
}

/** Token requests after `mark` that `who` accepts (all when omitted), by grant. */
export function tokenRequests(
  emulator: Emulator,
  mark: number,
  who: (entry: RequestLogEntry) => boolean = () => true,
): GrantCounts & { entries: RequestLogEntry[] } {
  const entries = emulator
    .log()
    .slice(mark)
    .filter((e) => isTokenRequest(e) && who(e));
  const counts: GrantCounts = { client_credentials: 0, password: 0, refresh_token: 0, total: entries.length };
  for (const e of entries) {
    const grant = e.form?.grant_type as Grant | undefined;
    if (grant && grant in counts) counts[grant] += 1;
  }
  return { ...counts, entries };
}

/** Requests of one OAuth client (client credentials) or of the password-grant public client. */
export const byClient =
  (clientId: string) =>
  (entry: RequestLogEntry): boolean =>
    entry.form?.client_id === clientId;

/** Non-token requests after `mark` whose `METHOD path` matches. */
export function apiRequests(emulator: Emulator, mark: number, route: RegExp): RequestLogEntry[] {
  return emulator
    .log()
    .slice(mark)
    .filter((e) => !isTokenRequest(e) && route.test(`${e.method} ${e.path}`));
}

/** "3 (client_credentials 3)" */
export function grantsText(c: GrantCounts): string {
  const parts = (['client_credentials', 'password', 'refresh_token'] as const).filter((g) => c[g] > 0).map((g) => `${g} ${c[g]}`);
  return parts.length ? `${c.total} (${parts.join(', ')})` : String(c.total);
}

/**
 * A message short enough for a table cell: its start and its end (where the hint and the field
 * are), with loopback ports left out so rows compare across runs.
 */
export function excerpt(text: string, max = 200): string {
  const clean = text
    .replace(/^(EoError|Error): /, '')
    .replace(/127\.0\.0\.1:\d+/g, 'localhost')
    .replace(/\s+/g, ' ')
    .trim();
  if (clean.length <= max) return clean;
  const tail = Math.floor(max * 0.4);
  return `${clean.slice(0, max - tail - 3)} … ${clean.slice(clean.length - tail)}`;
}

/** "error EO_X: <message>" or "result: <n> message(s), status 200, 1234 bytes". */
export function outcomeText(run: FaultBedRun): string {
  if (run.errors.length > 0) {
    const e = run.errors[0].error;
    return `Catch: ${e?.code ?? 'no code'} "${excerpt(e?.message ?? '')}"${run.outputs.length ? ` (+${run.outputs.length} output)` : ''}`;
  }
  const first = run.outputs[0];
  const size = first?.bufferLength ?? (first?.eo as { bytes?: number } | undefined)?.bytes;
  return `result: ${run.outputs.length} msg, status ${first?.statusCode ?? '?'}${size !== undefined ? `, ${size} bytes` : ''}`;
}

/** The error code the Catch node saw, if any. */
export function errorCode(run: FaultBedRun): string | undefined {
  return run.errors[0]?.error?.code;
}

export function errorMessage(run: FaultBedRun): string {
  return run.errors[0]?.error?.message ?? '';
}

/** A named condition of a scenario. */
export interface Check {
  what: string;
  ok: boolean;
}

/** Collects checks and the observed facts of one scenario, then records its row. */
export class Scenario {
  private readonly checks: Check[] = [];
  private readonly facts: string[] = [];

  constructor(
    readonly group: string,
    readonly engine: string,
    readonly scenario: string,
    readonly expected: string,
  ) {}

  /** A measured fact for the "observed" column. */
  observe(fact: string): this {
    this.facts.push(fact);
    return this;
  }

  check(what: string, ok: boolean): this {
    this.checks.push({ what, ok });
    return this;
  }

  /** Records the row as not run here, saying why (e.g. mounting is not allowed); it counts as neither pass nor failure. */
  skip(reason: string): void {
    recordScenario({
      group: this.group,
      engine: this.engine,
      scenario: this.scenario,
      expected: this.expected,
      observed: `skipped: ${reason}`,
      pass: false,
      skipped: reason,
    });
  }

  /**
   * Records the row; throws listing the checks that failed (so the test fails with them). The
   * observed facts quote messages, so a leaked secret is replaced by its kind before the row is
   * written or the failure printed (the sweep still finds it in the run's artefacts).
   */
  finish(): void {
    const failed = this.checks.filter((c) => !c.ok).map((c) => c.what);
    const facts = redactSecrets(this.facts.join('; '));
    const observed = failed.length ? `${facts}; NOT: ${failed.join(', ')}` : facts;
    recordScenario({
      group: this.group,
      engine: this.engine,
      scenario: this.scenario,
      expected: this.expected,
      observed,
      pass: failed.length === 0 && this.checks.length > 0,
    });
    if (this.checks.length === 0) throw new Error(`${this.scenario}: no checks, nothing was verified`);
    if (failed.length) throw new Error(`${this.scenario}: ${failed.join('; ')}\nobserved: ${observed}`);
  }
}
