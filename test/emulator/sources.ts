/** The deterministic body behind a download path, for tests that check bytes they received. */
import type { BodySource } from './bodies';
import { fnv1a } from './http';

/** `/download/synthetic/<size>.bin` */
export function syntheticSource(size: number): BodySource {
  return { seed: fnv1a(`/download/synthetic/${size}.bin`), size };
}

/** A WorldCover tile path (as served, starting with /download/) and the configured tile size. */
export function worldCoverSource(path: string, size = 1024 * 1024): BodySource {
  // Little-endian TIFF signature first, so a quick magic-number check passes.
  return { seed: fnv1a(path), size, prefix: Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]) };
}
