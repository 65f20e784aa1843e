/**
 * EO Watch in a real Node-RED process (5.x on Node 24, 4.1 on Node 20) with the package installed
 * from its tarball, against the emulator publishing scenes while the test runs: on-time, late and
 * republished scenes are each sent once, oldest first per poll; a failing catalogue reaches the
 * Catch node and loses nothing; a redeploy keeps the cursor and another area starts a new one; a
 * restart with a localfilesystem context store sends nothing again; bad settings name the field.
 */
import fs from 'node:fs';
import { collected, pointAtEmulator, withCollectors, type Collected, type FlowNode } from '../support/flows';
import { runtimeForThisNode, startNodeRed, type NodeRedProcess } from '../support/node-red-process';
import { tempDir } from '../support/paths';
import { startStack, type Stack } from '../support/node-red-stack';
import { printTally, tallyScenes } from '../support/scene-tally';
import { catalogSearches, until, watchedScenes, watchTab, WATCH_AUTH } from '../support/watch-flow';
import type { Emulator } from '../emulator/types';

const HOUR = 3_600_000;
/** A file store for the cursor; the test's collector stays in memory, so a restart empties it. */
const CONTEXT_STORAGE = "contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem' } }";

let stack: Stack;
let work: string;
let red: NodeRedProcess;
let emulator: Emulator;

beforeAll(async () => {
  work = tempDir('eo-e2e-watch');
  stack = await startStack({ workDir: work, deployExamples: false, extraSettings: [CONTEXT_STORAGE] });
  red = stack.nodeRed;
  emulator = stack.emulator;
}, 180_000);

afterAll(async () => {
  await red?.stop();
  await stack?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

async function deploy(...tabs: FlowNode[][]): Promise<void> {
  await red.deploy(withCollectors(pointAtEmulator([WATCH_AUTH, ...tabs.flat()], stack.target)));
}

const emittedBy = async (tab: string): Promise<Collected[]> => (await collected(red)).filter((c) => c.from === `${tab}-watch`);
const errorsOf = async (tab: string): Promise<Collected[]> => (await collected(red)).filter((c) => c.from === `${tab}-catch`);

const searches = (since = 0): number[] => catalogSearches(emulator, since);
/** The watch tabs of this file keep their cursor in the localfilesystem store, so that it survives a restart. */
const fileWatchTab = (tab: string, watch: Record<string, unknown>) => watchTab(tab, { store: 'file', ...watch });

/** Waits until `count` scenes came from the tab's watch, then two more polls to be sure no more come. */
async function settle(tab: string, count: number): Promise<Collected[]> {
  await until(`${count} scenes from ${tab}`, async () => (await emittedBy(tab)).length >= count || undefined);
  const after = Date.now();
  await until('two more polls', () => searches(after).length >= 2 || undefined);
  return emittedBy(tab);
}

test('scenes published over time, late and republished, are each sent once, oldest first; redeploys and a restart send nothing again', async () => {
  const tab = 'watch-main';
  const start = Date.now();
  const existing = emulator.publishScene({ acquired: start - 5 * HOUR, cloudCover: 3 });
  await deploy(fileWatchTab(tab, {}));
  // The first poll only remembers what exists.
  await until('the first poll', () => searches(start).length >= 2 || undefined);
  expect(await emittedBy(tab)).toEqual([]);

  // On time (acquired after the first poll), too cloudy, and late (acquired 30 h ago, published only now).
  const t1 = Date.now();
  emulator.publishScene({ acquired: t1 + 2, cloudCover: 12 });
  emulator.publishScene({ acquired: t1 + 1, cloudCover: 4 });
  emulator.publishScene({ acquired: t1 + 3, cloudCover: 85 });
  const late = emulator.publishScene({ acquired: start - 30 * HOUR, publishDelayMs: Date.now() - start + 30 * HOUR, cloudCover: 9 });
  const round1 = await settle(tab, 3);
  expect(round1.map((c) => (c.payload as { id: string }).id)[0]).toBe(late.id);

  // A republished scene, and one published 2 s from now although acquired an hour ago.
  const [first] = round1;
  emulator.republishScene((first.payload as { id: string }).id, { cloudCover: 6 });
  const now = Date.now();
  emulator.publishScene({ acquired: now - HOUR, publishDelayMs: HOUR + 2000, cloudCover: 1 });
  const round2 = await settle(tab, 5);
  expect(
    round2
      .slice(3)
      .map((c) => (c.payload as { reason: string }).reason)
      .sort(),
  ).toEqual(['new', 'updated']);
  expect(round2.every((c) => (c.payload as { id: string }).id !== existing.id)).toBe(true);
  // msg.eo tells the poll's counts and the watched area.
  expect(round2[0].eo).toMatchObject({ reason: 'new', area: { bbox: [4.67, 50.55, 4.7, 50.57] }, poll: { found: expect.any(Number) } });

  // A redeploy with the same settings keeps the cursor: nothing is sent again.
  await deploy(fileWatchTab(tab, { name: 'renamed' }));
  const afterRedeploy = Date.now();
  await until('polls after the redeploy', () => searches(afterRedeploy).length >= 3 || undefined);
  expect(await emittedBy(tab)).toHaveLength(5);

  // Node-RED restarts, and a scene is published while it is down. The cursor comes back from the
  // localfilesystem store: that scene is sent (a lost cursor would make it a first poll, which only
  // remembers), and none of the earlier ones is sent again.
  await red.stop();
  const whileDown = emulator.publishScene({ acquired: Date.now(), cloudCover: 2 });
  await new Promise((r) => setTimeout(r, 20));
  red = await startNodeRed({ userDir: stack.userDir, runtime: undefined, extraSettings: [CONTEXT_STORAGE] });
  const afterFresh = await settle(tab, 1);
  expect(afterFresh.map((c) => (c.payload as { id: string }).id)).toEqual([whileDown.id]);

  const matching = emulator.scenes().filter((s) => s.cloudCover <= 20 && s.id !== existing.id);
  const tally = tallyScenes(matching, [...watchedScenes(round2), ...watchedScenes(afterFresh)], searches(start));
  printTally(`Node-RED ${runtimeForThisNode().module === 'node-red' ? 5 : 4} eo-watch`, tally);
  expect(tally).toMatchObject({ published: 5, late: 2, republished: 1, emitted: 6, doubled: 0, missed: 0, outOfOrder: 0 });
}, 150_000);

test('another area starts a new cursor: what exists is remembered, what comes after is sent', async () => {
  const tab = 'watch-main';
  await deploy(fileWatchTab(tab, { bbox: '4.60,50.50,4.75,50.60' }));
  const mark = Date.now();
  await until('polls of the new area', () => searches(mark).length >= 2 || undefined);
  const before = (await emittedBy(tab)).length;
  const next = emulator.publishScene({ acquired: Date.now(), cloudCover: 7 });
  await new Promise((r) => setTimeout(r, 20));
  const after = await settle(tab, before + 1);
  expect(after.slice(before).map((c) => (c.payload as { id: string }).id)).toEqual([next.id]);
}, 60_000);

test('a catalogue failing for several polls reaches the Catch node with its message; afterwards the missed scenes come once', async () => {
  const tab = 'watch-fail';
  await deploy(fileWatchTab(tab, { firstPoll: 'since', since: new Date(Date.now() - HOUR).toISOString() }));
  await until('the first poll', async () => searches(Date.now() - 2000).length >= 1 || undefined);
  emulator.fault({
    route: '^POST /api/v1/catalog/1.0.0/search$',
    status: 503,
    body: { code: 503, description: 'Catalogue under maintenance' },
    times: 12,
  });
  const during = emulator.publishScene({ acquired: Date.now(), cloudCover: 5 });
  const [caught] = await until('an error at the Catch node', async () => {
    const errors = await errorsOf(tab);
    return errors.length ? errors : undefined;
  });
  expect(caught.error?.message).toContain('Catalogue under maintenance');
  expect(caught.error?.source?.id).toBe(`${tab}-watch`);
  const sent = await settle(tab, 1);
  expect(sent.map((c) => (c.payload as { id: string }).id).filter((id) => id === during.id)).toHaveLength(1);
  emulator.clearFaults();
}, 90_000);

test.each([
  ['bbox', { bbox: '5,50,4,51' }, /West \(5\) must be less than east \(4\).*\(field: bbox\)/],
  ['collection', { collection: 'sentinel-9' }, /does not know the collection "sentinel-9".*Collection not found.*\(field: collection\)/],
  ['filter', { filter: 'eo:cloud_cover <<< 20' }, /refused the search filter.*Invalid filter.*\(field: filter\)/],
  ['store', { store: 'no-such-store' }, /context store "no-such-store" is not configured \(known: default, file\).*\(field: store\)/],
])(
  'bad %s: the message at the Catch node names the field',
  async (name, settings, message) => {
    const tab = `watch-bad-${name}`;
    await deploy(fileWatchTab(tab, { ...settings, interval: 0 }));
    await red.inject(`${tab}-inject`);
    const [caught] = await until(`an error for ${name}`, async () => {
      const errors = await errorsOf(tab);
      return errors.length ? errors : undefined;
    });
    expect(caught.error?.message).toMatch(message);
  },
  60_000,
);
