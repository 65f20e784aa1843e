/**
 * Catalog search: Sentinel Hub's Catalog or any STAC API POST /search, following `next` pages
 * until `catalogLimit` features. One message with a FeatureCollection, or one per feature with
 * `msg.parts` so a join node can put them back together.
 */
import { catalogSearchAll, SENTINEL_HUB_PATHS, EoError, userHeaders } from '../../../../core';
import { chooseUrl, jsonPayload } from '../msg-overrides';
import type { EoReport, OperationContext } from './context';

export async function catalogSearch(ctx: OperationContext): Promise<void> {
  const { config, msg, t } = ctx;
  const limit = config.catalogLimit;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new EoError('EO_INVALID_CONFIG', t('eo-request.errors.badLimit', { value: String(limit) }), { field: 'catalogLimit' });
  }
  const body = jsonPayload(msg.payload, 'eo-request.what.catalog', t);
  const url = chooseUrl(config.url, msg, t, SENTINEL_HUB_PATHS.catalogSearch);
  const result = await catalogSearchAll(
    {
      connection: ctx.connection,
      tokens: ctx.tokens,
      url,
      body,
      headers: userHeaders({ accept: 'application/geo+json, application/json', ...config.headers }),
      signal: ctx.signal,
    },
    { limit },
  );
  const eo: EoReport = { attempts: result.attempts, pages: result.pages };
  if (result.next !== undefined) eo.next = result.next;
  if (!config.catalogSplit) {
    ctx.send({ ...msg, payload: { type: 'FeatureCollection', features: result.features }, statusCode: 200, eo });
    return;
  }
  const id = `${String(msg._msgid ?? 'catalog')}-features`;
  result.features.forEach((feature, index) => {
    ctx.send({
      ...ctx.clone(msg),
      payload: feature,
      statusCode: 200,
      parts: { id, index, count: result.features.length, type: 'array' },
      eo: { ...eo },
    });
  });
}
