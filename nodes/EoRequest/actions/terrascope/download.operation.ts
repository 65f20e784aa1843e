/** Terrascope file download: one file per item, into n8n's binary store or into a folder. */
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { fileNameFromUrl, safeUrl, type Connection } from '../../../core';
import { allowedFolder, downloadBinary, downloadToFolder, eoContext, folderFileJson } from '../../transport';
import { inputError } from '../../helpers/errors';
import { binaryFieldProperty, folderProperty, outputProperty, showFor } from '../commonFields';

const show = showFor('terrascope', 'download');

export const description: INodeProperties[] = [
  {
    displayName: 'URL',
    name: 'url',
    type: 'string',
    default: '',
    required: true,
    placeholder: '/download/WORLDCOVER/ESA_WORLDCOVER_10M_2021_V200/MAP/…/….tif',
    description:
      'A path under the API base URL of the credentials (https://services.terrascope.be), or an absolute URL on an allowed origin',
    displayOptions: show,
  },
  {
    displayName: 'File Name',
    name: 'fileName',
    type: 'string',
    default: '',
    description: 'Name of the file in n8n or in the folder (where it may include subfolders); default the last part of the URL',
    displayOptions: show,
  },
  outputProperty(show),
  binaryFieldProperty('the file', showFor('terrascope', 'download', { output: ['binary'] })),
  folderProperty(showFor('terrascope', 'download', { output: ['folder'] })),
];

/** Items download at once, within the connection cap of their credentials. */
export async function connectionOf(this: IExecuteFunctions, itemIndex: number): Promise<Connection> {
  return (await eoContext(this, 'terrascope', itemIndex)).connection;
}

export async function execute(this: IExecuteFunctions, itemIndex: number, signal?: AbortSignal): Promise<INodeExecutionData[]> {
  const url = String(this.getNodeParameter('url', itemIndex, '')).trim();
  if (url === '') throw inputError(this.getNode(), itemIndex, 'URL', 'is empty: enter the path or URL of the file to download.');
  const fileName = String(this.getNodeParameter('fileName', itemIndex, '')).trim() || fileNameFromUrl(url);
  if (fileName === '') throw inputError(this.getNode(), itemIndex, 'File Name', 'is needed because the URL ends with "/".');
  const folder = this.getNodeParameter('output', itemIndex, 'binary') === 'folder' ? await allowedFolder(this, itemIndex) : undefined;
  const eo = await eoContext(this, 'terrascope', itemIndex);
  const stop = signal && eo.signal ? AbortSignal.any([signal, eo.signal]) : (signal ?? eo.signal);
  const shownUrl = safeUrl(new URL(url, `${eo.connection.baseUrl}/`));
  if (folder !== undefined) {
    const download = await downloadToFolder(this, itemIndex, { ...eo, signal: stop }, url, folder, fileName);
    return [{ json: { url: shownUrl, ...folderFileJson(download) } }];
  }
  const { binary, download } = await downloadBinary(this, { ...eo, signal: stop }, url, fileName);
  return [
    {
      json: {
        url: shownUrl,
        fileName,
        bytes: download.bytes,
        resumed: download.resumed,
        etag: download.etag ?? null,
      },
      binary: { [String(this.getNodeParameter('binaryPropertyName', itemIndex))]: binary },
    },
  ];
}
