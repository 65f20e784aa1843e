/**
 * Token endpoint faults, end to end: a real Node-RED with the packed package (Node-RED 5 on Node 24,
 * then Node-RED 4.1 on Node 20), EO Request nodes calling the emulator while its token endpoint
 * misbehaves. Every scenario has its own OAuth
 * client (or Terrascope user), so the process-wide token cache starts empty for it and the token
 * requests it caused can be counted apart. For each: the outcome (result, or a Catch message
 * that names the cause), the token requests, recovery once the fault is gone, and the runtime's
 * health (Admin API answers, no unhandled rejection or uncaught exception).
 */
import { randomBytes } from 'node:crypto';
import { rateLimitFault } from '../emulator/server';
import type { Emulator, EmulatorClient, EmulatorConfig, EmulatorUser, FaultScript } from '../emulator/types';
import { rememberSecrets } from './hygiene';
import { describeOnEachRuntime } from './support/runtimes';
import { BLAMES_CREDENTIALS, PROCESS_REQUEST, runtimeHealthy } from './support/fault-checks';
import { FAULT_TEST_TIMEOUT_MS, FaultBed, type FaultBedAuth, type FaultBedRun, type FaultBedTarget } from './support/fault-bed';
import {
  byClient,
  errorCode,
  errorMessage,
  grantsText,
  logMark,
  outcomeText,
  Scenario,
  tokenRequests,
  type GrantCounts,
} from './support/observe';

jest.setTimeout(FAULT_TEST_TIMEOUT_MS);

const GROUP = 'Token endpoint';
const SH_TOKEN_ROUTE = '^POST /oauth/token$';

/** Sentinel Hub identities (one OAuth client each) and Terrascope users of this file. */
const SH_SCENARIOS = [
  'ratelimit',
  'e500',
  'e502',
  'e503',
  'flaky503',
  'hang',
  'html',
  'noaccess',
  'opaque',
  'noexp',
  'expired',
  'c400',
  'c401',
  'c401ic',
  'c400uc',
] as const;
const TS_SCENARIOS = ['refresh', 'password'] as const;
type ShKey = (typeof SH_SCENARIOS)[number];
type TsKey = (typeof TS_SCENARIOS)[number];

const run = randomBytes(6).toString('hex');
const clients: Record<ShKey, EmulatorClient> = Object.fromEntries(
  SH_SCENARIOS.map((k) => [k, { clientId: `faults-token-${k}`, clientSecret: `faults-token-secret-${k}-${run}` }]),
) as Record<ShKey, EmulatorClient>;
const users: Record<TsKey, EmulatorUser> = Object.fromEntries(
  TS_SCENARIOS.map((k) => [k, { username: `faults-token-user-${k}`, password: `faults-token-password-${k}-${run}` }]),
) as Record<TsKey, EmulatorUser>;
rememberSecrets(
  Object.values(clients).map((c) => c.clientSecret),
  'client secret',
);
rememberSecrets(
  Object.values(users).map((u) => u.password),
  'password',
);

let bed: FaultBed;

function setup(emulator: Emulator, files: string): { auths: FaultBedAuth[]; targets: FaultBedTarget[] } {
  emulator.configure({ clients: Object.values(clients), users: Object.values(users) });
  const e = emulator.endpoints;
  const auths: FaultBedAuth[] = [
    ...SH_SCENARIOS.map((k) => ({
      id: `auth-${k}`,
      provider: 'sentinel-hub' as const,
      tokenUrl: e.sentinelHub.tokenUrl,
      baseUrl: e.sentinelHub.baseUrl,
      credentials: { ...clients[k] },
    })),
    ...TS_SCENARIOS.map((k) => ({
      id: `auth-${k}`,
      provider: 'terrascope' as const,
      tokenUrl: e.terrascope.tokenUrl,
      baseUrl: e.terrascope.baseUrl,
      credentials: { ...users[k] },
    })),
  ];
  const targets: FaultBedTarget[] = [
    ...SH_SCENARIOS.map((k) => ({
      id: `req-${k}`,
      auth: `auth-${k}`,
      props: { operation: 'process', accept: 'image/png', output: 'buffer' },
    })),
    ...TS_SCENARIOS.map((k) => ({
      id: `req-${k}`,
      auth: `auth-${k}`,
      props: { operation: 'download', url: '/download/synthetic/4096.bin', directory: `${files}/${k}`, overwrite: 'always' },
    })),
  ];
  return { auths, targets };
}

/** Sends one Process request through scenario `k`'s node and counts its token requests. */
async function callProcess(
  k: ShKey,
  timeoutMs?: number,
): Promise<{ run: FaultBedRun; tokens: GrantCounts & { entries: { time: number }[] } }> {
  const mark = logMark(bed.emulator);
  const result = await bed.run(`req-${k}`, { payload: PROCESS_REQUEST }, { timeoutMs });
  return { run: result, tokens: tokenRequests(bed.emulator, mark, byClient(clients[k].clientId)) };
}

/** After the fault is gone, the same node works again. */
async function recovers(s: Scenario, k: ShKey, expectedTokenRequests: number): Promise<void> {
  const { run: again, tokens } = await callProcess(k);
  const ok = again.errors.length === 0 && again.outputs.length === 1 && (again.outputs[0].bufferLength ?? 0) > 0;
  s.observe(`then ${ok ? 'OK' : outcomeText(again)} with ${tokens.total} token request(s)`);
  s.check('next request succeeds', ok);
  s.check(`next request costs ${expectedTokenRequests} token request(s)`, tokens.total === expectedTokenRequests);
}

function succeeded(r: FaultBedRun): boolean {
  return r.errors.length === 0 && r.outputs.length === 1 && r.outputs[0].statusCode === 200 && (r.outputs[0].bufferLength ?? 0) > 0;
}

describeOnEachRuntime(
  'token endpoint faults',
  { artifacts: 'faults-token-endpoint', start: (runtime) => FaultBed.start({ setup, runtime }), use: (started) => (bed = started) },
  tokenEndpointScenarios,
);

function tokenEndpointScenarios(engine: string): void {
  it('429 with a Retry-After in milliseconds: waits that long, then one more request', async () => {
    const waitMs = 1500;
    bed.emulator.fault(rateLimitFault(SH_TOKEN_ROUTE, waitMs, { times: 1 }));
    const { run: r, tokens } = await callProcess('ratelimit');
    const gap = tokens.entries.length >= 2 ? tokens.entries[1].time - tokens.entries[0].time : NaN;
    const s = new Scenario(GROUP, engine, `429, Retry-After: ${waitMs} (ms)`, `waits ≥ ${waitMs} ms, 2nd token request succeeds; result`)
      .observe(outcomeText(r))
      .observe(`token requests ${grantsText(tokens)}, 2nd after ${gap} ms`)
      .check('result', succeeded(r))
      .check('2 token requests', tokens.total === 2)
      .check(`waited ≥ ${waitMs} ms (milliseconds, not seconds)`, gap >= waitMs);
    await runtimeHealthy(bed, s);
    s.finish();
  });

  const failing: { key: ShKey; status: number; script: Partial<FaultScript>; label: string }[] = [
    {
      key: 'e500',
      status: 500,
      label: '500 (JSON body)',
      script: { body: { error: 'unknown_error', error_description: 'Internal server error' } },
    },
    {
      key: 'e502',
      status: 502,
      label: '502 (HTML body)',
      script: { body: '<html><body><h1>502 Bad Gateway</h1></body></html>', headers: { 'content-type': 'text/html' } },
    },
    {
      key: 'e503',
      status: 503,
      label: '503 (text, Retry-After)',
      script: { body: 'Service Unavailable', headers: { 'retry-after': '1' } },
    },
  ];
  it.each(failing)(
    '$label on every attempt: retried 3 times, then "unavailable", never "bad credentials"',
    async ({ key, status, script, label }) => {
      bed.emulator.fault({ route: SH_TOKEN_ROUTE, status, ...script });
      const { run: r, tokens } = await callProcess(key);
      const message = errorMessage(r);
      const s = new Scenario(
        GROUP,
        engine,
        label,
        'Catch: EO_TOKEN_ENDPOINT_UNAVAILABLE naming the status, not the credentials; 4 token requests (1 + 3 retries); then OK',
      )
        .observe(outcomeText(r))
        .observe(`token requests ${grantsText(tokens)}`)
        .check('Catch got EO_TOKEN_ENDPOINT_UNAVAILABLE', errorCode(r) === 'EO_TOKEN_ENDPOINT_UNAVAILABLE')
        .check(`message names ${status}`, message.includes(String(status)))
        .check('message does not blame the credentials', !BLAMES_CREDENTIALS.test(message))
        .check('no output message', r.outputs.length === 0)
        .check('4 token requests', tokens.total === 4);
      bed.emulator.clearFaults();
      await recovers(s, key, 1);
      await runtimeHealthy(bed, s);
      s.finish();
    },
  );

  it('503 twice, then a token: retried, result', async () => {
    bed.emulator.fault({ route: SH_TOKEN_ROUTE, status: 503, body: 'Service Unavailable', times: 2 });
    const { run: r, tokens } = await callProcess('flaky503');
    const s = new Scenario(GROUP, engine, '503 twice, then OK', 'result after 3 token requests')
      .observe(outcomeText(r))
      .observe(`token requests ${grantsText(tokens)}`)
      .check('result', succeeded(r))
      .check('3 token requests', tokens.total === 3);
    await runtimeHealthy(bed, s);
    s.finish();
  });

  it('a token request that hangs past the 30 s timeout: given up, retried, result', async () => {
    bed.emulator.fault({ route: SH_TOKEN_ROUTE, hang: true, times: 1 });
    const { run: r, tokens } = await callProcess('hang', 90_000);
    const gap = tokens.entries.length >= 2 ? tokens.entries[1].time - tokens.entries[0].time : NaN;
    const s = new Scenario(GROUP, engine, 'hangs past the timeout (once)', 'gives up after 30 s, 2nd token request succeeds; result')
      .observe(outcomeText(r))
      .observe(`token requests ${grantsText(tokens)}, 2nd after ${(gap / 1000).toFixed(1)} s`)
      .check('result', succeeded(r))
      .check('2 token requests', tokens.total === 2)
      .check('gave up only at the 30 s timeout (2nd request ≥ 29 s after the 1st)', gap >= 29_000);
    await runtimeHealthy(bed, s);
    s.finish();
  });

  const notToken: { key: ShKey; label: string; script: Partial<FaultScript>; says: RegExp }[] = [
    {
      key: 'html',
      label: 'HTML instead of JSON (200)',
      script: { status: 200, body: '<!doctype html><html><body>Sign in</body></html>', headers: { 'content-type': 'text/html' } },
      says: /HTML/,
    },
    {
      key: 'noaccess',
      label: '200 without access_token',
      script: { status: 200, body: { token_type: 'Bearer', expires_in: 3600 } },
      says: /without access_token/,
    },
  ];
  it.each(notToken)('$label: "not a token endpoint", field Token URL, not retried', async ({ key, label, script, says }) => {
    bed.emulator.fault({ route: SH_TOKEN_ROUTE, ...script });
    const { run: r, tokens } = await callProcess(key);
    const message = errorMessage(r);
    const s = new Scenario(GROUP, engine, label, 'Catch: EO_NOT_A_TOKEN_ENDPOINT naming Token URL; 1 token request; then OK')
      .observe(outcomeText(r))
      .observe(`token requests ${grantsText(tokens)}`)
      .check('Catch got EO_NOT_A_TOKEN_ENDPOINT', errorCode(r) === 'EO_NOT_A_TOKEN_ENDPOINT')
      .check('message says what came back', says.test(message))
      .check('message names the field tokenUrl', /field: tokenUrl/.test(message))
      .check('1 token request', tokens.total === 1);
    bed.emulator.clearFaults();
    await recovers(s, key, 1);
    await runtimeHealthy(bed, s);
    s.finish();
  });

  const unusual: { key: ShKey; label: string; config: 'opaqueTokens' | 'omitExp' }[] = [
    { key: 'opaque', label: 'a token that is not a JWT', config: 'opaqueTokens' },
    { key: 'noexp', label: 'a JWT without exp', config: 'omitExp' },
  ];
  it.each(unusual)('$label: used, kept by expires_in, one token request for two calls', async ({ key, label, config }) => {
    bed.emulator.configure({ [config]: true });
    try {
      const first = await callProcess(key);
      const second = await callProcess(key);
      const s = new Scenario(GROUP, engine, label, 'two results, 1 token request (lifetime from expires_in)')
        .observe(`${outcomeText(first.run)}, then ${outcomeText(second.run)}`)
        .observe(`token requests ${first.tokens.total} + ${second.tokens.total}`)
        .check('both results', succeeded(first.run) && succeeded(second.run))
        .check('1 token request for both', first.tokens.total === 1 && second.tokens.total === 0);
      await runtimeHealthy(bed, s);
      s.finish();
    } finally {
      bed.emulator.configure({ [config]: false });
    }
  });

  it('an already expired token: one more try, then a clear clock error; OK once the clock is right', async () => {
    bed.emulator.configure({ clockSkewS: -7200 });
    let r: FaultBedRun;
    let tokens: GrantCounts;
    try {
      ({ run: r, tokens } = await callProcess('expired'));
    } finally {
      bed.emulator.configure({ clockSkewS: 0 });
    }
    const s = new Scenario(
      GROUP,
      engine,
      'already expired token (clock 2 h behind)',
      'Catch: EO_AUTH_REJECTED "already expired", hint about the clock; 2 token requests; then OK',
    )
      .observe(outcomeText(r))
      .observe(`token requests ${grantsText(tokens)}`)
      .check('Catch got EO_AUTH_REJECTED', errorCode(r) === 'EO_AUTH_REJECTED')
      .check('message says the token is already expired', /already expired/.test(errorMessage(r)))
      .check('2 token requests', tokens.total === 2);
    await recovers(s, 'expired', 1);
    await runtimeHealthy(bed, s);
    s.finish();
  });

  const rejected: { key: ShKey; status: number; error: string; field: string }[] = [
    { key: 'c400', status: 400, error: 'invalid_client', field: 'clientId' },
    { key: 'c401', status: 401, error: 'unauthorized_client', field: 'clientSecret' },
    { key: 'c401ic', status: 401, error: 'invalid_client', field: 'clientId' },
    { key: 'c400uc', status: 400, error: 'unauthorized_client', field: 'clientSecret' },
  ];
  it.each(rejected)(
    '$status $error: "the client id or secret is wrong" (field $field), not retried',
    async ({ key, status, error, field }) => {
      bed.emulator.fault({
        route: SH_TOKEN_ROUTE,
        status,
        body: { error, error_description: 'Invalid client or Invalid client credentials' },
      });
      const { run: r, tokens } = await callProcess(key);
      const message = errorMessage(r);
      const s = new Scenario(
        GROUP,
        engine,
        `${status} ${error}`,
        `Catch: EO_AUTH_INVALID_CLIENT "rejected the client id or secret" (field ${field}); 1 token request; then OK`,
      )
        .observe(outcomeText(r))
        .observe(`token requests ${grantsText(tokens)}`)
        .check('Catch got EO_AUTH_INVALID_CLIENT', errorCode(r) === 'EO_AUTH_INVALID_CLIENT')
        .check('message says the credentials are wrong', /rejected the client id or secret/.test(message))
        .check(`message names the field ${field}`, message.includes(`(field: ${field})`))
        .check('1 token request (4xx is not retried)', tokens.total === 1);
      bed.emulator.clearFaults();
      await recovers(s, key, 1);
      await runtimeHealthy(bed, s);
      s.finish();
    },
  );

  /** A Terrascope download through scenario `k`; counts the public client's token requests. */
  async function download(k: TsKey, filename: string): Promise<{ run: FaultBedRun; tokens: GrantCounts }> {
    const mark = logMark(bed.emulator);
    const result = await bed.run(`req-${k}`, { filename });
    return { run: result, tokens: tokenRequests(bed.emulator, mark, byClient('public')) };
  }
  const downloaded = (r: FaultBedRun): boolean =>
    r.errors.length === 0 && r.outputs.length === 1 && (r.outputs[0].eo as { bytes?: number } | undefined)?.bytes === 4096;

  it('Terrascope invalid_grant on refresh: falls back to the password grant, result', async () => {
    // Short-lived access tokens, so the second call renews with the refresh token.
    bed.emulator.configure({ accessTokenLifetimeS: { terrascope: 4 } as EmulatorConfig['accessTokenLifetimeS'] });
    try {
      const first = await download('refresh', 'first.bin');
      bed.emulator.revokeRefreshTokens();
      // Past half the 4 s lifetime the cache renews before use.
      await new Promise((r) => setTimeout(r, 2500));
      const second = await download('refresh', 'second.bin');
      const files = bed.filesIn('refresh').filter((f) => !f.endsWith('.meta.json'));
      const s = new Scenario(
        GROUP,
        engine,
        'Terrascope invalid_grant on refresh',
        'refresh refused → password grant → result (refresh 1, password 1)',
      )
        .observe(`${outcomeText(first.run)}, then ${outcomeText(second.run)}`)
        .observe(`token requests ${grantsText(first.tokens)}, then ${grantsText(second.tokens)}`)
        .observe(`files: ${files.join(', ')}`)
        .check('both downloads complete', downloaded(first.run) && downloaded(second.run))
        .check('first: 1 password grant', first.tokens.total === 1 && first.tokens.password === 1)
        .check(
          'second: refresh refused, then 1 password grant',
          second.tokens.refresh_token === 1 && second.tokens.password === 1 && second.tokens.total === 2,
        )
        .check('both files complete, no .part', files.join(',') === 'first.bin,second.bin');
      await runtimeHealthy(bed, s);
      s.finish();
    } finally {
      bed.emulator.configure({ accessTokenLifetimeS: { terrascope: 300 } as EmulatorConfig['accessTokenLifetimeS'] });
    }
  });

  it('Terrascope invalid_grant on the password grant: a clear "username or password" error', async () => {
    // The emulator no longer knows this user's password: it answers 401 invalid_grant, as Keycloak does.
    bed.emulator.configure({ users: [{ ...users.refresh }] });
    let r: FaultBedRun;
    let tokens: GrantCounts;
    try {
      ({ run: r, tokens } = await download('password', 'refused.bin'));
    } finally {
      bed.emulator.configure({ users: Object.values(users) });
    }
    const message = errorMessage(r);
    const again = await download('password', 'after.bin');
    const files = bed.filesIn('password').filter((f) => !f.endsWith('.meta.json'));
    const s = new Scenario(
      GROUP,
      engine,
      'Terrascope invalid_grant on password',
      'Catch: EO_AUTH_INVALID_GRANT "rejected the username or password" (field password); 1 token request; no file; then OK',
    )
      .observe(outcomeText(r))
      .observe(`token requests ${grantsText(tokens)}`)
      .observe(`then ${outcomeText(again.run)} with ${grantsText(again.tokens)} token request(s); files: ${files.join(', ') || 'none'}`)
      .check('Catch got EO_AUTH_INVALID_GRANT', errorCode(r) === 'EO_AUTH_INVALID_GRANT')
      .check('message says username or password', /username or password/.test(message) && message.includes('(field: password)'))
      .check('1 token request, no refresh and no retry', tokens.total === 1 && tokens.password === 1)
      .check('no file from the refused run', !files.some((f) => f.startsWith('refused')))
      .check('next run succeeds', downloaded(again.run))
      .check('the message holds no password', !message.includes(users.password.password) && !message.includes(users.refresh.password));
    await runtimeHealthy(bed, s);
    s.finish();
  });
}
