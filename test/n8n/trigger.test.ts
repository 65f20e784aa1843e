/**
 * EO Trigger in a real n8n 2.41 (`n8n start`) with the package installed as n8n installs community
 * packages. The shipped example workflow runs active, polling every 3 s: n8n refuses a cron that
 * fires more than once a minute, but it accepts several poll times, so twenty custom crons at
 * seconds 0, 3, …, 57 poll every 3 s. The emulator publishes scenes while it runs (on time, late,
 * republished, too cloudy); each is emitted once, the GeoTIFF and mean NDVI follow. Manual runs
 * ("Fetch test event") return the newest scene without moving the cursor, and bad settings fail
 * with the parameter's name.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { emulatorCredentials, N8nHome, N8nRest, PACKAGE_NAME, startN8n, type N8nServer } from '../support/n8n-process';
import { printTally, tallyScenes, type EmittedScene } from '../support/scene-tally';
import { example } from './workflows';

jest.setTimeout(120_000);

const HOUR = 3_600_000;
const WATCH_ID = 'eoWatchNewScenes';
const TRIGGER_TYPE = `${PACKAGE_NAME}.eoTrigger`;

let emu: Emulator;
let home: N8nHome;
let server: N8nServer;
let rest: N8nRest;
let recorder: Server;
let recorderUrl: string;
/** What the workflows posted to the recorder: path and JSON body. */
const recorded: { path: string; body: Record<string, unknown>; at: number }[] = [];

type Workflow = ReturnType<typeof example>;

/** Every 3 s: twenty crons of one fixed second each (n8n refuses one cron firing more often than once a minute). */
const EVERY_3_S = { item: Array.from({ length: 20 }, (_, i) => ({ mode: 'custom', cronExpression: `${i * 3} * * * * *` })) };

/** An HTTP Request node posting each item to the recorder under `path`. */
function recordNode(name: string, path: string, position: number[]) {
  return {
    id: `7c0e0000-0000-4000-9000-${String(recorded.length + position[0] + position[1]).padStart(12, '0')}`,
    name,
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    position,
    parameters: {
      method: 'POST',
      url: `${recorderUrl}/${path}`,
      sendBody: true,
      specifyBody: 'json',
      jsonBody: '={{ JSON.stringify($json) }}',
      options: {},
    },
  };
}

/** The shipped example, polling fast, with recorders after the trigger and after the mean NDVI. */
function watchExample(): Workflow {
  const workflow = example('watch-new-scenes.json', home.files, 'watch');
  const trigger = workflow.nodes.find((n) => n.type === TRIGGER_TYPE)!;
  trigger.parameters.pollTimes = EVERY_3_S;
  workflow.nodes.push(recordNode('Record scene', 'scene', [260, 400]), recordNode('Record NDVI', 'ndvi', [780, 200]));
  const connections = workflow.connections as Record<string, { main: { node: string; type: string; index: number }[][] }>;
  connections['EO Trigger'].main[0].push({ node: 'Record scene', type: 'main', index: 0 });
  connections['Mean NDVI'] = { main: [[{ node: 'Record NDVI', type: 'main', index: 0 }]] };
  return workflow;
}

/** A trigger-only workflow with other settings, for manual runs with bad input. */
function badTrigger(id: string, parameters: Record<string, unknown>): Workflow {
  const workflow = watchExample();
  const trigger = workflow.nodes.find((n) => n.type === TRIGGER_TYPE)!;
  Object.assign(trigger.parameters, parameters);
  return { ...workflow, id, name: id, nodes: [trigger], connections: {} };
}

beforeAll(async () => {
  recorder = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      recorded.push({ path: req.url ?? '', body: JSON.parse(text || '{}') as Record<string, unknown>, at: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
  emu = await startEmulator();
  home = await N8nHome.create();
  await mkdir(join(home.files, 'watch'));
  await home.importCredentials(emulatorCredentials(emu));
  await home.importWorkflows([
    watchExample(),
    badTrigger('eoBadBbox', { bbox: '5,50,4,51' }),
    badTrigger('eoBadCollection', { collection: 'sentinel-9' }),
    badTrigger('eoBadFilter', { filter: 'eo:cloud_cover <<< 20' }),
  ]);
  // Scenes that exist before the trigger is activated: its first poll only remembers them.
  emu.publishScene({ acquired: Date.now() - 5 * HOUR, cloudCover: 3 });
  const published = await home.cli(['publish:workflow', `--id=${WATCH_ID}`]);
  expect(published.code).toBe(0);
  server = await startN8n(home);
  rest = new N8nRest(server.url);
  await rest.setupOwner();
}, 300_000);

afterAll(async () => {
  await server?.stop();
  await home?.remove();
  await emu?.close();
  await new Promise((resolve) => recorder?.close(resolve));
});

const searchesSince = (since: number): number[] =>
  emu
    .log()
    .filter((e) => e.path === '/api/v1/catalog/1.0.0/search' && e.time >= since)
    .map((e) => e.time);

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; n8n said:\n${server.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const scenesRecorded = () => recorded.filter((r) => r.path === '/scene');

/** Waits for `count` recorded scenes, then for two more polls, so none that should not come is missed. */
async function settle(count: number): Promise<void> {
  await until(`${count} scenes`, () => scenesRecorded().length >= count);
  const after = Date.now();
  await until('two more polls', () => searchesSince(after).length >= 2);
}

test('the active example workflow emits each new, late and republished scene once; GeoTIFF and mean NDVI follow', async () => {
  const start = Date.now();
  const existing = emu.scenes()[0];
  await until('the trigger polling', () => searchesSince(start).length >= 2);
  expect(scenesRecorded()).toEqual([]);

  const t1 = Date.now();
  emu.publishScene({ acquired: t1 + 2, cloudCover: 12 });
  emu.publishScene({ acquired: t1 + 1, cloudCover: 4 });
  emu.publishScene({ acquired: t1 + 3, cloudCover: 85 });
  const late = emu.publishScene({ acquired: t1 - 30 * HOUR, publishDelayMs: 30 * HOUR + 10, cloudCover: 9 });
  await settle(3);
  const round1 = scenesRecorded().map((r) => r.body);
  expect(round1[0].id).toBe(late.id);

  emu.republishScene(String(round1[1].id), { cloudCover: 6 });
  emu.publishScene({ acquired: Date.now() - HOUR, publishDelayMs: HOUR + 4000, cloudCover: 1 });
  await settle(5);

  const emitted: EmittedScene[] = scenesRecorded().map((r) => {
    const b = r.body as { id: string; reason: string; updated?: string; acquired: string; poll: { at: string } };
    return { id: b.id, reason: b.reason, updated: b.updated, acquired: b.acquired, poll: b.poll.at };
  });
  const matching = emu.scenes().filter((s) => s.cloudCover <= 20 && s.id !== existing.id);
  const tally = tallyScenes(matching, emitted, searchesSince(start));
  printTally('n8n EO Trigger (active, every 3 s)', tally);
  expect(tally).toMatchObject({ published: 4, late: 2, republished: 1, emitted: 5, doubled: 0, missed: 0, outOfOrder: 0 });
  expect(emitted.map((e) => e.reason).filter((r) => r === 'updated')).toHaveLength(1);

  // Each scene went on to Process (a GeoTIFF on disk per acquisition day) and Statistics (a mean NDVI).
  await until('five mean NDVI', () => recorded.filter((r) => r.path === '/ndvi').length >= 5);
  const ndvi = recorded.filter((r) => r.path === '/ndvi').map((r) => r.body);
  expect(new Set(ndvi.map((n) => n.scene))).toEqual(new Set(emitted.map((e) => e.id)));
  expect(ndvi.every((n) => typeof n.meanNdvi === 'number')).toBe(true);
  const days = new Set(emitted.map((e) => e.acquired.slice(0, 10)));
  expect(await home.writtenFiles('watch')).toEqual([...days].map((d) => `field-${d}-true-colour.tif`).sort());
});

interface ExecutionBody {
  data: { status: string; data?: string };
}

/** "Fetch test event" / "Execute workflow" from the editor: a manual run starting at the trigger. */
async function runManually(workflowId: string): Promise<ExecutionBody['data']> {
  const started = await rest.request<{ data: { executionId: string } }>('POST', `/rest/workflows/${workflowId}/run`, {
    triggerToStartFrom: { name: 'EO Trigger' },
  });
  expect(started.status).toBe(200);
  const id = started.body.data.executionId;
  let execution: ExecutionBody['data'] | undefined;
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const res = await rest.request<ExecutionBody>('GET', `/rest/executions/${id}`);
    execution = res.body.data;
    if (execution && !['new', 'running', 'waiting'].includes(execution.status)) return execution;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`execution ${id} did not finish: ${JSON.stringify(execution)}`);
}

test('a manual run returns the newest matching scene even when it was emitted, and does not move the cursor', async () => {
  const before = scenesRecorded().length;
  // Catalogues write whole seconds; within one second the larger id counts as the newer, as in the core.
  const newest = emu
    .scenes()
    .filter((s) => s.cloudCover <= 20)
    .map((s) => ({ id: s.id, second: Math.floor(s.acquired / 1000) }))
    .sort((a, b) => b.second - a.second || (a.id < b.id ? 1 : -1))[0];
  const execution = await runManually(WATCH_ID);
  expect(execution.status).toBe('success');
  const manual = scenesRecorded().slice(before);
  expect(manual.map((r) => r.body.id)).toEqual([newest.id]);
  // The active trigger's cursor is untouched: the next scene is emitted once, and only it.
  const next = emu.publishScene({ acquired: Date.now(), cloudCover: 2 });
  await settle(before + 2);
  expect(
    scenesRecorded()
      .slice(before + 1)
      .map((r) => r.body.id),
  ).toEqual([next.id]);
});

test.each([
  ['eoBadBbox', /Bounding Box: West \(5\) must be less than east \(4\)/],
  ['eoBadCollection', /Collection: The catalogue does not know the collection \W+sentinel-9\W+ \(404\)/],
  ['eoBadFilter', /CQL2 Filter: The catalogue refused the search filter \(400\)\. The catalogue said: Invalid filter/],
])('a manual run of %s fails with the parameter name and the catalogue’s words', async (id, message) => {
  const execution = await runManually(id);
  expect(execution.status).toBe('error');
  // The run data is n8n's "flatted" JSON: the message is one of its strings.
  expect(String(execution.data)).toMatch(message);
});
