/**
 * The secret sweep: reads every file under some folders and reports each one that contains a
 * remembered secret, naming the file and the kind of secret, never the secret itself.
 *
 * Tokens are found by shape (JWTs start with "eyJ", opaque tokens are runs of base64url
 * characters) and looked up in a set, so thousands of tokens cost one pass over each file.
 * Client secrets and passwords, which have no shape, are searched for as they are, URL-encoded
 * and JSON-escaped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writtenForms, type RememberedSecret, type SecretKind } from '../hygiene';

export interface SweepHit {
  /** The file, relative to the root it was found under. */
  file: string;
  kind: SecretKind;
}

export interface SweepResult {
  files: number;
  bytes: number;
  hits: SweepHit[];
}

const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const TOKEN_RUN = /[A-Za-z0-9_-]{16,}/g;

function isTokenShaped(value: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(value) && value.length >= 16;
}

function filesUnder(root: string, skip: Set<string>): string[] {
  if (!fs.existsSync(root)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    if (skip.has(path.resolve(full))) continue;
    if (entry.isDirectory()) out.push(...filesUnder(full, skip));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** The hits as a test reports them: "file (kind)", never the value. */
export function describeHits(hits: SweepHit[]): string[] {
  return hits.map((h) => `${h.file} (${h.kind})`);
}

/**
 * Every file under `roots` (except the paths in `skip`) that holds one of `secrets`; one hit per
 * file and kind.
 */
export function sweepForSecrets(roots: string[], secrets: RememberedSecret[], skip: string[] = []): SweepResult {
  const tokens = new Map<string, SecretKind>();
  const plain: { kind: SecretKind; forms: string[] }[] = [];
  for (const s of secrets) {
    if (isTokenShaped(s.value)) tokens.set(s.value, s.kind);
    else plain.push({ kind: s.kind, forms: writtenForms(s.value) });
  }
  const skipSet = new Set(skip.map((p) => path.resolve(p)));
  const result: SweepResult = { files: 0, bytes: 0, hits: [] };
  for (const root of roots) {
    for (const file of filesUnder(root, skipSet)) {
      // latin1 maps each byte to one character, so binary files are searched byte for byte.
      const text = fs.readFileSync(file).toString('latin1');
      result.files += 1;
      result.bytes += text.length;
      const kinds = new Set<SecretKind>();
      for (const re of [JWT, TOKEN_RUN]) {
        for (const m of text.matchAll(re)) {
          const kind = tokens.get(m[0]);
          if (kind) kinds.add(kind);
        }
      }
      for (const { kind, forms } of plain) if (forms.some((f) => text.includes(f))) kinds.add(kind);
      // A token can sit inside a longer run of base64url characters; check those few directly.
      for (const [value, kind] of tokens) if (!kinds.has(kind) && !value.startsWith('eyJ') && text.includes(value)) kinds.add(kind);
      for (const kind of kinds) result.hits.push({ file: path.relative(root, file), kind });
    }
  }
  return result;
}
