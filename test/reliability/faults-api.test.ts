/**
 * API faults, end to end: a real Node-RED with the packed package (Node-RED 5 on Node 24, then
 * Node-RED 4.1 on Node 20) calling the emulator's Process API, Terrascope downloads, WorldCover
 * tiles and STAC while they misbehave. Tokens are fetched once before the scenarios, so every
 * token request a scenario causes is counted. For each: the outcome, token requests, API requests,
 * what is on disk (never a file that looks complete when it is not; a resumed file
 * byte-identical), and the runtime's health.
 *
 * The https → http redirect needs an https origin: a loopback TLS front with a self-signed
 * certificate (support/tls-front.ts) that Node-RED trusts through NODE_EXTRA_CA_CERTS.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../support/paths';
import { bodyBytes, COMMON_UNAUTHORIZED_BODY, rateLimitFault, syntheticSource } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { rememberSecrets } from './hygiene';
import { describeOnEachRuntime } from './support/runtimes';
import type { NodeRedRuntime } from '../support/node-red-process';
import { PROCESS_REQUEST, runtimeHealthy } from './support/fault-checks';
import {
  FAULT_TEST_TIMEOUT_MS,
  FaultBed,
  RUN_TIMEOUT_MS,
  type FaultBedAuth,
  type FaultBedRun,
  type FaultBedTarget,
} from './support/fault-bed';
import {
  apiRequests,
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
import { loopbackCertificate, startTlsFront, type LoopbackCertificate, type TlsFront } from './support/tls-front';

jest.setTimeout(FAULT_TEST_TIMEOUT_MS);

const GROUP = 'API';

/** Four WorldCover tiles (the box crosses two tile borders). */
const WORLDCOVER_BBOX = '2.9,50.9,3.1,51.1';
const TILE_BYTES = 64 * 1024;

const suffix = randomBytes(6).toString('hex');
const client = { clientId: 'faults-api-client', clientSecret: `faults-api-secret-${suffix}` };
const user = { username: 'faults-api-user', password: `faults-api-password-${suffix}` };
const tlsUser = { username: 'faults-api-tls-user', password: `faults-api-tls-password-${suffix}` };
rememberSecrets([client.clientSecret], 'client secret');
rememberSecrets([user.password, tlsUser.password], 'password');

let bed: FaultBed;
let certificate: LoopbackCertificate | undefined;
let front: TlsFront | undefined;
/** Holds the test certificate and its key: not an artefact (a key is nothing to publish). */
const tlsDir = tempDir('eo-faults-tls');

/** Starts the emulator, its TLS front and Node-RED on `runtime`, and fetches the tokens. */
async function startBed(runtime: NodeRedRuntime): Promise<FaultBed> {
  const cert = (certificate ??= await loopbackCertificate(tlsDir));
  const started = await FaultBed.start({
    runtime,
    env: { NODE_EXTRA_CA_CERTS: cert.certFile },
    setup: async (emulator: Emulator, files: string) => {
      emulator.configure({ clients: [client], users: [user, tlsUser], worldCoverTileBytes: TILE_BYTES });
      front = await startTlsFront(cert, emulator.url);
      const e = emulator.endpoints;
      const auths: FaultBedAuth[] = [
        {
          id: 'auth-sh',
          provider: 'sentinel-hub',
          tokenUrl: e.sentinelHub.tokenUrl,
          baseUrl: e.sentinelHub.baseUrl,
          credentials: client,
        },
        { id: 'auth-ts', provider: 'terrascope', tokenUrl: e.terrascope.tokenUrl, baseUrl: e.terrascope.baseUrl, credentials: user },
        { id: 'auth-tls', provider: 'terrascope', tokenUrl: e.terrascope.tokenUrl, baseUrl: front.url, credentials: tlsUser },
      ];
      const targets: FaultBedTarget[] = [
        { id: 'req-process', auth: 'auth-sh', props: { operation: 'process', accept: 'image/png', output: 'buffer' } },
        {
          id: 'req-process-file',
          auth: 'auth-sh',
          props: { operation: 'process', accept: 'image/png', output: 'file', directory: path.join(files, 'process') },
        },
        {
          id: 'req-batch',
          auth: 'auth-sh',
          props: { operation: 'request', method: 'POST', url: '/api/v2/batch/process', output: 'json' },
        },
        { id: 'req-download', auth: 'auth-ts', props: { operation: 'download', directory: path.join(files, 'dl') } },
        {
          id: 'req-worldcover',
          auth: 'auth-ts',
          props: { operation: 'worldcover', bbox: WORLDCOVER_BBOX, year: '2021', directory: path.join(files, 'wc'), overwrite: 'always' },
        },
        { id: 'req-stac', auth: 'auth-ts', props: { operation: 'request', method: 'GET', output: 'json' } },
        { id: 'req-tls', auth: 'auth-tls', props: { operation: 'download', directory: path.join(files, 'tls') } },
      ];
      return { auths, targets };
    },
  });
  // Tokens first, so the scenarios below count only the token requests their faults cause.
  const warm = [
    await started.run('req-process', { payload: PROCESS_REQUEST }),
    await started.run('req-download', { url: '/download/synthetic/1024.bin', filename: 'warm.bin' }),
    await started.run('req-tls', { url: '/download/synthetic/1024.bin', filename: 'warm.bin' }),
  ];
  for (const r of warm) if (r.errors.length) throw new Error(`warm-up failed: ${outcomeText(r)}`);
  return started;
}

afterAll(() => fs.rmSync(tlsDir, { recursive: true, force: true }));

interface Measured {
  run: FaultBedRun;
  /** Token requests of every identity of this file. */
  tokens: GrantCounts;
  mark: number;
}

async function measure(target: string, msg: Record<string, unknown>, count = 1): Promise<Measured> {
  const mark = logMark(bed.emulator);
  const r = await bed.run(target, msg, { count });
  const all = tokenRequests(bed.emulator, mark, (e) => byClient(client.clientId)(e) || byClient('public')(e));
  return { run: r, tokens: all, mark };
}

/** The runtime is up, lost no error, and (faults cleared) a normal call still works on the cached token. */
async function healthy(s: Scenario): Promise<void> {
  await runtimeHealthy(bed, s);
  bed.emulator.clearFaults();
  const after = await measure('req-process', { payload: PROCESS_REQUEST });
  const works = ok(after.run) && (after.run.outputs[0].bufferLength ?? 0) > 0 && after.tokens.total === 0;
  s.observe(`next call ${works ? 'OK' : `${outcomeText(after.run)}, token requests ${grantsText(after.tokens)}`}`);
  s.check('a following normal call succeeds without a token request', works);
}

const ok = (r: FaultBedRun, count = 1): boolean => r.errors.length === 0 && r.outputs.length === count;
const syntheticBody = (size: number): Buffer => bodyBytes(syntheticSource(size));
function identical(file: string, size: number): boolean {
  return fs.existsSync(file) && fs.readFileSync(file).equals(syntheticBody(size));
}
const dlFiles = (prefix: string): string[] => bed.filesIn('dl').filter((f) => f.startsWith(prefix));

describeOnEachRuntime(
  'API faults',
  {
    artifacts: 'faults-api',
    start: startBed,
    use: (started) => (bed = started),
    beforeStop: async () => {
      await front?.close();
      front = undefined;
    },
    startTimeoutMs: 240_000 + 3 * RUN_TIMEOUT_MS,
  },
  apiScenarios,
);

function apiScenarios(engine: string): void {
  it('401 in the middle of a flow (tile 2 of 4): one new token, all tiles complete', async () => {
    bed.emulator.fault({
      route: '^GET /download/',
      status: 401,
      body: COMMON_UNAUTHORIZED_BODY,
      headers: { 'www-authenticate': 'Bearer' },
      after: 1,
      times: 1,
    });
    const m = await measure('req-worldcover', {}, 4);
    const tiles = bed.filesIn('wc');
    const complete = tiles.filter((f) => f.endsWith('.tif') && fs.statSync(path.join(bed.files, 'wc', f)).size === TILE_BYTES);
    const downloads = apiRequests(bed.emulator, m.mark, /^GET \/download\//);
    const s = new Scenario(
      GROUP,
      engine,
      '401 in the middle of a flow (WorldCover tile 2 of 4)',
      '4 tiles complete; 1 token request (refresh); the 401 call replayed once',
    )
      .observe(`${m.run.outputs.length} tiles out, ${m.run.errors.length} errors`)
      .observe(`token requests ${grantsText(m.tokens)}; ${downloads.length} download requests`)
      .observe(`files: ${complete.length} complete .tif, ${tiles.filter((f) => f.endsWith('.part')).length} .part`)
      .check('4 tiles, no error', ok(m.run, 4))
      .check('1 token request', m.tokens.total === 1)
      .check('5 download requests (4 + 1 replay)', downloads.length === 5)
      .check('4 complete tiles, no .part', complete.length === 4 && !tiles.some((f) => f.endsWith('.part')));
    await healthy(s);
    s.finish();
  });

  it('401 that persists: one token renewal, then a clear 401 error', async () => {
    bed.emulator.fault({
      route: '^POST /api/v1/process$',
      status: 401,
      body: COMMON_UNAUTHORIZED_BODY,
      headers: { 'www-authenticate': 'Bearer' },
    });
    const m = await measure('req-process', { payload: PROCESS_REQUEST });
    const calls = apiRequests(bed.emulator, m.mark, /^POST \/api\/v1\/process$/);
    const s = new Scenario(
      GROUP,
      engine,
      '401 on every call',
      'Catch: EO_HTTP_STATUS 401 with a hint; 1 token request; 2 calls (one replay)',
    )
      .observe(outcomeText(m.run))
      .observe(`token requests ${grantsText(m.tokens)}; ${calls.length} calls`)
      .check('Catch got EO_HTTP_STATUS', errorCode(m.run) === 'EO_HTTP_STATUS')
      .check('message names 401', /401/.test(errorMessage(m.run)))
      .check('1 token request', m.tokens.total === 1)
      .check('2 calls', calls.length === 2);
    bed.emulator.clearFaults();
    const again = await measure('req-process', { payload: PROCESS_REQUEST });
    s.observe(`then ${outcomeText(again.run)}`).check('next request succeeds', ok(again.run));
    await healthy(s);
    s.finish();
  });

  it('429 with Retry-After in milliseconds: waits that long, one more call, result', async () => {
    const waitMs = 1200;
    bed.emulator.fault(rateLimitFault('^POST /api/v1/process$', waitMs, { times: 1 }));
    const m = await measure('req-process', { payload: PROCESS_REQUEST });
    const calls = apiRequests(bed.emulator, m.mark, /^POST \/api\/v1\/process$/);
    const gap = calls.length >= 2 ? calls[1].time - calls[0].time : NaN;
    const s = new Scenario(GROUP, engine, `429, Retry-After: ${waitMs} (ms)`, `waits ≥ ${waitMs} ms, 2 calls, result; 0 token requests`)
      .observe(outcomeText(m.run))
      .observe(`${calls.length} calls, 2nd after ${gap} ms; token requests ${grantsText(m.tokens)}`)
      .check('result', ok(m.run))
      .check('2 calls', calls.length === 2)
      .check(`waited ≥ ${waitMs} ms`, gap >= waitMs)
      .check('0 token requests', m.tokens.total === 0);
    await healthy(s);
    s.finish();
  });

  it('429 asking for longer than the 60 s limit: a clear rate-limit error at once', async () => {
    bed.emulator.fault(rateLimitFault('^POST /api/v1/process$', 120_000));
    const m = await measure('req-process', { payload: PROCESS_REQUEST });
    const calls = apiRequests(bed.emulator, m.mark, /^POST \/api\/v1\/process$/);
    const s = new Scenario(
      GROUP,
      engine,
      '429, Retry-After: 120000 (ms)',
      'Catch: EO_RATE_LIMITED naming the wait; 1 call; 0 token requests',
    )
      .observe(outcomeText(m.run))
      .observe(`${calls.length} calls; token requests ${grantsText(m.tokens)}`)
      .check('Catch got EO_RATE_LIMITED', errorCode(m.run) === 'EO_RATE_LIMITED')
      .check('message names the 120 s wait', /120 s/.test(errorMessage(m.run)))
      .check('1 call', calls.length === 1)
      .check('0 token requests', m.tokens.total === 0);
    await healthy(s);
    s.finish();
  });

  it('503 twice on Process (a read-only POST): retried, result', async () => {
    bed.emulator.fault({
      route: '^POST /api/v1/process$',
      status: 503,
      body: { error: { status: 503, reason: 'Service Unavailable' } },
      times: 2,
    });
    const m = await measure('req-process', { payload: PROCESS_REQUEST });
    const calls = apiRequests(bed.emulator, m.mark, /^POST \/api\/v1\/process$/);
    const s = new Scenario(GROUP, engine, '503 twice (Process)', 'result after 3 calls; 0 token requests')
      .observe(outcomeText(m.run))
      .observe(`${calls.length} calls; token requests ${grantsText(m.tokens)}`)
      .check('result', ok(m.run))
      .check('3 calls', calls.length === 3)
      .check('0 token requests', m.tokens.total === 0);
    await healthy(s);
    s.finish();
  });

  it('500 on every attempt of a download: 3 retries, a clear error, no file', async () => {
    bed.emulator.fault({ route: '^GET /download/synthetic/', status: 500, body: { error: 'Internal Server Error' } });
    const m = await measure('req-download', { url: '/download/synthetic/8192.bin', filename: 'e500.bin' });
    const calls = apiRequests(bed.emulator, m.mark, /^GET \/download\//);
    const left = dlFiles('e500');
    const s = new Scenario(
      GROUP,
      engine,
      '500 on every attempt (download)',
      'Catch: EO_HTTP_STATUS 500 "still failed after 3 retries"; 4 calls; no file',
    )
      .observe(outcomeText(m.run))
      .observe(`${calls.length} calls; token requests ${grantsText(m.tokens)}; files: ${left.join(', ') || 'none'}`)
      .check('Catch got EO_HTTP_STATUS', errorCode(m.run) === 'EO_HTTP_STATUS')
      .check('message names 500 and the retries', /500/.test(errorMessage(m.run)) && /3 retries/.test(errorMessage(m.run)))
      .check('4 calls', calls.length === 4)
      .check('no file', left.length === 0)
      .check('0 token requests', m.tokens.total === 0);
    await healthy(s);
    s.finish();
  });

  it('502 on a batch creation (not safe to repeat): not retried, a clear error', async () => {
    bed.emulator.fault({
      route: '^POST /api/v2/batch/process$',
      status: 502,
      body: '<html>Bad Gateway</html>',
      headers: { 'content-type': 'text/html' },
    });
    const m = await measure('req-batch', { payload: { processRequest: PROCESS_REQUEST, tilingGrid: { id: 1, resolution: 10 } } });
    const calls = apiRequests(bed.emulator, m.mark, /^POST \/api\/v2\/batch\/process$/);
    const s = new Scenario(GROUP, engine, '502 on batch creation (POST)', 'Catch: EO_HTTP_STATUS 502 "not retried"; 1 call')
      .observe(outcomeText(m.run))
      .observe(`${calls.length} calls; token requests ${grantsText(m.tokens)}`)
      .check('Catch got EO_HTTP_STATUS', errorCode(m.run) === 'EO_HTTP_STATUS')
      .check('message says it was not retried', /not retried/i.test(errorMessage(m.run)))
      .check('1 call', calls.length === 1)
      .check('0 token requests', m.tokens.total === 0);
    await healthy(s);
    s.finish();
  });

  it('a reset halfway through a download: resumed with Range, byte-identical', async () => {
    const size = 300_000;
    bed.emulator.fault({ route: '^GET /download/synthetic/', resetAfterBytes: size / 2, times: 1 });
    const m = await measure('req-download', { url: `/download/synthetic/${size}.bin`, filename: 'reset-once.bin' });
    const calls = apiRequests(bed.emulator, m.mark, /^GET \/download\//);
    const ranged = calls.filter((c) => typeof c.headers.range === 'string').length;
    const same = identical(path.join(bed.files, 'dl', 'reset-once.bin'), size);
    const s = new Scenario(
      GROUP,
      engine,
      'connection reset at 50 % (once)',
      'resumed with Range; complete, byte-identical; 0 token requests',
    )
      .observe(outcomeText(m.run))
      .observe(
        `${calls.length} calls (${ranged} with Range), resumed ${String((m.run.outputs[0]?.eo as { resumed?: number } | undefined)?.resumed ?? 0)}; byte-identical ${same}; files: ${dlFiles('reset-once').join(', ')}`,
      )
      .check('result', ok(m.run))
      .check('resumed with a Range request', ranged === 1 && calls.length === 2)
      .check('byte-identical', same)
      .check('no .part left', !dlFiles('reset-once').some((f) => f.endsWith('.part')))
      .check('0 token requests', m.tokens.total === 0);
    await healthy(s);
    s.finish();
  });

  it('resets on every attempt: a clear error, only .part on disk; the next run resumes to a byte-identical file', async () => {
    const size = 400_000;
    bed.emulator.fault({ route: '^GET /download/synthetic/', resetAfterBytes: 40_000 });
    const m = await measure('req-download', { url: `/download/synthetic/${size}.bin`, filename: 'reset-always.bin' });
    const afterFailure = dlFiles('reset-always');
    const partFile = path.join(bed.files, 'dl', 'reset-always.bin.part');
    const partSize = fs.existsSync(partFile) ? fs.statSync(partFile).size : 0;
    bed.emulator.clearFaults();
    const again = await measure('req-download', { url: `/download/synthetic/${size}.bin`, filename: 'reset-always.bin' });
    const calls = apiRequests(bed.emulator, again.mark, /^GET \/download\//);
    const same = identical(path.join(bed.files, 'dl', 'reset-always.bin'), size);
    const s = new Scenario(
      GROUP,
      engine,
      'connection reset on every attempt',
      'Catch: EO_DOWNLOAD_INCOMPLETE; only .part (+ .meta.json), no file; next run resumes (1 Range call), byte-identical',
    )
      .observe(outcomeText(m.run))
      .observe(`files after: ${afterFailure.join(', ')} (.part ${partSize} bytes)`)
      .observe(
        `then ${outcomeText(again.run)}, ${calls.length} call(s) with Range ${String(calls[0]?.headers.range ?? 'none')}; byte-identical ${same}`,
      )
      .check('Catch got EO_DOWNLOAD_INCOMPLETE', errorCode(m.run) === 'EO_DOWNLOAD_INCOMPLETE')
      .check('no final file after the failure', !afterFailure.includes('reset-always.bin'))
      .check('.part kept with some bytes', partSize > 0 && partSize < size)
      .check('next run resumes with one Range call', ok(again.run) && calls.length === 1 && calls[0].headers.range === `bytes=${partSize}-`)
      .check('byte-identical', same)
      .check('0 token requests', m.tokens.total === 0 && again.tokens.total === 0);
    await healthy(s);
    s.finish();
  });

  it('a download body shorter than Content-Length: resumed, byte-identical', async () => {
    const size = 300_000;
    bed.emulator.fault({ route: '^GET /download/synthetic/', shortBodyBytes: 100_000, times: 1 });
    const m = await measure('req-download', { url: `/download/synthetic/${size}.bin`, filename: 'short.bin' });
    const calls = apiRequests(bed.emulator, m.mark, /^GET \/download\//);
    const same = identical(path.join(bed.files, 'dl', 'short.bin'), size);
    const s = new Scenario(GROUP, engine, 'body shorter than Content-Length (download)', 'resumed with Range; complete, byte-identical')
      .observe(outcomeText(m.run))
      .observe(
        `${calls.length} calls, 2nd Range ${String(calls[1]?.headers.range ?? 'none')}; byte-identical ${same}; files: ${dlFiles('short').join(', ')}`,
      )
      .check('result', ok(m.run))
      .check('resumed from byte 100000', calls.length === 2 && calls[1].headers.range === 'bytes=100000-')
      .check('byte-identical', same)
      .check('no .part left', !dlFiles('short').some((f) => f.endsWith('.part')))
      .check('0 token requests', m.tokens.total === 0);
    await healthy(s);
    s.finish();
  });

  it('a Process answer shorter than Content-Length, saved to a file: a clear error, no file', async () => {
    bed.emulator.fault({ route: '^POST /api/v1/process$', shortBodyBytes: 200, times: 1 });
    const m = await measure('req-process-file', { payload: PROCESS_REQUEST, filename: 'short.png' });
    const left = bed.filesIn('process');
    const again = await measure('req-process-file', { payload: PROCESS_REQUEST, filename: 'short.png' });
    const after = bed.filesIn('process');
    const s = new Scenario(
      GROUP,
      engine,
      'body shorter than Content-Length (Process → file)',
      'Catch: EO_DOWNLOAD_INCOMPLETE; no file, no .part; next run writes the file',
    )
      .observe(outcomeText(m.run))
      .observe(`files after: ${left.join(', ') || 'none'}; then ${outcomeText(again.run)}, files: ${after.join(', ')}`)
      .check('Catch got EO_DOWNLOAD_INCOMPLETE', errorCode(m.run) === 'EO_DOWNLOAD_INCOMPLETE')
      .check('message says the file was not created', /not created/.test(errorMessage(m.run)))
      .check('nothing on disk', left.length === 0)
      .check('next run writes short.png', ok(again.run) && after.includes('short.png') && !after.some((f) => f.endsWith('.part')))
      .check('0 token requests', m.tokens.total === 0);
    await healthy(s);
    s.finish();
  });

  it('a Process answer shorter than Content-Length, read into memory: retried, result', async () => {
    bed.emulator.fault({ route: '^POST /api/v1/process$', shortBodyBytes: 200, times: 1 });
    const m = await measure('req-process', { payload: PROCESS_REQUEST });
    const calls = apiRequests(bed.emulator, m.mark, /^POST \/api\/v1\/process$/);
    const full = (m.run.outputs[0]?.bufferLength ?? 0) > 200;
    const s = new Scenario(
      GROUP,
      engine,
      'body shorter than Content-Length (Process → buffer)',
      'retried (read-only POST); full result; 2 calls',
    )
      .observe(outcomeText(m.run))
      .observe(`${calls.length} calls; token requests ${grantsText(m.tokens)}`)
      .check('full result', ok(m.run) && full)
      .check('2 calls', calls.length === 2)
      .check('0 token requests', m.tokens.total === 0);
    await healthy(s);
    s.finish();
  });

  it('a redirect to another origin: followed without the token', async () => {
    bed.emulator.fault({ route: '^GET /stac$', origin: 'main', status: 302, redirectTo: 'second:/stac' });
    const m = await measure('req-stac', { url: '/stac' });
    const main = apiRequests(bed.emulator, m.mark, /^GET \/stac$/).filter((e) => e.origin === 'main');
    const second = apiRequests(bed.emulator, m.mark, /^GET \/stac$/).filter((e) => e.origin === 'second');
    const tokenSent = second.some((e) => e.headers.authorization !== undefined);
    const s = new Scenario(
      GROUP,
      engine,
      '302 to another origin (public STAC)',
      'result from the other origin; Authorization not sent there',
    )
      .observe(outcomeText(m.run))
      .observe(
        `main ${main.length} (with token ${main.filter((e) => e.headers.authorization).length}), other origin ${second.length} (with token ${second.filter((e) => e.headers.authorization).length})`,
      )
      .check('result', ok(m.run) && m.run.outputs[0].statusCode === 200)
      .check('the other origin was asked once', second.length === 1)
      .check('no Authorization to the other origin', !tokenSent)
      .check('0 token requests', m.tokens.total === 0);
    await healthy(s);
    s.finish();
  });

  it('a redirect to another origin that wants a token: a clear error saying the token stays home', async () => {
    bed.emulator.fault({ route: '^POST /api/v1/process$', origin: 'main', status: 307, redirectTo: 'second:/api/v1/process' });
    const m = await measure('req-process', { payload: PROCESS_REQUEST });
    const second = apiRequests(bed.emulator, m.mark, /^POST \/api\/v1\/process$/).filter((e) => e.origin === 'second');
    const s = new Scenario(
      GROUP,
      engine,
      '307 to another origin (Process)',
      'Catch: EO_HTTP_STATUS 401 "redirected to … never receives the access token"; no token sent there',
    )
      .observe(outcomeText(m.run))
      .observe(
        `other origin asked ${second.length}×, with token ${second.filter((e) => e.headers.authorization).length}×; token requests ${grantsText(m.tokens)}`,
      )
      .check('Catch got EO_HTTP_STATUS', errorCode(m.run) === 'EO_HTTP_STATUS')
      .check('message explains the token does not follow', /never receives the access token/.test(errorMessage(m.run)))
      .check('no Authorization to the other origin', second.length === 1 && second[0].headers.authorization === undefined)
      .check('0 token requests (the token was not invalidated)', m.tokens.total === 0);
    await healthy(s);
    s.finish();
  });

  it('a redirect from https to http: refused, nothing sent to the http URL, no file', async () => {
    bed.emulator.fault({ route: '^GET /download/synthetic/2048.bin$', status: 302, redirectTo: 'main:/download/synthetic/2049.bin' });
    const m = await measure('req-tls', { url: '/download/synthetic/2048.bin', filename: 'insecure.bin' });
    const asked = apiRequests(bed.emulator, m.mark, /^GET \/download\/synthetic\/(2048|2049)\.bin$/);
    const left = bed.filesIn('tls').filter((f) => f.startsWith('insecure'));
    bed.emulator.clearFaults();
    const again = await measure('req-tls', { url: '/download/synthetic/2048.bin', filename: 'secure.bin' });
    const s = new Scenario(
      GROUP,
      engine,
      'redirect https → http (download)',
      'Catch: EO_INSECURE_REDIRECT; the http URL never asked; no file; then OK over https',
    )
      .observe(outcomeText(m.run))
      .observe(
        `asked: ${asked.map((e) => e.path.split('/').pop()).join(', ')}; files: ${left.join(', ') || 'none'}; then ${outcomeText(again.run)}`,
      )
      .check('Catch got EO_INSECURE_REDIRECT', errorCode(m.run) === 'EO_INSECURE_REDIRECT')
      .check('message says https to plain http', /https to plain http/.test(errorMessage(m.run)))
      .check('the http URL was never asked', asked.length === 1 && asked[0].path.endsWith('2048.bin'))
      .check('no file', left.length === 0)
      .check('next download over https works', ok(again.run) && identical(path.join(bed.files, 'tls', 'secure.bin'), 2048))
      .check('0 token requests', m.tokens.total === 0);
    await healthy(s);
    s.finish();
  });
}
