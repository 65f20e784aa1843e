/**
 * Runs last (see sequencer.js): searches everything the reliability suite left behind for the
 * client secrets, passwords, refresh tokens and access tokens it used.
 *
 * What is searched: all of test-artifacts/reliability/ except secrets/ (where the values are
 * named). Each file of the suite keeps its evidence under runs/<file>/: Node-RED's output and
 * flows.json, debug and collected messages, errors, n8n execution data, and the emulator's record
 * of requests at non-token endpoints (without the Authorization header, where a token belongs).
 * Node-RED user directories and n8n folders live in temporary folders that each file removes after
 * copying those files here, so nothing the suite produced is left outside this folder. Where the
 * secrets do belong, and so are not searched: flows_cred.json (encrypted by Node-RED), the
 * emulator's token endpoints, and the Authorization headers of requests to the provider.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { redactSecrets, rememberedSecrets, RUNS_DIR, SECRETS_FILE, type RememberedSecret } from './hygiene';
import { recordScenario, RELIABILITY_ARTIFACTS } from './scenarios';
import { describeHits, sweepForSecrets } from './support/secret-sweep';

const GROUP = 'Secrets';

function countByKind(secrets: RememberedSecret[]): string {
  const counts = new Map<string, number>();
  for (const s of secrets) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${n} ${kind}${n === 1 ? '' : 's'}`).join(', ');
}

test('the sweep finds a planted secret in every written form, and names the file and kind but not the value', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-sweep-'));
  try {
    const secret = 'planted client/secret+1';
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
    const access = `${header}.${Buffer.from(JSON.stringify({ typ: 'Bearer', exp: 1 })).toString('base64url')}.c2lnbmF0dXJl`;
    const refresh = `${header}.${Buffer.from(JSON.stringify({ typ: 'Refresh', exp: 1 })).toString('base64url')}.c2lnbmF0dXJl`;
    const secrets: RememberedSecret[] = [
      { kind: 'client secret', value: secret },
      { kind: 'access token', value: access },
      { kind: 'refresh token', value: refresh },
    ];
    fs.mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a', 'log.txt'), `POST body client_secret=${encodeURIComponent(secret)}\n`);
    fs.writeFileSync(path.join(dir, 'a', 'b', 'msg.json'), JSON.stringify({ headers: { authorization: `Bearer ${access}` } }));
    fs.writeFileSync(
      path.join(dir, 'a', 'b', 'blob.bin'),
      Buffer.concat([Buffer.from([0, 255, 1]), Buffer.from(refresh), Buffer.from([0])]),
    );
    fs.writeFileSync(path.join(dir, 'clean.txt'), `nothing here but ${access.slice(0, 40)}`);
    fs.writeFileSync(path.join(dir, 'skipped.txt'), secret);

    const result = sweepForSecrets([dir], secrets, [path.join(dir, 'skipped.txt')]);
    const found = result.hits.map((h) => `${h.file}: ${h.kind}`).sort();
    const expected = [
      `a${path.sep}b${path.sep}blob.bin: refresh token`,
      `a${path.sep}b${path.sep}msg.json: access token`,
      `a${path.sep}log.txt: client secret`,
    ];
    // What a failing sweep prints (see the next test) and what it returns: file and kind, no value.
    const report = `${JSON.stringify(result.hits)}\n${describeHits(result.hits).join('\n')}`;
    const valuesShown = secrets.filter((s) => report.includes(s.value)).map((s) => s.kind);
    // What the table and a failing scenario print passes through redactSecrets: each form becomes its kind.
    const redacted = redactSecrets(`sent client_secret=${encodeURIComponent(secret)}, got {"t":"${access}"} and ${refresh}`, secrets);
    const redactedWell = redacted === 'sent client_secret=‹client secret›, got {"t":"‹access token›"} and ‹refresh token›';
    const pass = JSON.stringify(found) === JSON.stringify(expected) && valuesShown.length === 0 && result.files === 4 && redactedWell;
    recordScenario({
      group: GROUP,
      engine: 'core',
      scenario: 'the sweep itself, on planted files (URL-encoded secret, token in JSON, token in binary)',
      expected: '3 hits (file and kind), clean and skipped files quiet, no value in the report; a redacted line shows kinds only',
      observed: `${result.hits.length} hits in ${result.files} files searched: ${found.join('; ')}; values in the report: ${valuesShown.length}; redacted line ${redactedWell ? 'shows kinds only' : 'WRONG'}`,
      pass,
    });
    expect(found).toEqual(expected);
    expect(result.files).toBe(4);
    // Compared as kinds, so a failure here does not print the value either.
    expect(valuesShown).toEqual([]);
    expect(redactedWell).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('no secret used by the suite appears in any log, message, error, flow, execution or emulator record', () => {
  const secrets = rememberedSecrets();
  const result = sweepForSecrets([RELIABILITY_ARTIFACTS], secrets, [path.dirname(SECRETS_FILE)]);
  const runs = fs.existsSync(RUNS_DIR) ? fs.readdirSync(RUNS_DIR).length : 0;
  const where = describeHits(result.hits);
  const pass = secrets.length > 0 && runs > 0 && result.hits.length === 0;
  recordScenario({
    group: GROUP,
    engine: 'Node-RED + n8n',
    scenario: 'every artefact of the suite searched for every secret it used',
    expected: '0 hits (and something to search: secrets named, run folders present)',
    observed:
      `${result.hits.length} hits in ${result.files} files (${(result.bytes / 1e6).toFixed(1)} MB, ${runs} run folders) ` +
      `for ${secrets.length} secrets (${countByKind(secrets) || 'none'})${where.length ? `: ${where.slice(0, 10).join('; ')}` : ''}`,
    pass,
  });
  expect(secrets.length).toBeGreaterThan(0);
  expect(runs).toBeGreaterThan(0);
  expect(where).toEqual([]);
});
