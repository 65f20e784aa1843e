/**
 * Deterministic large bodies generated on the fly. Byte i of a body is
 * `block[i % 65536] ^ mix(floor(i / 65536))`, where the 64 KiB block comes from a seed (the path).
 * Content is therefore a pure function of (path, offset), which Range requests and resumed
 * downloads rely on, and a 2 GiB file never sits in memory: at most 256 precomputed 64 KiB
 * variants of the block are shared by all responses for that seed.
 */
import type { ServerResponse } from 'node:http';
import { waitDrain } from './http';

export const BLOCK = 65536;

export interface BodySource {
  seed: number;
  size: number;
  /** Bytes that replace the start of the body (e.g. a TIFF header). */
  prefix?: Buffer;
}

interface SeedCache {
  block: Buffer;
  variants: (Buffer | undefined)[];
}

const cache = new Map<number, SeedCache>();
const CACHE_SEEDS = 6;

function seedCache(seed: number): SeedCache {
  let entry = cache.get(seed);
  if (entry) {
    cache.delete(seed); // refresh LRU position
    cache.set(seed, entry);
    return entry;
  }
  const block = Buffer.alloc(BLOCK);
  let x = seed ^ 0x2545f491 || 1;
  for (let i = 0; i < BLOCK; i += 4) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeInt32LE(x | 0, i);
  }
  entry = { block, variants: new Array(256) };
  cache.set(seed, entry);
  if (cache.size > CACHE_SEEDS) cache.delete(cache.keys().next().value as number);
  return entry;
}

/** The byte every 64 KiB chunk k is XORed with: a hash, so shifted content never lines up. */
export function mix(k: number): number {
  const lo = k >>> 0;
  const hi = Math.floor(k / 4294967296) >>> 0;
  let h = Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ hi, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0xff;
}

function variant(seed: number, v: number): Buffer {
  const entry = seedCache(seed);
  let buf = entry.variants[v];
  if (!buf) {
    buf = Buffer.alloc(BLOCK);
    const src = new Uint32Array(entry.block.buffer, entry.block.byteOffset, BLOCK / 4);
    const dst = new Uint32Array(buf.buffer, buf.byteOffset, BLOCK / 4);
    const m = Math.imul(v, 0x01010101);
    for (let i = 0; i < dst.length; i++) dst[i] = src[i] ^ m;
    entry.variants[v] = buf;
  }
  return buf;
}

/** One piece of the body starting at `pos`, at most up to the next 64 KiB boundary and `end`. */
function piece(src: BodySource, pos: number, end: number): Buffer {
  const k = Math.floor(pos / BLOCK);
  const off = pos - k * BLOCK;
  const n = Math.min(BLOCK - off, end - pos);
  let out = variant(src.seed, mix(k)).subarray(off, off + n);
  if (src.prefix && pos < src.prefix.length) {
    out = Buffer.from(out);
    src.prefix.copy(out, 0, pos, Math.min(src.prefix.length, pos + n));
  }
  return out;
}

/** Bytes [start, end) of a body, in memory: for tests and small bodies only. */
export function bodyBytes(src: BodySource, start = 0, end = src.size): Buffer {
  const parts: Buffer[] = [];
  for (let pos = start; pos < end;) {
    const p = piece(src, pos, end);
    parts.push(p);
    pos += p.length;
  }
  return Buffer.concat(parts);
}

/** Streams bytes [start, end) with backpressure, then ends the response; stops if the client goes away. */
export async function streamBody(res: ServerResponse, src: BodySource, start: number, end: number): Promise<void> {
  let pos = start;
  while (pos < end) {
    if (res.destroyed || res.writableEnded) return;
    const p = piece(src, pos, end);
    pos += p.length;
    if (!res.write(p) && !(await waitDrain(res))) return;
  }
  res.end();
}
