/**
 * One HTTP call of eo-request (custom request, Process, Statistics) and the message it becomes:
 * the answer in msg.payload as the node's "Return" setting asks, or a file in the node's folder.
 */
import { eoRequest, userHeaders, type ResponseType } from '../../../../core';
import { chooseFilename, requestTimeout } from '../msg-overrides';
import type { OutputMode } from '../request-config';
import type { NodeMessage } from '../../red';
import type { EoReport, OperationContext } from './context';
import { markResponseHeaders } from '../response-headers';
import { requestToFile } from './file-output';

/** `auto` leaves the choice to the core: JSON when the answer says so, else a Buffer. */
export function responseTypeOf(output: OutputMode): ResponseType | undefined {
  return output === 'json' || output === 'text' || output === 'buffer' ? output : undefined;
}

/** One request of an operation; `defaultFilename` names the file when neither the node nor msg.filename does. */
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
