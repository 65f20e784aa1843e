/**
 * From an eo-watch node's properties (flows.json) to the core's checked watch settings, the poll
 * interval and the context store. A problem is kept, not thrown: the node shows it and reports
 * it on every message instead of failing to start.
 */
import { checkWatchSettings, EoError, isEoError, type WatchSettings } from '../../../core';

/** The eo-watch node's properties. */
export interface EoWatchProperties {
  name?: string;
  auth?: string;
  /** `catalog` (Sentinel Hub / CDSE) or `stac` (Terrascope). */
  source?: string;
  collection?: string;
  searchUrl?: string;
  bbox?: string;
  geometry?: string;
  maxCloudCover?: string | number;
  filter?: string;
  lookbackHours?: string | number;
  firstPoll?: string;
  since?: string;
  /** Seconds between polls; 0 polls only when a message arrives. */
  interval?: string | number;
  /** Context store of the cursor; empty for the default store. */
  store?: string;
}

/** What the node runs with. */
export interface WatchConfig {
  settings?: WatchSettings;
  /** Milliseconds between polls; 0 = only on input. */
  intervalMs: number;
  store?: string;
  problem?: EoError;
}

/** The least time between polls: a catalogue is not a message queue. */
export const MIN_INTERVAL_S = 1;
export const DEFAULT_INTERVAL_S = 600;

function readInterval(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_INTERVAL_S * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || (seconds > 0 && seconds < MIN_INTERVAL_S)) {
    throw new EoError(
      'EO_INVALID_CONFIG',
      `The poll interval must be 0 (poll on input only) or at least ${MIN_INTERVAL_S} s (got ${String(value)}).`,
      {
        field: 'interval',
      },
    );
  }
  return Math.round(seconds * 1000);
}

/**
 * A named store must exist: Node-RED would fall back to the default (memory) store with only a
 * warning in the log, and the cursor the user meant to keep across restarts would be lost.
 */
function checkStore(store: string | undefined, configured: string[]): void {
  if (store === undefined || configured.includes(store)) return;
  throw new EoError('EO_INVALID_CONFIG', `The context store "${store}" is not configured (known: ${configured.join(', ')}).`, {
    field: 'store',
    hint: 'Add it to contextStorage in settings.js, or leave the field empty for the default store.',
  });
}

/** Reads and checks the node's properties; `stores` are the context stores the runtime has. */
export function readWatchConfig(props: EoWatchProperties, stores: string[]): WatchConfig {
  const store = props.store?.trim() || undefined;
  try {
    checkStore(store, stores);
    const settings = checkWatchSettings({
      source: props.source,
      collection: props.collection,
      bbox: props.bbox,
      geometry: props.geometry,
      maxCloudCover: props.maxCloudCover,
      filter: props.filter,
      searchUrl: props.searchUrl,
      lookbackHours: props.lookbackHours,
      firstPoll: props.firstPoll,
      since: props.since,
    });
    return { settings, intervalMs: readInterval(props.interval), store };
  } catch (err) {
    if (!isEoError(err)) throw err;
    return { intervalMs: 0, store, problem: err };
  }
}
