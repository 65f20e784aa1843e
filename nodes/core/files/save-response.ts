/**
 * Writing the answer of any authenticated call (a Process POST, a custom request) to a file with
 * the same promise as downloads: the bytes collect in `<name>.part` and the final name appears
 * only once the body is complete. Unlike `downloadToFile` there is no resume or skip: a POST
 * cannot be continued with `Range`, so a cut answer is removed and reported.
 */
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EoError, isEoError, safeUrl } from '../errors';
import { byteCounter } from './byte-counter';
import { explainFileErrors, isFileWriteFailure } from './file-errors';
import { createFileSink, READ_AHEAD_BYTES } from './file-sink';
import { metaPathOf, partPathOf, syncToDisk, withTargetLock } from './download-state';
import { throttledProgress, type DownloadProgress } from './progress';
import { eoRequest, type EoRequestOptions } from '../http/eo-request';
import { headerValue } from '../http/response-headers';
import { assertNotSymlink, prepareTargetFolder, resolveInside } from './safe-path';

/** Options of {@link saveResponseToFile}: a request, and where its body goes. */
export interface SaveResponseOptions extends Omit<EoRequestOptions, 'responseType'> {
  /** The folder the file must stay in; created when missing. */
  directory: string;
  /** Relative to `directory`; `..` and absolute names are refused. */
  filename: string;
  /** At most every 250 ms, or on each full percent. */
  onProgress?: (p: DownloadProgress) => void;
}

/** The outcome of {@link saveResponseToFile}. */
export interface SaveResponseResult {
  /** Absolute path of the final file. */
  path: string;
  bytes: number;
  statusCode: number;
  headers: Record<string, string | string[]>;
  /** The URL that answered, after redirects. */
  url: string;
  attempts: number;
  tokenRefreshes?: number;
  processingUnits?: number;
}

/**
 * Sends the request and streams its answer into `directory/filename`.
 *
 * @example
 * const r = await saveResponseToFile({ connection, tokens, method: 'POST', url: '/api/v1/process',
 *   body: processRequest, headers: { accept: 'image/tiff' }, directory: '/data', filename: 'ndvi.tif' });
 * r.processingUnits; // what the request cost
 * @throws EoError EO_PATH_NOT_ALLOWED, EO_DOWNLOAD_INCOMPLETE, EO_FILE_WRITE_FAILED, and every error of `eoRequest`.
 */
export function saveResponseToFile(options: SaveResponseOptions): Promise<SaveResponseResult> {
  return explainFileErrors(options.directory, () => saveResponse(options));
}

async function saveResponse(options: SaveResponseOptions): Promise<SaveResponseResult> {
  const { directory, filename, onProgress, ...request } = options;
  const target = resolveInside(directory, filename);
  await prepareTargetFolder(directory, target, filename);
  const part = partPathOf(target);
  await assertNotSymlink(part, filename);
  return withTargetLock(target, async () => {
    const res = await eoRequest<Readable>({ ...request, responseType: 'stream', bodyHighWaterMark: READ_AHEAD_BYTES });
    const lengthHeader = headerValue(res.headers, 'content-length');
    const expected = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    const progress = throttledProgress(onProgress);
    let bytes = 0;
    const counter = byteCounter(0, (total) => {
      bytes = total;
      progress.update(bytes, expected);
    });
    const out = createFileSink(part, { flags: 'w', highWaterMark: READ_AHEAD_BYTES });
    try {
      await pipeline(res.body, counter, out, { signal: request.signal });
      if (expected !== undefined && bytes !== expected) {
        throw new EoError(
          'EO_DOWNLOAD_INCOMPLETE',
          `The answer of ${safeUrl(res.url)} ended after ${bytes} of ${expected} bytes; the file was not created.`,
          {
            url: safeUrl(res.url),
            hint: 'Run the request again.',
          },
        );
      }
      await syncToDisk(part);
      await rename(part, target);
    } catch (err) {
      // A pipeline that fails at once can settle before the stream has even opened (and so
      // created) the file: remove it only after the stream has let go of it.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await rm(part, { force: true });
      // A full or read-only disk is not an answer that broke off: saveResponseToFile names the folder.
      if (request.signal?.aborted || isEoError(err) || isFileWriteFailure(err)) throw err;
      throw new EoError(
        'EO_DOWNLOAD_INCOMPLETE',
        `The answer of ${safeUrl(res.url)} broke off after ${bytes} bytes; the file was not created.`,
        {
          url: safeUrl(res.url),
          hint: 'Run the request again.',
          cause: err,
        },
      );
    }
    // A sidecar left by an earlier download of this name describes another body: it must not make the next download skip.
    await rm(metaPathOf(target), { force: true });
    progress.flush();
    const result: SaveResponseResult = {
      path: target,
      bytes,
      statusCode: res.statusCode,
      headers: res.headers,
      url: res.url,
      attempts: res.attempts,
    };
    if (res.tokenRefreshes !== undefined) result.tokenRefreshes = res.tokenRefreshes;
    if (res.processingUnits !== undefined) result.processingUnits = res.processingUnits;
    return result;
  });
}
