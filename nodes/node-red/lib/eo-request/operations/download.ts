/** Terrascope (or any allowed-origin) download into the node's folder: resumable, skipped when unchanged. */
import { userHeaders } from '../../../../core';
import { chooseFilename, chooseUrl, requestTimeout } from '../msg-overrides';
import type { OperationContext } from './context';
import { requestToFile } from './file-output';

export async function downloadFile(ctx: OperationContext): Promise<void> {
  const { config, msg, t } = ctx;
  const url = chooseUrl(config.url, msg, t);
  const headers = userHeaders(config.headers);
  ctx.send(
    await requestToFile(ctx, {
      method: 'GET',
      url,
      headers,
      filename: chooseFilename(config.filename, msg),
      defaultFilename: '',
      timeoutMs: requestTimeout(msg),
    }),
  );
}
