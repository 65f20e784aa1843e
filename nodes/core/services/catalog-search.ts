/**
 * Catalog search across pages. Sentinel Hub's Catalog answers at most 100 features per page and
 * a `context.next` number for the following one; STAC servers give a `next` link instead.
 */
import { eoRequest, type EoRequestOptions } from '../http/eo-request';
import { EoError } from '../errors';
import { SENTINEL_HUB_PATHS } from './sentinel-hub-api';

/** The most features Sentinel Hub's Catalog returns per page. */
const MAX_PAGE = 100;

/** Limits of {@link catalogSearchAll}. */
export interface CatalogSearchAllOptions {
  /** Stop after this many features in total. */
  limit: number;
  /** Features per request; default the search body's `limit`, else 100. */
  pageSize?: number;
}

/** Features of all pages fetched by {@link catalogSearchAll}. */
export interface CatalogSearchAllResult {
  features: unknown[];
  /** Pages (requests) fetched. */
  pages: number;
  /** Where the search would continue, when `limit` stopped it before the last page. */
  next?: number | string;
  /** HTTP requests sent, retries included. */
  attempts: number;
}

interface Page {
  features?: unknown[];
  context?: { next?: number | string };
  links?: { rel?: string; href?: string; method?: string; body?: Record<string, unknown> }[];
}

/**
 * Runs a Catalog (or STAC POST) search and follows `next` pages until `limit` features are
 * collected or the last page is reached.
 *
 * @example
 * const { features, pages } = await catalogSearchAll(
 *   { connection, tokens, body: { collections: ['sentinel-2-l2a'], bbox, datetime } }, { limit: 250 });
 */
export async function catalogSearchAll(
  options: Omit<EoRequestOptions, 'url' | 'method'> & { url?: string; method?: string },
  { limit, pageSize }: CatalogSearchAllOptions,
): Promise<CatalogSearchAllResult> {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new EoError('EO_INVALID_CONFIG', `The feature limit must be a whole number of at least 1 (got ${String(limit)}).`, {
      field: 'limit',
    });
  }
  const search = { ...((options.body as Record<string, unknown> | undefined) ?? {}) };
  const perPage = Math.min(MAX_PAGE, pageSize ?? (typeof search.limit === 'number' ? search.limit : MAX_PAGE));
  const features: unknown[] = [];
  let pages = 0;
  let attempts = 0;
  let url = options.url ?? SENTINEL_HUB_PATHS.catalogSearch;
  let body: Record<string, unknown> = search;

  for (;;) {
    const res = await eoRequest<Page>({
      ...options,
      method: options.method ?? 'POST',
      url,
      body: { ...body, limit: Math.max(1, Math.min(perPage, limit - features.length)) },
      responseType: 'json',
    });
    pages += 1;
    attempts += res.attempts;
    const page = res.body ?? {};
    features.push(...(page.features ?? []).slice(0, limit - features.length));
    const link = page.links?.find((l) => l.rel === 'next');
    // Sentinel Hub: a page number in context.next. STAC POST search: a next link whose body
    // carries the continuation (token); GET-style links are left to the caller.
    const nextBody = page.context?.next !== undefined ? { next: page.context.next } : link?.body;
    if (!nextBody || (page.features ?? []).length === 0) return { features, pages, attempts };
    if (features.length >= limit) {
      const next = (nextBody.next ?? nextBody.token) as number | string | undefined;
      return next === undefined ? { features, pages, attempts } : { features, pages, attempts, next };
    }
    if (link?.href && page.context?.next === undefined) url = link.href;
    body = { ...body, ...nextBody };
  }
}
