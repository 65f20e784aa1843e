/**
 * File output shared by the operations: GET goes through the core's resumable, skip-if-unchanged
 * download; any other method (a Process POST) through `saveResponseToFile`. Both write into
 * `<name>.part` and rename only a complete file.
 */
import { downloadToFile, processingUnitsOf, saveResponseToFile, type RequestBody } from '../../../../core';
import type { NodeMessage } from '../../red';
import type { EoReport, OperationContext } from './context';
import { markResponseHeaders } from '../response-headers';

export interface FileRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  body?: RequestBody;
  filename?: string;
  /** Used when neither the node nor msg names the file and the URL cannot (a POST). */
  defaultFilename: string;
  timeoutMs?: number;
}

/** Writes the answer into the node's folder and returns the output message (payload = path). */
export async function requestToFile(ctx: OperationContext, req: FileRequest): Promise<NodeMessage> {
  const { config, connection, tokens, signal } = ctx;
  const onProgress = (p: Parameters<OperationContext['progress']>[0]): void => ctx.progress(p);
  if (req.method === 'GET') {
    const r = await downloadToFile({
      connection,
      tokens,
      url: req.url,
      headers: req.headers,
      directory: config.directory,
      filename: req.filename,
      overwrite: config.overwrite,
      signal,
      timeoutMs: req.timeoutMs,
      onProgress,
    });
    const eo: EoReport = { attempts: r.attempts, bytes: r.bytes, path: r.path, skipped: r.skipped };
    if (r.resumed > 0) eo.resumed = r.resumed;
    if (r.refusals > 0) eo.refusals = r.refusals;
    return { ...ctx.msg, payload: r.path, filename: r.path, statusCode: r.statusCode, eo };
  }
  const r = await saveResponseToFile({
    connection,
    tokens,
    method: req.method,
    url: req.url,
    headers: req.headers,
    body: req.body,
    directory: config.directory,
    filename: req.filename ?? req.defaultFilename,
    signal,
    timeoutMs: req.timeoutMs,
    onProgress,
  });
  const eo: EoReport = { attempts: r.attempts, bytes: r.bytes, path: r.path };
  const pu = processingUnitsOf(r.headers);
  if (pu !== undefined) eo.processingUnits = pu;
  if (r.tokenRefreshes !== undefined) eo.tokenRefreshes = r.tokenRefreshes;
  return {
    ...ctx.msg,
    payload: r.path,
    filename: r.path,
    statusCode: r.statusCode,
    headers: markResponseHeaders(r.headers),
    responseUrl: r.url,
    eo,
  };
}
