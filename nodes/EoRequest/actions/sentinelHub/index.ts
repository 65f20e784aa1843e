/** The Sentinel Hub resource: its operations and their fields. */
import type { INodeProperties } from 'n8n-workflow';
import { SENTINEL_HUB_PATHS } from '../../../core';
import { apiCallOperation } from '../apiCall';
import type { Operation } from '../types';
import * as catalogSearch from './catalogSearch.operation';
import * as process from './process.operation';
import * as statistics from './statistics.operation';

export const operations: Record<string, Operation> = {
  process,
  catalogSearch,
  statistics,
  apiCall: apiCallOperation('sentinelHub', SENTINEL_HUB_PATHS.process),
};

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['sentinelHub'] } },
    default: 'process',
    options: [
      {
        name: 'Catalog Search',
        value: 'catalogSearch',
        action: 'Search the catalog',
        description: 'Find scenes by collection, area and time (STAC)',
      },
      {
        name: 'Custom API Call',
        value: 'apiCall',
        action: 'Make a custom API call',
        description: 'Call any Sentinel Hub endpoint with these credentials',
      },
      {
        name: 'Process',
        value: 'process',
        action: 'Process an image',
        description: 'Render an area and time range with an evalscript into a GeoTIFF, PNG or JPEG',
      },
      { name: 'Statistics', value: 'statistics', action: 'Get statistics', description: 'Statistics per time interval for an area' },
    ],
  },
  ...Object.values(operations).flatMap((op) => op.description),
];
