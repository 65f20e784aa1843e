/**
 * One response of a download, received into the `.part` file: whether it continues the part on
 * disk, starts it over or says the file is unchanged, and its body streamed to disk so that the
 * bytes that arrived stay there even when the connection is cut.
 */
import { pipeline } from 'node:stream/promises';
import { byteCounter } from './byte-counter';
import type { DownloadMeta } from './download-state';
import { createFileSink, READ_AHEAD_BYTES } from './file-sink';
import type { throttledProgress } from './progress';
import { discardBody } from '../http/response-body';
import { headerValue } from '../http/response-headers';
import { answersVersion, contentRangeOf } from './file-version';
import type { PolicyResponse } from '../http/send-authorized';
import type { SegmentedResult } from './segmented-download';

/** What one response did to the `.part` file. */
export type Received =
  | { kind: 'unchanged'; status: number }
  | { kind: 'unsatisfiable'; total?: number }
  | { kind: 'restart' }
  | { kind: 'body'; status: number; total?: number; etag?: string; lastModified?: string; clean: boolean }
  /** Taken over as the first of several parallel ranges (segmented-download.ts). */
  | { kind: 'segmented'; status: number; total: number; etag?: string; lastModified?: string; run: SegmentedResult };

/** What receiving one response needs to know about the download it belongs to. */
export interface ReceiveContext {
  offset: number;
  /** Sent as If-Range with a resume: the version the `.part` file holds. */
  validator?: string;
  /** The full size the `.part` file belongs to, when known. */
  expectedTotal?: number;
  part: string;
  /** Set on a skip probe: what the finished file on disk looks like. */
  existing?: { etag?: string; size: number };
  signal?: AbortSignal;
  progress: ReturnType<typeof throttledProgress>;
  onHeaders: (meta: DownloadMeta) => Promise<void>;
  metaUrl: string;
  /** `false` for a temporary file: nothing is flushed to disk early (see `FileSinkOptions.durable`). */
  durable?: boolean;
  /**
   * Offered every body before it is streamed: takes it over as the first of several parallel
   * ranges when the file is large and the server takes ranges, else undefined.
   */
  split?: (res: PolicyResponse, body: BodyFacts) => Promise<Received> | undefined;
}

/** What a body's headers say, for the decision to split it. */
export interface BodyFacts {
  status: number;
  /** The offset its first byte goes to. */
  start: number;
  total?: number;
  etag?: string;
  lastModified?: string;
}

/**
 * Whether a 206 continues the version in the `.part` file. A server (or a cache in between)
 * that ignores If-Range answers 206 for a changed file too; appending it would splice two versions.
 */
function continuesPart(
  ctx: ReceiveContext,
  etag: string | undefined,
  lastModified: string | undefined,
  total: number | undefined,
): boolean {
  if (ctx.expectedTotal !== undefined && total !== undefined && total !== ctx.expectedTotal) return false;
  const validator = ctx.validator;
  if (validator === undefined) return false;
  return answersVersion(validator, { etag, 'last-modified': lastModified }, true);
}

/**
 * Receives one accepted response into `ctx.part`: a 304 or a matching validator as unchanged, a
 * 416 as nothing left to send, a 206 that does not continue the part as a restart, and any other
 * body appended at its offset (or written from the start).
 */
export async function receiveIntoPart(res: PolicyResponse, ctx: ReceiveContext): Promise<Received> {
  // Listen before any await: a short body can fail while the sidecar is being written.
  let sourceError: unknown;
  res.body.on('error', (err: unknown) => {
    sourceError ??= err;
  });
  const status = res.statusCode;
  const etag = headerValue(res.headers, 'etag');
  const lastModified = headerValue(res.headers, 'last-modified');
  const range = contentRangeOf(res.headers);
  if (status === 304 || status === 416) {
    await discardBody(res.body);
    return status === 304 ? { kind: 'unchanged', status } : { kind: 'unsatisfiable', total: range?.total };
  }
  let start = 0;
  let total: number | undefined;
  if (status === 206) {
    if (!range || range.start !== ctx.offset || (ctx.offset > 0 && !continuesPart(ctx, etag, lastModified, range.total))) {
      res.body.destroy();
      return { kind: 'restart' };
    }
    start = ctx.offset;
    total = range.total;
  } else {
    const length = Number(headerValue(res.headers, 'content-length'));
    total = Number.isFinite(length) && headerValue(res.headers, 'content-length') !== undefined ? length : undefined;
  }
  // A server that ignores If-None-Match still shows the same validator and size: stop before the body.
  if (status === 200 && ctx.existing && etag !== undefined && etag === ctx.existing.etag && total === ctx.existing.size) {
    res.body.destroy();
    return { kind: 'unchanged', status };
  }
  const split = ctx.split?.(res, { status, start, total, etag, lastModified });
  if (split) return split;
  ctx.progress.update(start, total);
  const counter = byteCounter(start, (bytes) => ctx.progress.update(bytes, total));
  // The body is piped, not passed to pipeline: pipeline would destroy the file stream on a source
  // error and lose bytes still queued for disk, and those are what resume needs. A body that
  // closes without its end (cut connection, destroyed) ends the counter, so the queue drains.
  res.body.once('close', () => {
    if (!res.body.readableEnded && !counter.destroyed) counter.end();
  });
  res.body.pipe(counter);
  // Reading starts before the sidecar is written: undici drops buffered bytes when the
  // connection ends early, and a short body must still leave its bytes in the .part file.
  // Disk errors (ENOSPC, EACCES) and aborts propagate; a cut connection is what resume is for.
  const writing = pipeline(
    counter,
    createFileSink(ctx.part, { flags: start === 0 ? 'w' : 'a', highWaterMark: READ_AHEAD_BYTES, durable: ctx.durable }),
    {
      signal: ctx.signal,
    },
  );
  // Marked as handled now: it may fail (abort) while the sidecar is still being written. When
  // the file side fails, the body is no longer read and must let go of its connection.
  writing.catch(() => res.body.destroy());
  if (start === 0) {
    try {
      await ctx.onHeaders({ url: ctx.metaUrl, etag, lastModified, size: total, complete: false });
    } catch (err) {
      res.body.destroy();
      await writing.catch(() => undefined);
      throw err;
    }
  }
  await writing;
  const clean = sourceError === undefined;
  return { kind: 'body', status, total, etag, lastModified, clean };
}
