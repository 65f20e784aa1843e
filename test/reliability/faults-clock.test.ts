/**
 * The wall clock of the Node-RED process stepping while tokens are cached: forward an hour, then
 * back two hours. libfaketime moves the clock of the whole Node-RED process (support/faketime.ts)
 * and leaves its monotonic clock alone, as an NTP step or `date -s` does; the token endpoint and
 * the APIs keep the real time, as they do when only the client machine's clock moves.
 *
 * Expected of the core: no request leaves with an expired token, no 401 reaches a flow, a step
 * costs no token request beyond the renewals that were due anyway, and a backward step does not
 * keep a token past its real end. Measured at the emulator: each API call's bearer token against
 * the time the call arrived, 401 answers, token requests per identity.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { tempDir } from '../support/paths';
import type { Emulator, RequestLogEntry } from '../emulator/types';
import { artifactDir, rememberSecrets } from './hygiene';
import { PROCESS_REQUEST, runtimeHealthy } from './support/fault-checks';
import { FAULT_TEST_TIMEOUT_MS, FaultBed, type FaultBedAuth, type FaultBedRun, type FaultBedTarget } from './support/fault-bed';
import { faketimeLibrary, SteppableClock } from './support/faketime';
import { byClient, grantsText, isTokenRequest, logMark, outcomeText, Scenario, tokenRequests, type GrantCounts } from './support/observe';
import { faultRuntimes } from './support/runtimes';
import { jwtClaims } from './support/soak-metrics';

jest.setTimeout(FAULT_TEST_TIMEOUT_MS);

const GROUP = 'Clock';
/** Access-token lifetime: renewed after about half of it, so a scenario waits a few seconds, not minutes. */
const LIFETIME_S = 12;
const HOUR_S = 3600;

const suffix = randomBytes(6).toString('hex');
const client = { clientId: 'clock-sh', clientSecret: `clock-sh-secret-${suffix}` };
const user = { username: 'clock-user', password: `clock-password-${suffix}` };
rememberSecrets([client.clientSecret], 'client secret');
rememberSecrets([user.password], 'password');

const SKIP = faketimeLibrary() ? undefined : 'libfaketime is not installed (apt-get install faketime)';

const FORWARD = {
  scenario: `wall clock of the Node-RED process steps forward 1 h with tokens cached (${LIFETIME_S} s tokens; token endpoint's clock unchanged)`,
  expected:
    'right after the step: 0 token requests, cached tokens used; the renewal due at half-life: 1 token request per identity; 0 requests with an expired token, 0 401s, 0 errors in flows',
};
const BACKWARD = {
  scenario: `then steps back 2 h (to 1 h behind) with tokens cached`,
  expected:
    'right after the step: 0 token requests; the tokens renewed at their real half-life, not an hour later: 1 token request per identity; 0 requests with an expired token, 0 401s, 0 errors',
};

let bed: FaultBed;
let clock: SteppableClock | undefined;

function setup(emulator: Emulator, files: string): { auths: FaultBedAuth[]; targets: FaultBedTarget[] } {
  emulator.configure({ clients: [client], users: [user], accessTokenLifetimeS: { main: LIFETIME_S, CDSE: 600, terrascope: LIFETIME_S } });
  const e = emulator.endpoints;
  return {
    auths: [
      {
        id: 'auth-sh',
        provider: 'sentinel-hub',
        tokenUrl: e.sentinelHub.tokenUrl,
        baseUrl: e.sentinelHub.baseUrl,
        credentials: { ...client },
      },
      { id: 'auth-ts', provider: 'terrascope', tokenUrl: e.terrascope.tokenUrl, baseUrl: e.terrascope.baseUrl, credentials: { ...user } },
    ],
    targets: [
      { id: 'req-sh', auth: 'auth-sh', props: { operation: 'process', accept: 'image/png', output: 'buffer' } },
      {
        id: 'req-ts',
        auth: 'auth-ts',
        props: { operation: 'download', url: '/download/synthetic/4096.bin', directory: files, overwrite: 'always' },
      },
    ],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One call per identity: a Sentinel Hub Process and a Terrascope download. */
async function callBoth(): Promise<FaultBedRun[]> {
  return [await bed.run('req-sh', { payload: PROCESS_REQUEST }), await bed.run('req-ts', { filename: 'f.bin' })];
}

/**
 * Node-RED's wall clock minus the real one, in seconds, from the Date header of its answer. Node
 * keeps that header for up to a second, so the first second after a step still shows the old time.
 */
async function nodeRedClockOffsetS(): Promise<number> {
  await sleep(1_100);
  const res = await fetch(`${bed.url}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } });
  await res.arrayBuffer();
  return Math.round((Date.parse(res.headers.get('date') ?? '') - Date.now()) / 1000);
}

type Counted = GrantCounts & { entries: RequestLogEntry[] };

/** Token requests of each identity after `mark`. */
function tokensSince(mark: number): { sh: Counted; ts: Counted } {
  return { sh: tokenRequests(bed.emulator, mark, byClient(client.clientId)), ts: tokenRequests(bed.emulator, mark, byClient('public')) };
}

/** When the newest token request after `mark` was made (a renewal is due about half a lifetime later). */
function lastTokenTime(mark: number): number {
  const { sh, ts } = tokensSince(mark);
  return Math.max(...[...sh.entries, ...ts.entries].map((e) => e.time));
}

/** API calls after `mark` whose bearer token had expired when the call arrived, and 401 answers. */
function apiAudit(mark: number): { calls: number; expired: number; unauthorized: number } {
  const calls = bed.emulator
    .log()
    .slice(mark)
    .filter((e) => !isTokenRequest(e));
  const expired = (e: RequestLogEntry): boolean => {
    const header = e.headers.authorization;
    const token = typeof header === 'string' ? /^Bearer\s+(\S+)/i.exec(header)?.[1] : undefined;
    const exp = token ? jwtClaims(token)?.exp : undefined;
    return typeof exp === 'number' && exp * 1000 <= e.time;
  };
  return { calls: calls.length, expired: calls.filter(expired).length, unauthorized: calls.filter((e) => e.status === 401).length };
}

const errorsIn = (runs: FaultBedRun[]): number => runs.filter((r) => r.errors.length > 0 || r.outputs.length !== 1).length;
const outcomes = (runs: FaultBedRun[]): string => runs.map(outcomeText).join(' / ');

beforeEach(() => bed?.startScenario());
afterEach(() => bed?.reportUnfinished());

describe.each(faultRuntimes())('clock steps ($engine)', ({ runtime, engine, key }) => {
  let work: string;

  beforeAll(async () => {
    if (SKIP) {
      new Scenario(GROUP, engine, FORWARD.scenario, FORWARD.expected).skip(SKIP);
      new Scenario(GROUP, engine, BACKWARD.scenario, BACKWARD.expected).skip(SKIP);
      return;
    }
    work = tempDir('eo-clock');
    clock = SteppableClock.create(work);
    bed = await FaultBed.start({ setup, runtime, env: clock?.env });
  }, 240_000);

  afterAll(async () => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
    if (!bed) return;
    bed.saveArtifacts(artifactDir(`faults-clock-${key}`));
    await bed.stop();
  }, 60_000);

  (SKIP ? it.skip : it)(
    'forward 1 h, then back 2 h, with tokens cached: no expired token sent, no 401 in a flow, no extra token request',
    async () => {
      const steppable = clock as SteppableClock;
      const start = logMark(bed.emulator);
      const warm = await callBoth();
      const halfLifeMs = (LIFETIME_S * 1000) / 2 + 700;

      // Forward an hour.
      steppable.set(HOUR_S);
      const forwardMark = logMark(bed.emulator);
      const offsetForward = await nodeRedClockOffsetS();
      const afterForward = await callBoth();
      const atForward = tokensSince(forwardMark);
      await sleep(Math.max(0, lastTokenTime(start) + halfLifeMs - Date.now()));
      const renewalMark = logMark(bed.emulator);
      const renewedForward = await callBoth();
      const atRenewal = tokensSince(renewalMark);
      const forwardAudit = apiAudit(forwardMark);
      const fwd = new Scenario(GROUP, engine, FORWARD.scenario, FORWARD.expected)
        .observe(`Node-RED's clock ${offsetForward >= 0 ? '+' : ''}${offsetForward} s; before: ${outcomes(warm)}`)
        .observe(
          `right after: ${outcomes(afterForward)}, token requests Sentinel Hub ${grantsText(atForward.sh)}, Terrascope ${grantsText(atForward.ts)}`,
        )
        .observe(
          `at half-life: ${outcomes(renewedForward)}, token requests Sentinel Hub ${grantsText(atRenewal.sh)}, Terrascope ${grantsText(atRenewal.ts)}`,
        )
        .observe(
          `${forwardAudit.calls} API calls: ${forwardAudit.expired} with an expired token, ${forwardAudit.unauthorized} answered 401`,
        )
        .check('the step took effect in Node-RED (+3600 s ± 2)', Math.abs(offsetForward - HOUR_S) <= 2)
        .check('0 errors in flows', errorsIn([...warm, ...afterForward, ...renewedForward]) === 0)
        .check('0 token requests right after the step', atForward.sh.total === 0 && atForward.ts.total === 0)
        .check('1 token request per identity at half-life', atRenewal.sh.total === 1 && atRenewal.ts.total === 1)
        .check('0 requests with an expired token, 0 401', forwardAudit.expired === 0 && forwardAudit.unauthorized === 0);
      await runtimeHealthy(bed, fwd);

      // Back two hours: now an hour behind the real time.
      steppable.set(-HOUR_S);
      const backwardMark = logMark(bed.emulator);
      const offsetBackward = await nodeRedClockOffsetS();
      const afterBackward = await callBoth();
      const atBackward = tokensSince(backwardMark);
      await sleep(Math.max(0, lastTokenTime(renewalMark) + halfLifeMs - Date.now()));
      const dueMark = logMark(bed.emulator);
      const renewedBackward = await callBoth();
      const atDue = tokensSince(dueMark);
      const backwardAudit = apiAudit(backwardMark);
      steppable.set(0);
      const back = new Scenario(GROUP, engine, BACKWARD.scenario, BACKWARD.expected)
        .observe(`Node-RED's clock ${offsetBackward} s`)
        .observe(
          `right after: ${outcomes(afterBackward)}, token requests Sentinel Hub ${grantsText(atBackward.sh)}, Terrascope ${grantsText(atBackward.ts)}`,
        )
        .observe(
          `at real half-life: ${outcomes(renewedBackward)}, token requests Sentinel Hub ${grantsText(atDue.sh)}, Terrascope ${grantsText(atDue.ts)}`,
        )
        .observe(
          `${backwardAudit.calls} API calls: ${backwardAudit.expired} with an expired token, ${backwardAudit.unauthorized} answered 401`,
        )
        .check('the step took effect in Node-RED (−3600 s ± 2)', Math.abs(offsetBackward + HOUR_S) <= 2)
        .check('0 errors in flows', errorsIn([...afterBackward, ...renewedBackward]) === 0)
        .check('0 token requests right after the step', atBackward.sh.total === 0 && atBackward.ts.total === 0)
        .check('renewed at the real half-life: 1 token request per identity', atDue.sh.total === 1 && atDue.ts.total === 1)
        .check('0 requests with an expired token, 0 401', backwardAudit.expired === 0 && backwardAudit.unauthorized === 0);
      await runtimeHealthy(bed, back);
      try {
        fwd.finish();
      } finally {
        back.finish();
      }
    },
  );
});
