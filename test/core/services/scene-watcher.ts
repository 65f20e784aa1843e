/**
 * A watch polled the way an engine polls it, for the core's watch tests: the cursor is kept only
 * when a poll succeeded, and every emitted scene is recorded with the poll that emitted it.
 */
import {
  InProcessEmissionClaims,
  pollScenes,
  watchKey,
  type EmissionClaims,
  type Scene,
  type ScenePollResult,
  type WatchCursor,
  type WatchRequestOptions,
  type WatchSettings,
} from '../../../nodes/core';
import type { EmittedScene } from '../../support/scene-tally';

/** A scene as a watcher recorded it: with the number of the poll that emitted it. */
export type WatchedScene = Scene & { poll: number };

/** One copy of a watch: its own cursor, its claims, what it emitted. */
export interface SceneWatcher {
  emitted: WatchedScene[];
  /** When each poll started (epoch ms), for the tally of late scenes. */
  searches: number[];
  readonly cursor: WatchCursor | undefined;
  poll(options?: Partial<Pick<WatchRequestOptions, 'signal'>> & { claims?: EmissionClaims }): Promise<ScenePollResult>;
}

/**
 * A watcher of `settings`. Copies made with the same `scope` are copies of one watch (one node
 * in several Node-RED processes): they share the watch key, not their cursors.
 */
export function sceneWatcher(
  request: () => WatchRequestOptions,
  settings: WatchSettings,
  claims: EmissionClaims = new InProcessEmissionClaims(),
  scope = 'test',
): SceneWatcher {
  const key = watchKey(settings, scope);
  const emitted: WatchedScene[] = [];
  const searches: number[] = [];
  let cursor: WatchCursor | undefined;
  let polls = 0;
  return {
    emitted,
    searches,
    get cursor() {
      return cursor;
    },
    async poll(options = {}) {
      searches.push(Date.now());
      const result = await pollScenes({ ...request(), settings, key, cursor, claims, ...options });
      polls += 1;
      emitted.push(...result.scenes.map((scene) => ({ ...scene, poll: polls })));
      cursor = JSON.parse(JSON.stringify(result.cursor)) as WatchCursor;
      return result;
    },
  };
}

/** What the tally needs of each emitted scene; `copy` tells the polls of several copies apart. */
export function recordOf(list: WatchedScene[], copy = ''): EmittedScene[] {
  return list.map((s) => ({ id: s.id, reason: s.reason, updated: s.updated, acquired: s.acquired, poll: `${copy}${s.poll}` }));
}
