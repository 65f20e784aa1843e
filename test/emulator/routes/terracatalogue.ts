/**
 * Terrascope catalogues for WorldCover: the OpenSearch endpoint (`/catalogue/products`, the one
 * terracatalogueclient uses) and a stac-fastapi style STAC API under `/stac`. Items point at the
 * emulator's own /download tile URLs, so a search → download flow runs end to end. The STAC API
 * also serves the Sentinel-2 top-of-canopy scenes published into the timeline (scenes.ts), with
 * the query extension on their properties (`{"eo:cloud_cover": {"lte": 20}}`).
 */
import type { Ctx } from '../context';
import { isObject, parseJson, sendJson } from '../http';
import { polygon, stacItemOf, TERRASCOPE_S2_TOC } from '../scenes';
import { worldCoverTileSize } from '../sources';
import { parseTile, tilesForBbox, WORLDCOVER_EDITIONS, worldCoverPath, type WorldCoverEdition } from '../worldcover';

const WORLD: [number, number, number, number] = [-180, -60, 180, 84];

function parseBbox(value: unknown): [number, number, number, number] | undefined | 'invalid' {
  if (value === undefined || value === null || value === '') return undefined;
  const parts = Array.isArray(value) ? value.map(Number) : String(value).split(',').map(Number);
  if (parts.length !== 4 || !parts.every(Number.isFinite) || parts[0] > parts[2] || parts[1] > parts[3]) return 'invalid';
  return parts as [number, number, number, number];
}

/** Tiles of an edition inside a bbox, without the ones that do not exist (config.missingTiles). */
function tiles(ctx: Ctx, bbox: [number, number, number, number] | undefined): string[] {
  const missing = new Set(ctx.state.config.missingTiles);
  return tilesForBbox(bbox ?? WORLD).filter((t) => !missing.has(t));
}

function tileBbox(tile: string): [number, number, number, number] {
  const { lat0, lon0 } = parseTile(tile)!;
  return [lon0, lat0, lon0 + 3, lat0 + 3];
}

function productId(edition: WorldCoverEdition, tile: string): string {
  return `ESA_WorldCover_10m_${edition.year}_${edition.version}_${tile}`;
}

// ---------------------------------------------------------------- OpenSearch

export function handleOpenSearch(ctx: Ctx): void {
  const q = ctx.url.searchParams;
  const edition = WORLDCOVER_EDITIONS.find((e) => e.collection === q.get('collection'));
  const bbox = parseBbox(q.get('bbox'));
  if (bbox === 'invalid') return sendJson(ctx.res, 400, { error: 'Invalid bbox, expected west,south,east,north' });
  const startIndex = Math.max(1, Number(q.get('startIndex') ?? 1) || 1);
  const count = Math.min(1000, Math.max(0, Number(q.get('count') ?? 100) || 0));
  const all = edition ? tiles(ctx, bbox) : [];
  const page = all.slice(startIndex - 1, startIndex - 1 + count);
  const base = `${ctx.originUrl}/catalogue/products`;
  const size = worldCoverTileSize(ctx.state.config);
  const features = page.map((tile) => {
    const tb = tileBbox(tile);
    const id = productId(edition!, tile);
    return {
      type: 'Feature',
      id: `${edition!.collection}:${id}`,
      bbox: tb,
      geometry: polygon(tb),
      properties: {
        identifier: `${edition!.collection}:${id}`,
        title: id,
        date: `${edition!.year}-01-01T00:00:00Z`,
        parentIdentifier: edition!.collection,
        acquisitionInformation: [{ platform: { platformShortName: 'SENTINEL-2' } }],
        links: {
          data: [{ href: `${ctx.originUrl}${worldCoverPath(edition!, tile)}`, length: size, type: 'image/tiff', title: `${id}_Map` }],
          previews: [],
          alternates: [],
          related: [],
        },
      },
    };
  });
  const pageUrl = (index: number) => {
    const next = new URLSearchParams(q);
    next.set('startIndex', String(index));
    next.set('count', String(count));
    return `${base}?${next.toString()}`;
  };
  const links: Record<string, { href: string; type: string; title: string }[]> = {
    first: [{ href: pageUrl(1), type: 'application/geo+json', title: 'first results' }],
  };
  if (count > 0 && startIndex - 1 + page.length < all.length) {
    links.next = [{ href: pageUrl(startIndex + count), type: 'application/geo+json', title: 'next results' }];
  }
  sendJson(
    ctx.res,
    200,
    {
      type: 'FeatureCollection',
      id: base,
      totalResults: all.length,
      startIndex,
      itemsPerPage: features.length,
      queries: { request: Object.fromEntries(q) },
      properties: { title: 'Terrascope product search', updated: new Date().toISOString(), links },
      features,
    },
    {},
    'application/geo+json',
  );
}

// ---------------------------------------------------------------------- STAC

function stacCollection(ctx: Ctx, e: WorldCoverEdition): object {
  const root = `${ctx.originUrl}/stac`;
  return {
    type: 'Collection',
    stac_version: '1.0.0',
    id: e.collection,
    title: `ESA WorldCover 10m ${e.year} ${e.version}`,
    description: `ESA WorldCover global land cover map ${e.year}, 3x3 degree tiles`,
    license: 'CC-BY-4.0',
    extent: {
      spatial: { bbox: [WORLD] },
      temporal: { interval: [[`${e.year}-01-01T00:00:00Z`, `${e.year}-12-31T23:59:59Z`]] },
    },
    links: [
      { rel: 'self', href: `${root}/collections/${e.collection}`, type: 'application/json' },
      { rel: 'items', href: `${root}/collections/${e.collection}/items`, type: 'application/geo+json' },
      { rel: 'root', href: root, type: 'application/json' },
    ],
  };
}

function stacItem(ctx: Ctx, e: WorldCoverEdition, tile: string): object {
  const tb = tileBbox(tile);
  const id = productId(e, tile);
  const root = `${ctx.originUrl}/stac`;
  return {
    type: 'Feature',
    stac_version: '1.0.0',
    id,
    collection: e.collection,
    bbox: tb,
    geometry: polygon(tb),
    properties: { datetime: `${e.year}-01-01T00:00:00Z`, 'file:size': worldCoverTileSize(ctx.state.config) },
    assets: {
      ESA_WORLDCOVER_10M_MAP: {
        href: `${ctx.originUrl}${worldCoverPath(e, tile)}`,
        type: 'image/tiff; application=geotiff; profile=cloud-optimized',
        roles: ['data'],
        'file:size': worldCoverTileSize(ctx.state.config),
      },
    },
    links: [
      { rel: 'self', href: `${root}/collections/${e.collection}/items/${id}`, type: 'application/geo+json' },
      { rel: 'collection', href: `${root}/collections/${e.collection}`, type: 'application/json' },
    ],
  };
}

function tocCollection(ctx: Ctx): object {
  const root = `${ctx.originUrl}/stac`;
  return {
    type: 'Collection',
    stac_version: '1.0.0',
    id: TERRASCOPE_S2_TOC,
    title: 'Sentinel-2 top-of-canopy reflectance (tiles) - V2',
    description: 'Sentinel-2 L2A top-of-canopy reflectance in 10 m bands, one item per tile and acquisition',
    license: 'other',
    extent: { spatial: { bbox: [[-180, -84, 180, 84]] }, temporal: { interval: [['2015-06-23T00:00:00Z', null]] } },
    summaries: { 'eo:cloud_cover': { minimum: 0, maximum: 100 } },
    links: [
      { rel: 'self', href: `${root}/collections/${TERRASCOPE_S2_TOC}`, type: 'application/json' },
      { rel: 'items', href: `${root}/collections/${TERRASCOPE_S2_TOC}/items`, type: 'application/geo+json' },
      { rel: 'root', href: root, type: 'application/json' },
    ],
  };
}

/** The query extension: `{property: {eq|neq|lt|lte|gt|gte: value}}`; an item without the property does not match. */
type PropertyQuery = Record<string, Record<string, unknown>>;

const QUERY_OPS: Record<string, (a: unknown, b: unknown) => boolean> = {
  eq: (a, b) => a === b,
  neq: (a, b) => a !== undefined && a !== b,
  lt: (a, b) => typeof a === 'number' && a < (b as number),
  lte: (a, b) => typeof a === 'number' && a <= (b as number),
  gt: (a, b) => typeof a === 'number' && a > (b as number),
  gte: (a, b) => typeof a === 'number' && a >= (b as number),
};

/** The query of a search, or a message for a 400. */
function readQuery(value: unknown): PropertyQuery | undefined | string {
  if (value === undefined || value === null || value === '') return undefined;
  const query = typeof value === 'string' ? parseJson(Buffer.from(value)) : value;
  if (!isObject(query) || !Object.values(query).every(isObject)) return 'query must be an object of {property: {operator: value}}';
  for (const ops of Object.values(query) as Record<string, unknown>[]) {
    const unknown = Object.keys(ops).find((op) => !(op in QUERY_OPS));
    if (unknown) return `query operator "${unknown}" is not supported: use eq, neq, lt, lte, gt, gte`;
  }
  return query as PropertyQuery;
}

function matchesQuery(item: object, query: PropertyQuery | undefined): boolean {
  if (!query) return true;
  const props = (item as { properties: Record<string, unknown> }).properties;
  return Object.entries(query).every(([name, ops]) => Object.entries(ops).every(([op, v]) => QUERY_OPS[op](props[name], v)));
}

/** A `datetime` parameter as [from, to] epoch ms, open ends infinite. */
function readDatetime(value: unknown): [number, number] {
  if (typeof value !== 'string' || value === '') return [-Infinity, Infinity];
  const [a, b = a] = value.split('/');
  const at = (t: string, open: number) => (t && t !== '..' && Number.isFinite(Date.parse(t)) ? Date.parse(t) : open);
  return [at(a, -Infinity), at(b, Infinity)];
}

interface StacQuery {
  collections?: string[];
  bbox?: [number, number, number, number];
  limit: number;
  offset: number;
  datetime?: [number, number];
  query?: PropertyQuery;
}

function runSearch(ctx: Ctx, query: StacQuery): { items: object[]; more: boolean; matched: number } {
  const wanted = (id: string) => !query.collections || query.collections.includes(id);
  const editions = WORLDCOVER_EDITIONS.filter((e) => wanted(e.collection));
  const list: object[] = [];
  const inBox = tiles(ctx, query.bbox);
  for (const e of editions) for (const t of inBox) list.push(stacItem(ctx, e, t));
  if (wanted(TERRASCOPE_S2_TOC)) {
    const scenes = ctx.state.scenes.search(TERRASCOPE_S2_TOC, Date.now(), query.datetime ?? [-Infinity, Infinity], query.bbox);
    // stac-fastapi's default order: newest acquisition first.
    scenes.sort((a, b) => b.acquired - a.acquired);
    list.push(...scenes.map((scene) => stacItemOf(scene, ctx.originUrl)));
  }
  const matching = list.filter((item) => matchesQuery(item, query.query));
  const page = matching.slice(query.offset, query.offset + query.limit);
  return { items: page, more: query.offset + page.length < matching.length, matched: matching.length };
}

function tokenOffset(token: unknown): number {
  const m = typeof token === 'string' ? /^next:(\d+)$/.exec(token) : null;
  return m ? Number(m[1]) : 0;
}

function stacError(ctx: Ctx, status: number, code: string, description: string): void {
  sendJson(ctx.res, status, { code, description });
}

export function handleStac(ctx: Ctx): void {
  const root = `${ctx.originUrl}/stac`;
  const path = ctx.url.pathname.replace(/\/+$/, '');
  const method = ctx.req.method;
  if (path === '/stac') {
    return sendJson(ctx.res, 200, {
      type: 'Catalog',
      stac_version: '1.0.0',
      id: 'terrascope',
      description: 'Terrascope STAC API',
      conformsTo: ['https://api.stacspec.org/v1.0.0/core', 'https://api.stacspec.org/v1.0.0/item-search'],
      links: [
        { rel: 'self', href: root, type: 'application/json' },
        { rel: 'data', href: `${root}/collections`, type: 'application/json' },
        { rel: 'search', href: `${root}/search`, type: 'application/geo+json', method: 'GET' },
        { rel: 'search', href: `${root}/search`, type: 'application/geo+json', method: 'POST' },
      ],
    });
  }
  if (path === '/stac/collections') {
    return sendJson(ctx.res, 200, {
      collections: [...WORLDCOVER_EDITIONS.map((e) => stacCollection(ctx, e)), tocCollection(ctx)],
      links: [{ rel: 'self', href: `${root}/collections` }],
    });
  }
  const col = /^\/stac\/collections\/([^/]+)(\/items(?:\/([^/]+))?)?$/.exec(path);
  if (col && decodeURIComponent(col[1]) === TERRASCOPE_S2_TOC) return handleTocCollection(ctx, col[2], col[3]);
  if (col) {
    const e = WORLDCOVER_EDITIONS.find((x) => x.collection === decodeURIComponent(col[1]));
    if (!e) return stacError(ctx, 404, 'NotFoundError', `Collection ${decodeURIComponent(col[1])} does not exist.`);
    if (!col[2]) return sendJson(ctx.res, 200, stacCollection(ctx, e));
    if (col[3]) {
      const tile = /_([NS]\d{2}[EW]\d{3})$/.exec(col[3])?.[1];
      if (!tile || productId(e, tile) !== col[3] || !tiles(ctx, tileBbox(tile)).includes(tile)) {
        return stacError(ctx, 404, 'NotFoundError', `Item ${col[3]} does not exist.`);
      }
      return sendJson(ctx.res, 200, stacItem(ctx, e, tile), {}, 'application/geo+json');
    }
    return searchGet(ctx, `${root}/collections/${col[1]}/items`, [e.collection]);
  }
  if (path === '/stac/search' && method === 'GET') return searchGet(ctx, `${root}/search`);
  if (path === '/stac/search' && method === 'POST') return searchPost(ctx, `${root}/search`);
  stacError(ctx, 404, 'NotFoundError', `Not found: ${method} ${path}`);
}

function handleTocCollection(ctx: Ctx, items: string | undefined, id: string | undefined): void {
  if (!items) return sendJson(ctx.res, 200, tocCollection(ctx));
  if (!id) return searchGet(ctx, `${ctx.originUrl}/stac/collections/${TERRASCOPE_S2_TOC}/items`, [TERRASCOPE_S2_TOC]);
  const scene = ctx.state.scenes.find(TERRASCOPE_S2_TOC, decodeURIComponent(id));
  if (!scene || scene.published > Date.now()) return stacError(ctx, 404, 'NotFoundError', `Item ${id} does not exist.`);
  sendJson(ctx.res, 200, stacItemOf(scene, ctx.originUrl), {}, 'application/geo+json');
}

function limitOf(value: unknown): number {
  const n = Number(value ?? 10);
  return Number.isFinite(n) ? Math.min(10000, Math.max(1, Math.floor(n))) : 10;
}

function searchGet(ctx: Ctx, href: string, fixedCollections?: string[]): void {
  const q = ctx.url.searchParams;
  const bbox = parseBbox(q.get('bbox'));
  if (bbox === 'invalid') return stacError(ctx, 400, 'InvalidQueryParameter', 'bbox must be 4 numbers west,south,east,north');
  const collections = fixedCollections ?? (q.get('collections') ? q.get('collections')!.split(',') : undefined);
  const propertyQuery = readQuery(q.get('query'));
  if (typeof propertyQuery === 'string') return stacError(ctx, 400, 'InvalidQueryParameter', propertyQuery);
  const query: StacQuery = {
    collections,
    bbox,
    limit: limitOf(q.get('limit')),
    offset: tokenOffset(q.get('token')),
    datetime: readDatetime(q.get('datetime')),
    query: propertyQuery,
  };
  const { items, more, matched } = runSearch(ctx, query);
  const links: object[] = [{ rel: 'self', href: `${href}?${q.toString()}`, type: 'application/geo+json' }];
  if (more) {
    const next = new URLSearchParams(q);
    next.set('token', `next:${query.offset + items.length}`);
    links.push({ rel: 'next', href: `${href}?${next.toString()}`, type: 'application/geo+json', method: 'GET' });
  }
  sendJson(
    ctx.res,
    200,
    { type: 'FeatureCollection', features: items, links, numberMatched: matched, numberReturned: items.length },
    {},
    'application/geo+json',
  );
}

function searchPost(ctx: Ctx, href: string): void {
  const body = ctx.body.length ? parseJson(ctx.body) : {};
  if (!isObject(body)) return stacError(ctx, 400, 'RequestValidationError', 'Body must be a JSON object');
  const bbox = parseBbox(body.bbox);
  if (bbox === 'invalid') return stacError(ctx, 400, 'RequestValidationError', 'bbox must be 4 numbers');
  const collections = Array.isArray(body.collections) ? body.collections.map(String) : undefined;
  const propertyQuery = readQuery(body.query);
  if (typeof propertyQuery === 'string') return stacError(ctx, 400, 'RequestValidationError', propertyQuery);
  const query: StacQuery = {
    collections,
    bbox,
    limit: limitOf(body.limit),
    offset: tokenOffset(body.token ?? ctx.url.searchParams.get('token')),
    datetime: readDatetime(body.datetime),
    query: propertyQuery,
  };
  const { items, more, matched } = runSearch(ctx, query);
  const links: object[] = [{ rel: 'self', href, type: 'application/geo+json' }];
  if (more) {
    links.push({
      rel: 'next',
      href: `${href}?token=${encodeURIComponent(`next:${query.offset + items.length}`)}`,
      type: 'application/geo+json',
      method: 'POST',
      body: { ...body, token: `next:${query.offset + items.length}` },
      merge: false,
    });
  }
  sendJson(
    ctx.res,
    200,
    { type: 'FeatureCollection', features: items, links, numberMatched: matched, numberReturned: items.length },
    {},
    'application/geo+json',
  );
}
