import { EoError } from '../../../nodes/core/errors';
import { thrownEoError } from '../../support/fixtures';
import type { BBox } from '../../../nodes/core/services/bounding-box';
import {
  isMissingWorldCoverTile,
  LATEST_WORLDCOVER_YEAR,
  worldCoverTileAt,
  worldCoverTiles,
  worldCoverYear,
} from '../../../nodes/core/services/worldcover';

const names = (bbox: BBox, year: 2020 | 2021 = 2020) => worldCoverTiles(bbox, year).map((t) => t.tile);

function expectConfigError(fn: () => unknown, field: string): void {
  expect(thrownEoError(fn, 'EO_INVALID_CONFIG').field).toBe(field);
}

describe('worldCoverTiles', () => {
  it('names tiles by their south-west corner', () => {
    expect(worldCoverTileAt(-46.5, 37.5)).toBe('S48E036');
    expect(worldCoverTileAt(49.29, -117.18)).toBe('N48W120');
    expect(worldCoverTileAt(0.5, 6.5)).toBe('N00E006');
    expect(names([37.4, -46.6, 37.6, -46.4])).toEqual(['S48E036']);
    expect(names([-117.2, 49.2, -117.1, 49.3])).toEqual(['N48W120']);
  });

  it('builds the Terrascope download path for 2020 (v100) and 2021 (v200)', () => {
    const [t2020] = worldCoverTiles([6.2, 0.4, 6.9, 1.1], 2020);
    expect(t2020).toEqual({
      tile: 'N00E006',
      url: '/download/WORLDCOVER/ESA_WORLDCOVER_10M_2020_V100/MAP/ESA_WorldCover_10m_2020_v100_N00E006_Map/ESA_WorldCover_10m_2020_v100_N00E006_Map.tif',
      filename: 'ESA_WorldCover_10m_2020_v100_N00E006_Map.tif',
      bounds: [6, 0, 9, 3],
    });
    const [t2021] = worldCoverTiles([6.2, 0.4, 6.9, 1.1], 2021);
    expect(t2021.url).toBe(
      '/download/WORLDCOVER/ESA_WORLDCOVER_10M_2021_V200/MAP/ESA_WorldCover_10m_2021_v200_N00E006_Map/ESA_WorldCover_10m_2021_v200_N00E006_Map.tif',
    );
  });

  it('treats max edges as open: a box ending on a 3° line adds no tile', () => {
    expect(names([6, 0, 9, 3])).toEqual(['N00E006']);
    expect(names([6, 0, 9.0001, 3])).toEqual(['N00E006', 'N00E009']);
    expect(names([5.9, -0.1, 9, 3])).toEqual(['S03E003', 'S03E006', 'N00E003', 'N00E006']);
  });

  it('covers a box spanning several tiles, south to north then west to east', () => {
    expect(names([-1, -1, 4, 1])).toEqual(['S03W003', 'S03E000', 'S03E003', 'N00W003', 'N00E000', 'N00E003']);
  });

  it('clips latitude to −60..84 and returns nothing for a box fully outside', () => {
    expect(names([0, -70, 2, -59])).toEqual(['S60E000']);
    expect(names([0, 80, 2, 89])).toEqual(['N78E000', 'N81E000']);
    expect(names([0, 85, 2, 89])).toEqual([]);
    expect(names([0, -89, 2, -61])).toEqual([]);
    expect(names([177.5, 10, 180, 11])).toEqual(['N09E177']);
  });

  it('refuses malformed boxes naming the bbox field', () => {
    expectConfigError(() => worldCoverTiles([1, 2, 3] as unknown as BBox, 2020), 'bbox');
    expectConfigError(() => worldCoverTiles([0, 0, Number.NaN, 1], 2020), 'bbox');
    expectConfigError(() => worldCoverTiles([5, 0, 4, 1], 2020), 'bbox');
    expectConfigError(() => worldCoverTiles([0, 1, 1, 1], 2020), 'bbox');
    expectConfigError(() => worldCoverTiles([-181, 0, 1, 1], 2020), 'bbox');
    expectConfigError(() => worldCoverTiles([0, -91, 1, 1], 2020), 'bbox');
    expectConfigError(() => worldCoverTiles([179, 0, -179, 1], 2020), 'bbox');
    expectConfigError(() => worldCoverTiles(['0', 0, 1, 1] as unknown as BBox, 2020), 'bbox');
  });

  it('refuses years other than 2020 and 2021 naming the year field', () => {
    expectConfigError(() => worldCoverTiles([0, 0, 1, 1], 2019 as 2020), 'year');
  });
});

describe('worldCoverYear', () => {
  it('takes the year as a number or as text, and the latest edition when none is given', () => {
    expect(worldCoverYear(2020)).toBe(2020);
    expect(worldCoverYear('2021')).toBe(2021);
    expect(worldCoverYear(' 2020 ')).toBe(2020);
    for (const none of [undefined, null, '']) expect(worldCoverYear(none)).toBe(LATEST_WORLDCOVER_YEAR);
    expect(LATEST_WORLDCOVER_YEAR).toBe(2021);
  });

  it('refuses any other year, naming the field and what it got', () => {
    for (const value of [2019, '2022', 'last', Number.NaN, true, '  ']) {
      expectConfigError(() => worldCoverYear(value), 'year');
    }
    expect(() => worldCoverYear('2019')).toThrow('WorldCover exists for 2020 and 2021 only (got 2019).');
  });
});

describe('isMissingWorldCoverTile: a tile the server does not have is open ocean', () => {
  it('is true for a 404 answer only', () => {
    expect(isMissingWorldCoverTile(new EoError('EO_HTTP_STATUS', 'Not Found', { status: 404 }))).toBe(true);
  });

  it('is false for every other failure, which must still fail the run', () => {
    for (const err of [
      new EoError('EO_HTTP_STATUS', 'Forbidden', { status: 403 }),
      new EoError('EO_HTTP_STATUS', 'Bad Gateway', { status: 502 }),
      new EoError('EO_NETWORK', 'socket hang up', { status: 404 }),
      Object.assign(new Error('Not Found'), { status: 404 }),
      undefined,
    ]) {
      expect(isMissingWorldCoverTile(err)).toBe(false);
    }
  });
});
