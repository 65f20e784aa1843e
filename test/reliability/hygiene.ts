/**
 * Where the reliability suite keeps what it saw, for the secret sweep that runs last: every file
 * keeps its logs, debug messages, errors, flows.json, n8n execution data and the emulator's
 * record of non-token requests under test-artifacts/reliability/runs/<name>/, and names the
 * secrets it used (kept apart, under secrets/, which the sweep does not search).
 *
 * secrets/values.jsonl holds those values in plain text, since the sweep must know what to look
 * for; it stays on the machine (test-artifacts/ is not published) and is cleared at every run
 * start. Nothing else prints a value: the table's rows and a failing scenario's message pass
 * through redactSecrets, and the sweep reports file and kind only.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Emulator } from '../emulator/types';
import { RELIABILITY_ARTIFACTS } from './scenarios';

export const RUNS_DIR = path.join(RELIABILITY_ARTIFACTS, 'runs');
export const SECRETS_FILE = path.join(RELIABILITY_ARTIFACTS, 'secrets', 'values.jsonl');

// Emulators started in a process that uses this module keep every token they issue, so
// keepEmulatorRecord can name them all (read when an emulator starts, so import order is free).
process.env.EO_EMULATOR_RECORD_TOKENS = '1';

/** What a remembered value is; the sweep reports this, never the value. */
export type SecretKind = 'client secret' | 'password' | 'access token' | 'refresh token' | 'secret';

/** One line of SECRETS_FILE (older lines are a bare JSON string, kind "secret"). */
export interface RememberedSecret {
  kind: SecretKind;
  value: string;
}

/** A JWT's `typ` claim ("Bearer", "Refresh"), or undefined when `value` is not a JWT. */
function jwtType(value: string): string | undefined {
  const parts = value.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const typ = (JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { typ?: unknown }).typ;
    return typeof typ === 'string' ? typ : 'Bearer';
  } catch {
    return undefined;
  }
}

/** The kind of a value given without one: tokens say what they are, anything else is "secret". */
function kindOf(value: string, given?: SecretKind): SecretKind {
  if (given) return given;
  const typ = jwtType(value);
  if (typ === undefined) return 'secret';
  return typ === 'Refresh' ? 'refresh token' : 'access token';
}

/** A fresh folder for one test file's artefacts. */
export function artifactDir(name: string): string {
  const dir = path.join(RUNS_DIR, name.replace(/[^\w.-]+/g, '-'));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Names secrets (client secrets, passwords, refresh and access tokens) the sweep must not find.
 * `kind` is what the sweep reports on a hit; without it, JWTs are told apart by their `typ`.
 */
export function rememberSecrets(values: Iterable<string>, kind?: SecretKind): void {
  const list = [...values].filter((v) => typeof v === 'string' && v.length >= 8);
  if (!list.length) return;
  fs.mkdirSync(path.dirname(SECRETS_FILE), { recursive: true });
  fs.appendFileSync(SECRETS_FILE, list.map((value) => `${JSON.stringify({ kind: kindOf(value, kind), value })}\n`).join(''));
}

/** Everything remembered so far in this run, without repeats. */
export function rememberedSecrets(file = SECRETS_FILE): RememberedSecret[] {
  if (!fs.existsSync(file)) return [];
  const seen = new Map<string, RememberedSecret>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const parsed = JSON.parse(line) as string | RememberedSecret;
    const entry: RememberedSecret = typeof parsed === 'string' ? { kind: kindOf(parsed), value: parsed } : parsed;
    if (!seen.has(entry.value)) seen.set(entry.value, entry);
  }
  return [...seen.values()];
}

/** The ways a plain value may be written down: as is, URL-encoded, inside a JSON string. */
export function writtenForms(value: string): string[] {
  return [...new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])];
}

/** `text` with every remembered secret (in each written form) replaced by its kind, as ‹kind›. */
export function redactSecrets(text: string, secrets: RememberedSecret[] = rememberedSecrets()): string {
  let out = text;
  for (const s of secrets) for (const form of writtenForms(s.value)) if (out.includes(form)) out = out.split(form).join(`‹${s.kind}›`);
  return out;
}

/** Bearer tokens the emulator saw in Authorization headers (a fallback when its record was off). */
function bearerTokensIn(emulator: Emulator): string[] {
  const found = new Set<string>();
  for (const entry of emulator.log()) {
    const header = entry.headers.authorization;
    for (const value of Array.isArray(header) ? header : header ? [header] : []) {
      const m = /^Bearer\s+(\S+)/i.exec(value);
      if (m) found.add(m[1]);
    }
  }
  return [...found];
}

/**
 * Saves what the emulator received at its non-token endpoints (headers included, since that is
 * where a leaked secret would show), minus the Authorization header, where a token belongs; and
 * remembers every access and refresh token it issued, so the sweep looks for those too.
 */
export function keepEmulatorRecord(emulator: Emulator, dir: string): void {
  const issued = emulator.issuedTokens();
  rememberSecrets(issued.access, 'access token');
  rememberSecrets(issued.refresh, 'refresh token');
  rememberSecrets(bearerTokensIn(emulator), 'access token');
  const entries = emulator
    .log()
    .filter((e) => !/\/token$/.test(e.path))
    .map((e) => ({ ...e, headers: Object.fromEntries(Object.entries(e.headers).filter(([k]) => k !== 'authorization')) }));
  fs.writeFileSync(path.join(dir, 'emulator-requests.json'), JSON.stringify(entries, null, 1));
}

/**
 * Keeps what a Node-RED process left for the sweep: its output and its flows.json (never
 * flows_cred.json: that is the credential store, where the secrets belong).
 */
export function keepNodeRedRecord(red: { output(): string; userDir: string }, dir: string): void {
  fs.writeFileSync(path.join(dir, 'node-red-output.log'), red.output());
  const flows = path.join(red.userDir, 'flows.json');
  if (fs.existsSync(flows)) fs.copyFileSync(flows, path.join(dir, 'flows.json'));
}

/** Ends a file's Node-RED and emulator and keeps what both left for the sweep. */
export async function closeAndKeep(
  dir: string,
  red: { stop(): Promise<unknown>; output(): string; userDir: string } | undefined,
  emulator: Emulator | undefined,
): Promise<void> {
  await red?.stop();
  if (red) keepNodeRedRecord(red, dir);
  if (emulator) {
    keepEmulatorRecord(emulator, dir);
    await emulator.close();
  }
}
