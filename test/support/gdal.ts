/**
 * GDAL's command-line tools (Debian's gdal-bin, installed by test/support/setup.sh) as an
 * independent reader of the GeoTIFFs the emulator serves: what gdalinfo reports is what QGIS and
 * every other GDAL-based GIS will see.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './paths';

const run = promisify(execFile);

/** The parts of `gdalinfo -json` the tests read. */
export interface GdalInfo {
  driverShortName: string;
  size: [number, number];
  geoTransform: number[];
  cornerCoordinates: Record<'upperLeft' | 'lowerLeft' | 'lowerRight' | 'upperRight', [number, number]>;
  metadata: Record<string, Record<string, string>>;
  stac?: { 'proj:epsg'?: number };
  coordinateSystem: { wkt: string };
  bands: {
    block: [number, number];
    type: string;
    colorInterpretation: string;
    noDataValue?: number;
    overviews?: { size: [number, number] }[];
    colorTable?: { count: number; entries: [number, number, number, number][] };
    /** With `-hist`: 256 buckets from -0.5 to 255.5 for a Byte band, one per value. */
    histogram?: { count: number; min: number; max: number; buckets: number[] };
  }[];
}

/** `gdalinfo -json [-hist] <file>`; throws with GDAL's message when it cannot read the file. */
export async function gdalinfo(file: string, options: { histogram?: boolean } = {}): Promise<GdalInfo> {
  const { stdout } = await run('gdalinfo', ['-json', ...(options.histogram ? ['-hist'] : []), file], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as GdalInfo;
}

/** The pixel values of band 1 as rows of numbers (through GDAL's ASCII grid writer). */
export async function rasterValues(file: string): Promise<number[][]> {
  const { stdout } = await run('gdal_translate', ['-q', '-of', 'AAIGrid', file, '/vsistdout/'], { maxBuffer: 256 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter((line) => /^\s*-?\d/.test(line))
    .map((line) => line.trim().split(/\s+/).map(Number));
}

/**
 * Renders GeoTIFF tiles as one PNG with GDAL: a mosaic of them (gdalbuildvrt), the colour table
 * expanded to RGB, and, when `outline` is given as [west, south, east, north], that box drawn as a
 * black frame `outlinePx` pixels wide. Returns the PNG's path.
 */
export async function renderMosaicPng(
  tiles: string[],
  png: string,
  options: { outline?: [number, number, number, number]; outlinePx?: number } = {},
): Promise<string> {
  const work = tempDir('eo-render');
  try {
    const vrt = path.join(work, 'mosaic.vrt');
    const rgb = path.join(work, 'mosaic.tif');
    await run('gdalbuildvrt', ['-q', vrt, ...tiles]);
    await run('gdal_translate', ['-q', '-expand', 'rgb', '-a_nodata', 'none', vrt, rgb]);
    if (options.outline) {
      const info = await gdalinfo(rgb);
      const px = info.geoTransform[1] * (options.outlinePx ?? 4);
      const [w, s, e, n] = options.outline;
      const ring = (d: number) => [
        [w - d, s - d],
        [e + d, s - d],
        [e + d, n + d],
        [w - d, n + d],
        [w - d, s - d],
      ];
      const frame = path.join(work, 'frame.geojson');
      // A polygon with a hole: the band between the box grown and shrunk by half the frame width.
      fs.writeFileSync(
        frame,
        JSON.stringify({
          type: 'FeatureCollection',
          features: [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring(px / 2), ring(-px / 2)] } }],
        }),
      );
      await run('gdal_rasterize', ['-q', '-b', '1', '-b', '2', '-b', '3', '-burn', '0', '-burn', '0', '-burn', '0', frame, rgb]);
    }
    await run('gdal_translate', ['-q', '-of', 'PNG', rgb, png]);
    return png;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(file: string): { width: number; height: number } {
  const head = fs.readFileSync(file).subarray(0, 24);
  if (head.toString('latin1', 1, 4) !== 'PNG') throw new Error(`${file} is not a PNG`);
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}
