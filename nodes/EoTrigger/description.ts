/** The EO Trigger's parameters: the catalogue, what to watch, and how far back to look. */
import type { INodeProperties } from 'n8n-workflow';
import { DEFAULT_LOOKBACK_HOURS, MAX_LOOKBACK_HOURS, TERRASCOPE_STAC_SEARCH_URL } from '../core';

const catalogOnly = { show: { source: ['catalog'] } };
const stacOnly = { show: { source: ['stac'] } };

export const properties: INodeProperties[] = [
  {
    displayName: 'Source',
    name: 'source',
    type: 'options',
    noDataExpression: true,
    default: 'catalog',
    options: [
      {
        name: 'Sentinel Hub / CDSE Catalog',
        value: 'catalog',
        description: 'The Catalog API of Sentinel Hub or the Copernicus Data Space',
      },
      { name: 'Terrascope STAC', value: 'stac', description: 'The STAC item search of Terrascope (VITO)' },
    ],
  },
  {
    displayName: 'Collection',
    name: 'collection',
    type: 'string',
    default: 'sentinel-2-l2a',
    required: true,
    placeholder: 'sentinel-2-l2a',
    description: 'The Catalog collection ID (sentinel-2-l2a, sentinel-2-l1c, sentinel-1-grd, byoc-&lt;ID&gt;, ...)',
    displayOptions: catalogOnly,
  },
  {
    displayName: 'Collection',
    name: 'collection',
    type: 'string',
    default: 'terrascope-s2-toc-v2',
    required: true,
    placeholder: 'terrascope-s2-toc-v2',
    description: 'The STAC collection ID',
    displayOptions: stacOnly,
  },
  {
    displayName: 'Search URL',
    name: 'searchUrl',
    type: 'string',
    default: TERRASCOPE_STAC_SEARCH_URL,
    description: 'The STAC /search endpoint (its origin must be allowed by the credentials; stac.terrascope.be is)',
    displayOptions: stacOnly,
  },
  {
    displayName: 'Area Type',
    name: 'areaType',
    type: 'options',
    default: 'bbox',
    options: [
      { name: 'Bounding Box', value: 'bbox' },
      { name: 'GeoJSON Geometry', value: 'geometry', description: 'Sentinel Hub / CDSE Catalog only' },
    ],
  },
  {
    displayName: 'Bounding Box',
    name: 'bbox',
    type: 'string',
    default: '',
    required: true,
    placeholder: '4.67,50.55,4.70,50.57',
    description: 'West,south,east,north in degrees (WGS84)',
    displayOptions: { show: { areaType: ['bbox'] } },
  },
  {
    displayName: 'Geometry',
    name: 'geometry',
    type: 'json',
    default: '',
    required: true,
    placeholder: '{"type":"Polygon","coordinates":[[[4.67,50.55],[4.7,50.55],[4.7,50.57],[4.67,50.55]]]}',
    description: 'A GeoJSON Polygon or MultiPolygon in WGS84',
    displayOptions: { show: { areaType: ['geometry'] } },
  },
  {
    displayName: 'Max Cloud Cover (%)',
    name: 'maxCloudCover',
    type: 'number',
    default: 20,
    typeOptions: { minValue: 0, maxValue: 100 },
    description: 'Only scenes with at most this cloud cover (eo:cloud_cover); 100 for no limit',
  },
  {
    displayName: 'CQL2 Filter',
    name: 'filter',
    type: 'string',
    default: '',
    placeholder: "platform = 'sentinel-2b'",
    description: 'An optional further filter in CQL2 text, or CQL2 JSON; combined with the cloud-cover limit',
    displayOptions: catalogOnly,
  },
  {
    displayName: 'Look-Back Window (Hours)',
    name: 'lookbackHours',
    type: 'number',
    default: DEFAULT_LOOKBACK_HOURS,
    typeOptions: { minValue: 0.01, maxValue: MAX_LOOKBACK_HOURS },
    description:
      'Every poll searches this much acquisition time back, so scenes published late are still found; scenes published later than this after acquisition are missed',
  },
  {
    displayName: 'On First Activation',
    name: 'firstPoll',
    type: 'options',
    default: 'remember',
    options: [
      { name: 'Remember What Exists', value: 'remember', description: 'Emit only scenes that appear after activation' },
      { name: 'Emit Everything Since a Date', value: 'since', description: 'Emit every scene acquired since the date, then what appears' },
    ],
  },
  {
    displayName: 'Emit Since',
    name: 'since',
    type: 'dateTime',
    default: '',
    required: true,
    description: 'Acquisition date from which scenes are emitted (UTC)',
    displayOptions: { show: { firstPoll: ['since'] } },
  },
];
