/**
 * Downloads into a folder the user names, for files too large to pass through n8n's binary store
 * (in queue mode that store is the database). The core writes the file (`.part` + sidecar, resume
 * with Range, skip when unchanged); here n8n's own file-access rule decides whether the folder may
 * be written at all, as it does for the "Read/Write Files from Disk" node: the folder must lie
 * inside N8N_RESTRICT_FILE_ACCESS_TO (n8n 2.x defaults it to ~/.n8n-files) and outside n8n's own
 * folders.
 */
import { basename } from 'node:path';
import type { IDataObject, IExecuteFunctions, ResolvedFilePath } from 'n8n-workflow';
import { downloadToFile, mediaTypeOf, realFolderPath, resolveInside, type DownloadResult } from '../../core';
import { inputError, toNodeError } from '../helpers/errors';
import type { EoContext } from './connection';

/** The label of the folder field, as the node shows it. */
const FOLDER_FIELD = 'Folder';

/** Where n8n lets workflows write: the variable's value, or what n8n 2.x allows without it. */
function allowedRoots(): string {
  const configured = (process.env.N8N_RESTRICT_FILE_ACCESS_TO ?? '').trim();
  const roots = configured ? `N8N_RESTRICT_FILE_ACCESS_TO ("${configured}")` : 'N8N_RESTRICT_FILE_ACCESS_TO (not set: ~/.n8n-files)';
  return `workflows may write only inside ${roots}, and never in n8n's own folder`;
}

/**
 * The folder of item `itemIndex` (parameter `folder`), resolved, once n8n allows writing there.
 *
 * @throws NodeOperationError naming the Folder field when it is empty or outside what n8n allows.
 */
export async function allowedFolder(ctx: IExecuteFunctions, itemIndex: number): Promise<string> {
  const typed = String(ctx.getNodeParameter('folder', itemIndex, '')).trim();
  if (typed === '') throw inputError(ctx.getNode(), itemIndex, FOLDER_FIELD, 'is empty: enter the folder the files are written to.');
  const folder = await realFolderPath(typed).catch((err: unknown) => {
    throw toNodeError(ctx.getNode(), err, itemIndex);
  });
  assertWritable(ctx, itemIndex, folder, typed);
  return folder;
}

/** Refuses `target` (the folder, or a file in it) when n8n does not let workflows write there. */
function assertWritable(ctx: IExecuteFunctions, itemIndex: number, target: string, typed: string): void {
  if (!ctx.helpers.isFilePathBlocked(target as ResolvedFilePath)) return;
  const shown = target === typed ? `"${typed}"` : `"${typed}" (${target})`;
  throw inputError(
    ctx.getNode(),
    itemIndex,
    FOLDER_FIELD,
    `n8n does not allow writing to ${shown}: ${allowedRoots()}. Choose a folder inside it, or start n8n with N8N_RESTRICT_FILE_ACCESS_TO including this folder.`,
  );
}

/**
 * Downloads `url` into `folder` (from {@link allowedFolder}) as `fileName` (subfolders allowed),
 * resumable and skipped when the file there is unchanged.
 */
export async function downloadToFolder(
  ctx: IExecuteFunctions,
  itemIndex: number,
  eo: EoContext,
  url: string,
  folder: string,
  fileName: string,
): Promise<DownloadResult> {
  // n8n's blocked file patterns apply to the file too, not only to its folder.
  assertWritable(ctx, itemIndex, resolveInside(folder, fileName), folder);
  return downloadToFile({ ...eo, url, directory: folder, filename: fileName, overwrite: 'if-changed' });
}

/** What an item says about a file written to a folder (the file itself stays on disk). */
export function folderFileJson(download: DownloadResult): IDataObject {
  const fileName = basename(download.path);
  return {
    path: download.path,
    fileName,
    bytes: download.bytes,
    mediaType: mediaTypeOf(fileName),
    skipped: download.skipped,
    resumed: download.resumed,
    etag: download.etag ?? null,
  };
}
