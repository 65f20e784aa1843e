/** Sentinel Hub Statistical API: statistics per time interval for an area, as one item. */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { SENTINEL_HUB_PATHS } from '../../../core';
import { apiRequest, eoContext } from '../../transport';
import { inputError } from '../../helpers/errors';
import { showFor } from '../commonFields';
import { areaFields, readBounds, readEvalscript, readResolution, readTimeRange, timeFields } from './fields';

const show = showFor('sentinelHub', 'statistics');

/** Mean NDVI with a data mask: the Statistical API's usual first request. */
const NDVI_EVALSCRIPT = `//VERSION=3
function setup() {
  return {
    input: [{ bands: ["B04", "B08", "dataMask"] }],
    output: [{ id: "ndvi", bands: 1, sampleType: "FLOAT32" }, { id: "dataMask", bands: 1 }]
  };
}
function evaluatePixel(s) {
  return { ndvi: [(s.B08 - s.B04) / (s.B08 + s.B04)], dataMask: [s.dataMask] };
}`;

export const description: INodeProperties[] = [
  ...areaFields('statistics'),
  ...timeFields('statistics'),
  {
    displayName: 'Aggregation Interval',
    name: 'aggregationInterval',
    type: 'string',
    default: 'P1D',
    description: 'ISO 8601 period of each statistics interval, e.g. P1D, P10D, P1M',
    displayOptions: show,
  },
  {
    displayName: 'Evalscript',
    name: 'evalscript',
    type: 'string',
    typeOptions: { rows: 10 },
    default: NDVI_EVALSCRIPT,
    required: true,
    description: 'The evalscript whose outputs are summarised (include a dataMask output)',
    displayOptions: show,
  },
  {
    displayName: 'Resolution X',
    name: 'resx',
    type: 'number',
    default: 0.0001,
    typeOptions: { minValue: 0, numberPrecision: 8 },
    description: 'Pixel width in CRS units',
    displayOptions: show,
  },
  {
    displayName: 'Resolution Y',
    name: 'resy',
    type: 'number',
    default: 0.0001,
    typeOptions: { minValue: 0, numberPrecision: 8 },
    description: 'Pixel height in CRS units',
    displayOptions: show,
  },
];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
  const bounds = readBounds(this, itemIndex);
  const timeRange = readTimeRange(this, itemIndex);
  const interval = String(this.getNodeParameter('aggregationInterval', itemIndex)).trim();
  if (!/^P(\d+[DWMY]|T\d+[HM])$/.test(interval))
    throw inputError(this.getNode(), itemIndex, 'Aggregation Interval', `"${interval}" is not an ISO 8601 period such as P1D or P1M.`);
  const evalscript = readEvalscript(this, itemIndex);
  const body = {
    input: { bounds, data: [{ type: String(this.getNodeParameter('dataCollection', itemIndex)) }] },
    aggregation: { timeRange, aggregationInterval: { of: interval }, evalscript, ...readResolution(this, itemIndex) },
  };
  const eo = await eoContext(this, 'sentinelHub', itemIndex);
  const res = await apiRequest<IDataObject>(eo, { method: 'POST', url: SENTINEL_HUB_PATHS.statistics, body, responseType: 'json' });
  const json: IDataObject = { ...(res.body ?? {}) };
  if (res.processingUnits !== undefined) json.processingUnits = res.processingUnits;
  return [{ json }];
}
