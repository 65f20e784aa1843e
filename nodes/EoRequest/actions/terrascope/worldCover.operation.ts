/** ESA WorldCover tiles for a bounding box and year: one item per tile, as binary data, a file in a folder, or metadata only. */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { isMissingWorldCoverTile, mapDownloads, worldCoverTiles, worldCoverYear, type WorldCoverTile } from '../../../core';
import { allowedFolder, downloadBinary, downloadToFolder, eoContext, folderFileJson } from '../../transport';
import { bboxParameter } from '../../helpers/inputs';
import { toNodeError } from '../../helpers/errors';
import { binaryFieldProperty, folderProperty, outputProperty, showFor } from '../commonFields';

const show = showFor('terrascope', 'worldCover');

export const description: INodeProperties[] = [
  {
    displayName: 'Bounding Box',
    name: 'bbox',
    type: 'string',
    default: '',
    required: true,
    placeholder: '4.3,50.7,4.5,50.9',
    description: 'West,south,east,north in degrees (WGS84), or an array mapped from the item',
    displayOptions: show,
  },
  {
    displayName: 'Year',
    name: 'year',
    type: 'options',
    default: 2021,
    displayOptions: show,
    options: [
      { name: '2020 (V100)', value: 2020 },
      { name: '2021 (V200)', value: 2021 },
    ],
  },
  outputProperty(show, [{ name: 'Metadata Only', value: 'metadata', description: 'Tile names, URLs and extents, without downloading' }]),
  {
    displayName: 'Skip Missing Tiles',
    name: 'skipMissing',
    type: 'boolean',
    default: true,
    description: 'Whether to leave out tiles the server does not have (open ocean) instead of failing',
    displayOptions: showFor('terrascope', 'worldCover', { output: ['binary', 'folder'] }),
  },
  binaryFieldProperty('each tile', showFor('terrascope', 'worldCover', { output: ['binary'] })),
  folderProperty(showFor('terrascope', 'worldCover', { output: ['folder'] })),
];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
  const bbox = bboxParameter(this, 'bbox', 'Bounding Box', itemIndex);
  const year = worldCoverYear(this.getNodeParameter('year', itemIndex));
  const tiles = worldCoverTiles(bbox, year);
  const metadata = (tile: (typeof tiles)[number]): IDataObject => ({
    tile: tile.tile,
    year,
    fileName: tile.filename,
    path: tile.url,
    bounds: tile.bounds,
  });
  if (this.getNodeParameter('output', itemIndex) === 'metadata') return tiles.map((tile) => ({ json: metadata(tile) }));

  const skipMissing = this.getNodeParameter('skipMissing', itemIndex, true) as boolean;
  const folder = this.getNodeParameter('output', itemIndex) === 'folder' ? await allowedFolder(this, itemIndex) : undefined;
  const binaryProperty = folder === undefined ? String(this.getNodeParameter('binaryPropertyName', itemIndex)) : '';
  const eo = await eoContext(this, 'terrascope', itemIndex);
  // Several tiles at once within the account's connection cap; the items keep the tiles' order.
  const downloaded = await mapDownloads<WorldCoverTile, INodeExecutionData | undefined>(
    tiles,
    { connection: eo.connection, signal: eo.signal },
    async (tile, _index, signal) => {
      try {
        if (folder !== undefined) {
          const download = await downloadToFolder(this, itemIndex, { ...eo, signal }, tile.url, folder, tile.filename);
          // `path` is the file on disk here; the tile's URL stays under `url`.
          return { json: { ...metadata(tile), url: tile.url, ...folderFileJson(download) } };
        }
        const { binary, download } = await downloadBinary(this, { ...eo, signal }, tile.url, tile.filename);
        return { json: { ...metadata(tile), bytes: download.bytes, etag: download.etag ?? null }, binary: { [binaryProperty]: binary } };
      } catch (err) {
        if (skipMissing && isMissingWorldCoverTile(err)) return undefined;
        throw toNodeError(this.getNode(), err, itemIndex);
      }
    },
  );
  return downloaded.filter((item): item is INodeExecutionData => item !== undefined);
}
