/**
 * Response bodies the caller does not want as they are: thrown away so the connection can be
 * reused, or read only up to a limit (error and token responses).
 */
import type { Readable } from 'node:stream';

/**
 * Throws a response body away. A small remainder is read so the socket can be reused; a large
 * one is cut off. Errors are ignored: nobody is waiting for this body.
 */
export async function discardBody(body: Readable & { dump?: (o: { limit: number }) => Promise<unknown> }): Promise<void> {
  body.on('error', () => undefined);
  try {
    if (body.dump) await body.dump({ limit: 128 * 1024 });
    else body.destroy();
  } catch {
    // Already failed or destroyed: nothing left to free.
  }
}

/** What {@link readCapped} read of a body. */
export interface CappedBody {
  /** At most `limit` bytes from the start of the body. */
  bytes: Buffer;
  /** The body was longer than `limit`: the rest was never downloaded. */
  truncated: boolean;
  /** Set when the body broke off: `bytes` holds what arrived before. */
  broken?: { error: unknown };
}

/**
 * Reads the start of a body, up to `limit` bytes, and lets go of the connection: error and token
 * responses are small, and a large body is not worth reading whole. Never rejects; a body that
 * breaks off comes back as far as it came, with the error beside it.
 */
export async function readCapped(body: Readable, limit: number): Promise<CappedBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  let broken: CappedBody['broken'];
  try {
    for await (const chunk of body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      chunks.push(buf);
      size += buf.length;
      if (size > limit) {
        truncated = true;
        break;
      }
    }
  } catch (error) {
    broken = { error };
  } finally {
    // Leaving the loop early destroys the body; an error it raises later has nobody to tell.
    body.on('error', () => undefined);
    if (!body.destroyed) body.destroy();
  }
  const bytes = Buffer.concat(chunks);
  const capped = truncated ? bytes.subarray(0, limit) : bytes;
  return broken ? { bytes: capped, truncated, broken } : { bytes: capped, truncated };
}
