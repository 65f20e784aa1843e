/**
 * Counts the bytes of a body on its way to disk, passing every chunk on as it arrived.
 *
 * Why a stream and not `for await`: a Readable's async iterator calls `read()`, which joins all
 * buffered chunks into one new buffer (a megabyte at a time while the disk holds the body back).
 * The joined copy doubles the memory each chunk costs and hides the original socket buffers from
 * `releaseChunk` (see file-sink.ts), so they wait for the garbage collector. Piped in flowing mode,
 * each chunk reaches the file as the very buffer the socket filled.
 */
import { Transform } from 'node:stream';

/** A pass-through that calls `onBytes(total)` after each chunk, `total` starting at `start`. */
export function byteCounter(start: number, onBytes: (total: number) => void): Transform {
  let total = start;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      onBytes(total);
      done(null, chunk);
    },
  });
}
