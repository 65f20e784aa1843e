/**
 * The faults whose handling differs in n8n, in a real n8n 2.41 (`n8n execute`): how an error
 * reaches the user (NodeApiError on the item with Continue On Fail, or stopping the workflow
 * without it), a token endpoint that fails (5xx) versus credentials that are wrong, and a
 * download cut on every attempt (no binary, no temporary file left behind). All scenarios of the
 * Continue On Fail run share one execution; each stopping scenario needs its own.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { EO_REQUEST_TYPE, N8nHome, nodeOutput, type ExecutionResult } from '../support/n8n-process';
import { processParameters } from '../n8n/workflows';
import { artifactDir, keepEmulatorRecord, rememberSecrets } from './hygiene';
import { BLAMES_CREDENTIALS } from './support/fault-checks';
import { byClient, excerpt, grantsText, logMark, Scenario, tokenRequests, type GrantCounts } from './support/observe';

jest.setTimeout(180_000);

const ARTIFACTS = artifactDir('faults-n8n');
const GROUP_TOKEN = 'Token endpoint';
const GROUP_API = 'API';
const ENGINE = 'n8n';

const suffix = randomBytes(6).toString('hex');
const downClient = { clientId: 'faults-n8n-down', clientSecret: `faults-n8n-down-secret-${suffix}` };
const badClient = { clientId: 'faults-n8n-bad', clientSecret: `faults-n8n-bad-secret-${suffix}` };
/** What the Bad credentials credential holds instead of badClient.clientSecret. */
const wrongSecret = `faults-n8n-wrong-secret-${suffix}`;
const user = { username: 'faults-n8n-user', password: `faults-n8n-password-${suffix}` };
rememberSecrets([downClient.clientSecret, badClient.clientSecret, wrongSecret], 'client secret');
rememberSecrets([user.password], 'password');

const CUT_SIZE = 300_000;
const OK_SIZE = 4096;
const CREDS = {
  down: { id: 'eoFaultShDown', name: 'Sentinel Hub (token endpoint down)' },
  bad: { id: 'eoFaultShBad', name: 'Sentinel Hub (wrong secret)' },
  ts: { id: 'eoFaultTs', name: 'Terrascope (faults)' },
};

let emu: Emulator;
let home: N8nHome;

type N8nNode = {
  id: string;
  name: string;
  type: string;
  typeVersion: number;
  position: number[];
  parameters: Record<string, unknown>;
} & Record<string, unknown>;

let counter = 0;
function node(
  name: string,
  parameters: Record<string, unknown>,
  credentials: Record<string, unknown>,
  continueOnFail: boolean,
  type = EO_REQUEST_TYPE,
): N8nNode {
  counter += 1;
  return {
    id: `5fa00000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    name,
    type,
    typeVersion: 1,
    position: [counter * 200, 0],
    parameters,
    ...(Object.keys(credentials).length ? { credentials } : {}),
    ...(continueOnFail ? { onError: 'continueRegularOutput' } : {}),
  };
}

/** The three faulty calls and a healthy download, as nodes. */
function scenarioNodes(continueOnFail: boolean): Record<'down' | 'bad' | 'cut' | 'ok', N8nNode> {
  const process = processParameters('13.35,52.5,13.45,52.55');
  return {
    down: node('Token endpoint 503', process, { sentinelHubApi: CREDS.down }, continueOnFail),
    bad: node('Wrong client secret', process, { sentinelHubApi: CREDS.bad }, continueOnFail),
    cut: node(
      'Download cut',
      { resource: 'terrascope', operation: 'download', url: `/download/synthetic/${CUT_SIZE}.bin`, binaryPropertyName: 'data' },
      { terrascopeApi: CREDS.ts },
      continueOnFail,
    ),
    ok: node(
      'Download OK',
      { resource: 'terrascope', operation: 'download', url: `/download/synthetic/${OK_SIZE}.bin`, binaryPropertyName: 'data' },
      { terrascopeApi: CREDS.ts },
      continueOnFail,
    ),
  };
}

/** Start → each of `nodes`, side by side. */
function workflow(id: string, name: string, nodes: N8nNode[]): object {
  const start = node('Start', {}, {}, false, 'n8n-nodes-base.manualTrigger');
  return {
    id,
    name,
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [start, ...nodes],
    connections: { Start: { main: [nodes.map((n) => ({ node: n.name, type: 'main', index: 0 }))] } },
  };
}

const continueNodes = scenarioNodes(true);
const stopNodes = scenarioNodes(false);

beforeAll(async () => {
  emu = await startEmulator({ clients: [downClient, badClient], users: [user] });
  home = await N8nHome.create();
  const e = emu.endpoints;
  await home.importCredentials([
    {
      ...CREDS.down,
      type: 'sentinelHubApi',
      data: { environment: 'sentinel-hub', ...downClient, tokenUrl: e.sentinelHub.tokenUrl, baseUrl: e.sentinelHub.baseUrl },
    },
    {
      ...CREDS.bad,
      type: 'sentinelHubApi',
      data: {
        environment: 'sentinel-hub',
        clientId: badClient.clientId,
        clientSecret: wrongSecret,
        tokenUrl: e.sentinelHub.realmTokenUrl,
        baseUrl: e.sentinelHub.baseUrl,
      },
    },
    { ...CREDS.ts, type: 'terrascopeApi', data: { ...user, tokenUrl: e.terrascope.tokenUrl, baseUrl: e.terrascope.baseUrl } },
  ]);
  await home.importWorkflows([
    workflow('eoFaultsContinue', 'Faults, Continue On Fail', Object.values(continueNodes)),
    workflow('eoFaultsStopDown', 'Faults, stop: token endpoint 503', [stopNodes.down]),
    workflow('eoFaultsStopBad', 'Faults, stop: wrong secret', [stopNodes.bad]),
    workflow('eoFaultsStopCut', 'Faults, stop: download cut', [stopNodes.cut]),
  ]);
}, 240_000);

afterAll(async () => {
  if (emu) {
    keepEmulatorRecord(emu, ARTIFACTS);
    await emu.close();
  }
  await home?.remove();
});

/** The token endpoint (legacy path, used by the "down" credential only) fails; the 300 kB file is cut on every attempt. */
function arrangeFaults(): void {
  emu.clearFaults();
  emu.fault({ route: '^POST /oauth/token$', status: 503, body: 'Service Unavailable' });
  emu.fault({ route: `^GET /download/synthetic/${CUT_SIZE}\\.bin$`, resetAfterBytes: 40_000 });
}

interface Executed {
  result: ExecutionResult;
  down: GrantCounts;
  bad: GrantCounts;
  ts: GrantCounts;
  /** Temporary download folders the node left in the execution's TMPDIR. */
  tempLeft: string[];
  /** n8n printed an unhandled rejection or uncaught exception. */
  trouble: string[];
}

/** Runs one workflow with its own TMPDIR, keeps its output as an artefact, counts token requests. */
async function execute(id: string): Promise<Executed> {
  arrangeFaults();
  const tmp = path.join(home.folder, `tmp-${id}`);
  fs.mkdirSync(tmp, { recursive: true });
  const mark = logMark(emu);
  const result = await home.execute(id, { TMPDIR: tmp });
  fs.writeFileSync(path.join(ARTIFACTS, `${id}.stdout.log`), result.stdout);
  fs.writeFileSync(path.join(ARTIFACTS, `${id}.stderr.log`), result.stderr);
  if (result.run) fs.writeFileSync(path.join(ARTIFACTS, `${id}.execution.json`), JSON.stringify(result.run, null, 1));
  const output = `${result.stdout}\n${result.stderr}`;
  return {
    result,
    down: tokenRequests(emu, mark, byClient(downClient.clientId)),
    bad: tokenRequests(emu, mark, byClient(badClient.clientId)),
    ts: tokenRequests(emu, mark, byClient('public')),
    tempLeft: fs.readdirSync(tmp).filter((f) => f.startsWith('eo-n8n-')),
    trouble: output.split('\n').filter((l) => /Unhandled|uncaught exception/i.test(l)),
  };
}

/** The item a Continue On Fail node put out. */
function item(result: ExecutionResult, name: string) {
  return nodeOutput(result, name)[0];
}

function common(s: Scenario, e: Executed): void {
  s.observe(`${e.trouble.length} unhandled`);
  s.check('no unhandled rejection / uncaught exception', e.trouble.length === 0);
}

describe('faults in n8n', () => {
  let cont: Executed;
  beforeAll(async () => {
    cont = await execute('eoFaultsContinue');
  }, 180_000);

  it('Continue On Fail: the token endpoint failing (503) is an item error saying "unavailable", not "bad credentials"', () => {
    const out = item(cont.result, continueNodes.down.name)?.json ?? {};
    const text = `${String(out.error)} ${String(out.description ?? '')}`;
    const s = new Scenario(
      GROUP_TOKEN,
      ENGINE,
      '503 on every attempt, Continue On Fail on',
      'item { error: "…unavailable: it failed (503)…", httpCode 503 }; 4 token requests; workflow goes on',
    )
      .observe(`item error "${excerpt(String(out.error ?? 'none'))}", httpCode ${String(out.httpCode)}`)
      .observe(`token requests ${grantsText(cont.down)}; exit ${cont.result.code}`)
      .check('item carries the error', typeof out.error === 'string' && /unavailable/.test(out.error))
      .check('httpCode 503', out.httpCode === '503')
      .check('does not blame the credentials', !BLAMES_CREDENTIALS.test(text))
      .check('4 token requests (1 + 3 retries)', cont.down.total === 4)
      .check('workflow finished (exit 0)', cont.result.code === 0);
    common(s, cont);
    s.finish();
  });

  it('Continue On Fail: a wrong client secret is an item error saying the credentials are wrong', () => {
    const out = item(cont.result, continueNodes.bad.name)?.json ?? {};
    const s = new Scenario(
      GROUP_TOKEN,
      ENGINE,
      '401 unauthorized_client (wrong secret), Continue On Fail on',
      'item { error: "…rejected the client id or secret…", httpCode 401, description naming Client secret }; 1 token request',
    )
      .observe(`item error "${excerpt(String(out.error ?? 'none'))}", httpCode ${String(out.httpCode)}`)
      .observe(`token requests ${grantsText(cont.bad)}`)
      .check(
        'says the client id or secret was rejected',
        typeof out.error === 'string' && /rejected the client id or secret/.test(out.error),
      )
      .check('httpCode 401', out.httpCode === '401')
      .check('description points at Client secret', /Client secret/.test(String(out.description)))
      .check('1 token request (not retried)', cont.bad.total === 1);
    common(s, cont);
    s.finish();
  });

  it('Continue On Fail: a download cut on every attempt gives an item error and no binary; the healthy download still delivers', () => {
    const cut = item(cont.result, continueNodes.cut.name);
    const ok = item(cont.result, continueNodes.ok.name);
    const okBinary = ok?.binary?.data as { fileSize?: string; id?: string } | undefined;
    const okBytes = okBinary?.id ? fs.statSync(home.binaryPath(okBinary.id)).size : 0;
    const s = new Scenario(
      GROUP_API,
      ENGINE,
      'reset on every attempt (download), Continue On Fail on',
      'item { error: "…stopped at … bytes … not created", next run starts over } without binary; no temp file left; the other download delivers its binary',
    )
      .observe(`item error "${excerpt(String(cut?.json.error ?? 'none'))}", binary ${cut?.binary ? 'present' : 'none'}`)
      .observe(`healthy download: ${okBytes} bytes; temp folders left ${cont.tempLeft.length}; token requests ${grantsText(cont.ts)}`)
      .check(
        'item error EO_DOWNLOAD_INCOMPLETE wording',
        typeof cut?.json.error === 'string' && /stopped at \d+ of 300000 bytes/.test(cut.json.error) && /not created/.test(cut.json.error),
      )
      .check(
        'promises no partial file (n8n keeps none): "from the start"',
        !/\.part|continues from it/.test(String(cut?.json.error)) && /from the start/.test(String(cut?.json.description)),
      )
      .check('no binary on the failed item', cut !== undefined && cut.binary === undefined)
      .check('healthy download delivers 4096 bytes', okBytes === OK_SIZE)
      .check('no temporary download folder left', cont.tempLeft.length === 0)
      .check('1 token request for both downloads', cont.ts.total === 1);
    common(s, cont);
    s.finish();
  });

  it('stop on error: the token endpoint failing (503) stops the workflow with a NodeApiError saying "unavailable"', async () => {
    const e = await execute('eoFaultsStopDown');
    const error = e.result.run?.data.resultData.error;
    const text = `${String(error?.message)} ${String(error?.description ?? '')}`;
    const s = new Scenario(
      GROUP_TOKEN,
      ENGINE,
      '503 on every attempt, Continue On Fail off',
      'workflow stops: NodeApiError "…unavailable…", httpCode 503; 4 token requests',
    )
      .observe(
        `${String(error?.name)} "${excerpt(String(error?.message ?? 'none'))}", httpCode ${String(error?.httpCode)}; exit ${e.result.code}`,
      )
      .observe(`token requests ${grantsText(e.down)}`)
      .check('NodeApiError', error?.name === 'NodeApiError')
      .check('says unavailable, status 503', /unavailable/.test(String(error?.message)) && error?.httpCode === '503')
      .check('does not blame the credentials', !BLAMES_CREDENTIALS.test(text))
      .check('workflow stopped (exit ≠ 0, run data present)', e.result.code !== 0 && e.result.run !== undefined)
      .check('4 token requests', e.down.total === 4);
    common(s, e);
    s.finish();
  });

  it('stop on error: a wrong client secret stops the workflow with a NodeApiError naming the credentials', async () => {
    const e = await execute('eoFaultsStopBad');
    const error = e.result.run?.data.resultData.error;
    const s = new Scenario(
      GROUP_TOKEN,
      ENGINE,
      '401 unauthorized_client (wrong secret), Continue On Fail off',
      'workflow stops: NodeApiError "…rejected the client id or secret…", httpCode 401; 1 token request',
    )
      .observe(
        `${String(error?.name)} "${excerpt(String(error?.message ?? 'none'))}", httpCode ${String(error?.httpCode)}; exit ${e.result.code}`,
      )
      .observe(`token requests ${grantsText(e.bad)}`)
      .check('NodeApiError', error?.name === 'NodeApiError')
      .check(
        'says the client id or secret was rejected',
        /rejected the client id or secret/.test(String(error?.message)) && error?.httpCode === '401',
      )
      .check('workflow stopped (exit ≠ 0, run data present)', e.result.code !== 0 && e.result.run !== undefined)
      .check('1 token request', e.bad.total === 1);
    common(s, e);
    s.finish();
  });

  it('stop on error: a download cut on every attempt stops the workflow, no binary, no temp file', async () => {
    const e = await execute('eoFaultsStopCut');
    const error = e.result.run?.data.resultData.error;
    const produced = nodeOutput(e.result, stopNodes.cut.name);
    const s = new Scenario(
      GROUP_API,
      ENGINE,
      'reset on every attempt (download), Continue On Fail off',
      'workflow stops: NodeApiError "…stopped at … not created", next run starts over; no output item, no binary; no temp file left',
    )
      .observe(`${String(error?.name)} "${excerpt(String(error?.message ?? 'none'))}"; exit ${e.result.code}`)
      .observe(`output items ${produced.length}; temp folders left ${e.tempLeft.length}; token requests ${grantsText(e.ts)}`)
      .check('NodeApiError', error?.name === 'NodeApiError')
      .check('says the file was not created', /not created/.test(String(error?.message)))
      .check(
        'promises no partial file (n8n keeps none): "from the start"',
        !/\.part|continues from it/.test(String(error?.message)) && /from the start/.test(String(error?.description)),
      )
      .check('no output item / binary', produced.length === 0)
      .check('no temporary download folder left', e.tempLeft.length === 0)
      .check('workflow stopped (exit ≠ 0, run data present)', e.result.code !== 0 && e.result.run !== undefined);
    common(s, e);
    s.finish();
  });
});
