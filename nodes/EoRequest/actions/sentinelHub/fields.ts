/**
 * Fields that Process, Statistics and Catalog search share (data collection, area, time range),
 * and how they become the `input` of a Sentinel Hub request.
 */
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { CRS84 } from '../../../core';
import { bboxParameter, dateParameter, geometryParameter } from '../../helpers/inputs';
import { inputError } from '../../helpers/errors';
import { showFor } from '../commonFields';

const RESOURCE = 'sentinelHub';

/** A true-colour evalscript, the Process API's "hello world". */
export const TRUE_COLOR_EVALSCRIPT = `//VERSION=3
function setup() {
  return { input: ["B02", "B03", "B04"], output: { bands: 3 } };
}
function evaluatePixel(sample) {
  return [2.5 * sample.B04, 2.5 * sample.B03, 2.5 * sample.B02];
}`;

/** Data collection, area (bbox or GeoJSON geometry) and CRS. */
export function areaFields(operation: string, { withCrs = true } = {}): INodeProperties[] {
  const show = showFor(RESOURCE, operation);
  const fields: INodeProperties[] = [
    {
      displayName: 'Data Collection',
      name: 'dataCollection',
      type: 'options',
      default: 'sentinel-2-l2a',
      displayOptions: show,
      description: 'The Sentinel Hub data collection (use an expression for BYOC collections, e.g. byoc-&lt;ID&gt;)',
      options: [
        { name: 'Copernicus DEM', value: 'dem' },
        { name: 'Landsat 8-9 L2', value: 'landsat-ot-l2' },
        { name: 'Sentinel-1 GRD', value: 'sentinel-1-grd' },
        { name: 'Sentinel-2 L1C', value: 'sentinel-2-l1c' },
        { name: 'Sentinel-2 L2A', value: 'sentinel-2-l2a' },
        { name: 'Sentinel-3 OLCI', value: 'sentinel-3-olci' },
      ],
    },
    {
      displayName: 'Area Type',
      name: 'areaType',
      type: 'options',
      default: 'bbox',
      displayOptions: show,
      options: [
        { name: 'Bounding Box', value: 'bbox' },
        { name: 'GeoJSON Geometry', value: 'geometry' },
      ],
    },
    {
      displayName: 'Bounding Box',
      name: 'bbox',
      type: 'string',
      default: '',
      required: true,
      placeholder: '13.35,52.50,13.45,52.55',
      description: 'West,south,east,north in the CRS below (degrees for WGS84), or an array mapped from the item',
      displayOptions: showFor(RESOURCE, operation, { areaType: ['bbox'] }),
    },
    {
      displayName: 'Geometry',
      name: 'geometry',
      type: 'json',
      default: '',
      required: true,
      placeholder: '{"type":"Polygon","coordinates":[[[13.35,52.5],[13.45,52.5],[13.45,52.55],[13.35,52.5]]]}',
      description: 'A GeoJSON Polygon or MultiPolygon in the CRS below',
      displayOptions: showFor(RESOURCE, operation, { areaType: ['geometry'] }),
    },
    {
      displayName: 'CRS',
      name: 'crs',
      type: 'string',
      default: CRS84,
      description: 'Coordinate reference system of the area, as an OGC URL (e.g. http://www.opengis.net/def/crs/EPSG/0/32633 for UTM 33N)',
      displayOptions: show,
    },
  ];
  // Catalog search takes WGS84 coordinates only, so it has no CRS field.
  return withCrs ? fields : fields.filter((f) => f.name !== 'crs');
}

/** Time range from / to. */
export function timeFields(operation: string): INodeProperties[] {
  const show = showFor(RESOURCE, operation);
  return [
    {
      displayName: 'From',
      name: 'timeFrom',
      type: 'dateTime',
      default: '',
      required: true,
      description: 'Start of the time range (UTC)',
      displayOptions: show,
    },
    {
      displayName: 'To',
      name: 'timeTo',
      type: 'dateTime',
      default: '',
      required: true,
      description: 'End of the time range (UTC)',
      displayOptions: show,
    },
  ];
}

/** The time range as ISO strings, checked to be in order. */
export function readTimeRange(ctx: IExecuteFunctions, itemIndex: number): { from: string; to: string } {
  const from = dateParameter(ctx, 'timeFrom', 'From', itemIndex);
  const to = dateParameter(ctx, 'timeTo', 'To', itemIndex);
  if (Date.parse(from) > Date.parse(to)) throw inputError(ctx.getNode(), itemIndex, 'To', `must not be before From (${from}).`);
  return { from, to };
}

/** The evalscript of Process and Statistics, which must not be empty. */
export function readEvalscript(ctx: IExecuteFunctions, itemIndex: number): string {
  const evalscript = String(ctx.getNodeParameter('evalscript', itemIndex) ?? '');
  if (evalscript.trim() === '') throw inputError(ctx.getNode(), itemIndex, 'Evalscript', 'is empty: paste a version 3 evalscript.');
  return evalscript;
}

/** Resolution X and Y (CRS units per pixel), each greater than 0. */
export function readResolution(ctx: IExecuteFunctions, itemIndex: number): { resx: number; resy: number } {
  const resx = Number(ctx.getNodeParameter('resx', itemIndex));
  const resy = Number(ctx.getNodeParameter('resy', itemIndex));
  if (!(resx > 0)) throw inputError(ctx.getNode(), itemIndex, 'Resolution X', 'must be greater than 0.');
  if (!(resy > 0)) throw inputError(ctx.getNode(), itemIndex, 'Resolution Y', 'must be greater than 0.');
  return { resx, resy };
}

/** Sentinel Hub `input.bounds` from the area fields. */
export function readBounds(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
  const crs = String(ctx.getNodeParameter('crs', itemIndex, CRS84) || CRS84);
  const areaType = ctx.getNodeParameter('areaType', itemIndex) as string;
  if (areaType === 'geometry') {
    return { geometry: geometryParameter(ctx, 'geometry', 'Geometry', itemIndex, crs), properties: { crs } };
  }
  return { bbox: bboxParameter(ctx, 'bbox', 'Bounding Box', itemIndex, crs), properties: { crs } };
}

/** The area as a bbox for Catalog search (a geometry is sent as `intersects`). */
export function readSearchArea(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
  const bounds = readBounds(ctx, itemIndex);
  return bounds.geometry ? { intersects: bounds.geometry } : { bbox: bounds.bbox };
}
