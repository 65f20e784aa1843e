/**
 * The TIFF pieces the emulator's image encoders share: tag entries, an image file directory (IFD)
 * with its out-of-line values, and the GeoTIFF tags that place an image on the Earth. Little-endian
 * classic TIFF only (files stay far below 4 GiB).
 */

export const ASCII = 2;
export const SHORT = 3;
export const LONG = 4;
export const DOUBLE = 12;
const TYPE_SIZE: Record<number, number> = { [ASCII]: 1, [SHORT]: 2, [LONG]: 4, [DOUBLE]: 8 };

/** One IFD entry; ASCII values are a string (the terminating NUL is added here). */
export interface TiffTag {
  tag: number;
  type: number;
  values: number[] | string;
}

/** Where an image lies: [minX, minY, maxX, maxY] in the units of the EPSG code's CRS. */
export interface GeoInfo {
  bbox: [number, number, number, number];
  epsg: number;
}

function count(t: TiffTag): number {
  return typeof t.values === 'string' ? Buffer.byteLength(t.values, 'latin1') + 1 : t.values.length;
}

/** Bytes of a value that does not fit in its entry's 4 bytes, padded to a word boundary; 0 if it fits. */
function outOfLineSize(t: TiffTag): number {
  const size = TYPE_SIZE[t.type] * count(t);
  return size <= 4 ? 0 : size + (size % 2);
}

/** Bytes an IFD takes with its out-of-line values (as {@link writeIfd} lays them out). */
export function ifdByteLength(tags: TiffTag[]): number {
  return 2 + tags.length * 12 + 4 + tags.reduce((sum, t) => sum + outOfLineSize(t), 0);
}

function writeValues(out: Buffer, at: number, t: TiffTag): void {
  if (typeof t.values === 'string') {
    out.write(`${t.values}\0`, at, 'latin1');
    return;
  }
  const size = TYPE_SIZE[t.type];
  t.values.forEach((v, j) => {
    if (t.type === SHORT) out.writeUInt16LE(v, at + j * size);
    else if (t.type === LONG) out.writeUInt32LE(v, at + j * size);
    else out.writeDoubleLE(v, at + j * size);
  });
}

/**
 * Writes an IFD at `at` (tags must be sorted by number), its out-of-line values right after it,
 * and `next` as the offset of the following IFD (0: last).
 */
export function writeIfd(out: Buffer, at: number, tags: TiffTag[], next: number): void {
  out.writeUInt16LE(tags.length, at);
  let extra = at + 2 + tags.length * 12 + 4;
  tags.forEach((t, i) => {
    const entry = at + 2 + i * 12;
    out.writeUInt16LE(t.tag, entry);
    out.writeUInt16LE(t.type, entry + 2);
    out.writeUInt32LE(count(t), entry + 4);
    const size = outOfLineSize(t);
    if (size === 0) {
      writeValues(out, entry + 8, t);
    } else {
      out.writeUInt32LE(extra, entry + 8);
      writeValues(out, extra, t);
      extra += size;
    }
  });
  out.writeUInt32LE(next, at + 2 + tags.length * 12);
}

/** The 8-byte little-endian TIFF header pointing at the first IFD. */
export function writeHeader(out: Buffer, firstIfd: number): void {
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(firstIfd, 4);
}

/**
 * ModelPixelScale, ModelTiepoint and a GeoKeyDirectory (version 1.1.0, three keys: model type,
 * raster type "pixel is area", and the CRS as an EPSG code) for a `width` × `height` image.
 */
export function geoTiffTags(geo: GeoInfo, width: number, height: number): TiffTag[] {
  const [minX, minY, maxX, maxY] = geo.bbox;
  const geographic = geo.epsg === 4326;
  return [
    { tag: 33550, type: DOUBLE, values: [(maxX - minX) / width, (maxY - minY) / height, 0] },
    { tag: 33922, type: DOUBLE, values: [0, 0, 0, minX, maxY, 0] },
    {
      tag: 34735,
      type: SHORT,
      values: [1, 1, 0, 3, 1024, 0, 1, geographic ? 2 : 1, 1025, 0, 1, 1, geographic ? 2048 : 3072, 0, 1, geo.epsg],
    },
  ];
}
