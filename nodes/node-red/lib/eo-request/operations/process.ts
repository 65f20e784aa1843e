/** Sentinel Hub Process API: msg.payload is the request, the output format is chosen by Accept. */
import { extensionOf, SENTINEL_HUB_PATHS } from '../../../../core';
import { chooseUrl, jsonPayload } from '../msg-overrides';
import type { OperationContext } from './context';
import { callToMessage } from './call-to-message';

export async function processRequest(ctx: OperationContext): Promise<void> {
  const { config, msg, t } = ctx;
  const body = jsonPayload(msg.payload, 'eo-request.what.process', t);
  const url = chooseUrl(config.url, msg, t, SENTINEL_HUB_PATHS.process);
  // Headers of an upstream message (often another response's) are not passed: they would contradict Accept.
  const headers = { accept: config.accept, ...config.headers };
  const defaultFilename = `process.${extensionOf(config.accept)}`;
  ctx.send(await callToMessage(ctx, { method: 'POST', url, headers, body, defaultFilename }, config.output));
}
