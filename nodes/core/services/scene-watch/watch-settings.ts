/**
 * What a watch watches, checked the way a user types it in either engine: the catalogue, the
 * collection, the area, the cloud-cover limit, an optional CQL2 filter and the look-back window.
 * Every problem names the field to fix before any request is made.
 */
import { createHash } from 'node:crypto';
import { EoError } from '../../errors';
import { readJsonObject } from '../../config/json-object';
import { parseBBox, type BBox } from '../bounding-box';
import { parseGeometry } from '../geojson-geometry';
import { SENTINEL_HUB_PATHS } from '../sentinel-hub-api';

/** Sentinel Hub / CDSE Catalog, or a STAC API's item search (Terrascope). */
export type WatchSource = 'catalog' | 'stac';
/** On the first poll: remember what exists without emitting it, or emit everything since a date. */
export type FirstPoll = 'remember' | 'since';

/** Terrascope's STAC item search. */
export const TERRASCOPE_STAC_SEARCH_URL = 'https://stac.terrascope.be/search';
/** The default look-back window: Sentinel-2 scenes are usually published within a day, some take longer. */
export const DEFAULT_LOOKBACK_HOURS = 72;
/** The longest look-back window: every poll searches all of it. */
export const MAX_LOOKBACK_HOURS = 24 * 60;

/** Settings as the engines read them from a node; strings where a user types. */
export interface WatchSettingsInput {
  source?: string;
  collection?: unknown;
  /** [w, s, e, n] as a list, or typed as "w,s,e,n" or "[w,s,e,n]". */
  bbox?: unknown;
  /** A GeoJSON geometry, as an object or as JSON text (Catalog only); replaces the bbox. */
  geometry?: unknown;
  /** Percent; empty or 100 for no limit. */
  maxCloudCover?: unknown;
  /** CQL2 text, or CQL2 JSON as an object or as JSON text (Catalog only). */
  filter?: unknown;
  /** STAC item search URL (STAC only); default Terrascope's. */
  searchUrl?: unknown;
  lookbackHours?: unknown;
  firstPoll?: unknown;
  /** For `firstPoll: 'since'`: a date, ISO 8601. */
  since?: unknown;
}

/** Checked settings of a watch. */
export interface WatchSettings {
  source: WatchSource;
  collection: string;
  /** The search area: a bbox, or (Catalog) a GeoJSON geometry sent as `intersects`. */
  area: { bbox: BBox } | { intersects: Record<string, unknown> };
  /** Below 100 %; absent for no limit. */
  maxCloudCover?: number;
  filter?: string | Record<string, unknown>;
  /** Where the search is sent: the Catalog path, or the STAC search URL. */
  searchUrl: string;
  lookbackMs: number;
  firstPoll: FirstPoll;
  /** Epoch ms of `since`, for `firstPoll: 'since'`. */
  since?: number;
}

function invalid(field: string, message: string): EoError {
  return new EoError('EO_INVALID_CONFIG', message, { field });
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function readNumber(field: string, value: unknown, label: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(n) || n < min || n > max)
    throw invalid(field, `${label} must be a number from ${min} to ${max} (got ${String(value)}).`);
  return n;
}

function readFilter(value: unknown): string | Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  const text = String(value).trim();
  if (!text.startsWith('{')) return text;
  const read = readJsonObject(text);
  if (!read.ok) throw invalid('filter', 'The CQL2 JSON filter is not valid JSON.');
  return read.value;
}

/**
 * Checks what a user configured. Throws `EO_INVALID_CONFIG` naming the field (`source`,
 * `collection`, `bbox`, `geometry`, `maxCloudCover`, `filter`, `searchUrl`, `lookbackHours`,
 * `firstPoll`, `since`).
 *
 * @example
 * checkWatchSettings({ source: 'catalog', collection: 'sentinel-2-l2a', bbox: '5.1,51.9,5.2,52', maxCloudCover: 20 });
 */
export function checkWatchSettings(input: WatchSettingsInput): WatchSettings {
  const source = input.source ?? 'catalog';
  if (source !== 'catalog' && source !== 'stac') throw invalid('source', `Unknown source "${source}": use catalog or stac.`);
  const collection = typeof input.collection === 'string' ? input.collection.trim() : '';
  if (!collection) throw invalid('collection', 'The collection is empty: give a collection id, e.g. sentinel-2-l2a.');
  let area: WatchSettings['area'];
  if (!isBlank(input.geometry)) {
    if (source === 'stac') throw invalid('geometry', 'A STAC watch takes a bounding box, not a geometry.');
    area = { intersects: parseGeometry(input.geometry) };
  } else {
    area = { bbox: parseBBox(input.bbox) };
  }
  const lookbackHours = isBlank(input.lookbackHours)
    ? DEFAULT_LOOKBACK_HOURS
    : readNumber('lookbackHours', input.lookbackHours, 'The look-back window (hours)', 0.01, MAX_LOOKBACK_HOURS);
  const firstPoll = isBlank(input.firstPoll) ? 'remember' : input.firstPoll;
  if (firstPoll !== 'remember' && firstPoll !== 'since') {
    throw invalid('firstPoll', `First poll "${String(firstPoll)}" is not known: use remember or since.`);
  }
  const settings: WatchSettings = {
    source,
    collection,
    area,
    searchUrl: SENTINEL_HUB_PATHS.catalogSearch,
    lookbackMs: Math.round(lookbackHours * 3_600_000),
    firstPoll,
  };
  if (source === 'stac') settings.searchUrl = isBlank(input.searchUrl) ? TERRASCOPE_STAC_SEARCH_URL : String(input.searchUrl).trim();
  const cloud = isBlank(input.maxCloudCover) ? 100 : readNumber('maxCloudCover', input.maxCloudCover, 'The maximum cloud cover', 0, 100);
  // 100 % is no limit, not "at most 100": a comparison on `eo:cloud_cover` matches no item that
  // lacks the property, so a limit of 100 would drop every scene without one (radar, DEMs).
  if (cloud < 100) settings.maxCloudCover = cloud;
  if (!isBlank(input.filter)) {
    if (source === 'stac')
      throw invalid('filter', 'A STAC watch filters on cloud cover only; a CQL2 filter is for the Sentinel Hub Catalog.');
    settings.filter = readFilter(input.filter);
  }
  if (firstPoll === 'since') {
    const since = isBlank(input.since) ? NaN : Date.parse(String(input.since).trim());
    if (!Number.isFinite(since))
      throw invalid('since', 'Emitting everything since a date needs the date: ISO 8601, e.g. 2024-06-01T00:00:00Z.');
    settings.since = since;
  }
  return settings;
}

/**
 * The identity of a watch: what it searches (source, search URL, collection, area), not how
 * (cloud limit, filter, window). Same settings after a redeploy or restart → same key → the
 * cursor is kept; another area or collection → another key → a new cursor. `scope` separates
 * watches with equal settings (the node id).
 */
export function watchKey(settings: WatchSettings, scope = ''): string {
  const identity = JSON.stringify([scope, settings.source, settings.searchUrl, settings.collection, settings.area]);
  return createHash('sha256').update(identity).digest('hex').slice(0, 32);
}

/** The CQL2 filter of a search: the cloud-cover limit and the user's filter, both when both are set. */
function catalogFilter(settings: WatchSettings): Record<string, unknown> {
  const { maxCloudCover: cloud, filter } = settings;
  if (filter === undefined && cloud === undefined) return {};
  if (typeof filter === 'object') {
    const cloudJson = { op: '<=', args: [{ property: 'eo:cloud_cover' }, cloud] };
    return { filter: cloud === undefined ? filter : { op: 'and', args: [filter, cloudJson] }, 'filter-lang': 'cql2-json' };
  }
  const parts = [filter === undefined ? undefined : `(${filter})`, cloud === undefined ? undefined : `eo:cloud_cover <= ${cloud}`];
  return { filter: parts.filter(Boolean).join(' AND '), 'filter-lang': 'cql2-text' };
}

/**
 * The search body for acquisitions in [from, to]: Catalog with a CQL2 `filter`, STAC with the
 * query extension on `eo:cloud_cover`.
 */
export function searchBody(settings: WatchSettings, from: number, to: number): Record<string, unknown> {
  const body: Record<string, unknown> = {
    collections: [settings.collection],
    datetime: `${new Date(from).toISOString()}/${new Date(to).toISOString()}`,
    ...settings.area,
    limit: 100,
  };
  if (settings.source === 'catalog') return { ...body, ...catalogFilter(settings) };
  if (settings.maxCloudCover !== undefined) body.query = { 'eo:cloud_cover': { lte: settings.maxCloudCover } };
  return body;
}
