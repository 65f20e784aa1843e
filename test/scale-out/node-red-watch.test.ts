/**
 * Two Node-RED 5 processes running the same EO Watch flow with the same EO_REDIS_URL, as a
 * high-availability setup runs them: real processes with the package from its tarball, a real
 * redis-server, the provider emulator publishing scenes while they poll (on time, late,
 * republished). Each scene reaches exactly one copy's output; with Redis killed both carry on
 * from their own cursors without an error; restarted, sharing resumes by itself.
 */
import fs from 'node:fs';
import { startEmulator } from '../emulator/server';
import type { TimelineScene } from '../emulator/scenes';
import type { Emulator } from '../emulator/types';
import { collected, pointAtEmulator, withCollectors, type Collected } from '../support/flows';
import type { NodeRedProcess } from '../support/node-red-process';
import { startNodeRedGroup } from '../support/node-red-group';
import { emulatorTarget } from '../support/node-red-stack';
import { tempDir } from '../support/paths';
import { RedisServer } from '../support/redis-server';
import { printTally, tallyScenes } from '../support/scene-tally';
import { catalogSearches, until, watchedScenes, watchTab, WATCH_AUTH } from '../support/watch-flow';

jest.setTimeout(90_000);

const HOUR = 3_600_000;
const TAB = 'shared-watch';
const CLOUDY = 20;
let emu: Emulator;
let redis: RedisServer;
let group: NodeRedProcess[];
let work: string;

beforeAll(async () => {
  work = tempDir('eo-scale-out-watch');
  [emu, redis] = await Promise.all([startEmulator(), RedisServer.start()]);
  group = await startNodeRedGroup({ workDir: work, count: 2, env: { EO_REDIS_URL: redis.url } });
}, 180_000);

afterAll(async () => {
  await Promise.all((group ?? []).map((red) => red.stop()));
  await redis?.remove();
  await emu?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** What each copy's watch sent, and what reached its Catch node. */
async function outputs(): Promise<{ sent: Collected[][]; caught: Collected[] }> {
  const all = await Promise.all(group.map((red) => collected(red)));
  return {
    sent: all.map((list) => list.filter((c) => c.from === `${TAB}-watch`)),
    caught: all.flatMap((list) => list.filter((c) => c.from === `${TAB}-catch`)),
  };
}

const sentInTotal = async (): Promise<number> => (await outputs()).sent.flat().length;

/** Presses the inject of both copies at the same moment: two polls racing, besides their own interval. */
const pollBothNow = () => Promise.all(group.map((red) => red.inject(`${TAB}-inject`)));

/** Waits until `count` scenes were sent in total, then until each copy polled twice more, so none that should not come is missed. */
async function settle(count: number): Promise<void> {
  await until(`${count} scenes sent in total`, async () => (await sentInTotal()) >= count || undefined);
  const after = Date.now();
  await until('two more polls of each copy', () => catalogSearches(emu, after).length >= 2 * group.length || undefined);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const matching = (scenes: TimelineScene[]) => scenes.filter((s) => s.cloudCover <= CLOUDY);

test('two Node-RED copies of one eo-watch flow on one Redis send each scene once in total: on time, late and republished', async () => {
  const start = Date.now();
  const existing = emu.publishScene({ acquired: start - 5 * HOUR, cloudCover: 3 });
  const flows = withCollectors(pointAtEmulator([WATCH_AUTH, ...watchTab(TAB, { maxCloudCover: String(CLOUDY) })], emulatorTarget(emu)));
  await Promise.all(group.map((red) => red.deploy(flows)));
  // Each copy's first poll only remembers what exists.
  await until('the first polls of both copies', () => catalogSearches(emu, start).length >= 2 * group.length || undefined);

  // Round 1: on time, too cloudy, and late (acquired 30 h ago, published only now).
  const t1 = Date.now();
  const onTime = [emu.publishScene({ acquired: t1 + 2, cloudCover: 12 }), emu.publishScene({ acquired: t1 + 1, cloudCover: 4 })];
  emu.publishScene({ acquired: t1 + 3, cloudCover: 85 });
  emu.publishScene({ acquired: t1 - 30 * HOUR, publishDelayMs: 30 * HOUR, cloudCover: 9 });
  await pollBothNow();
  await pause(1_500);
  // Round 2: two republished, one acquired an hour ago and published 2 s from now, one more on time.
  emu.republishScene(onTime[0].id, { cloudCover: 6 });
  emu.republishScene(existing.id);
  emu.publishScene({ acquired: Date.now() - HOUR, publishDelayMs: HOUR + 2_000, cloudCover: 1 });
  emu.publishScene({ acquired: Date.now(), cloudCover: 15 });
  await pollBothNow();
  await pause(1_500);
  // Round 3: one republished again, two more on time.
  emu.republishScene(onTime[0].id);
  emu.publishScene({ acquired: Date.now() + 1, cloudCover: 2 });
  emu.publishScene({ acquired: Date.now() + 2, cloudCover: 7 });
  await pollBothNow();

  // 7 new scenes under 20 %, and 3 republications (one of the scene there before the first polls).
  await settle(10);
  const { sent, caught } = await outputs();
  const expected = matching(emu.scenes()).filter((s) => s.id !== existing.id);
  const emitted = sent.flatMap((list, i) => watchedScenes(list, `copy ${i + 1}, poll at `));
  const tally = tallyScenes(
    expected,
    emitted.filter((e) => e.id !== existing.id),
    catalogSearches(emu, start),
  );
  printTally(`Node-RED 5, two copies on Redis (copy 1 sent ${sent[0].length}, copy 2 sent ${sent[1].length})`, tally);
  expect(tally).toMatchObject({ published: 7, late: 2, republished: 2, emitted: 9, doubled: 0, missed: 0, outOfOrder: 0 });
  expect(emitted.filter((e) => e.id === existing.id).map((e) => e.reason)).toEqual(['updated']);
  expect(caught).toEqual([]);
  // Redis holds the claims under digests only: no scene id, no area.
  const dump = JSON.stringify(await redis.entries());
  expect(dump).toMatch(/eo-nodes:v1:watch:\{[A-Za-z0-9_-]{22}\}:[A-Za-z0-9_-]{22}/);
  expect(emu.scenes().filter((s) => dump.includes(s.id))).toEqual([]);
  // One connection per process, for its tokens and its watch alike.
  expect(await redis.clientsNamed('eo-nodes')).toBe(group.length);
});

/** What each copy sent after the snapshot `before`. */
const sentSince = (now: Collected[][], before: Collected[][]): Collected[][] => now.map((list, i) => list.slice(before[i].length));
const idsOf = (list: Collected[]): string[] => list.map((c) => (c.payload as { id: string }).id);

test('Redis killed: both copies keep polling without an error, each from its own cursor, and say so once; restarted, once in total again', async () => {
  const before = (await outputs()).sent;
  const logged = group.map((red) => red.output().length);
  await redis.kill();
  const whileDown = [
    emu.publishScene({ acquired: Date.now() + 1, cloudCover: 3 }),
    emu.publishScene({ acquired: Date.now() + 2, cloudCover: 5 }),
  ];
  await settle(before.flat().length + 2 * whileDown.length);
  const down = await outputs();
  // Each copy sends what its own cursor has not seen: both scenes, from both copies, saying the claims were unavailable.
  const sentWhileDown = sentSince(down.sent, before);
  expect(sentWhileDown.map((list) => idsOf(list).sort())).toEqual(group.map(() => whileDown.map((s) => s.id).sort()));
  expect(sentWhileDown.flat().map((c) => (c.eo?.poll as { claimsUnavailable?: boolean }).claimsUnavailable)).toEqual([
    true,
    true,
    true,
    true,
  ]);
  expect(down.caught).toEqual([]);

  await redis.restart(); // empty, as a restart without persistence leaves it
  await until('both copies back on Redis', async () => (await redis.clientsNamed('eo-nodes')) >= group.length || undefined);
  const back = emu.publishScene({ acquired: Date.now() + 1, cloudCover: 4 });
  await pollBothNow();
  await settle(down.sent.flat().length + 1);
  const after = await outputs();
  expect(sentSince(after.sent, down.sent).flatMap(idsOf)).toEqual([back.id]);
  expect(after.caught).toEqual([]);

  // Each process said it once when Redis went, once when it came back: not per poll.
  const lines = group.map((red, i) => red.output().slice(logged[i]));
  const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;
  expect(
    lines.map((text) => count(text, /Watch sharing: Redis at [^\n]* Each watch emits the scenes its own cursor has not seen/g)),
  ).toEqual([1, 1]);
  expect(lines.map((text) => count(text, /Watch sharing: Redis at \S+ answers again \(after \d+ s\)/g))).toEqual([1, 1]);
  const emitted = sentSince(after.sent, before).flatMap((list, i) => watchedScenes(list, `copy ${i + 1}, poll at `));
  const tally = tallyScenes([...whileDown, back], emitted);
  printTally('Node-RED 5, two copies, Redis killed for two of three scenes', tally);
  expect(tally).toMatchObject({ published: 3, emitted: 5, doubled: 2, missed: 0, outOfOrder: 0 });
});
