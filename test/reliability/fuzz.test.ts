/**
 * Hostile input: thousands of seeded messages with dangerous URLs, methods, headers, bodies and
 * file names through eo-request nodes in a real Node-RED 5. Checked: the runtime stays up and
 * prints no uncaught exception, every message ends in a result or a caught error, no token
 * reaches an origin other than the provider's (a witness server and the emulator's second
 * origin), no header injected by CRLF arrives anywhere, and nothing is written outside the folder.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { installPackage, nodeRed5Runtime, startNodeRed, type NodeRedProcess } from '../support/node-red-process';
import { packPackage } from '../support/package-tarball';
import { tempDir } from '../support/paths';
import { DEMO_CLIENT, DEMO_USER, startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { artifactDir, closeAndKeep, redactSecrets, rememberSecrets } from './hygiene';
import { recordScenario } from './scenarios';
import { FUZZ_ROUTE, fuzzFlows } from './support/fuzz-flows';
import { ABSOLUTE_OUTSIDE, describeMix, generateMessages, type FuzzMessage } from './support/fuzz-generator';
import { makeSandbox, snapshot, snapshotChanges, startWitness, type Sandbox, type Witness } from './support/fuzz-sandbox';

const COUNT = Number(process.env.EO_FUZZ_COUNT ?? 3000);
const SEED = Number(process.env.EO_FUZZ_SEED ?? Date.now() % 2 ** 31);
const PARALLEL = 8;
const MESSAGE_TIMEOUT_MS = 60_000;
const GROUP = 'Hostile input';
const ENGINE = 'Node-RED';

jest.setTimeout(240_000);

interface Reply {
  id: number;
  outcome: 'result' | 'error' | 'no answer';
  statusCode?: number;
  path?: string;
  source?: string;
  message?: string;
}

let emulator: Emulator;
let witness: Witness;
let red: NodeRedProcess;
let work: string;
let sandbox: Sandbox;
let artifacts: string;

beforeAll(async () => {
  artifacts = artifactDir('fuzz');
  rememberSecrets([DEMO_CLIENT.clientSecret], 'client secret');
  rememberSecrets([DEMO_USER.password], 'password');
  work = tempDir('eo-rel-fuzz');
  sandbox = makeSandbox(path.join(work, 'sandbox'));
  emulator = await startEmulator();
  witness = await startWitness();
  // Redirects from the provider to places the token must not follow.
  emulator.fault({ route: '^[A-Z]+ /fuzz-redirect/witness$', redirectTo: `${witness.url}/redirected` });
  emulator.fault({ route: '^[A-Z]+ /fuzz-redirect/second$', redirectTo: 'second:/download/synthetic/1000.bin' });
  emulator.fault({ route: '^[A-Z]+ /fuzz-redirect/307$', status: 307, redirectTo: `${witness.url}/redirected-307` });
  emulator.fault({ route: '^[A-Z]+ /fuzz-redirect/javascript$', redirectTo: 'javascript:alert(1)' });
  const userDir = path.join(work, 'node-red');
  const runtime = nodeRed5Runtime();
  await installPackage(userDir, await packPackage(work), runtime.nodeBin);
  red = await startNodeRed({ userDir, runtime, cwd: sandbox.cwd });
  await red.deploy(
    fuzzFlows({
      emulator,
      outDir: sandbox.out,
      clientId: DEMO_CLIENT.clientId,
      clientSecret: DEMO_CLIENT.clientSecret,
      username: DEMO_USER.username,
      password: DEMO_USER.password,
    }),
  );
}, 180_000);

afterAll(async () => {
  await closeAndKeep(artifacts, red, emulator);
  await witness?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function send(message: FuzzMessage): Promise<Reply> {
  try {
    const res = await red.whenStarted(async () => {
      const r = await fetch(`${red.url}${FUZZ_ROUTE}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(MESSAGE_TIMEOUT_MS),
      });
      if (r.status === 404) throw new Error(`${FUZZ_ROUTE} answered 404`);
      return r;
    });
    const text = await res.text();
    return res.ok
      ? (JSON.parse(text) as Reply)
      : { id: message.id, outcome: 'no answer', message: `HTTP ${res.status}: ${text.slice(0, 200)}` };
  } catch (err) {
    return { id: message.id, outcome: 'no answer', message: String((err as Error).message ?? err).slice(0, 200) };
  }
}

/**
 * An Admin API or http-in call, tried twice: the runtime may close an idle keep-alive socket just
 * as it is reused ("other side closed"), which says nothing about whether it is up.
 */
async function ask(route: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  try {
    return await red.whenStarted(() => red.request('GET', route, undefined, headers));
  } catch (err) {
    if (!/fetch failed/.test(String((err as Error).message))) throw err;
    return red.request('GET', route, undefined, headers);
  }
}

/** Size, time and content hash of a file, or "absent". */
function fileState(file: string): string {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return 'absent';
  return `${stat.size} ${stat.mtimeMs} ${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`;
}

/**
 * Whether `file` (a path a result reported) lies inside the folder with links resolved, and is a
 * file rather than a link ("..cache/x" is a name inside the folder).
 */
function insideFolder(file: string): boolean {
  if (fs.lstatSync(file).isSymbolicLink()) return false;
  const rel = path.relative(fs.realpathSync(sandbox.out), fs.realpathSync(file));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

test(`${COUNT} generated messages through eo-request in a real Node-RED`, async () => {
  console.log(`fuzz: ${COUNT} messages, seed ${SEED} (set EO_FUZZ_SEED=${SEED} to replay them)`);
  const places = { allowed: emulator.url, second: emulator.secondUrl, witness: witness.url, outsideDir: sandbox.outside };
  const messages = generateMessages(SEED, COUNT, places);
  const mix = Object.entries(describeMix(messages, places))
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  // The flow answers once every node has started.
  await ask('/fuzz-seen');
  const before = snapshot(sandbox.root, sandbox.out);
  // The one generated path outside the sandbox: compared before/after, so a file already there is neither blamed nor hides a write.
  const absoluteBefore = fileState(ABSOLUTE_OUTSIDE);
  const started = Date.now();
  const replies: Reply[] = [];
  const escapedResults: string[] = [];
  for (let i = 0; i < messages.length; i += PARALLEL) {
    sandbox.relink();
    const batch = await Promise.all(messages.slice(i, i + PARALLEL).map(send));
    // Checked before the next batch puts the links back: a reported file must be a file inside.
    for (const r of batch) if (r.path && (!fs.existsSync(r.path) || !insideFolder(r.path))) escapedResults.push(`#${r.id}: ${r.path}`);
    replies.push(...batch);
  }
  const seconds = (Date.now() - started) / 1000;
  const after = snapshot(sandbox.root, sandbox.out);
  const outsideChanges = snapshotChanges(before, after);
  const strayAbsolute =
    fileState(ABSOLUTE_OUTSIDE) === absoluteBefore ? [] : [`${absoluteBefore === 'absent' ? 'added' : 'changed'}: ${ABSOLUTE_OUTSIDE}`];

  const results = replies.filter((r) => r.outcome === 'result').length;
  const errors = replies.filter((r) => r.outcome === 'error');
  const unanswered = replies.filter((r) => r.outcome === 'no answer');
  const decoderErrors = errors.filter((r) => r.source !== 'eo-request');
  const seen = (await ask('/fuzz-seen')).body as Record<string, number>;
  const twice = Object.entries(seen)
    .filter(([, n]) => n !== 1)
    .map(([id]) => id);

  const upAfter = red.running && (await ask('/flows', { 'Node-RED-API-Version': 'v2' })).status === 200;
  const output = red.output();
  const crashes = output
    .split('\n')
    .filter((line) => /uncaught|unhandled|fatal|RangeError|TypeError|ReferenceError|ERR_INVALID/i.test(line));

  const log = emulator.log();
  // A token at the second origin, or at the main one under another name (localhost): neither is allowed.
  const mainHost = new URL(emulator.url).host;
  const secondWithAuth = log.filter(
    (e) => e.headers.authorization !== undefined && (e.origin === 'second' || e.headers.host !== mainHost),
  ).length;
  const secondTotal = log.filter((e) => e.origin === 'second').length;
  const witnessWithAuth = witness.requests.filter((r) => r.authorization).length;
  const userAuthArrived = log.filter((e) => JSON.stringify(e.headers.authorization ?? '').includes('stolen')).length;
  const injected = log.filter((e) => e.headers['x-injected'] !== undefined).length + witness.requests.filter((r) => r.injected).length;
  const byTarget = new Map<string, { result: number; error: number }>();
  for (const m of messages) {
    const r = replies.find((x) => x.id === m.id);
    const entry = byTarget.get(m.target) ?? { result: 0, error: 0 };
    if (r?.outcome === 'result') entry.result += 1;
    else if (r?.outcome === 'error') entry.error += 1;
    byTarget.set(m.target, entry);
  }
  fs.writeFileSync(path.join(artifacts, 'replies.json'), JSON.stringify({ seed: SEED, replies }, null, 1));
  const perTarget = [...byTarget].map(([t, c]) => `${t} ${c.result}/${c.error}`).join(', ');

  recordScenario({
    group: GROUP,
    engine: ENGINE,
    scenario: `${COUNT} generated messages (seed ${SEED}) varying URL, method, headers, body, file name: ${mix}`,
    expected: 'each ends in a result or a caught error, exactly once; Node-RED up, no uncaught exception',
    observed:
      `${results} results + ${errors.length} caught errors (${decoderErrors.length} outside eo-request), ${unanswered.length} unanswered, ${twice.length} ended twice ` +
      `in ${seconds.toFixed(0)} s [result/error: ${perTarget}]; Node-RED ${upAfter ? 'up' : 'DOWN'}, ${crashes.length} crash lines in its output`,
    pass:
      unanswered.length === 0 &&
      decoderErrors.length === 0 &&
      twice.length === 0 &&
      upAfter &&
      crashes.length === 0 &&
      results + errors.length === COUNT,
  });
  recordScenario({
    group: GROUP,
    engine: ENGINE,
    scenario: 'where the Authorization header went (witness server on another origin, emulator second origin, redirects to both)',
    expected: '0 at non-allowed origins; a msg.headers Authorization never sent; no CRLF-injected header arrives',
    observed:
      `${witnessWithAuth} of ${witness.requests.length} witness requests and ${secondWithAuth} of ${secondTotal} second-origin (or other host name) requests carried one; ` +
      `msg Authorization arrived ${userAuthArrived} times; injected headers arrived ${injected} times`,
    pass: witnessWithAuth === 0 && secondWithAuth === 0 && userAuthArrived === 0 && injected === 0,
  });
  const fileResults = replies.filter((r) => r.path).length;
  recordScenario({
    group: GROUP,
    engine: ENGINE,
    scenario: 'files written (sandbox snapshot before/after; links out of the folder restored before every batch)',
    expected: '0 files written or changed outside the configured folder; every reported file a file inside it',
    observed: `${outsideChanges.length + escapedResults.length + strayAbsolute.length} outside (${[...outsideChanges, ...escapedResults, ...strayAbsolute].slice(0, 5).join('; ') || 'none'}); ${fileResults} files written inside`,
    pass: outsideChanges.length === 0 && escapedResults.length === 0 && strayAbsolute.length === 0,
  });

  // Messages are quoted redacted: a leaked secret is reported by the sweep, not printed here.
  const shown = (list: Reply[]) => list.map((r) => ({ ...r, message: r.message === undefined ? undefined : redactSecrets(r.message) }));
  expect(shown(unanswered)).toEqual([]);
  expect(shown(decoderErrors)).toEqual([]);
  expect(twice).toEqual([]);
  expect(results + errors.length).toBe(COUNT);
  expect(upAfter).toBe(true);
  expect(crashes).toEqual([]);
  expect({ witnessWithAuth, secondWithAuth, userAuthArrived, injected }).toEqual({
    witnessWithAuth: 0,
    secondWithAuth: 0,
    userAuthArrived: 0,
    injected: 0,
  });
  expect([...outsideChanges, ...escapedResults, ...strayAbsolute]).toEqual([]);
});
