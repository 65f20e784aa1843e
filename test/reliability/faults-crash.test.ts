/**
 * The machine failing under Node-RED: the process killed with SIGKILL (a deploy gone wrong, the
 * OOM killer, a power cut) in the middle of a 256 MiB download and between a token request and
 * its answer, then started again on the same user directory (same flows, same credentials), as a
 * service manager does. And the answer to a refresh grant lost on the wire after the server had
 * already rotated the refresh token. Each on Node-RED 5 (Node 24) and Node-RED 4.1 (Node 20).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { listFiles } from '../support/node-red-stack';
import type { Emulator, EmulatorConfig, RequestLogEntry } from '../emulator/types';
import { rememberSecrets } from './hygiene';
import { PROCESS_REQUEST, runtimeHealthy } from './support/fault-checks';
import {
  FAULT_TEST_TIMEOUT_MS,
  FaultBed,
  sentinelHubAuth,
  terrascopeAuth,
  type FaultBedAuth,
  type FaultBedRun,
  type FaultBedTarget,
} from './support/fault-bed';
import { byClient, grantsText, isTokenRequest, logMark, outcomeText, Scenario, tokenRequests } from './support/observe';
import { describeOnEachRuntime } from './support/runtimes';
import {
  recordedBytes,
  recordedRanges,
  refetchedRanges,
  sha256File,
  syntheticSha256,
  waitUntil,
  watchFinalName,
} from './support/disk-watch';

jest.setTimeout(FAULT_TEST_TIMEOUT_MS);

const GROUP = 'Crash';
const MIB = 1024 * 1024;
const BIG = 256 * MIB;
const SMALL = 4096;
const SH_TOKEN_ROUTE = '^POST /oauth/token$';
const TS_TOKEN_ROUTE = '^POST /auth/realms/terrascope/protocol/openid-connect/token$';

const suffix = randomBytes(6).toString('hex');
const shClient = { clientId: 'crash-sh', clientSecret: `crash-sh-secret-${suffix}` };
/** One Terrascope user per scenario, so each one's token requests are counted apart. */
const users = {
  big: { username: 'crash-download', password: `crash-download-password-${suffix}` },
  chain: { username: 'crash-chain', password: `crash-chain-password-${suffix}` },
  wire: { username: 'crash-wire', password: `crash-wire-password-${suffix}` },
};
rememberSecrets([shClient.clientSecret], 'client secret');
rememberSecrets(
  Object.values(users).map((u) => u.password),
  'password',
);

let bed: FaultBed;
let bigSha: string;

function setup(emulator: Emulator, files: string): { auths: FaultBedAuth[]; targets: FaultBedTarget[] } {
  // Keycloak with "Revoke Refresh Token" on: a refresh token works once, then it has been rotated.
  emulator.configure({ clients: [shClient], users: Object.values(users), revokeUsedRefreshTokens: true } as Partial<EmulatorConfig>);
  const auths: FaultBedAuth[] = [
    sentinelHubAuth(emulator, shClient),
    ...(Object.keys(users) as (keyof typeof users)[]).map((id) => terrascopeAuth(emulator, users[id], `auth-${id}`)),
  ];
  const download = (id: keyof typeof users, url: string): FaultBedTarget => ({
    id: `req-${id}`,
    auth: `auth-${id}`,
    props: { operation: 'download', url, directory: path.join(files, id), overwrite: 'always' },
  });
  const targets: FaultBedTarget[] = [
    { id: 'req-sh', auth: 'auth-sh', props: { operation: 'process', accept: 'image/png', output: 'buffer' } },
    download('big', `/download/synthetic/${BIG}.bin`),
    download('chain', `/download/synthetic/${SMALL}.bin`),
    download('wire', `/download/synthetic/${SMALL}.bin`),
  ];
  return { auths, targets };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ok = (r: FaultBedRun): boolean => r.errors.length === 0 && r.outputs.length === 1;
/**
 * Terrascope token requests: every user's go through the public client and a refresh grant names
 * no user, so a scenario counts them while its user is the only Terrascope one at work.
 */
const terrascopeClient = byClient('public');
const downloadRequests = (from: number, to?: number): RequestLogEntry[] =>
  bed.emulator
    .log()
    .slice(from, to)
    .filter((e) => e.method === 'GET' && e.path.startsWith('/download/'));

/** Short Terrascope access tokens for the length of `work`: the next call after 2 s renews with the refresh token. */
async function withShortTerrascopeTokens<T>(work: () => Promise<T>): Promise<T> {
  bed.emulator.configure({ accessTokenLifetimeS: { terrascope: 4 } as EmulatorConfig['accessTokenLifetimeS'] });
  try {
    return await work();
  } finally {
    bed.emulator.configure({ accessTokenLifetimeS: { terrascope: 300 } as EmulatorConfig['accessTokenLifetimeS'] });
  }
}

beforeAll(() => {
  bigSha = syntheticSha256(BIG);
});

describeOnEachRuntime(
  'crashes',
  { artifacts: 'faults-crash', start: (runtime) => FaultBed.start({ setup, runtime }), use: (started) => (bed = started) },
  crashScenarios,
);

function crashScenarios(engine: string): void {
  it('SIGKILL during a 256 MiB download fetched as parallel ranges, restart with the same flows: each range continued where the sidecar says, byte-identical, never an incomplete file under the final name', async () => {
    const dir = path.join(bed.files, 'big');
    fs.mkdirSync(dir, { recursive: true });
    const target = path.join(dir, 'big.bin');
    const part = `${target}.part`;
    const watch = watchFinalName(dir, 'big.bin', BIG);
    const firstMark = logMark(bed.emulator);
    // 16 MB/s per connection: the download takes seconds, so the kill lands in its middle.
    bed.emulator.configure({ connectionBytesPerSecond: 16_000_000 });
    const { atKill, leftByKill, resumeMark, run } = await (async () => {
      await bed.send('req-big', { filename: 'big.bin' });
      await waitUntil(
        () => recordedBytes(recordedRanges(target)) >= BIG / 4 || fs.existsSync(target),
        'the sidecar records a quarter of the file',
        60_000,
      );
      await bed.crash();
      const ranges = recordedRanges(target);
      const left = listFiles(dir);
      bed.emulator.configure({ connectionBytesPerSecond: 0 });
      await bed.restart();
      const mark = logMark(bed.emulator);
      const again = await bed.run('req-big', { filename: 'big.bin' }, { timeoutMs: 120_000 });
      return { atKill: ranges, leftByKill: left, resumeMark: mark, run: again };
    })().finally(() => {
      watch.stop();
      bed.emulator.configure({ connectionBytesPerSecond: 0 });
    });
    const record = watch.record;
    const firstRun = downloadRequests(firstMark, resumeMark);
    const resumed = downloadRequests(resumeMark);
    const ranges = resumed.map((e) => String(e.headers.range ?? 'none'));
    const refetched = refetchedRanges(ranges, atKill);
    const identical = fs.existsSync(target) && (await sha256File(target)) === bigSha;
    const eo = (run.outputs[0]?.eo ?? {}) as { bytes?: number; resumed?: number };
    const s = new Scenario(
      GROUP,
      engine,
      'Node-RED killed (SIGKILL) during a 256 MiB download fetched as parallel ranges (Download connections 4), then started again with the same flows',
      'the next run asks only for ranges of the same version (Range + If-Range), none inside what the sidecar recorded, msg.eo.resumed ≥ 1; file byte-identical; no file under the final name until complete',
    )
      .observe(
        `killed with ${(recordedBytes(atKill) / MIB).toFixed(0)} MiB recorded in ${atKill.length} range(s) after ${firstRun.length} request(s); left: ${leftByKill.join(', ')}`,
      )
      .observe(
        `after restart: ${outcomeText(run)}, ${resumed.length} download request(s), Range ${ranges.join(', ')} (${refetched.length} inside recorded bytes)`,
      )
      .observe(`sha256 ${identical ? 'identical' : 'DIFFERENT'}; final name seen incomplete ${record.incomplete}×`)
      .check('the first run used parallel ranges, within the cap of 4', firstRun.length >= 2 && atKill.length >= 2)
      .check(
        'a .part and a sidecar with progress were left, no final file',
        leftByKill.includes('big.bin.part') && recordedBytes(atKill) > 0 && !leftByKill.includes('big.bin'),
      )
      .check('result after restart', ok(run) && eo.bytes === BIG)
      .check(
        'the next run asked only for ranges of the same version, none inside recorded bytes',
        resumed.length >= 1 && resumed.every((e) => e.headers.range && e.headers['if-range']) && refetched.length === 0,
      )
      .check('eo.resumed ≥ 1', (eo.resumed ?? 0) >= 1)
      .check('byte-identical', identical)
      .check('never an incomplete file under the final name', record.incomplete === 0 && record.sizes.every((size) => size === BIG))
      .check('no .part left', !fs.existsSync(part));
    await runtimeHealthy(bed, s);
    fs.rmSync(dir, { recursive: true, force: true });
    s.finish();
  });

  it('SIGKILL between token requests and their answers (Sentinel Hub; Terrascope refresh grant), restart: tokens as usual, the lost refresh chain replaced by one password login', async () => {
    await withShortTerrascopeTokens(async () => {
      const before = await bed.run('req-chain', { filename: 'before.bin' });
      await sleep(2_500); // past half the 4 s lifetime: the next call renews with the refresh token
      // The answers are held back long enough for the kill to come first.
      bed.emulator.fault({ route: SH_TOKEN_ROUTE, delayMs: 20_000, times: 1 });
      bed.emulator.fault({ route: TS_TOKEN_ROUTE, delayMs: 20_000, times: 1 });
      const mark = logMark(bed.emulator);
      await bed.send('req-sh', { payload: PROCESS_REQUEST });
      await bed.send('req-chain', { filename: 'during.bin' });
      const pending = () =>
        bed.emulator
          .log()
          .slice(mark)
          .filter((e) => isTokenRequest(e) && e.status === 0);
      await waitUntil(() => pending().length === 2, 'both token requests have arrived, unanswered');
      const grantsAtKill = pending()
        .map((e) => e.form?.grant_type)
        .sort();
      await bed.crash();
      bed.emulator.clearFaults();
      await bed.restart();
      const restartMark = logMark(bed.emulator);
      const sh = await bed.run('req-sh', { payload: PROCESS_REQUEST });
      const ts = await bed.run('req-chain', { filename: 'after.bin' });
      const shTokens = tokenRequests(bed.emulator, restartMark, byClient(shClient.clientId));
      const tsTokens = tokenRequests(bed.emulator, restartMark, terrascopeClient);
      const files = bed.filesIn('chain').filter((f) => !f.endsWith('.meta.json'));
      const s = new Scenario(
        GROUP,
        engine,
        'Node-RED killed (SIGKILL) between token requests and their answers (Sentinel Hub client credentials; Terrascope refresh grant), then started again',
        'after restart: Sentinel Hub 1 token request (client_credentials), Terrascope 1 password login (the refresh token died with the process); both results',
      )
        .observe(`before: ${outcomeText(before)}; unanswered at the kill: ${grantsAtKill.join(', ')}`)
        .observe(`after restart: Sentinel Hub ${outcomeText(sh)}, token requests ${grantsText(shTokens)}`)
        .observe(`Terrascope ${outcomeText(ts)}, token requests ${grantsText(tsTokens)}; files: ${files.join(', ')}`)
        .check('the kill came while both token requests were unanswered', grantsAtKill.join(',') === 'client_credentials,refresh_token')
        .check('Sentinel Hub result with 1 client_credentials request', ok(sh) && shTokens.total === 1 && shTokens.client_credentials === 1)
        .check('Terrascope result with 1 password login and no refresh grant', ok(ts) && tsTokens.total === 1 && tsTokens.password === 1)
        .check('the killed download left nothing', files.join(',') === 'after.bin,before.bin');
      await runtimeHealthy(bed, s);
      s.finish();
    });
  });

  it('the answer to a refresh grant lost after the server rotated the refresh token: one password login, result', async () => {
    await withShortTerrascopeTokens(async () => {
      const first = await bed.run('req-wire', { filename: 'first.bin' });
      await sleep(2_500);
      // Keycloak issues the new pair and retires the old refresh token, then the connection drops.
      bed.emulator.fault({ route: TS_TOKEN_ROUTE, resetAfterBytes: 0, times: 1 });
      const mark = logMark(bed.emulator);
      const second = await bed.run('req-wire', { filename: 'second.bin' });
      const tokens = tokenRequests(bed.emulator, mark, terrascopeClient);
      const statuses = tokens.entries.map((e) => `${e.form?.grant_type} ${e.status}`);
      const s = new Scenario(
        GROUP,
        engine,
        'the answer to a Terrascope refresh grant lost on the wire after the server rotated the refresh token',
        'the retry with the old refresh token is refused (invalid_grant), then 1 password login; result, no error in the flow',
      )
        .observe(`${outcomeText(first)}, then ${outcomeText(second)}`)
        .observe(`token requests ${grantsText(tokens)}: ${statuses.join(' → ')}`)
        .check('both results', ok(first) && ok(second))
        .check(
          'lost answer, refused reuse, then 1 password login',
          statuses.join(',') === 'refresh_token 200,refresh_token 400,password 200',
        );
      await runtimeHealthy(bed, s);
      s.finish();
    });
  });
}
