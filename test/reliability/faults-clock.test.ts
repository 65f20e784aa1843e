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
import { faketimeLibrary, SteppableClock } from './support/faketime';
import { byClient, grantsText, isTokenRequest, logMark, outcomeText, Scenario, tokenRequests, type GrantCounts } from './support/observe';
import { describeOnEachRuntime } from './support/runtimes';
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
  return {
    auths: [sentinelHubAuth(emulator, client), terrascopeAuth(emulator, user)],
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

/** What one step of the clock did, measured while tokens were cached. */
interface StepMeasured {
  /** Node-RED's clock against the real one after the step, in seconds. */
  offsetS: number;
  rightAfter: FaultBedRun[];
  tokensRightAfter: { sh: Counted; ts: Counted };
  atHalfLife: FaultBedRun[];
  tokensAtHalfLife: { sh: Counted; ts: Counted };
  audit: { calls: number; expired: number; unauthorized: number };
  /** Where the half-life calls begin in the emulator's log (the next step renews after their tokens). */
  halfLifeMark: number;
}

/**
 * Steps Node-RED's clock to `offsetS` from the real time while the tokens requested after
 * `tokensMark` are cached, calls each identity at once, then again once their real half-life is over.
 */
async function stepClock(clock: SteppableClock, offsetS: number, tokensMark: number): Promise<StepMeasured> {
  clock.set(offsetS);
  const stepMark = logMark(bed.emulator);
  const measuredOffset = await nodeRedClockOffsetS();
  const rightAfter = await callBoth();
  const tokensRightAfter = tokensSince(stepMark);
  await sleep(Math.max(0, lastTokenTime(tokensMark) + (LIFETIME_S * 1000) / 2 + 700 - Date.now()));
  const halfLifeMark = logMark(bed.emulator);
  const atHalfLife = await callBoth();
  return {
    offsetS: measuredOffset,
    rightAfter,
    tokensRightAfter,
    atHalfLife,
    tokensAtHalfLife: tokensSince(halfLifeMark),
    audit: apiAudit(stepMark),
    halfLifeMark,
  };
}

/** A step's row: what happened right after it and at the real half-life of the cached tokens. */
function stepRow(engine: string, row: { scenario: string; expected: string }, step: StepMeasured, wantedOffsetS: number): Scenario {
  const tokens = (t: { sh: Counted; ts: Counted }) => `token requests Sentinel Hub ${grantsText(t.sh)}, Terrascope ${grantsText(t.ts)}`;
  return new Scenario(GROUP, engine, row.scenario, row.expected)
    .observe(`Node-RED's clock ${step.offsetS >= 0 ? '+' : ''}${step.offsetS} s`)
    .observe(`right after: ${outcomes(step.rightAfter)}, ${tokens(step.tokensRightAfter)}`)
    .observe(`at real half-life: ${outcomes(step.atHalfLife)}, ${tokens(step.tokensAtHalfLife)}`)
    .observe(`${step.audit.calls} API calls: ${step.audit.expired} with an expired token, ${step.audit.unauthorized} answered 401`)
    .check(`the step took effect in Node-RED (${wantedOffsetS} s ± 2)`, Math.abs(step.offsetS - wantedOffsetS) <= 2)
    .check('0 errors in flows', errorsIn([...step.rightAfter, ...step.atHalfLife]) === 0)
    .check('0 token requests right after the step', step.tokensRightAfter.sh.total === 0 && step.tokensRightAfter.ts.total === 0)
    .check(
      'renewed at the real half-life: 1 token request per identity',
      step.tokensAtHalfLife.sh.total === 1 && step.tokensAtHalfLife.ts.total === 1,
    )
    .check('0 requests with an expired token, 0 401', step.audit.expired === 0 && step.audit.unauthorized === 0);
}

let work: string | undefined;

describeOnEachRuntime(
  'clock steps',
  {
    artifacts: 'faults-clock',
    start: async (runtime, engine) => {
      if (SKIP) {
        for (const row of [FORWARD, BACKWARD]) new Scenario(GROUP, engine, row.scenario, row.expected).skip(SKIP);
        return undefined;
      }
      work = tempDir('eo-clock');
      clock = SteppableClock.create(work);
      return FaultBed.start({ setup, runtime, env: clock?.env });
    },
    use: (started) => (bed = started),
    beforeStop: () => {
      if (work) fs.rmSync(work, { recursive: true, force: true });
      work = undefined;
    },
  },
  (engine) => {
    (SKIP ? it.skip : it)(
      'forward 1 h, then back 2 h, with tokens cached: no expired token sent, no 401 in a flow, no extra token request',
      async () => {
        const steppable = clock as SteppableClock;
        const start = logMark(bed.emulator);
        const warm = await callBoth();
        const forward = await stepClock(steppable, HOUR_S, start);
        const fwd = stepRow(engine, FORWARD, forward, HOUR_S)
          .observe(`before the step: ${outcomes(warm)}`)
          .check('the calls before the step succeeded', errorsIn(warm) === 0);
        await runtimeHealthy(bed, fwd);
        // Back two hours: now an hour behind the real time.
        const backward = await stepClock(steppable, -HOUR_S, forward.halfLifeMark);
        steppable.set(0);
        const back = stepRow(engine, BACKWARD, backward, -HOUR_S);
        await runtimeHealthy(bed, back);
        try {
          fwd.finish();
        } finally {
          back.finish();
        }
      },
    );
  },
);
