/**
 * One poll of a watch: search the look-back window (every page), sort what was found against the
 * cursor, claim the fresh scenes, and hand back the scenes to emit (oldest acquisition first) with
 * the next cursor. Nothing is stored here: the caller emits, then stores the cursor. A poll that
 * fails anywhere (a page, the token, the provider) throws before any of that, so the stored cursor
 * stays where it was and the next poll searches the same window again: nothing is skipped.
 *
 * Claim, then emit at once. Claiming is the last step of a poll, after everything that can fail,
 * and the caller emits what it won in the same turn (Node-RED: `send`; n8n: the items it returns),
 * so nothing can come between a won claim and its emission. The one thing that can (the caller is
 * stopped while the claim is in flight: a redeploy) is met here: the claims are given back and the
 * poll fails, so the scenes are not lost for every copy; this copy's stored cursor has not moved,
 * and its next poll claims them again. The other way round (emit first, then claim) would let two
 * copies emit the same scene. A copy that loses a claim still remembers the scene in its cursor,
 * so it does not claim it again on every poll.
 */
import { EoError, isEoError } from '../../errors';
import { eoRequest, type EoRequestOptions } from '../../http/eo-request';
import { catalogSearchAll } from '../catalog-search';
import { advanceCursor, isCursorOf, MAX_REMEMBERED_SCENES, sortScenes, type WatchCursor } from './cursor';
import type { ClaimedVersion, EmissionClaims } from './emission-claims';
import { sharedEmissionClaims } from './shared-emission-claims';
import { byAcquisition, sceneFromItem, type FoundScene, type Scene } from './scene';
import { searchBody, type WatchSettings } from './watch-settings';

/** How a poll reaches the provider: the connection, tokens and request policy of every other call. */
export type WatchRequestOptions = Omit<EoRequestOptions, 'url' | 'method' | 'body' | 'responseType' | 'query'>;

/** Options of {@link pollScenes}. */
export interface ScenePollOptions extends WatchRequestOptions {
  settings: WatchSettings;
  /** The watch's identity ({@link watchKey}). */
  key: string;
  /** What the last successful poll stored; undefined (or another watch's) on the first poll. */
  cursor?: unknown;
  /** Who emits when several copies run the same watch. Default: {@link sharedEmissionClaims} (Redis when configured). */
  claims?: EmissionClaims;
  /** Clock, epoch ms. Default `Date.now()`. */
  now?: number;
}

/** What a poll found and what to do with it. */
export interface ScenePollResult {
  /** Scenes to emit, oldest acquisition first. */
  scenes: Scene[];
  /** The cursor to store once the scenes are emitted. */
  cursor: WatchCursor;
  /** True when there was no cursor of this watch: with `firstPoll: 'remember'` nothing is emitted. */
  first: boolean;
  counts: {
    /** Scenes the search returned. */
    found: number;
    new: number;
    updated: number;
    /** Found and emitted before with the same `updated` time. */
    unchanged: number;
    /** Fresh, but claimed by another copy of this watch. */
    claimedElsewhere: number;
  };
  /** Search pages fetched. */
  pages: number;
  /** HTTP requests sent, retries included. */
  attempts: number;
  /** The claims store could not be reached; the scenes were emitted on this cursor's word alone. */
  claimsUnavailable?: boolean;
  /** The searched window of acquisition time, ISO 8601. */
  window: { from: string; to: string };
}

/** The STAC root of a search URL (`…/search` → `…`), where `/collections/{id}` lives. */
function stacRoot(searchUrl: string): string {
  return searchUrl.replace(/\/search\/?$/, '');
}

/** Turns the catalogue's "no such collection" and "bad filter" answers into errors naming the field. */
function searchError(err: unknown, settings: WatchSettings): unknown {
  if (!isEoError(err, 'EO_HTTP_STATUS')) return err;
  const said = err.providerMessage ? ` The catalogue said: ${err.providerMessage}` : '';
  if (err.status === 404) {
    return new EoError('EO_INVALID_CONFIG', `The catalogue does not know the collection "${settings.collection}" (404).${said}`, {
      field: 'collection',
      status: 404,
      providerMessage: err.providerMessage,
      hint: 'Check the collection id (e.g. sentinel-2-l2a for the Catalog, terrascope-s2-toc-v2 for Terrascope STAC).',
    });
  }
  if (err.status === 400 && settings.filter !== undefined) {
    return new EoError('EO_INVALID_CONFIG', `The catalogue refused the search filter (400).${said}`, {
      field: 'filter',
      status: 400,
      providerMessage: err.providerMessage,
      hint: "Check the CQL2 syntax, e.g. eo:cloud_cover < 20 AND platform = 'sentinel-2b'.",
    });
  }
  return err;
}

/** A STAC search answers an unknown collection with no items, not an error: ask for the collection itself. */
async function checkStacCollection(options: WatchRequestOptions, settings: WatchSettings): Promise<number> {
  const res = await eoRequest({
    ...options,
    url: `${stacRoot(settings.searchUrl)}/collections/${encodeURIComponent(settings.collection)}`,
    responseType: 'json',
  }).catch((err: unknown) => {
    throw searchError(err, settings);
  });
  return res.attempts;
}

/** Every scene acquired in [from, to], all pages, oldest first. */
async function searchWindow(
  options: WatchRequestOptions,
  settings: WatchSettings,
  from: number,
  to: number,
): Promise<{ scenes: FoundScene[]; pages: number; attempts: number }> {
  let attempts = 0;
  if (settings.source === 'stac') attempts += await checkStacCollection(options, settings);
  const result = await catalogSearchAll(
    // Searching only reads: a 5xx on a STAC POST may be retried like the Catalog's.
    { ...options, url: settings.searchUrl, body: searchBody(settings, from, to), readOnly: true },
    { limit: MAX_REMEMBERED_SCENES + 1 },
  ).catch((err: unknown) => {
    throw searchError(err, settings);
  });
  if (result.features.length > MAX_REMEMBERED_SCENES) {
    throw new EoError(
      'EO_INVALID_CONFIG',
      `More than ${MAX_REMEMBERED_SCENES} scenes match in the look-back window: a watch remembers at most that many.`,
      { field: 'lookbackHours', hint: 'Make the area smaller, the window shorter, or the cloud-cover limit lower.' },
    );
  }
  // Offset paging over a catalogue that changes between pages can return a scene twice: once is enough.
  const byId = new Map<string, FoundScene>();
  for (const feature of result.features) {
    const scene = sceneFromItem(feature, settings.collection);
    const other = scene && byId.get(scene.id);
    if (scene && (!other || (scene.updated ?? '') > (other.updated ?? ''))) byId.set(scene.id, scene);
  }
  return { scenes: [...byId.values()].sort(byAcquisition), pages: result.pages, attempts: attempts + result.attempts };
}

/** The window a poll searches: the look-back window, never before `since` when the user chose it. */
function windowOf(settings: WatchSettings, first: boolean, now: number): { from: number; to: number } {
  let from = now - settings.lookbackMs;
  if (settings.firstPoll === 'since' && settings.since !== undefined) from = first ? settings.since : Math.max(from, settings.since);
  return { from, to: now };
}

/**
 * Polls a watch once. Emit the scenes it returns right away, before anything else is awaited: they
 * are claimed for this caller (see the top of this file). A `signal` aborted while the claim is
 * in flight gives the claims back and fails the poll.
 *
 * @example
 * const settings = checkWatchSettings({ source: 'catalog', collection: 'sentinel-2-l2a', bbox, maxCloudCover: 20 });
 * const key = watchKey(settings, node.id);
 * const poll = await pollScenes({ connection, tokens, settings, key, cursor: stored });
 * poll.scenes.forEach(emit);
 * store(poll.cursor); // only now: a failed poll threw and left the stored cursor alone
 */
export async function pollScenes(options: ScenePollOptions): Promise<ScenePollResult> {
  const { settings, key, cursor: stored, claims = sharedEmissionClaims(), now = Date.now(), ...request } = options;
  const cursor = isCursorOf(stored, key) ? stored : undefined;
  const first = cursor === undefined;
  const { from, to } = windowOf(settings, first, now);
  const { scenes: found, pages, attempts } = await searchWindow(request, settings, from, to);
  // Later polls search from now − look-back on: what was acquired before can no longer be found.
  const next = advanceCursor(cursor, found, { key, polledAt: now, windowStart: now - settings.lookbackMs });
  const result: ScenePollResult = {
    scenes: [],
    cursor: next,
    first,
    counts: { found: found.length, new: 0, updated: 0, unchanged: 0, claimedElsewhere: 0 },
    pages,
    attempts,
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
  };
  if (first && settings.firstPoll === 'remember') {
    result.counts.unchanged = found.length;
    return result;
  }
  const { fresh, unchanged } = sortScenes(cursor, found);
  result.counts.unchanged = unchanged;
  let emit = fresh;
  if (fresh.length > 0) {
    request.signal?.throwIfAborted();
    // A claim is kept as long as the scene can be found again: until it leaves the window.
    const keepUntil = Math.max(...fresh.map((s) => Date.parse(s.acquired))) + settings.lookbackMs;
    let won: ClaimedVersion[] | undefined;
    try {
      won = await claims.claim(
        key,
        fresh.map((s) => ({ id: s.id, updated: s.updated ?? '' })),
        keepUntil,
      );
    } catch {
      // A shared store being down must not stop the flow: this cursor still prevents doubles here.
      result.claimsUnavailable = true;
    }
    if (won) {
      if (request.signal?.aborted) {
        // Stopped while claiming: nobody will emit these unless they are given back. A release
        // that fails too is tried again before this watch's next claim (the redeployed node's).
        await claims.release(key, won).catch(() => undefined);
        request.signal.throwIfAborted();
      }
      const byVersion = new Map(won.map((v) => [`${v.id}\u0000${v.updated}`, v]));
      emit = [];
      for (const scene of fresh) {
        const claimed = byVersion.get(`${scene.id}\u0000${scene.updated ?? ''}`);
        if (!claimed) continue;
        // Another version was claimed before (by another copy, whose cursor this one never saw): an update for everybody.
        emit.push(claimed.replaced !== undefined && scene.reason === 'new' ? { ...scene, reason: 'updated' } : scene);
      }
      result.counts.claimedElsewhere = fresh.length - emit.length;
    }
  }
  result.scenes = emit;
  result.counts.new = emit.filter((s) => s.reason === 'new').length;
  result.counts.updated = emit.length - result.counts.new;
  return result;
}

/**
 * What both engines tell about a poll next to its scenes (`msg.eo.poll`, the items' `poll`): the
 * searched window, pages and counts, and `claimsUnavailable` when the shared store did not answer.
 */
export function pollSummary(result: ScenePollResult): Record<string, unknown> {
  return {
    window: result.window,
    pages: result.pages,
    ...result.counts,
    ...(result.claimsUnavailable ? { claimsUnavailable: true } : {}),
  };
}

/**
 * The newest scene of the window, whether emitted before or not: what a manual run ("Fetch test
 * event") shows, without touching the cursor. Undefined when nothing matches in the window.
 */
export async function newestScene(
  options: WatchRequestOptions & { settings: WatchSettings; now?: number },
): Promise<{ scene?: Scene; window: { from: string; to: string } }> {
  const { settings, now = Date.now(), ...request } = options;
  const { from, to } = windowOf(settings, false, now);
  const { scenes } = await searchWindow(request, settings, from, to);
  const newest = scenes.at(-1);
  return { scene: newest && { ...newest, reason: 'new' }, window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() } };
}
