/**
 * Minimal but valid image encoders for Process API answers: uncompressed RGB (Geo)TIFF, PNG
 * (zlib from Node) and a tiny baseline JPEG. Pixel content is a pure function of a seed.
 */
import { crc32, deflate } from 'node:zlib';
import { promisify } from 'node:util';
import { geoTiffTags, ifdByteLength, LONG, SHORT, writeHeader, writeIfd, type GeoInfo, type TiffTag } from './tiff';

const deflateAsync = promisify(deflate);

export type { GeoInfo } from './tiff';

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

/** Uncompressed little-endian RGB TIFF in one strip; with `geo`, GeoTIFF tags for the bbox and EPSG code. */
export function encodeTiff(width: number, height: number, pixels: Buffer, geo?: GeoInfo): Buffer {
  const strip: TiffTag = { tag: 273, type: LONG, values: [0] }; // offset, set below
  const tags: TiffTag[] = [
    { tag: 256, type: LONG, values: [width] },
    { tag: 257, type: LONG, values: [height] },
    { tag: 258, type: SHORT, values: [8, 8, 8] },
    { tag: 259, type: SHORT, values: [1] },
    { tag: 262, type: SHORT, values: [2] },
    strip,
    { tag: 277, type: SHORT, values: [3] },
    { tag: 278, type: LONG, values: [height] },
    { tag: 279, type: LONG, values: [pixels.length] },
    { tag: 284, type: SHORT, values: [1] },
    ...(geo ? geoTiffTags(geo, width, height) : []),
  ];
  const pixelOffset = 8 + ifdByteLength(tags);
  strip.values = [pixelOffset];
  const out = Buffer.alloc(pixelOffset + pixels.length);
  writeHeader(out, 8);
  writeIfd(out, 8, tags, 0);
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
