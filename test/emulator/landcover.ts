/**
 * Synthetic ESA WorldCover content: the product's class codes and colours, and a land-cover map
 * made from smooth value noise thresholded into classes, with climate zones by latitude. The class
 * of a point is a pure function of its position on Earth (not of the tile), so neighbouring tiles
 * join up and a mosaic of them reads as one map.
 */

/** The WorldCover legend (class code, name, colour of the product's colour table). */
export const WORLDCOVER_CLASSES = [
  { code: 10, name: 'Tree cover', rgb: [0, 100, 0] },
  { code: 20, name: 'Shrubland', rgb: [255, 187, 34] },
  { code: 30, name: 'Grassland', rgb: [255, 255, 76] },
  { code: 40, name: 'Cropland', rgb: [240, 150, 255] },
  { code: 50, name: 'Built-up', rgb: [250, 0, 0] },
  { code: 60, name: 'Bare / sparse vegetation', rgb: [180, 180, 180] },
  { code: 70, name: 'Snow and ice', rgb: [240, 240, 240] },
  { code: 80, name: 'Permanent water bodies', rgb: [0, 100, 200] },
  { code: 90, name: 'Herbaceous wetland', rgb: [0, 150, 160] },
  { code: 95, name: 'Mangroves', rgb: [0, 207, 117] },
  { code: 100, name: 'Moss and lichen', rgb: [250, 230, 160] },
] as const satisfies readonly { code: number; name: string; rgb: readonly [number, number, number] }[];

/** The 256-entry colour table: the legend's colours at their codes, black everywhere else (0 is no data). */
export function worldCoverPalette(): [number, number, number][] {
  const table: [number, number, number][] = Array.from({ length: 256 }, () => [0, 0, 0]);
  for (const c of WORLDCOVER_CLASSES) table[c.code] = [...c.rgb];
  return table;
}

// Local copies: every global lookup is slow inside a vm context (jest runs tests in one), and
// these run millions of times per tile.
const { abs, floor, imul } = Math;

/** A hash of a lattice point and a field number, in [0, 1). */
function lattice(ix: number, iy: number, field: number): number {
  let h = imul(ix, 0x27d4eb2d) ^ imul(iy, 0x165667b1) ^ imul(field + 1, 0x9e3779b9);
  h = imul(h ^ (h >>> 15), 0x85ebca6b);
  h = imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Value noise: lattice values blended with a smoothstep, so it has no edges. */
function valueNoise(x: number, y: number, field: number): number {
  const ix = floor(x);
  const iy = floor(y);
  const fx = x - ix;
  const fy = y - iy;
  const sx = fx * fx * (3 - 2 * fx);
  const sy = fy * fy * (3 - 2 * fy);
  const a = lattice(ix, iy, field);
  const b = lattice(ix + 1, iy, field);
  const c = lattice(ix, iy + 1, field);
  const d = lattice(ix + 1, iy + 1, field);
  const top = a + (b - a) * sx;
  return top + (c + (d - c) * sx - top) * sy;
}

/** Fractal sum of `octaves` value noises, the first with features about `period` degrees wide; in [0, 1]. */
function fbm(lon: number, lat: number, period: number, octaves: number, field: number): number {
  let sum = 0;
  let weight = 1;
  let total = 0;
  let scale = 1 / period;
  for (let o = 0; o < octaves; o++) {
    sum += weight * valueNoise(lon * scale, lat * scale, field * 8 + o);
    total += weight;
    weight *= 0.5;
    scale *= 2;
  }
  return sum / total;
}

/** The class at a point: water and rivers first, then mountains, then the climate zone's vegetation. */
export function landCoverAt(lat: number, lon: number): number {
  const water = fbm(lon, lat, 1.6, 5, 1);
  const moisture = fbm(lon, lat, 1.1, 4, 2);
  const relief = fbm(lon, lat, 0.9, 4, 3);
  const detail = fbm(lon, lat, 0.12, 3, 4);
  // Zones by latitude, their borders shifted by up to ±4° so they are not straight lines.
  const zone = abs(lat) + (moisture - 0.5) * 8;

  if (water > 0.66) return 80;
  if (water > 0.635) {
    if (zone < 24 && relief < 0.5) return 95;
    if (moisture > 0.5) return 90;
  }
  const river = fbm(lon, lat, 0.7, 3, 5);
  if (abs(river - 0.5) < 0.007 && relief < 0.62) return 80;

  // Mountains: ice on the highest tops away from the tropics, bare rock or tundra below them.
  if (relief > 0.78 && zone > 17) return zone > 55 || relief > 0.84 ? 70 : 60;
  if (relief > 0.72 && zone > 17) return zone > 58 ? 100 : 60;

  if (zone > 71) return relief > 0.6 ? 70 : moisture > 0.45 ? 100 : 60;
  if (zone > 54) {
    if (moisture > 0.62 && relief < 0.45) return 90;
    if (zone > 62 && moisture < 0.45) return 100;
    return detail > 0.35 ? 10 : 30;
  }
  if (zone > 34) {
    const town = fbm(lon, lat, 0.08, 2, 6);
    if (town > 0.8 - (water > 0.58 ? 0.07 : 0)) return 50;
    if (moisture + (detail - 0.5) * 0.6 > 0.58) return 10;
    if (detail < 0.38) return 30;
    return 40;
  }
  if (zone > 17) {
    if (moisture > 0.62) return detail > 0.5 ? 40 : 30;
    if (moisture > 0.5) return 20;
    return detail > 0.62 ? 20 : 60;
  }
  if (moisture + (detail - 0.5) * 0.5 > 0.44) return 10;
  if (detail > 0.62) return 40;
  return moisture > 0.36 ? 30 : 20;
}

/**
 * A `size` × `size` class map of the 3° × 3° tile whose lower-left corner is (lat0, lon0), north
 * up, each pixel classified at its centre.
 */
export function landCoverPixels(lat0: number, lon0: number, size: number): Uint8Array {
  const out = new Uint8Array(size * size);
  const step = 3 / size;
  for (let row = 0; row < size; row++) {
    const lat = lat0 + 3 - (row + 0.5) * step;
    for (let col = 0; col < size; col++) out[row * size + col] = landCoverAt(lat, lon0 + (col + 0.5) * step);
  }
  return out;
}
