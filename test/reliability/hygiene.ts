/**
 * Where the reliability suite keeps what it saw, for the secret sweep that runs last: every file
 * keeps its logs, debug messages, errors, flows.json, n8n execution data and the emulator's
 * record of non-token requests under test-artifacts/reliability/runs/<name>/, and names the
 * secrets it used (kept apart, under secrets/, which the sweep does not search).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Emulator } from '../emulator/types';
import { RELIABILITY_ARTIFACTS } from './scenarios';

export const RUNS_DIR = path.join(RELIABILITY_ARTIFACTS, 'runs');
export const SECRETS_FILE = path.join(RELIABILITY_ARTIFACTS, 'secrets', 'values.jsonl');

/** A fresh folder for one test file's artefacts. */
export function artifactDir(name: string): string {
  const dir = path.join(RUNS_DIR, name.replace(/[^\w.-]+/g, '-'));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Names secrets (client secrets, passwords, refresh and access tokens) the sweep must not find. */
export function rememberSecrets(values: Iterable<string>): void {
  const list = [...values].filter((v) => typeof v === 'string' && v.length >= 8);
  if (!list.length) return;
  fs.mkdirSync(path.dirname(SECRETS_FILE), { recursive: true });
  fs.appendFileSync(SECRETS_FILE, list.map((v) => `${JSON.stringify(v)}\n`).join(''));
}

/**
 * Saves what the emulator received at its non-token endpoints (headers included, since that is
 * where a leaked secret would show), minus the Authorization header, where a token belongs.
 */
export function keepEmulatorRecord(emulator: Emulator, dir: string): void {
  const entries = emulator
    .log()
    .filter((e) => !/\/token$/.test(e.path))
    .map((e) => ({ ...e, headers: Object.fromEntries(Object.entries(e.headers).filter(([k]) => k !== 'authorization')) }));
  fs.writeFileSync(path.join(dir, 'emulator-requests.json'), JSON.stringify(entries, null, 1));
}
