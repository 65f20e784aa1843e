/**
 * Every provider call of the node goes through here, and from here through the core (tokens,
 * origin scoping, redirects, retries). Operations never build HTTP requests themselves.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';
import {
  catalogSearchAll,
  downloadToFile,
  eoRequest,
  mediaTypeOf,
  fileWriteError,
  isEoError,
  isFileWriteFailure,
  type CatalogSearchAllResult,
  type DownloadResult,
  type EoRequestOptions,
  type EoResponse,
} from '../../core';
import type { EoContext } from './connection';
import { makeDownloadFolder } from './temp-folder';

export { eoContext, type EoContext, type EoResource } from './connection';
export { allowedFolder, downloadToFolder, folderFileJson } from './folder';

/** One authenticated API call. */
export async function apiRequest<B = unknown>(
  eo: EoContext,
  options: Omit<EoRequestOptions, 'connection' | 'tokens'>,
): Promise<EoResponse<B>> {
  return eoRequest<B>({ ...options, ...eo });
}

/** A Catalog or STAC POST search across pages, up to `limit` features. */
export async function searchAll(eo: EoContext, url: string, body: Record<string, unknown>, limit: number): Promise<CatalogSearchAllResult> {
  return catalogSearchAll({ ...eo, url, body }, { limit });
}

/** A downloaded file, now in n8n's binary store. */
export interface DownloadedBinary {
  binary: IBinaryData;
  download: DownloadResult;
}

/**
 * Downloads `url` and hands it to n8n's binary store as a stream.
 *
 * The file goes through the core's `downloadToFile` into a private temporary folder first rather
 * than straight from the socket into n8n: that way the resume after a cut connection, the size
 * check and the "no partial file" guarantee all apply, and n8n only ever receives a file that is
 * complete. n8n then reads it as a stream (with N8N_DEFAULT_BINARY_DATA_MODE=filesystem it never
 * sits whole in memory), and the temporary copy is removed whatever happens.
 */
export async function downloadBinary(ctx: IExecuteFunctions, eo: EoContext, url: string, fileName: string): Promise<DownloadedBinary> {
  const folder = await makeDownloadFolder().catch((err: unknown) => {
    throw inTemporaryFolder(err);
  });
  try {
    // The folder goes away below, so nothing partial may be promised for a later run.
    const download = await downloadToFile({
      ...eo,
      url,
      directory: folder,
      filename: 'download.bin',
      overwrite: 'always',
      keepPartial: false,
    });
    const binary = await ctx.helpers.prepareBinaryData(createReadStream(download.path), fileName, mediaTypeOf(fileName));
    return { binary, download };
  } catch (err) {
    throw inTemporaryFolder(err);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * A full, read-only or forbidden temporary folder, said in n8n's terms: the user chose no folder
 * here, so the message names the temporary folder n8n runs with, and the fix is TMPDIR.
 */
function inTemporaryFolder(err: unknown): unknown {
  const cause = isEoError(err, 'EO_FILE_WRITE_FAILED') ? err.cause : err;
  if (!isFileWriteFailure(cause)) return err;
  return fileWriteError(cause, tmpdir(), {
    hint: 'n8n keeps each download in its temporary folder until the file is complete: make room there, or start n8n with TMPDIR set to a folder on a larger, writable disk.',
  });
}
