/** Terrascope (or any allowed-origin) download into the node's folder: resumable, skipped when unchanged. */
import { checkHeaders, chooseFilename, chooseUrl, mergeHeaders, requestTimeout } from '../msg-overrides';
import type { OperationContext } from './context';
import { requestToFile } from './file-output';

export async function downloadFile(ctx: OperationContext): Promise<void> {
  const { config, msg, t } = ctx;
  const url = chooseUrl(config.url, msg, t);
  const headers = checkHeaders(mergeHeaders({}, config.headers), t);
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
