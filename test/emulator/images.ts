/**
 * Minimal but valid image encoders for Process API answers: uncompressed RGB (Geo)TIFF, PNG
 * (zlib from Node) and a tiny baseline JPEG. Pixel content is a pure function of a seed.
 */
import { crc32, deflate } from 'node:zlib';
import { promisify } from 'node:util';

const deflateAsync = promisify(deflate);

export interface GeoInfo {
  /** [minX, minY, maxX, maxY] in the CRS units. */
  bbox: [number, number, number, number];
  epsg: number;
}

/** W×H×3 bytes of deterministic RGB: gradients offset by the seed, so equal requests give equal pixels. */
export function rgbPixels(width: number, height: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(width * height * 3);
  const s0 = seed & 0xff;
  const s1 = (seed >>> 8) & 0xff;
  const s2 = ((seed >>> 16) & 0x0f) + 1;
  let i = 0;
  for (let y = 0; y < height; y++) {
    const g = (Math.floor((y * 255) / Math.max(1, height - 1)) + s1) & 0xff;
    for (let x = 0; x < width; x++) {
      out[i++] = (Math.floor((x * 255) / Math.max(1, width - 1)) + s0) & 0xff;
      out[i++] = g;
      out[i++] = ((x + y) * s2) & 0xff;
    }
  }
  return out;
}

const SHORT = 3;
const LONG = 4;
const DOUBLE = 12;
const TYPE_SIZE: Record<number, number> = { [SHORT]: 2, [LONG]: 4, [DOUBLE]: 8 };

interface Tag {
  tag: number;
  type: number;
  values: number[];
}

/** Uncompressed little-endian RGB TIFF in one strip; with `geo`, GeoTIFF tags for the bbox and EPSG code. */
export function encodeTiff(width: number, height: number, pixels: Buffer, geo?: GeoInfo): Buffer {
  const tags: Tag[] = [
    { tag: 256, type: LONG, values: [width] },
    { tag: 257, type: LONG, values: [height] },
    { tag: 258, type: SHORT, values: [8, 8, 8] },
    { tag: 259, type: SHORT, values: [1] },
    { tag: 262, type: SHORT, values: [2] },
    { tag: 273, type: LONG, values: [0] }, // strip offset, patched below
    { tag: 277, type: SHORT, values: [3] },
    { tag: 278, type: LONG, values: [height] },
    { tag: 279, type: LONG, values: [pixels.length] },
    { tag: 284, type: SHORT, values: [1] },
  ];
  if (geo) {
    const [minX, minY, maxX, maxY] = geo.bbox;
    const geographic = geo.epsg === 4326;
    tags.push(
      { tag: 33550, type: DOUBLE, values: [(maxX - minX) / width, (maxY - minY) / height, 0] },
      { tag: 33922, type: DOUBLE, values: [0, 0, 0, minX, maxY, 0] },
      {
        tag: 34735,
        type: SHORT,
        // GeoKeyDirectory: version 1.1.0, 3 keys: model type, raster type (pixel is area), CRS code.
        values: [1, 1, 0, 3, 1024, 0, 1, geographic ? 2 : 1, 1025, 0, 1, 1, geographic ? 2048 : 3072, 0, 1, geo.epsg],
      },
    );
  }
  const ifdSize = 2 + tags.length * 12 + 4;
  let extra = 8 + ifdSize;
  const extraOffsets = tags.map((t) => {
    const size = TYPE_SIZE[t.type] * t.values.length;
    if (size <= 4) return -1;
    const at = extra;
    extra += size + (size % 2);
    return at;
  });
  const pixelOffset = extra;
  tags[5].values[0] = pixelOffset;
  const out = Buffer.alloc(pixelOffset + pixels.length);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  out.writeUInt16LE(tags.length, 8);
  tags.forEach((t, i) => {
    const at = 10 + i * 12;
    out.writeUInt16LE(t.tag, at);
    out.writeUInt16LE(t.type, at + 2);
    out.writeUInt32LE(t.values.length, at + 4);
    const target = extraOffsets[i] >= 0 ? extraOffsets[i] : at + 8;
    if (extraOffsets[i] >= 0) out.writeUInt32LE(target, at + 8);
    t.values.forEach((v, j) => {
      const size = TYPE_SIZE[t.type];
      if (t.type === SHORT) out.writeUInt16LE(v, target + j * size);
      else if (t.type === LONG) out.writeUInt32LE(v, target + j * size);
      else out.writeDoubleLE(v, target + j * size);
    });
  });
  out.writeUInt32LE(0, 10 + tags.length * 12); // no next IFD
  pixels.copy(out, pixelOffset);
  return out;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** 8-bit RGB PNG, filter 0 on every row, deflated off the main thread. */
export async function encodePng(width: number, height: number, pixels: Buffer): Promise<Buffer> {
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) pixels.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', await deflateAsync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function segment(marker: number, payload: number[]): number[] {
  const len = payload.length + 2;
  return [0xff, marker, len >> 8, len & 0xff, ...payload];
}

/**
 * A valid baseline greyscale JPEG of W×H, uniformly mid-grey: every 8×8 block is "DC difference 0,
 * end of block", which one-code Huffman tables encode in two zero bits.
 */
export function encodeJpeg(width: number, height: number): Buffer {
  const oneCodeTable = (tc: number) => [tc, 1, ...new Array<number>(15).fill(0), 0];
  const head = [
    0xff,
    0xd8,
    ...segment(0xdb, [0, ...new Array<number>(64).fill(1)]),
    ...segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]),
    ...segment(0xc4, oneCodeTable(0x00)),
    ...segment(0xc4, oneCodeTable(0x10)),
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]),
  ];
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const bits = blocks * 2;
  const scan = Buffer.alloc(Math.ceil(bits / 8));
  const rest = bits % 8;
  if (rest) scan[scan.length - 1] = (1 << (8 - rest)) - 1; // pad the last byte with 1 bits
  return Buffer.concat([Buffer.from(head), scan, Buffer.from([0xff, 0xd9])]);
}
