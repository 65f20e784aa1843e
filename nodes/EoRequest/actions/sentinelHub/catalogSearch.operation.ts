/** Sentinel Hub Catalog search: one item per feature, across all pages when asked. */
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { SENTINEL_HUB_PATHS } from '../../../core';
import { eoContext } from '../../transport';
import { jsonParameter } from '../../helpers/inputs';
import { pagingFields, searchItems } from '../search';
import { showFor } from '../commonFields';
import { areaFields, readSearchArea, readTimeRange, timeFields } from './fields';

export const description: INodeProperties[] = [
  ...areaFields('catalogSearch', { withCrs: false }),
  ...timeFields('catalogSearch'),
  ...pagingFields('sentinelHub', 'catalogSearch'),
  {
    displayName: 'Additional Search Fields (JSON)',
    name: 'searchJson',
    type: 'json',
    default: '',
    placeholder: '{"filter": "eo:cloud_cover < 20", "filter-lang": "cql2-text"}',
    description: 'Further STAC search fields merged into the request (filter, fields, distinct ...)',
    displayOptions: showFor('sentinelHub', 'catalogSearch'),
  },
];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
  const { from, to } = readTimeRange(this, itemIndex);
  const body = {
    collections: [String(this.getNodeParameter('dataCollection', itemIndex))],
    datetime: `${from}/${to}`,
    ...readSearchArea(this, itemIndex),
    ...jsonParameter(this, 'searchJson', 'Additional Search Fields (JSON)', itemIndex),
  };
  const eo = await eoContext(this, 'sentinelHub', itemIndex);
  return searchItems(this, eo, itemIndex, SENTINEL_HUB_PATHS.catalogSearch, body);
}
