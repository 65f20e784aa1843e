/**
 * A Cloud-Optimized GeoTIFF writer for one 8-bit band with a colour table (WorldCover tiles).
 * The layout is the one GDAL's COG driver writes and announces in its "ghost" header, so GDAL
 * reports LAYOUT=COG: all IFDs first (full resolution, then each overview), then the tiles from
 * the smallest overview to full resolution, row by row, each preceded by its byte count and
 * followed by a copy of its last 4 bytes. Overviews halve the size until one tile holds them and
 * take the most frequent of each 2 × 2 class values (an average would invent classes).
 * Tiles are stored uncompressed, so a file's size follows from its pixel size alone: a HEAD or a
 * catalog entry knows it without rendering anything.
 */
import { ASCII, geoTiffTags, ifdByteLength, LONG, SHORT, writeHeader, writeIfd, type GeoInfo, type TiffTag } from './tiff';

/** Tile edge in pixels (GDAL's default for GeoTIFF tiles). */
export const COG_BLOCK = 256;

const GHOST_BODY =
  'LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\n' +
  'BLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n ';
const GHOST = `GDAL_STRUCTURAL_METADATA_SIZE=${String(GHOST_BODY.length).padStart(6, '0')} bytes\n${GHOST_BODY}`;
const LEADER = 4;
const TRAILER = 4;

export interface PaletteImage {
  width: number;
  height: number;
  /** One byte per pixel, row by row from the top. */
  pixels: Uint8Array;
  /** Up to 256 [r, g, b] entries (0..255 each). */
  palette: [number, number, number][];
  geo: GeoInfo;
  /** Written as GDAL's NoData tag. */
  nodata?: number;
}

interface Level {
  width: number;
  height: number;
  tilesAcross: number;
  tilesDown: number;
}

function level(width: number, height: number): Level {
  return { width, height, tilesAcross: Math.ceil(width / COG_BLOCK), tilesDown: Math.ceil(height / COG_BLOCK) };
}

/** Full resolution, then halved sizes until one tile holds the whole image. */
function levels(width: number, height: number): Level[] {
  const out = [level(width, height)];
  let w = width;
  let h = height;
  while (w > COG_BLOCK || h > COG_BLOCK) {
    w = Math.ceil(w / 2);
    h = Math.ceil(h / 2);
    out.push(level(w, h));
  }
  return out;
}

function tagsFor(lv: Level, index: number, image: Omit<PaletteImage, 'pixels'>, offsets: number[]): TiffTag[] {
  const tiles = lv.tilesAcross * lv.tilesDown;
  const colorMap = [0, 1, 2].flatMap((channel) => Array.from({ length: 256 }, (_, i) => (image.palette[i]?.[channel] ?? 0) * 257));
  const tags: TiffTag[] = [
    { tag: 254, type: LONG, values: [index === 0 ? 0 : 1] }, // overviews are "reduced resolution" images
    { tag: 256, type: LONG, values: [lv.width] },
    { tag: 257, type: LONG, values: [lv.height] },
    { tag: 258, type: SHORT, values: [8] },
    { tag: 259, type: SHORT, values: [1] },
    { tag: 262, type: SHORT, values: [3] }, // palette colour
    { tag: 277, type: SHORT, values: [1] },
    { tag: 284, type: SHORT, values: [1] },
    { tag: 320, type: SHORT, values: colorMap },
    { tag: 322, type: SHORT, values: [COG_BLOCK] },
    { tag: 323, type: SHORT, values: [COG_BLOCK] },
    { tag: 324, type: LONG, values: offsets.length ? offsets : new Array<number>(tiles).fill(0) },
    { tag: 325, type: LONG, values: new Array<number>(tiles).fill(COG_BLOCK * COG_BLOCK) },
    { tag: 339, type: SHORT, values: [1] },
  ];
  if (index === 0) {
    tags.push(...geoTiffTags(image.geo, lv.width, lv.height));
    if (image.nodata !== undefined) tags.push({ tag: 42113, type: ASCII, values: String(image.nodata) });
  }
  return tags;
}

interface Layout {
  levels: Level[];
  ifdOffsets: number[];
  /** Per level, where each tile's data starts (after its leader). */
  tileOffsets: number[][];
  size: number;
}

function layout(image: Omit<PaletteImage, 'pixels'>): Layout {
  const lvs = levels(image.width, image.height);
  const ifdOffsets: number[] = [];
  let pos = 8 + GHOST.length;
  lvs.forEach((lv, i) => {
    pos += pos % 2;
    ifdOffsets.push(pos);
    pos += ifdByteLength(tagsFor(lv, i, image, []));
  });
  const tileOffsets: number[][] = lvs.map(() => []);
  for (let i = lvs.length - 1; i >= 0; i--) {
    for (let t = 0; t < lvs[i].tilesAcross * lvs[i].tilesDown; t++) {
      tileOffsets[i].push(pos + LEADER);
      pos += LEADER + COG_BLOCK * COG_BLOCK + TRAILER;
    }
  }
  return { levels: lvs, ifdOffsets, tileOffsets, size: pos };
}

/** Bytes of the COG {@link encodePaletteCog} writes for an image of this size. */
export function paletteCogByteLength(width: number, height: number): number {
  return layout({ width, height, palette: [], geo: { bbox: [0, 0, 1, 1], epsg: 4326 }, nodata: 0 }).size;
}

/** Halves a class map: each output pixel is the most frequent of its (up to) 2 × 2 inputs, ties to the first. */
function modeHalf(pixels: Uint8Array, width: number, height: number): Uint8Array {
  const w = Math.ceil(width / 2);
  const h = Math.ceil(height / 2);
  const out = new Uint8Array(w * h);
  const block: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      block.length = 0;
      for (let dy = 0; dy < 2 && 2 * y + dy < height; dy++)
        for (let dx = 0; dx < 2 && 2 * x + dx < width; dx++) block.push(pixels[(2 * y + dy) * width + 2 * x + dx]);
      let best = block[0];
      let bestCount = 0;
      for (const v of block) {
        let n = 0;
        for (const u of block) if (u === v) n++;
        if (n > bestCount) {
          best = v;
          bestCount = n;
        }
      }
      out[y * w + x] = best;
    }
  }
  return out;
}

/** The COG of a palette image (see the file comment for its layout). */
export function encodePaletteCog(image: PaletteImage): Buffer {
  if (image.pixels.length !== image.width * image.height) throw new Error('encodePaletteCog: pixels do not match width × height');
  const plan = layout(image);
  // Bytes that are not written below (tile padding beyond the image edge) stay 0: no data.
  const out = Buffer.alloc(plan.size);
  writeHeader(out, plan.ifdOffsets[0]);
  out.write(GHOST, 8, 'latin1');
  plan.levels.forEach((lv, i) => {
    const next = plan.ifdOffsets[i + 1] ?? 0;
    writeIfd(out, plan.ifdOffsets[i], tagsFor(lv, i, image, plan.tileOffsets[i]), next);
  });
  let pixels = image.pixels;
  plan.levels.forEach((lv, i) => {
    if (i > 0) pixels = modeHalf(pixels, plan.levels[i - 1].width, plan.levels[i - 1].height);
    for (let ty = 0; ty < lv.tilesDown; ty++) {
      for (let tx = 0; tx < lv.tilesAcross; tx++) {
        const data = plan.tileOffsets[i][ty * lv.tilesAcross + tx];
        const cols = Math.min(COG_BLOCK, lv.width - tx * COG_BLOCK);
        for (let r = 0; r < COG_BLOCK && ty * COG_BLOCK + r < lv.height; r++) {
          const from = (ty * COG_BLOCK + r) * lv.width + tx * COG_BLOCK;
          out.set(pixels.subarray(from, from + cols), data + r * COG_BLOCK);
        }
        const end = data + COG_BLOCK * COG_BLOCK;
        out.writeUInt32LE(COG_BLOCK * COG_BLOCK, data - LEADER);
        out.copy(out, end, end - TRAILER, end);
      }
    }
  });
  return out;
}
