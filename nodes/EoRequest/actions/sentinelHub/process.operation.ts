/** Sentinel Hub Process API: one image per item, as binary data, with the processing units spent. */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { extensionOf, SENTINEL_HUB_PATHS } from '../../../core';
import { apiRequest, eoContext } from '../../transport';
import { positiveInteger } from '../../helpers/inputs';
import { binaryFieldProperty, showFor } from '../commonFields';
import { areaFields, readBounds, readEvalscript, readResolution, readTimeRange, timeFields, TRUE_COLOR_EVALSCRIPT } from './fields';

const show = showFor('sentinelHub', 'process');

export const description: INodeProperties[] = [
  ...areaFields('process'),
  ...timeFields('process'),
  {
    displayName: 'Evalscript',
    name: 'evalscript',
    type: 'string',
    typeOptions: { rows: 10 },
    default: TRUE_COLOR_EVALSCRIPT,
    required: true,
    description: 'The evalscript (version 3) that turns bands into output pixels',
    displayOptions: show,
  },
  {
    displayName: 'Output Size',
    name: 'sizeMode',
    type: 'options',
    default: 'size',
    displayOptions: show,
    options: [
      { name: 'Width and Height (Pixels)', value: 'size' },
      { name: 'Resolution (CRS Units per Pixel)', value: 'resolution' },
    ],
  },
  {
    displayName: 'Width',
    name: 'width',
    type: 'number',
    default: 512,
    typeOptions: { minValue: 1, maxValue: 2500 },
    description: 'Output width in pixels',
    displayOptions: showFor('sentinelHub', 'process', { sizeMode: ['size'] }),
  },
  {
    displayName: 'Height',
    name: 'height',
    type: 'number',
    default: 512,
    typeOptions: { minValue: 1, maxValue: 2500 },
    description: 'Output height in pixels',
    displayOptions: showFor('sentinelHub', 'process', { sizeMode: ['size'] }),
  },
  {
    displayName: 'Resolution X',
    name: 'resx',
    type: 'number',
    default: 10,
    typeOptions: { minValue: 0, numberPrecision: 8 },
    description: 'Pixel width in CRS units (metres for UTM, degrees for WGS84)',
    displayOptions: showFor('sentinelHub', 'process', { sizeMode: ['resolution'] }),
  },
  {
    displayName: 'Resolution Y',
    name: 'resy',
    type: 'number',
    default: 10,
    typeOptions: { minValue: 0, numberPrecision: 8 },
    description: 'Pixel height in CRS units',
    displayOptions: showFor('sentinelHub', 'process', { sizeMode: ['resolution'] }),
  },
  {
    displayName: 'Output Format',
    name: 'outputFormat',
    type: 'options',
    default: 'image/tiff',
    displayOptions: show,
    options: [
      { name: 'GeoTIFF', value: 'image/tiff' },
      { name: 'JPEG', value: 'image/jpeg' },
      { name: 'PNG', value: 'image/png' },
    ],
  },
  binaryFieldProperty('the image', show),
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: show,
    options: [
      {
        displayName: 'File Name',
        name: 'fileName',
        type: 'string',
        default: '',
        description: 'Name of the output file; default "process-&lt;item&gt;.&lt;ext&gt;"',
      },
      {
        displayName: 'Max Cloud Coverage (%)',
        name: 'maxCloudCoverage',
        type: 'number',
        default: 100,
        typeOptions: { minValue: 0, maxValue: 100 },
        description: 'Skip scenes with more cloud cover than this (optical collections)',
      },
      {
        displayName: 'Mosaicking Order',
        name: 'mosaickingOrder',
        type: 'options',
        default: 'mostRecent',
        options: [
          { name: 'Least Cloud Cover', value: 'leastCC' },
          { name: 'Least Recent', value: 'leastRecent' },
          { name: 'Most Recent', value: 'mostRecent' },
        ],
      },
    ],
  },
];

function outputSize(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
  if (ctx.getNodeParameter('sizeMode', itemIndex) === 'resolution') return readResolution(ctx, itemIndex);
  return { width: positiveInteger(ctx, 'width', 'Width', itemIndex), height: positiveInteger(ctx, 'height', 'Height', itemIndex) };
}

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
  const bounds = readBounds(this, itemIndex);
  const timeRange = readTimeRange(this, itemIndex);
  const dataCollection = String(this.getNodeParameter('dataCollection', itemIndex));
  const evalscript = readEvalscript(this, itemIndex);
  const format = String(this.getNodeParameter('outputFormat', itemIndex));
  const binaryProperty = String(this.getNodeParameter('binaryPropertyName', itemIndex));
  const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;

  const dataFilter: IDataObject = { timeRange };
  if (options.maxCloudCoverage !== undefined) dataFilter.maxCloudCoverage = options.maxCloudCoverage;
  if (options.mosaickingOrder !== undefined) dataFilter.mosaickingOrder = options.mosaickingOrder;
  const size = outputSize(this, itemIndex);
  const body = {
    input: { bounds, data: [{ type: dataCollection, dataFilter }] },
    output: { ...size, responses: [{ identifier: 'default', format: { type: format } }] },
    evalscript,
  };

  const eo = await eoContext(this, 'sentinelHub', itemIndex);
  // Process answers are bounded by the API (at most 2500 × 2500 pixels), so reading one into
  // memory is safe; large files go through Terrascope downloads, which stream.
  const res = await apiRequest<Buffer>(eo, {
    method: 'POST',
    url: SENTINEL_HUB_PATHS.process,
    body,
    headers: { accept: format },
    responseType: 'buffer',
  });
  const fileName = String(options.fileName || `process-${itemIndex}.${extensionOf(format)}`);
  const binary = await this.helpers.prepareBinaryData(res.body, fileName, format);
  const json: IDataObject = {
    dataCollection,
    bounds,
    timeRange,
    ...size,
    format,
    fileName,
    bytes: res.body.length,
  };
  if (res.processingUnits !== undefined) json.processingUnits = res.processingUnits;
  return [{ json, binary: { [binaryProperty]: binary } }];
}
