/** Sentinel Hub Statistical API: msg.payload is the request, the answer is JSON. */
import { SENTINEL_HUB_PATHS } from '../../../../core';
import { chooseUrl, jsonPayload } from '../msg-overrides';
import type { OperationContext } from './context';
import { callToMessage } from './call-to-message';

export async function statisticsRequest(ctx: OperationContext): Promise<void> {
  const { config, msg, t } = ctx;
  const body = jsonPayload(msg.payload, 'eo-request.what.statistics', t);
  const url = chooseUrl(config.url, msg, t, SENTINEL_HUB_PATHS.statistics);
  const headers = { accept: 'application/json', ...config.headers };
  ctx.send(await callToMessage(ctx, { method: 'POST', url, headers, body, defaultFilename: 'statistics.json' }, 'json'));
}
