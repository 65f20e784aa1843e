/** Custom request: any method and URL on the connection's allowed origins, body from msg.payload. */
import { eoRequest, userHeaders, type ResponseType } from '../../../core';
import { chooseFilename, chooseMethod, chooseUrl, mergeHeaders, requestBody, requestTimeout } from '../msg-overrides';
import type { OutputMode } from '../request-config';
import type { NodeMessage } from '../red';
import type { EoReport, OperationContext } from './context';
import { markResponseHeaders } from '../response-headers';
import { requestToFile } from './file-output';

/** `auto` leaves the choice to the core: JSON when the answer says so, else a Buffer. */
export function responseTypeOf(output: OutputMode): ResponseType | undefined {
  return output === 'json' || output === 'text' || output === 'buffer' ? output : undefined;
}

export interface HttpCall {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  body?: unknown;
  defaultFilename: string;
}

/** Sends `call` and turns the answer into the output message, or a file when the output is "file". */
export async function callToMessage(ctx: OperationContext, call: HttpCall, output: OutputMode): Promise<NodeMessage> {
  const timeoutMs = requestTimeout(ctx.msg);
  const headers = userHeaders(call.headers);
  if (output === 'file') {
    return requestToFile(ctx, {
      ...call,
      headers,
      body: call.body as never,
      filename: chooseFilename(ctx.config.filename, ctx.msg),
      timeoutMs,
    });
  }
  const res = await eoRequest({
    connection: ctx.connection,
    tokens: ctx.tokens,
    method: call.method,
    url: call.url,
    headers,
    body: call.body as never,
    responseType: responseTypeOf(output),
    signal: ctx.signal,
    timeoutMs,
  });
  const eo: EoReport = { attempts: res.attempts };
  if (res.processingUnits !== undefined) eo.processingUnits = res.processingUnits;
  if (res.bytes !== undefined) eo.bytes = res.bytes;
  if (res.tokenRefreshes !== undefined) eo.tokenRefreshes = res.tokenRefreshes;
  return { ...ctx.msg, payload: res.body, statusCode: res.statusCode, headers: markResponseHeaders(res.headers), responseUrl: res.url, eo };
}

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
