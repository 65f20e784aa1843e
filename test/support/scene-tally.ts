/**
 * Counting what a watch did against what the emulator published: every scene once as `new`, once
 * more as `updated` for each republication, none twice, none missed. The watch tests print the
 * tally so a run's numbers can be quoted.
 */
import type { TimelineScene } from '../emulator/scenes';

/** One emitted scene as a test recorded it. */
export interface EmittedScene {
  id: string;
  reason: string;
  updated?: string;
  acquired: string;
  /** Which poll emitted it (messages of one poll share it), for the order check. */
  poll?: string | number;
}

export interface SceneTally {
  published: number;
  /** Published only after a search had covered their acquisition time without finding them. */
  late: number;
  /** Republications (a scene republished twice counts twice). */
  republished: number;
  emitted: number;
  /** Emissions beyond the one each version deserves, or the same version emitted twice. */
  doubled: number;
  /** Versions never emitted. */
  missed: number;
  /** Polls whose scenes did not come oldest acquisition first. */
  outOfOrder: number;
}

/**
 * Compares what was emitted with what `scenes` (the emulator's list, after the test) deserved.
 * `searchTimes` (epoch ms of the watch's searches) tell which scenes came late.
 */
export function tallyScenes(scenes: TimelineScene[], emitted: EmittedScene[], searchTimes: number[] = []): SceneTally {
  const byId = new Map<string, EmittedScene[]>();
  for (const e of emitted) byId.set(e.id, [...(byId.get(e.id) ?? []), e]);
  let doubled = 0;
  let missed = 0;
  for (const scene of scenes) {
    const got = byId.get(scene.id) ?? [];
    const news = got.filter((e) => e.reason === 'new').length;
    const updateEmissions = got.filter((e) => e.reason === 'updated');
    const updates = new Set(updateEmissions.map((e) => e.updated)).size;
    // Each emission beyond the deserved ones counts once: a second `new`, an update sent twice, more updates than republications.
    doubled += Math.max(0, news - 1) + (updateEmissions.length - updates) + Math.max(0, updates - (scene.version - 1));
    missed += Math.max(0, 1 - news) + Math.max(0, scene.version - 1 - updates);
  }
  // Scenes nobody published are doubles of nothing: count them too.
  const known = new Set(scenes.map((s) => s.id));
  doubled += emitted.filter((e) => !known.has(e.id)).length;
  const polls = new Map<string | number, EmittedScene[]>();
  for (const e of emitted) if (e.poll !== undefined) polls.set(e.poll, [...(polls.get(e.poll) ?? []), e]);
  let outOfOrder = 0;
  for (const list of polls.values()) if (list.some((e, i) => i > 0 && e.acquired < list[i - 1].acquired)) outOfOrder += 1;
  return {
    published: scenes.length,
    late: scenes.filter((s) => searchTimes.some((t) => s.acquired <= t && t < s.published)).length,
    republished: scenes.reduce((n, s) => n + s.version - 1, 0),
    emitted: emitted.length,
    doubled,
    missed,
    outOfOrder,
  };
}

/** One line for the test log, e.g. "Node-RED: published 9 (late 3, republished 2) → emitted 11, doubled 0, missed 0". */
export function printTally(label: string, tally: SceneTally): void {
  process.stdout.write(
    `${label}: scenes published ${tally.published} (late ${tally.late}, republished ${tally.republished}) → emitted ${tally.emitted}, ` +
      `doubled ${tally.doubled}, missed ${tally.missed}, polls out of order ${tally.outOfOrder}\n`,
  );
}
