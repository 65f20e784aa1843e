/**
 * A GeoJSON geometry as an area, the alternative to a bounding box that Process, Statistics and
 * Catalog search take (`input.bounds.geometry`, `intersects`): typed as JSON text or mapped as an
 * object. Only its shape is checked here; whether the polygon is valid is Sentinel Hub's to say.
 */
import { EoError } from '../errors';
import { readJsonObject } from '../config/json-object';
import { isGeographicCrs, type BBoxOptions } from './bounding-box';

/** A GeoJSON geometry object: at least a `type` and its `coordinates`. */
export interface GeoJsonGeometry {
  type: string;
  coordinates: unknown[];
  [member: string]: unknown;
}

function geometryError(message: string, crs: string | undefined): EoError {
  const fix = isGeographicCrs(crs)
    ? 'Give a GeoJSON Polygon or MultiPolygon in WGS84 longitude/latitude, e.g. {"type":"Polygon","coordinates":[[[5.5,0.5],[6.5,0.5],[6.5,1.5],[5.5,0.5]]]}.'
    : 'Give a GeoJSON Polygon or MultiPolygon in the units of its CRS (metres for UTM).';
  return new EoError('EO_INVALID_CONFIG', `${message} ${fix}`, { field: 'geometry' });
}

/**
 * Reads a geometry from JSON text or an object and checks that it is GeoJSON-shaped: a `type`
 * and a `coordinates` list. `options.crs` only words the fix (degrees or the CRS's units).
 *
 * @example
 * parseGeometry('{"type":"Polygon","coordinates":[[[5.5,0.5],[6.5,0.5],[6.5,1.5],[5.5,0.5]]]}');
 * @throws EoError `EO_INVALID_CONFIG` with field `geometry`.
 */
export function parseGeometry(value: unknown, options: BBoxOptions = {}): GeoJsonGeometry {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    throw geometryError('The geometry is empty.', options.crs);
  }
  const read = readJsonObject(value);
  if (!read.ok && read.problem === 'not-json') throw geometryError('The geometry is not valid JSON.', options.crs);
  const geometry = read.ok ? read.value : undefined;
  if (typeof geometry?.type !== 'string' || !Array.isArray(geometry.coordinates)) {
    throw geometryError('The geometry must be a GeoJSON geometry with "type" and "coordinates".', options.crs);
  }
  return geometry as GeoJsonGeometry;
}
