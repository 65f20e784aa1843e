/** Custom request: any method and URL on the connection's allowed origins, body from msg.payload. */
import { chooseMethod, chooseUrl, mergeHeaders, requestBody } from '../msg-overrides';
import { callToMessage, type HttpCall } from './call-to-message';
import type { OperationContext } from './context';

export async function customRequest(ctx: OperationContext): Promise<void> {
  const { config, msg, t } = ctx;
  const method = chooseMethod(config.method, msg, t);
  const url = chooseUrl(config.url, msg, t);
  const call: HttpCall = {
    method,
    url,
    headers: mergeHeaders(msg, config.headers),
    body: requestBody(method, msg.payload),
    defaultFilename: 'response.bin',
  };
  ctx.send(await callToMessage(ctx, call, config.output));
}
