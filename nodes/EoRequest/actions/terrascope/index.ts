/** The Terrascope resource: its operations and their fields. */
import type { INodeProperties } from 'n8n-workflow';
import { apiCallOperation } from '../apiCall';
import type { Operation } from '../types';
import * as download from './download.operation';
import * as stacSearch from './stacSearch.operation';
import * as worldCover from './worldCover.operation';

export const operations: Record<string, Operation> = {
  worldCover,
  download,
  stacSearch,
  apiCall: apiCallOperation('terrascope', '/catalogue/products?collection=urn:eop:VITO:ESA_WorldCover_10m_2021_V2'),
};

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['terrascope'] } },
    default: 'worldCover',
    options: [
      {
        name: 'Custom API Call',
        value: 'apiCall',
        action: 'Make a custom API call',
        description: 'Call any Terrascope endpoint with these credentials',
      },
      {
        name: 'Download File',
        value: 'download',
        action: 'Download a file',
        description: 'Download one product file as binary data or into a folder',
      },
      {
        name: 'STAC Search',
        value: 'stacSearch',
        action: 'Search the STAC catalogue',
        description: 'Find items in the Terrascope STAC catalogue',
      },
      {
        name: 'WorldCover Tiles',
        value: 'worldCover',
        action: 'Get world cover tiles',
        description: 'ESA WorldCover tiles covering a bounding box, one item per tile',
      },
    ],
  },
  ...Object.values(operations).flatMap((op) => op.description),
];
