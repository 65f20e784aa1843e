/**
 * What a watch remembers between polls. Catalogues publish scenes hours or days after they were
 * acquired and republish reprocessed scenes under the same id, so "everything newer than the last
 * poll" would miss the late ones and never see the updates. A watch therefore searches a look-back
 * window of acquisition time on every poll and remembers, for each scene acquired inside it, the
 * `updated` time it was emitted with. A scene that falls out of the window can no longer be found,
 * so it is forgotten: memory is bounded by the window, however long the watch runs.
 *
 * Everything here is pure: a poll computes the next cursor from the previous one, and the caller
 * stores it only after the poll succeeded, so a failed poll leaves the cursor as it was.
 */
import type { FoundScene, Scene } from './scene';

/** Remembered scenes at most: a window that holds more asks for a smaller area or a shorter window. */
export const MAX_REMEMBERED_SCENES = 10_000;

/** The state a watch keeps (n8n: workflow static data; Node-RED: node context). Plain JSON. */
export interface WatchCursor {
  /** Format version. */
  v: 1;
  /** The watch it belongs to ({@link watchKey}): a cursor of other settings is not used. */
  key: string;
  /** When the last successful poll searched, ISO 8601. */
  polledAt: string;
  /** The start of that poll's window of acquisition time, ISO 8601. */
  windowStart: string;
  /** Scene id → [its `updated` time when emitted ('' when the catalogue gave none), its acquisition time]. */
  seen: Record<string, [string, string]>;
}

/** The scenes of a poll sorted into what to emit and what was already emitted. */
export interface ScenesSorted {
  /** Never emitted, or emitted with an older `updated` time. */
  fresh: Scene[];
  /** Emitted before with this `updated` time. */
  unchanged: number;
}

/**
 * True when `next` is a later `updated` time than `previous` ('' when the catalogue gave none):
 * what makes a scene found again an update, for the cursor and for the emission claims alike.
 */
export function isNewer(next: string, previous: string): boolean {
  if (next === '') return false;
  return previous === '' || Date.parse(next) > Date.parse(previous);
}

/**
 * Sorts the scenes a poll found: new ids are `new`, known ids with a later `updated` time are
 * `updated`, the rest were emitted already.
 *
 * @example
 * sortScenes(cursor, found).fresh.map((s) => s.reason); // ['new', 'updated']
 */
export function sortScenes(cursor: WatchCursor | undefined, found: readonly FoundScene[]): ScenesSorted {
  const fresh: Scene[] = [];
  let unchanged = 0;
  for (const scene of found) {
    const known = cursor?.seen[scene.id];
    if (!known) fresh.push({ ...scene, reason: 'new' });
    else if (isNewer(scene.updated ?? '', known[0])) fresh.push({ ...scene, reason: 'updated' });
    else unchanged += 1;
  }
  return { fresh, unchanged };
}

/**
 * The cursor after a successful poll: `scenes` remembered with their `updated` time, scenes
 * acquired before `windowStart` forgotten (they cannot be found again), and at most
 * {@link MAX_REMEMBERED_SCENES} kept, the most recently acquired.
 */
export function advanceCursor(
  previous: WatchCursor | undefined,
  scenes: readonly FoundScene[],
  at: { key: string; polledAt: number; windowStart: number },
): WatchCursor {
  const windowStart = new Date(at.windowStart).toISOString();
  const seen: Record<string, [string, string]> = {};
  const keep = (id: string, entry: [string, string]) => {
    if (entry[1] >= windowStart) seen[id] = entry;
  };
  if (previous && previous.key === at.key) for (const [id, entry] of Object.entries(previous.seen)) keep(id, entry);
  for (const scene of scenes) {
    const before = seen[scene.id]?.[0] ?? '';
    // A scene found again without a later `updated` keeps what it was emitted with.
    keep(scene.id, [isNewer(scene.updated ?? '', before) ? (scene.updated as string) : before, scene.acquired]);
  }
  const ids = Object.keys(seen);
  if (ids.length > MAX_REMEMBERED_SCENES) {
    ids.sort((a, b) => (seen[a][1] < seen[b][1] ? -1 : seen[a][1] > seen[b][1] ? 1 : 0));
    for (const id of ids.slice(0, ids.length - MAX_REMEMBERED_SCENES)) delete seen[id];
  }
  return { v: 1, key: at.key, polledAt: new Date(at.polledAt).toISOString(), windowStart, seen };
}

/** True for a cursor this version can read that belongs to the watch `key`. */
export function isCursorOf(value: unknown, key: string): value is WatchCursor {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Partial<WatchCursor>;
  return c.v === 1 && c.key === key && typeof c.seen === 'object' && c.seen !== null && typeof c.windowStart === 'string';
}
