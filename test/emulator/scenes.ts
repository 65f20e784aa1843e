/**
 * The catalogues' sense of time: scenes with an acquisition time and a publication time, so a
 * scene can appear days after it was acquired (late), and be republished under the same id with a
 * newer `updated` time (reprocessed). Tests and the demo publish scenes while they run (in-process
 * or over `/__emulator/scenes`); the Sentinel Hub Catalog and the Terrascope STAC API show each
 * scene once its publication time has come. Assets point at files this emulator serves.
 */
import type { BodySource } from './bodies';
import { fnv1a, prng } from './http';

/** Terrascope's Sentinel-2 top-of-canopy reflectance collection (a STAC collection with cloud cover). */
export const TERRASCOPE_S2_TOC = 'terrascope-s2-toc-v2';
/** The bands each Terrascope TOC scene offers as a GeoTIFF asset. */
export const TOC_BANDS = ['B02', 'B03', 'B04', 'B08'] as const;
/** Bytes of each synthetic scene asset (a TIFF header, then deterministic bytes). */
export const SCENE_ASSET_BYTES = 64 * 1024;

/** A Sentinel-2 tile near Gembloux (Belgium): the default footprint of a published scene. */
const DEFAULT_FOOTPRINT: [number, number, number, number] = [4.3, 50.4, 5.8, 51.4];

/** What a test publishes; everything but the collection has a default. */
export interface SceneSpec {
  /** Default `sentinel-2-l2a` (Catalog); `terrascope-s2-toc-v2` for Terrascope STAC. */
  collection?: string;
  /** Default: built from the collection and the acquisition time, as the real ids are. */
  id?: string;
  /** Acquisition time, ISO 8601 or epoch ms. Default now. */
  acquired?: string | number;
  /**
   * Publication delay after acquisition, ms: the scene is not found before acquired + delay.
   * Default: published at the moment of the call.
   */
  publishDelayMs?: number;
  /** Percent; default a deterministic value from the id. */
  cloudCover?: number;
  /** Footprint [w, s, e, n]; default a Sentinel-2 tile near Gembloux. */
  bbox?: [number, number, number, number];
}

/** A scene as the emulator keeps it (times in epoch ms). */
export interface TimelineScene {
  id: string;
  collection: string;
  acquired: number;
  published: number;
  /** Last (re)publication; equals `published` until republished. */
  updated: number;
  /** 1, then one more per republication. */
  version: number;
  cloudCover: number;
  bbox: [number, number, number, number];
}

function compact(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15);
}

/** ISO 8601 without milliseconds, as the catalogues write times. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function defaultId(collection: string, acquired: number, seq: number): string {
  const stamp = compact(acquired);
  const platform = seq % 2 ? 'B' : 'A';
  if (collection === TERRASCOPE_S2_TOC) return `S2${platform}_${stamp}_31UFS_TOC_V210`;
  if (collection.startsWith('sentinel-2')) {
    const level = collection.endsWith('l1c') ? 'L1C' : 'L2A';
    return `S2${platform}_MSI${level}_${stamp}_N0510_R${String(1 + (seq % 143)).padStart(3, '0')}_T31UFS_${stamp}.SAFE`;
  }
  return `${collection}-${stamp}`;
}

/** Do two boxes [w, s, e, n] overlap (touching counts)? */
export function bboxesIntersect(a: number[], b: number[]): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

/** The scenes published into one emulator, in publication order. */
export class SceneTimeline {
  private readonly scenes: TimelineScene[] = [];
  private seq = 0;

  /** Adds a scene; it shows in searches from `acquired + publishDelayMs` on. */
  publish(spec: SceneSpec, now = Date.now()): TimelineScene {
    const collection = spec.collection ?? 'sentinel-2-l2a';
    const acquired = spec.acquired === undefined ? now : typeof spec.acquired === 'number' ? spec.acquired : Date.parse(spec.acquired);
    if (!Number.isFinite(acquired)) throw new Error(`acquired is not a time: ${String(spec.acquired)}`);
    const published = spec.publishDelayMs === undefined ? Math.max(now, acquired) : acquired + spec.publishDelayMs;
    this.seq += 1;
    let id = spec.id ?? defaultId(collection, acquired, this.seq);
    // Two scenes acquired in the same second get distinct ids, as two tiles of one pass would.
    while (!spec.id && this.scenes.some((s) => s.id === id && s.collection === collection)) id = `${id}_${this.seq}`;
    if (this.find(collection, id)) throw new Error(`scene ${id} exists already in ${collection}: republish it instead`);
    const cloudCover = spec.cloudCover ?? Math.round(prng(fnv1a(id))() * 10000) / 100;
    const scene: TimelineScene = {
      id,
      collection,
      acquired,
      published,
      updated: published,
      version: 1,
      cloudCover,
      bbox: spec.bbox ?? DEFAULT_FOOTPRINT,
    };
    this.scenes.push(scene);
    return { ...scene };
  }

  /** Republishes a scene under the same id: a newer `updated` time, optionally another cloud cover. */
  republish(id: string, patch: { cloudCover?: number } = {}, now = Date.now()): TimelineScene {
    const scene = this.scenes.find((s) => s.id === id);
    if (!scene) throw new Error(`no scene ${id} to republish`);
    // `updated` must move forward even when two republications fall in the same millisecond.
    scene.updated = Math.max(now, scene.updated + 1000);
    scene.version += 1;
    if (patch.cloudCover !== undefined) scene.cloudCover = patch.cloudCover;
    return { ...scene };
  }

  find(collection: string, id: string): TimelineScene | undefined {
    return this.scenes.find((s) => s.collection === collection && s.id === id);
  }

  /** The scenes of `collection` published by `now`, acquired in [from, to], over `bbox`. */
  search(collection: string, now: number, range: [number, number], bbox?: number[]): TimelineScene[] {
    return this.scenes.filter(
      (s) =>
        s.collection === collection &&
        s.published <= now &&
        s.acquired >= range[0] &&
        s.acquired <= range[1] &&
        (!bbox || bboxesIntersect(s.bbox, bbox)),
    );
  }

  /** Every scene, published or not yet. */
  list(): TimelineScene[] {
    return this.scenes.map((s) => ({ ...s }));
  }

  clear(): void {
    this.scenes.length = 0;
  }
}

/** The GeoJSON polygon of a box [w, s, e, n], as catalogue items give their footprint. */
export function polygon([w, s, e, n]: number[]): object {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [w, s],
        [e, s],
        [e, n],
        [w, n],
        [w, s],
      ],
    ],
  };
}

/** Where the Catalog's thumbnail of a feature is served (with a Sentinel Hub token). */
export function thumbnailPath(collection: string, id: string): string {
  return `/api/v1/catalog/1.0.0/collections/${encodeURIComponent(collection)}/items/${encodeURIComponent(id)}/thumbnail`;
}

const THUMBNAIL_PATH = /^\/api\/v1\/catalog\/1\.0\.0\/collections\/([^/]+)\/items\/([^/]+)\/thumbnail$/;

/** Collection and id of a thumbnail path, or undefined. */
export function parseThumbnailPath(path: string): { collection: string; id: string } | undefined {
  const m = THUMBNAIL_PATH.exec(path);
  return m ? { collection: decodeURIComponent(m[1]), id: decodeURIComponent(m[2]) } : undefined;
}

/** The thumbnail asset every Catalog feature carries. */
export function thumbnailAsset(originUrl: string, collection: string, id: string): object {
  return { href: `${originUrl}${thumbnailPath(collection, id)}`, type: 'image/jpeg', title: 'thumbnail', roles: ['thumbnail'] };
}

/** A published scene as a Sentinel Hub Catalog feature. */
export function catalogFeatureOf(scene: TimelineScene, originUrl: string): Record<string, unknown> {
  const platform = scene.id.startsWith('S2B') ? 'sentinel-2b' : 'sentinel-2a';
  const properties: Record<string, unknown> = {
    datetime: isoSeconds(scene.acquired),
    created: isoSeconds(scene.published),
    updated: isoSeconds(scene.updated),
  };
  if (scene.collection.startsWith('sentinel-2')) {
    Object.assign(properties, { 'eo:cloud_cover': scene.cloudCover, platform, instruments: ['msi'], constellation: 'sentinel-2', gsd: 10 });
  }
  return {
    stac_version: '1.0.0',
    stac_extensions: [],
    type: 'Feature',
    id: scene.id,
    collection: scene.collection,
    bbox: scene.bbox,
    geometry: polygon(scene.bbox),
    properties,
    assets: { thumbnail: thumbnailAsset(originUrl, scene.collection, scene.id) },
    links: [],
  };
}

/** The download path of band `band` of a Terrascope TOC scene. */
export function tocAssetPath(scene: Pick<TimelineScene, 'id' | 'acquired'>, band: string): string {
  const day = new Date(scene.acquired).toISOString().slice(0, 10).replace(/-/g, '/');
  return `/download/Sentinel2/TOC_V2/${day}/${scene.id}/${scene.id.replace(/_TOC_V210$/, '')}_TOC-${band}_10M_V210.tif`;
}

const TOC_PATH = /^\/download\/Sentinel2\/TOC_V2\/\d{4}\/\d{2}\/\d{2}\/([^/]+)\/[^/]+_TOC-(B\d\d)_10M_V210\.tif$/;

/** A published Terrascope TOC scene as a STAC item whose band assets download from this emulator. */
export function stacItemOf(scene: TimelineScene, originUrl: string): Record<string, unknown> {
  const assets: Record<string, object> = {};
  for (const band of TOC_BANDS) {
    assets[band] = {
      href: `${originUrl}${tocAssetPath(scene, band)}`,
      type: 'image/tiff; application=geotiff',
      title: `${band} top-of-canopy reflectance, 10 m`,
      roles: ['data'],
      'file:size': SCENE_ASSET_BYTES,
    };
  }
  const root = `${originUrl}/stac`;
  return {
    type: 'Feature',
    stac_version: '1.0.0',
    id: scene.id,
    collection: scene.collection,
    bbox: scene.bbox,
    geometry: polygon(scene.bbox),
    properties: {
      datetime: isoSeconds(scene.acquired),
      created: isoSeconds(scene.published),
      updated: isoSeconds(scene.updated),
      'eo:cloud_cover': scene.cloudCover,
      platform: scene.id.startsWith('S2B') ? 'sentinel-2b' : 'sentinel-2a',
      instruments: ['msi'],
    },
    assets,
    links: [
      { rel: 'self', href: `${root}/collections/${scene.collection}/items/${scene.id}`, type: 'application/geo+json' },
      { rel: 'collection', href: `${root}/collections/${scene.collection}`, type: 'application/json' },
    ],
  };
}

/** The scene id of a TOC asset download path, or undefined when the path is not one. */
export function parseTocAssetPath(path: string): string | undefined {
  const m = TOC_PATH.exec(path);
  return m && (TOC_BANDS as readonly string[]).includes(m[2]) ? m[1] : undefined;
}

/** Little-endian TIFF signature: a quick magic-number check on a downloaded band passes. */
const TIFF_SIGNATURE = Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]);

/** What a TOC band path serves: deterministic bytes, only once its scene is published; else undefined (404). */
export function sceneAssetSource(timeline: SceneTimeline, path: string, now = Date.now()): (BodySource & { type: string }) | undefined {
  const id = parseTocAssetPath(path);
  const scene = id === undefined ? undefined : timeline.find(TERRASCOPE_S2_TOC, id);
  if (!scene || scene.published > now) return undefined;
  return { seed: fnv1a(path), size: SCENE_ASSET_BYTES, prefix: TIFF_SIGNATURE, type: 'image/tiff' };
}
