/**
 * Bounding boxes as users write them and as the providers take them: [west, south, east, north],
 * typed as "w,s,e,n" text or mapped as an array. In degrees (WGS84) a box is checked against the
 * globe; in a projected CRS (UTM metres, Web Mercator, ...) only its order can be, since the
 * valid range depends on the projection and Sentinel Hub checks it.
 */
import { EoError } from '../errors';

/** [west, south, east, north]: degrees in WGS84, the CRS's own units (metres for UTM) otherwise. */
export type BBox = [number, number, number, number];

/** Sentinel Hub's name for WGS84 longitude/latitude, the CRS a box is in when none is given. */
export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';

/** Options of {@link parseBBox} and {@link validateBBox}. */
export interface BBoxOptions {
  /**
   * The CRS the numbers are in, as an OGC URL or `EPSG:<code>`. Default CRS84 (degrees). Any CRS
   * other than CRS84 and EPSG:4326 counts as projected.
   */
  crs?: string;
}

/** CRS84 and EPSG:4326 count in degrees; every other CRS Sentinel Hub takes is projected (UTM, Web Mercator, ...). */
export function isGeographicCrs(crs: string | undefined): boolean {
  if (crs === undefined || crs.trim() === '') return true;
  return /\/OGC\/1\.3\/CRS84$|\/EPSG\/0\/4326$|^EPSG:4326$/i.test(crs.trim());
}

function bboxError(message: string, geographic: boolean): EoError {
  const fix = geographic
    ? 'Write the bounding box as [west, south, east, north] in degrees, e.g. [5.5, 0.5, 6.5, 1.5].'
    : 'Write the bounding box as [west, south, east, north] in the units of its CRS (metres for UTM), e.g. [414315, 4958219, 414859, 4958819].';
  return new EoError('EO_INVALID_CONFIG', `${message} ${fix}`, { field: 'bbox' });
}

/**
 * Checks a box the way a user would type it, naming the problem: four finite numbers, west below
 * east and south below north; in degrees also within ±180 and ±90 (a box across the antimeridian
 * must be split, the providers take none).
 *
 * @example
 * validateBBox([5.5, 0.5, 6.5, 1.5]); // [5.5, 0.5, 6.5, 1.5]
 * validateBBox([414315, 4958219, 414859, 4958819], { crs: 'http://www.opengis.net/def/crs/EPSG/0/32633' });
 * @throws EoError `EO_INVALID_CONFIG` with field `bbox`.
 */
export function validateBBox(bbox: unknown, options: BBoxOptions = {}): BBox {
  const geographic = isGeographicCrs(options.crs);
  if (!Array.isArray(bbox) || bbox.length !== 4) throw bboxError('The bounding box must be a list of 4 numbers.', geographic);
  if (!bbox.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw bboxError('The bounding box must contain 4 finite numbers.', geographic);
  }
  const [west, south, east, north] = bbox as BBox;
  if (geographic) {
    if (west < -180 || east > 180) throw bboxError(`Longitudes must be between -180 and 180 (got ${west}, ${east}).`, geographic);
    if (south < -90 || north > 90) throw bboxError(`Latitudes must be between -90 and 90 (got ${south}, ${north}).`, geographic);
  }
  if (west >= east) {
    const antimeridian = geographic ? '; a box across the antimeridian must be split into two boxes' : '';
    throw bboxError(`West (${west}) must be less than east (${east})${antimeridian}.`, geographic);
  }
  if (south >= north) throw bboxError(`South (${south}) must be less than north (${north}).`, geographic);
  return [west, south, east, north];
}

/** Text and arrays as numbers; what cannot be read is left for {@link validateBBox} to name. */
function readNumbers(value: unknown, geographic: boolean): unknown {
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') throw bboxError('The bounding box is empty.', geographic);
    if (text.startsWith('[')) {
      try {
        return readNumbers(JSON.parse(text), geographic);
      } catch (err) {
        if (err instanceof EoError) throw err;
        throw bboxError('The bounding box is not a valid JSON list.', geographic);
      }
    }
    // A stray comma at either end ("5.5,0.5,6.5,1.5,") is no fifth number.
    return text
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
  }
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v));
  // A GeoJSON-like object or a search body that carries its box.
  if (typeof value === 'object' && value !== null && Array.isArray((value as { bbox?: unknown }).bbox)) {
    return readNumbers((value as { bbox: unknown }).bbox, geographic);
  }
  return value;
}

/**
 * Reads a box from what a user typed or mapped: "w,s,e,n" (commas or spaces), a JSON list as
 * text, an array (numbers or numeric strings), or an object with a `bbox` array; then checks it
 * as {@link validateBBox} does.
 *
 * @example
 * parseBBox('5.5, 0.5, 6.5, 1.5'); // [5.5, 0.5, 6.5, 1.5]
 * parseBBox(['5.5', '0.5', '6.5', '1.5']); // [5.5, 0.5, 6.5, 1.5]
 * @throws EoError `EO_INVALID_CONFIG` with field `bbox`.
 */
export function parseBBox(value: unknown, options: BBoxOptions = {}): BBox {
  return validateBBox(readNumbers(value, isGeographicCrs(options.crs)), options);
}
