/**
 * One shape for a scene, whichever catalogue announced it. Sentinel Hub's Catalog and
 * Terrascope's STAC API both answer with STAC items, but they differ in what they fill in (an
 * `updated` time, cloud cover, assets on S3 or over HTTPS), so a watch and its users read this
 * shape instead of either item.
 */

/** Why a scene is emitted: first seen, or seen before with an older `updated` time (reprocessed). */
export type SceneReason = 'new' | 'updated';

/** A file of a scene, as its STAC item lists it. */
export interface SceneAsset {
  href: string;
  type?: string;
  title?: string;
  roles?: string[];
}

/** A link of a scene's STAC item (self, collection, ...). */
export interface SceneLink {
  rel: string;
  href: string;
  type?: string;
}

/** A scene as a watch emits it. */
export interface Scene {
  id: string;
  collection: string;
  /** Acquisition (sensing) time, ISO 8601 UTC. */
  acquired: string;
  /** When the catalogue last changed the item, ISO 8601 UTC; absent when the catalogue does not say. */
  updated?: string;
  /** Cloud cover in percent (`eo:cloud_cover`), when the collection has it. */
  cloudCover?: number;
  /** [west, south, east, north] in degrees. */
  bbox?: number[];
  /** GeoJSON footprint. */
  geometry?: unknown;
  assets: Record<string, SceneAsset>;
  links: SceneLink[];
  /** Every property of the item as the catalogue sent it (platform, orbit, processing baseline, ...). */
  properties: Record<string, unknown>;
  reason: SceneReason;
}

/** A scene before the watch has decided why it is emitted. */
export type FoundScene = Omit<Scene, 'reason'>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An ISO 8601 UTC text for a time the catalogue wrote, or undefined when it is not a time. */
function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

function assetsOf(value: unknown): Record<string, SceneAsset> {
  const out: Record<string, SceneAsset> = {};
  if (!isRecord(value)) return out;
  for (const [name, raw] of Object.entries(value)) {
    if (!isRecord(raw) || typeof raw.href !== 'string') continue;
    const asset: SceneAsset = { href: raw.href };
    if (typeof raw.type === 'string') asset.type = raw.type;
    if (typeof raw.title === 'string') asset.title = raw.title;
    if (Array.isArray(raw.roles)) asset.roles = raw.roles.filter((r): r is string => typeof r === 'string');
    out[name] = asset;
  }
  return out;
}

function linksOf(value: unknown): SceneLink[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((l): l is Record<string, unknown> => isRecord(l) && typeof l.rel === 'string' && typeof l.href === 'string')
    .map((l) =>
      typeof l.type === 'string'
        ? { rel: String(l.rel), href: String(l.href), type: l.type }
        : { rel: String(l.rel), href: String(l.href) },
    );
}

/**
 * Reads a Sentinel Hub Catalog feature or a STAC item. Items without an id or without an
 * acquisition time (`datetime`, or `start_datetime` for items that span a period) cannot be
 * placed in a watch window and give `undefined`.
 *
 * @example
 * sceneFromItem(feature, 'sentinel-2-l2a')?.acquired; // '2024-06-03T10:20:31.000Z'
 */
export function sceneFromItem(item: unknown, collection: string): FoundScene | undefined {
  if (!isRecord(item) || typeof item.id !== 'string' || item.id === '') return undefined;
  const properties = isRecord(item.properties) ? item.properties : {};
  const acquired = isoTime(properties.datetime) ?? isoTime(properties.start_datetime);
  if (!acquired) return undefined;
  const scene: FoundScene = {
    id: item.id,
    collection: typeof item.collection === 'string' ? item.collection : collection,
    acquired,
    assets: assetsOf(item.assets),
    links: linksOf(item.links),
    properties: { ...properties },
  };
  // STAC common metadata: `updated` changes when a scene is reprocessed and republished.
  const updated = isoTime(properties.updated) ?? isoTime(properties.published) ?? isoTime(properties.created);
  if (updated) scene.updated = updated;
  const cloud = properties['eo:cloud_cover'];
  if (typeof cloud === 'number' && Number.isFinite(cloud)) scene.cloudCover = cloud;
  if (Array.isArray(item.bbox) && item.bbox.every((v) => typeof v === 'number')) scene.bbox = item.bbox as number[];
  if (item.geometry !== undefined) scene.geometry = item.geometry;
  return scene;
}

/** Oldest acquisition first; the id breaks ties so the order is the same on every poll. */
export function byAcquisition(a: { acquired: string; id: string }, b: { acquired: string; id: string }): number {
  return a.acquired < b.acquired ? -1 : a.acquired > b.acquired ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
