/**
 * Emission claims in a real redis-server: copies of one watch, each with its own cursor and its
 * own Redis connection (what separate Node-RED processes have), poll the emulator at the same
 * moment. Each scene version is emitted by exactly one of them; a republished scene once more; a
 * copy stopped while claiming gives its claims back; Redis down never fails a poll, each copy then
 * goes on from its own cursor, and once Redis is back sharing resumes by itself.
 */
import {
  checkWatchSettings,
  TokenCache,
  watchKey,
  type ClaimedVersion,
  type EmissionClaims,
  type WatchSettings,
} from '../../../nodes/core';
import { RedisEmissionClaims, CLAIM_MARGIN_MS } from '../../../nodes/core/services/scene-watch/redis-emission-claims';
import type { RedisConnection } from '../../../nodes/core/shared-store/redis-connection';
import { sharedStoreFromEnvironment } from '../../../nodes/core/shared-store/shared-store';
import type { Emulator } from '../../emulator/types';
import { emulatorConnection, useEmulator } from '../../support/fixtures';
import { RedisServer } from '../../support/redis-server';
import { printTally, tallyScenes } from '../../support/scene-tally';
import { recordOf, sceneWatcher, type SceneWatcher } from './scene-watcher';

jest.setTimeout(30_000);

const HOUR = 3_600_000;
const FIELD = '4.67,50.55,4.70,50.57';
const LOOKBACK_HOURS = 24;

let emu: Emulator;
let redis: RedisServer;
useEmulator((e) => (emu = e));
const connections: RedisConnection[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close()));
  emu.clearScenes();
  if (!redis.running) await redis.restart();
  await redis.command('FLUSHALL');
});
afterAll(async () => {
  await redis?.remove();
});

const settings: WatchSettings = checkWatchSettings({
  source: 'catalog',
  collection: 'sentinel-2-l2a',
  bbox: FIELD,
  maxCloudCover: 20,
  lookbackHours: LOOKBACK_HOURS,
  firstPoll: 'since',
  since: new Date(Date.now() - LOOKBACK_HOURS * HOUR).toISOString(),
});

function request() {
  const connection = emulatorConnection(emu, 'sentinel-hub');
  return { connection, tokens: new TokenCache().provider(connection), maxRetries: 0 };
}

/** One copy of the watch, as a process runs it: its own Redis connection (from EO_REDIS_URL), claims and cursor. */
function copy(): SceneWatcher & { claims: RedisEmissionClaims; logs: string[] } {
  const logs: string[] = [];
  const store = sharedStoreFromEnvironment({ EO_REDIS_URL: redis.url }, { log: (line) => logs.push(line), retryAfterMs: 200 });
  if (store.mode !== 'redis') throw new Error('EO_REDIS_URL was not taken');
  connections.push(store.connection);
  const claims = new RedisEmissionClaims(store.connection);
  return Object.assign(sceneWatcher(request, settings, claims, 'node-1'), { claims, logs });
}

const pollAll = (copies: SceneWatcher[]) => Promise.all(copies.map((c) => c.poll()));
const emittedBy = (copies: SceneWatcher[]) => copies.flatMap((c, i) => recordOf(c.emitted, `copy ${i}, poll `));
const minutesAgo = (m: number) => Date.now() - m * 60_000;

test('two copies polling at the same moment: each scene version emitted once in total, a republished scene once more', async () => {
  const [a, b] = [copy(), copy()];
  let claimedElsewhere = 0;
  const race = async () => {
    for (const result of await pollAll([a, b])) claimedElsewhere += result.counts.claimedElsewhere;
  };
  const first = [0, 1, 2, 3].map((i) => emu.publishScene({ acquired: minutesAgo(90 + i * 10), cloudCover: 3 }));
  await race();
  emu.publishScene({ acquired: minutesAgo(5), cloudCover: 4 });
  // Late: acquired 20 hours ago, published only now.
  emu.publishScene({ acquired: minutesAgo(20 * 60), publishDelayMs: 20 * HOUR, cloudCover: 1 });
  emu.republishScene(first[0].id, { cloudCover: 2 });
  await race();
  emu.republishScene(first[0].id);
  emu.republishScene(first[2].id);
  await race();
  await race(); // nothing new: nothing claimed, nothing emitted
  const tally = tallyScenes(emu.scenes(), emittedBy([a, b]), [...a.searches, ...b.searches]);
  printTally('core, two copies on Redis', tally);
  expect(tally).toMatchObject({ published: 6, late: 2, republished: 3, emitted: 9, doubled: 0, missed: 0, outOfOrder: 0 });
  // They really raced: the losers' polls found scenes the other copy had claimed.
  expect(claimedElsewhere).toBe(9);
  // A loser remembers what it lost: its next poll does not claim it again.
  const again = await pollAll([a, b]);
  expect(again.map((r) => [r.counts.unchanged, r.counts.claimedElsewhere])).toEqual([
    [6, 0],
    [6, 0],
  ]);
});

test('eight copies racing over fifty scenes: fifty emitted in total', async () => {
  const copies = Array.from({ length: 8 }, () => copy());
  for (let i = 0; i < 50; i++) emu.publishScene({ acquired: minutesAgo(10 + i), cloudCover: 5 });
  await pollAll(copies);
  const tally = tallyScenes(emu.scenes(), emittedBy(copies));
  expect(tally).toMatchObject({ published: 50, emitted: 50, doubled: 0, missed: 0 });
});

test('a copy that first meets a scene in a version another copy replaced emits it as an update', async () => {
  const [a, late] = [copy(), copy()];
  const scene = emu.publishScene({ acquired: minutesAgo(30), cloudCover: 3 });
  await a.poll();
  emu.republishScene(scene.id);
  // The late copy's cursor never saw the scene: on its own it would say "new".
  const result = await late.poll();
  expect(result.scenes.map((s) => [s.id, s.reason])).toEqual([[scene.id, 'updated']]);
  await a.poll();
  expect(tallyScenes(emu.scenes(), emittedBy([a, late]))).toMatchObject({ emitted: 2, doubled: 0, missed: 0 });
});

test('a copy stopped while its claim is in flight gives the scenes back: another copy emits them, nothing is lost', async () => {
  const [a, b] = [copy(), copy()];
  emu.publishScene({ acquired: minutesAgo(40), cloudCover: 3 });
  emu.publishScene({ acquired: minutesAgo(30), cloudCover: 3 });
  await a.poll();
  const republished = emu.republishScene(emu.scenes()[0].id);
  emu.publishScene({ acquired: minutesAgo(20), cloudCover: 3 });
  // A redeploy of copy A lands while its claim is on its way to Redis.
  const redeploy = new AbortController();
  const stoppedWhileClaiming: EmissionClaims = {
    claim: async (...args): Promise<ClaimedVersion[]> => {
      const won = await a.claims.claim(...args);
      redeploy.abort(new Error('The node was stopped (redeploy).'));
      return won;
    },
    release: (watch, claimed) => a.claims.release(watch, claimed),
  };
  await expect(a.poll({ signal: redeploy.signal, claims: stoppedWhileClaiming })).rejects.toThrow('redeploy');
  const result = await b.poll();
  // B never saw the republished scene's first version: it learns from Redis that it is an update.
  expect(result.scenes.map((s) => [s.id === republished.id, s.reason])).toEqual([
    [true, 'updated'],
    [false, 'new'],
  ]);
  await a.poll();
  const tally = tallyScenes(emu.scenes(), emittedBy([a, b]));
  expect(tally).toMatchObject({ published: 3, republished: 1, emitted: 4, doubled: 0, missed: 0 });
});

test('a copy stopped while claiming, with Redis gone before it could give the scenes back, gives them back before its next claim', async () => {
  const [a, b] = [copy(), copy()];
  const scene = emu.publishScene({ acquired: minutesAgo(30), cloudCover: 3 });
  const redeploy = new AbortController();
  const stoppedAsRedisGoes: EmissionClaims = {
    claim: async (...args): Promise<ClaimedVersion[]> => {
      const won = await a.claims.claim(...args);
      redeploy.abort(new Error('The node was stopped (redeploy).'));
      // Redis goes away with the claim saved: the release cannot reach it.
      await redis.command('SAVE');
      await redis.kill();
      return won;
    },
    release: (watch, claimed) => a.claims.release(watch, claimed),
  };
  await expect(a.poll({ signal: redeploy.signal, claims: stoppedAsRedisGoes })).rejects.toThrow('redeploy');
  await redis.restart({ keep: 'saved' }); // with the claim still held
  // Another copy finds the scene claimed, and remembers it; the stopped copy's next poll (the
  // redeployed node's) gives it back first, then wins it.
  expect((await b.poll()).scenes).toEqual([]);
  await waitForClients(2);
  expect((await a.poll()).scenes.map((s) => s.id)).toEqual([scene.id]);
  expect(tallyScenes(emu.scenes(), emittedBy([a, b]))).toMatchObject({ published: 1, emitted: 1, doubled: 0, missed: 0 });
});

test('Redis down: no poll fails, each copy goes on from its own cursor and says so once; back, sharing resumes', async () => {
  const [a, b] = [copy(), copy()];
  emu.publishScene({ acquired: minutesAgo(50), cloudCover: 3 });
  await pollAll([a, b]);
  await redis.kill();
  const down = [
    emu.publishScene({ acquired: minutesAgo(40), cloudCover: 3 }),
    emu.publishScene({ acquired: minutesAgo(30), cloudCover: 3 }),
  ];
  const whileDown = await pollAll([a, b]);
  // Each copy emits what its own cursor has not seen: both scenes, in both copies.
  expect(whileDown.map((r) => [r.claimsUnavailable, r.scenes.map((s) => s.id)])).toEqual([
    [true, down.map((s) => s.id)],
    [true, down.map((s) => s.id)],
  ]);
  // Their cursors moved on: nothing again, and no second outage line.
  const later = emu.publishScene({ acquired: minutesAgo(25), cloudCover: 3 });
  const stillDown = await pollAll([a, b]);
  expect(stillDown.map((r) => r.scenes.length)).toEqual([1, 1]);
  for (const { logs } of [a, b]) {
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^Watch sharing: Redis at 127\.0\.0\.1:\d+ [^.]+\. Each watch emits the scenes its own cursor has not seen/);
  }

  await redis.restart(); // empty, as a restart without persistence leaves it
  await waitForClients(2);
  const back = emu.publishScene({ acquired: minutesAgo(10), cloudCover: 3 });
  const afterOutage = await pollAll([a, b]);
  expect(afterOutage.map((r) => r.claimsUnavailable)).toEqual([undefined, undefined]);
  expect(afterOutage.flatMap((r) => r.scenes.map((s) => s.id))).toEqual([back.id]);
  for (const { logs } of [a, b])
    expect(logs[1]).toMatch(
      /^Watch sharing: Redis at \S+ answers again \(after \d+ s\); each scene is emitted once across processes again/,
    );
  const tally = tallyScenes(emu.scenes(), emittedBy([a, b]));
  printTally('core, two copies, Redis down for three scenes', tally);
  expect(tally).toMatchObject({ published: 5, emitted: 8, doubled: 3, missed: 0, outOfOrder: 0 });
  // The scenes published while Redis was down came once from each copy; the others once in total.
  const twice = [...down, later].map((s) => s.id).sort();
  const ids = emittedBy([a, b]).map((e) => e.id);
  expect([...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))].sort()).toEqual(twice);
});

test('Redis answering slowly: the poll does not wait beyond the command bound, and emits on its own cursor', async () => {
  const [a] = [copy()];
  emu.publishScene({ acquired: minutesAgo(30), cloudCover: 3 });
  await a.poll(); // connected
  await redis.command('CLIENT', 'PAUSE', 4_000, 'ALL');
  emu.publishScene({ acquired: minutesAgo(20), cloudCover: 3 });
  const started = Date.now();
  const result = await a.poll();
  // Generous: the command bound is 500 ms and a poll against the emulator takes tens of ms; waiting
  // for Redis would take the 4 s of the pause.
  expect(Date.now() - started).toBeLessThan(3_000);
  expect({ unavailable: result.claimsUnavailable, emitted: result.scenes.length }).toEqual({ unavailable: true, emitted: 1 });
});

test('what Redis holds: digests for names, an updated time per scene, expiring when the scene leaves the window', async () => {
  const [a] = [copy()];
  const scenes = [0, 1, 2].map((i) => emu.publishScene({ acquired: minutesAgo(30 + i), cloudCover: 3 }));
  emu.republishScene(scenes[1].id);
  await a.poll();
  const entries = await redis.entries();
  expect(entries).toHaveLength(3);
  for (const e of entries) {
    expect(e.key).toMatch(/^eo-nodes:v1:watch:\{[A-Za-z0-9_-]{22}\}:[A-Za-z0-9_-]{22}$/);
    expect(e.values[0]).toMatch(/^\d{13}$/);
    // Kept until the newest scene leaves the look-back window, plus the margin.
    expect(e.pttl).toBeGreaterThan((LOOKBACK_HOURS * 60 - 40) * 60_000 + CLAIM_MARGIN_MS);
    expect(e.pttl).toBeLessThanOrEqual(LOOKBACK_HOURS * HOUR + CLAIM_MARGIN_MS);
  }
  const dump = JSON.stringify(entries);
  const words = [...scenes.map((s) => s.id), 'T31UFS', 'sentinel-2-l2a', '4.67', 'node-1', watchKey(settings, 'node-1')];
  expect(words.filter((word) => dump.includes(word))).toEqual([]);
});

/** Waits until `count` connections named eo-nodes are connected to Redis (ioredis reconnects in the background). */
async function waitForClients(count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if ((await redis.clientsNamed('eo-nodes')) >= count) return;
    if (Date.now() > deadline) throw new Error(`fewer than ${count} eo-nodes connections after 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
