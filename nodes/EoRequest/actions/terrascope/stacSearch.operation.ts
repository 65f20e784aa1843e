/** Terrascope STAC item search: one item per feature, following `next` links. */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { eoContext } from '../../transport';
import { bboxParameter, jsonParameter } from '../../helpers/inputs';
import { pagingFields, searchItems } from '../search';
import { showFor } from '../commonFields';

const show = showFor('terrascope', 'stacSearch');

export const TERRASCOPE_STAC_SEARCH = 'https://stac.terrascope.be/search';

export const description: INodeProperties[] = [
  {
    displayName: 'Search URL',
    name: 'searchUrl',
    type: 'string',
    default: TERRASCOPE_STAC_SEARCH,
    description: 'The STAC /search endpoint (its origin must be allowed by the credentials; stac.terrascope.be is)',
    displayOptions: show,
  },
  {
    displayName: 'Collections',
    name: 'collections',
    type: 'string',
    default: '',
    placeholder: 'urn:eop:VITO:ESA_WorldCover_10m_2021_V2',
    description: 'Comma-separated collection IDs; empty searches all',
    displayOptions: show,
  },
  {
    displayName: 'Bounding Box',
    name: 'bbox',
    type: 'string',
    default: '',
    placeholder: '4.3,50.7,4.5,50.9',
    description: 'West,south,east,north in degrees; empty for no spatial filter',
    displayOptions: show,
  },
  {
    displayName: 'Datetime',
    name: 'datetime',
    type: 'string',
    default: '',
    placeholder: '2021-01-01T00:00:00Z/2021-12-31T23:59:59Z',
    description: 'A date-time or an interval "from/to" (RFC 3339; ".." for open ends); empty for no time filter',
    displayOptions: show,
  },
  ...pagingFields('terrascope', 'stacSearch'),
  {
    displayName: 'Additional Search Fields (JSON)',
    name: 'searchJson',
    type: 'json',
    default: '',
    description: 'Further STAC search fields merged into the request (query, filter, sortby ...)',
    displayOptions: show,
  },
];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
  const body: IDataObject = {};
  const collections = String(this.getNodeParameter('collections', itemIndex, ''))
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (collections.length) body.collections = collections;
  const bboxText = this.getNodeParameter('bbox', itemIndex, '') as unknown;
  if (!(typeof bboxText === 'string' && bboxText.trim() === '')) body.bbox = bboxParameter(this, 'bbox', 'Bounding Box', itemIndex);
  const datetime = String(this.getNodeParameter('datetime', itemIndex, '')).trim();
  if (datetime) body.datetime = datetime;
  Object.assign(body, jsonParameter(this, 'searchJson', 'Additional Search Fields (JSON)', itemIndex));
  const url = String(this.getNodeParameter('searchUrl', itemIndex, TERRASCOPE_STAC_SEARCH)).trim() || TERRASCOPE_STAC_SEARCH;
  const eo = await eoContext(this, 'terrascope', itemIndex);
  return searchItems(this, eo, itemIndex, url, body);
}
