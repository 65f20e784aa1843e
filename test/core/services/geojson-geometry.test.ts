import { parseGeometry } from '../../../nodes/core/services/geojson-geometry';
import { thrownEoError } from '../../support/fixtures';

const POLYGON = {
  type: 'Polygon',
  coordinates: [
    [
      [5.5, 0.5],
      [6.5, 0.5],
      [6.5, 1.5],
      [5.5, 0.5],
    ],
  ],
};
const UTM33 = 'http://www.opengis.net/def/crs/EPSG/0/32633';

/** The EoError a bad geometry gives. */
const geometryError = (fn: () => unknown) => thrownEoError(fn, 'EO_INVALID_CONFIG');

describe('parseGeometry: a GeoJSON geometry typed or mapped', () => {
  test('an object as it is, and JSON text parsed', () => {
    expect(parseGeometry(POLYGON)).toEqual(POLYGON);
    expect(parseGeometry(JSON.stringify(POLYGON))).toEqual(POLYGON);
    expect(parseGeometry({ type: 'MultiPolygon', coordinates: [POLYGON.coordinates] }, { crs: UTM33 }).type).toBe('MultiPolygon');
  });

  test('empty, not JSON, or not GeoJSON-shaped: each named, with the field and the fix', () => {
    const cases: [unknown, RegExp][] = [
      ['', /geometry is empty/],
      [undefined, /geometry is empty/],
      ['{"type":"Polygon",', /geometry is not valid JSON/],
      ['{"type":"Polygon"}', /with "type" and "coordinates"/],
      [{ coordinates: POLYGON.coordinates }, /with "type" and "coordinates"/],
      [{ type: 'Polygon', coordinates: 'none' }, /with "type" and "coordinates"/],
      [[POLYGON], /with "type" and "coordinates"/],
      [42, /with "type" and "coordinates"/],
    ];
    for (const [value, says] of cases) {
      const err = geometryError(() => parseGeometry(value));
      expect({ value, field: err.field, message: err.message }).toEqual({
        value,
        field: 'geometry',
        message: expect.stringMatching(says),
      });
      expect(err.message).toContain('Give a GeoJSON Polygon or MultiPolygon in WGS84 longitude/latitude');
    }
  });

  test('in a projected CRS the fix speaks of its units, not of degrees', () => {
    const err = geometryError(() => parseGeometry('{}', { crs: UTM33 }));
    expect(err.message).toContain('in the units of its CRS (metres for UTM)');
    expect(err.message).not.toContain('WGS84');
  });
});
