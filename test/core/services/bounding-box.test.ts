import { CRS84, isGeographicCrs, parseBBox, validateBBox } from '../../../nodes/core/services/bounding-box';
import { thrownEoError } from '../../support/fixtures';

const UTM33 = 'http://www.opengis.net/def/crs/EPSG/0/32633';
const UTM_BOX = [414315, 4958219, 414859, 4958819];

/** The EoError a bad box gives. */
const bboxError = (fn: () => unknown) => thrownEoError(fn, 'EO_INVALID_CONFIG');

describe('parseBBox: what users type or map', () => {
  test('"w,s,e,n" text with commas, spaces or both, and a stray comma at the end', () => {
    expect(parseBBox('5.5,0.5,6.5,1.5')).toEqual([5.5, 0.5, 6.5, 1.5]);
    expect(parseBBox(' 5.5, 0.5  6.5 ,1.5 ')).toEqual([5.5, 0.5, 6.5, 1.5]);
    expect(parseBBox('5.5,0.5,6.5,1.5,')).toEqual([5.5, 0.5, 6.5, 1.5]);
  });

  test('a JSON list as text, an array of numbers or numeric strings, an object carrying a bbox', () => {
    expect(parseBBox('[5.5, 0.5, 6.5, 1.5]')).toEqual([5.5, 0.5, 6.5, 1.5]);
    expect(parseBBox([5.5, 0.5, 6.5, 1.5])).toEqual([5.5, 0.5, 6.5, 1.5]);
    expect(parseBBox(['5.5', ' 0.5', '6.5', '1.5'])).toEqual([5.5, 0.5, 6.5, 1.5]);
    expect(parseBBox({ bbox: [5.5, 0.5, 6.5, 1.5] })).toEqual([5.5, 0.5, 6.5, 1.5]);
  });

  test('empty, unreadable, too short or not numbers: each named, with the field and the fix', () => {
    const cases: [unknown, RegExp][] = [
      ['', /is empty/],
      ['   ', /is empty/],
      ['[1, 2,', /not a valid JSON list/],
      ['13.35,52.5,13.45', /list of 4 numbers/],
      [[1, 2, 3], /list of 4 numbers/],
      [42, /list of 4 numbers/],
      ['a,b,c,d', /4 finite numbers/],
      [[0, 0, Number.NaN, 1], /4 finite numbers/],
      [[0, 0, '', 1], /4 finite numbers/],
    ];
    for (const [value, says] of cases) {
      const err = bboxError(() => parseBBox(value));
      expect(err.field).toBe('bbox');
      expect(err.message).toMatch(says);
      expect(err.message).toContain('Write the bounding box as [west, south, east, north] in degrees');
    }
  });
});

describe('validateBBox in degrees (CRS84, EPSG:4326, or no CRS)', () => {
  test('within the globe and in order', () => {
    expect(validateBBox([-180, -90, 180, 90])).toEqual([-180, -90, 180, 90]);
    expect(validateBBox([5.5, 0.5, 6.5, 1.5], { crs: CRS84 })).toEqual([5.5, 0.5, 6.5, 1.5]);
  });

  test('out of range or out of order, naming which edge and why', () => {
    expect(bboxError(() => validateBBox([-181, 0, 1, 1])).message).toMatch(/^Longitudes must be between -180 and 180 \(got -181, 1\)/);
    expect(bboxError(() => validateBBox([0, -91, 1, 1])).message).toMatch(/^Latitudes must be between -90 and 90/);
    expect(bboxError(() => validateBBox([179, 0, -179, 1])).message).toMatch(
      /^West \(179\) must be less than east \(-179\); a box across the antimeridian/,
    );
    expect(bboxError(() => validateBBox([0, 1, 1, 1])).message).toMatch(/^South \(1\) must be less than north \(1\)/);
  });

  test('metres given without a projected CRS are refused as degrees', () => {
    expect(bboxError(() => validateBBox(UTM_BOX)).message).toMatch(/^Longitudes must be between -180 and 180/);
    expect(bboxError(() => validateBBox(UTM_BOX, { crs: 'EPSG:4326' })).message).toMatch(/^Longitudes/);
  });
});

describe('validateBBox in a projected CRS', () => {
  test('UTM metres pass, in the CRS they were given in', () => {
    expect(validateBBox(UTM_BOX, { crs: UTM33 })).toEqual(UTM_BOX);
    expect(parseBBox(UTM_BOX.join(','), { crs: 'EPSG:3857' })).toEqual(UTM_BOX);
  });

  test('order is still checked, and the fix speaks of the CRS units, not degrees', () => {
    const err = bboxError(() => validateBBox([414859, 4958219, 414315, 4958819], { crs: UTM33 }));
    expect(err.field).toBe('bbox');
    expect(err.message).toMatch(/^West \(414859\) must be less than east \(414315\)\. /);
    expect(err.message).not.toMatch(/antimeridian|degrees/);
    expect(err.message).toContain('in the units of its CRS');
    expect(bboxError(() => validateBBox([0, 5, 1, 5], { crs: UTM33 })).message).toMatch(/^South \(5\) must be less than north \(5\)/);
    expect(bboxError(() => validateBBox([0, 0, 1], { crs: UTM33 })).message).toMatch(/list of 4 numbers/);
  });
});

test('isGeographicCrs: CRS84 and EPSG:4326 in their spellings are degrees, everything else projected', () => {
  for (const crs of [undefined, '', CRS84, 'http://www.opengis.net/def/crs/EPSG/0/4326', 'EPSG:4326', 'epsg:4326']) {
    expect(isGeographicCrs(crs)).toBe(true);
  }
  for (const crs of [UTM33, 'http://www.opengis.net/def/crs/EPSG/0/3857', 'EPSG:32633', 'EPSG:43260']) {
    expect(isGeographicCrs(crs)).toBe(false);
  }
});
