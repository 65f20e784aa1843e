/**
 * The file end of a download: a write stream that hands each received chunk's memory back as soon
 * as the chunk is on disk, and puts the file on disk as it grows rather than all at the end.
 *
 * Why the first: every socket read arrives in its own freshly allocated buffer. Once written, such a buffer
 * is garbage, but the JavaScript heap barely grows while a body streams through, so V8 collects
 * rarely and frees those buffers only when their total passes its external-memory limit
 * (64 MiB). A long download therefore saw-tooths up to ~64 MiB of finished chunks above what it
 * really holds. Detaching a chunk's ArrayBuffer (`transfer(0)`) frees its memory at once, so
 * what stays is the read-ahead alone.
 */
import { createWriteStream, fdatasync, type WriteStream } from 'node:fs';

type Transferable = ArrayBuffer & { transfer?: (newLength?: number) => ArrayBuffer };

/**
 * Frees the memory behind `chunk` when `chunk` is the only view of its whole buffer (a socket read
 * that held nothing but body bytes). A chunk that shares its buffer with anything else (response
 * headers, the next read, a pooled allocation) is left to the garbage collector. Node 20 has no
 * `ArrayBuffer.prototype.transfer`: there, too, the collector does it.
 */
export function releaseChunk(chunk: unknown): void {
  if (!(chunk instanceof Uint8Array)) return;
  const buffer = chunk.buffer as Transferable;
  if (!(buffer instanceof ArrayBuffer) || typeof buffer.transfer !== 'function') return;
  if (chunk.byteOffset !== 0 || chunk.byteLength !== buffer.byteLength || buffer.byteLength === 0) return;
  buffer.transfer(0);
}

/**
 * Read-ahead between the socket and the disk, for the sink and for the response body feeding it:
 * a brief disk stall must not pause the connection (see `bodyHighWaterMark`), while memory stays
 * bounded whatever the file size.
 */
export const READ_AHEAD_BYTES = 1024 * 1024;

/** Options of {@link createFileSink}. */
export interface FileSinkOptions {
  /** `w` starts the file over, `a` continues it, `r+` writes into it from `start` (a segment). */
  flags: 'w' | 'a' | 'r+';
  highWaterMark: number;
  /** With `r+`: the byte offset the first chunk goes to. */
  start?: number;
  /** Called with each chunk's size once it is written (for a segment's progress record). */
  onWritten?: (bytes: number) => void;
  /**
   * `false`: no background flushes to disk. For a temporary file that is read back at once and
   * removed: making it survive a crash only costs disk time. Default true.
   */
  durable?: boolean;
}

/**
 * After this many written bytes the sink asks the kernel, in the background, to put them on disk
 * (`fdatasync`). Otherwise a large body sits in the page cache until the final sync before the
 * rename, which then writes all of it while the download waits (about 0.6 s per 2 GiB here, far
 * more on a busy disk); this way the disk works while the network does, and the final sync only
 * has the tail left (about 10 ms).
 */
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;

type Done = (error?: Error | null) => void;

/**
 * Opens `path` for a response body that streams to disk: an `fs.WriteStream` whose chunks are
 * released (see {@link releaseChunk}) once written. Only for chunks nobody reads after writing them.
 */
export function createFileSink(path: string, options: FileSinkOptions): WriteStream {
  const { onWritten, durable = true, ...streamOptions } = options;
  const out = createWriteStream(path, streamOptions);
  const write = out._write;
  const writev = out._writev;
  const destroy = out._destroy;
  let unflushed = 0;
  let flushing: Promise<void> | undefined;
  const written = (bytes: number): void => {
    unflushed += bytes;
    const fd = (out as unknown as { fd: number | null }).fd;
    if (!durable || unflushed < FLUSH_EVERY_BYTES || flushing || typeof fd !== 'number') return;
    unflushed = 0;
    // An error here is not lost: the final sync before the rename reports it.
    flushing = new Promise<void>((resolve) => fdatasync(fd, () => resolve())).then(() => {
      flushing = undefined;
    });
  };
  const onDisk = (chunk: unknown): void => {
    const bytes = chunk instanceof Uint8Array ? chunk.byteLength : 0;
    written(bytes);
    onWritten?.(bytes);
    releaseChunk(chunk);
  };
  // Node's own writes (partial writes retried, position kept) stay in charge; only their callback is wrapped.
  out._write = function (this: WriteStream, chunk: unknown, encoding: BufferEncoding, done: Done): void {
    write.call(this, chunk, encoding, (error?: Error | null) => {
      if (!error) onDisk(chunk);
      done(error);
    });
  };
  if (writev) {
    out._writev = function (this: WriteStream, chunks: Array<{ chunk: unknown; encoding: BufferEncoding }>, done: Done): void {
      writev.call(this, chunks, (error?: Error | null) => {
        if (!error) for (const { chunk } of chunks) onDisk(chunk);
        done(error);
      });
    };
  }
  // The descriptor stays open until a background flush is done with it.
  out._destroy = function (this: WriteStream, error: Error | null, done: Done): void {
    if (!flushing) return destroy.call(this, error, done);
    void flushing.then(() => destroy.call(this, error, done));
  };
  return out;
}
