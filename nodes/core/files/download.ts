/**
 * Downloading a file to disk under the same auth, redirect and retry policy as every request:
 * streamed with backpressure into `<file>.part`, renamed only once the size on disk equals the
 * announced size, resumed with `Range` + `If-Range` after a cut, and skipped when unchanged.
 */
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import type { BackoffPolicy } from '../http/backoff';
import { EoError, safeUrl } from '../errors';
import { byteCounter } from './byte-counter';
import { explainFileErrors } from './file-errors';
import { createFileSink } from './file-sink';
import { metaPathOf, partPathOf, readMeta, sizeOf, syncToDisk, withTargetLock, writeMeta, type DownloadMeta } from './download-state';
import { resolveRequestUrl } from '../http/origin-policy';
import { throttledProgress, type DownloadProgress } from './progress';
import type { Connection } from '../config/connection';
import { discardBody, headerValue, normaliseHeaders } from '../http/request-body';
import { sendAuthorized, type AttemptInfo, type PolicyResponse } from '../http/send-authorized';
import { assertNotSymlink, prepareTargetFolder, resolveInside } from './safe-path';
import type { TokenProvider } from '../auth/token-provider';

export type { DownloadProgress } from './progress';

/** Options of {@link downloadToFile}. */
export interface DownloadOptions {
  connection: Connection;
  tokens: TokenProvider;
  /** Relative to the connection's base URL, or absolute on an allowed origin. */
  url: string;
  /** The folder the file must stay in; created when missing. */
  directory: string;
  /** Relative to `directory` (subfolders are created). Default: the last path segment of the URL. */
  filename?: string;
  /** `if-changed` (default) skips a file whose stored ETag/Last-Modified and size still match. */
  overwrite?: 'always' | 'if-changed';
  headers?: Record<string, string | string[] | number | undefined>;
  signal?: AbortSignal;
  dispatcher?: Dispatcher;
  /** Waiting for headers, and the longest pause inside the body. Default 120 s. */
  timeoutMs?: number;
  /** Range requests after a cut or a short body, per call. Default 5. */
  maxResumes?: number;
  /**
   * `true` (default): a download that fails keeps its `.part` file and state, and the next run
   * continues from them. `false`: a failed download removes them, and its error says the next run
   * starts over; for callers whose folder does not outlive the call (a private temporary folder).
   */
  keepPartial?: boolean;
  /** Retries of each request after 5xx or a failed connection. Default 3. */
  maxRetries?: number;
  maxRedirects?: number;
  /** Each chunk's token must stay valid this long (the expected time to fetch it). */
  minTokenValidityMs?: number;
  /** At most every 250 ms, or on each full percent. */
  onProgress?: (p: DownloadProgress) => void;
  onAttempt?: (info: AttemptInfo) => void;
  backoff?: BackoffPolicy;
}

/** The outcome of {@link downloadToFile}. */
export interface DownloadResult {
  /** Absolute path of the final file. */
  path: string;
  /** Size of the file on disk. */
  bytes: number;
  /** True when the file was unchanged and no body was downloaded. */
  skipped: boolean;
  /** Requests sent with `Range` to continue a partial file. */
  resumed: number;
  etag?: string;
  /** Status of the last response (200, 206, or 304 for a skip). */
  statusCode: number;
  /** HTTP requests sent in all, redirect hops and retries included. */
  attempts: number;
}

/**
 * Read-ahead between the socket and the disk: a brief disk stall must not pause the connection
 * (see `bodyHighWaterMark`), while memory stays bounded whatever the file size.
 */
const BUFFER_BYTES = 1024 * 1024;

type Received =
  | { kind: 'unchanged'; status: number }
  | { kind: 'unsatisfiable'; total?: number }
  | { kind: 'restart' }
  | { kind: 'body'; status: number; total?: number; etag?: string; lastModified?: string; clean: boolean };

function parseContentRange(value: string | undefined): { start?: number; total?: number } | undefined {
  const m = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(value?.trim() ?? '');
  if (!m) return undefined;
  return { start: m[1] === undefined ? undefined : Number(m[1]), total: m[2] === '*' ? undefined : Number(m[2]) };
}

function defaultFilename(url: URL): string {
  const last = url.pathname.split('/').pop() ?? '';
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // Keep the raw segment: a malformed escape is still a usable name.
  }
  if (!name) {
    throw new EoError('EO_INVALID_CONFIG', `The URL ${safeUrl(url)} ends with "/", so it names no file: set a file name.`, {
      field: 'filename',
    });
  }
  return name;
}

interface ReceiveContext {
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
  if (/^(W\/)?"/.test(validator)) return etag === undefined || etag === validator;
  return lastModified === undefined || lastModified === validator;
}

async function receive(res: PolicyResponse, ctx: ReceiveContext): Promise<Received> {
  // Listen before any await: a short body can fail while the sidecar is being written.
  let sourceError: unknown;
  res.body.on('error', (err: unknown) => {
    sourceError ??= err;
  });
  const status = res.statusCode;
  const etag = headerValue(res.headers, 'etag');
  const lastModified = headerValue(res.headers, 'last-modified');
  const range = parseContentRange(headerValue(res.headers, 'content-range'));
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
  const writing = pipeline(counter, createFileSink(ctx.part, { flags: start === 0 ? 'w' : 'a', highWaterMark: BUFFER_BYTES }), {
    signal: ctx.signal,
  });
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

/**
 * Downloads `url` into `directory`, safely and resumably.
 *
 * @example
 * const r = await downloadToFile({ connection, tokens, directory: '/data/worldcover',
 *   url: tile.url, filename: tile.filename, onProgress: (p) => node.status(`${p.percent}%`) });
 * r.skipped; // true when the tile on disk is still current
 *
 * @throws EoError EO_PATH_NOT_ALLOWED, EO_DOWNLOAD_INCOMPLETE, EO_FILE_WRITE_FAILED, and every error of `eoRequest`.
 */
export function downloadToFile(options: DownloadOptions): Promise<DownloadResult> {
  return explainFileErrors(options.directory, () => download(options));
}

async function download(options: DownloadOptions): Promise<DownloadResult> {
  const url = resolveRequestUrl(options.connection, options.url);
  const filename = options.filename ?? defaultFilename(url);
  const target = resolveInside(options.directory, filename);
  await prepareTargetFolder(options.directory, target, filename);
  const part = partPathOf(target);
  await assertNotSymlink(part, filename);
  await assertNotSymlink(`${target}.meta.json`, filename);
  return withTargetLock(target, async () => {
    try {
      return await run(options, url, target, part);
    } catch (err) {
      // The failure is what the caller must see, not a second one while tidying up.
      if (options.keepPartial === false) await dropPartial(target, part).catch(() => undefined);
      throw err;
    }
  });
}

/**
 * Removes what a failed download left for a resume: the `.part` file and a sidecar that describes
 * it. A sidecar that still describes a complete file from an earlier run stays with that file.
 */
async function dropPartial(target: string, part: string): Promise<void> {
  await rm(part, { force: true });
  const meta = await readMeta(target);
  if (meta?.complete !== true) await rm(metaPathOf(target), { force: true });
}

async function run(options: DownloadOptions, url: URL, target: string, part: string): Promise<DownloadResult> {
  const metaUrl = safeUrl(url);
  const maxResumes = options.maxResumes ?? 5;
  const userHeaders = normaliseHeaders(options.headers);
  // Ranges and conditions are this function's bookkeeping: a caller's own would corrupt the .part file.
  for (const name of ['range', 'if-range', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since'])
    delete userHeaders[name];
  const progress = throttledProgress(options.onProgress);
  const meta = await readMeta(target);
  const finalSize = await sizeOf(target);
  const partSize = (await sizeOf(part)) ?? 0;

  // Skip probe: a conditional GET answers 304 (or the same ETag) without sending the body.
  let probe: Record<string, string> | undefined;
  let existing: ReceiveContext['existing'];
  if (
    (options.overwrite ?? 'if-changed') === 'if-changed' &&
    meta?.complete &&
    meta.url === metaUrl &&
    finalSize !== undefined &&
    meta.size === finalSize
  ) {
    if (meta.etag) probe = { 'if-none-match': meta.etag };
    else if (meta.lastModified) probe = { 'if-modified-since': meta.lastModified };
    existing = { etag: meta.etag, size: finalSize };
  }
  // A .part from an earlier run is continued only when its validator is known, so If-Range
  // makes the server send the whole new file if it changed meanwhile.
  let offset = 0;
  let validator: string | undefined;
  if (!probe && meta && !meta.complete && meta.url === metaUrl && partSize > 0 && (meta.etag || meta.lastModified)) {
    offset = partSize;
    validator = meta.etag ?? meta.lastModified;
  }

  let etag = meta?.etag;
  let lastModified = meta?.lastModified;
  let expected: number | undefined;
  let attempts = 0;
  let resumed = 0;
  let rounds = 0;
  let statusCode: number;

  for (;;) {
    const headers: Record<string, string | string[]> = { ...userHeaders };
    if (offset > 0) {
      headers.range = `bytes=${offset}-`;
      if (validator) headers['if-range'] = validator;
      resumed += 1;
    } else if (probe) {
      Object.assign(headers, probe);
    }
    const ctx: ReceiveContext = {
      offset,
      validator: offset > 0 ? validator : undefined,
      expectedTotal: offset > 0 ? (expected ?? meta?.size) : undefined,
      part,
      existing: offset === 0 ? existing : undefined,
      signal: options.signal,
      progress,
      metaUrl,
      onHeaders: (m) => writeMeta(target, m),
    };
    const sent = await sendAuthorized(
      {
        connection: options.connection,
        tokens: options.tokens,
        method: 'GET',
        url: url.href,
        headers,
        signal: options.signal,
        dispatcher: options.dispatcher,
        timeoutMs: options.timeoutMs,
        maxRetries: options.maxRetries,
        maxRedirects: options.maxRedirects,
        minTokenValidityMs: options.minTokenValidityMs,
        onAttempt: options.onAttempt,
        backoff: options.backoff,
        bodyHighWaterMark: BUFFER_BYTES,
      },
      {
        acceptStatus: (s) => s === 200 || s === 206 || (s === 304 && probe !== undefined) || (s === 416 && offset > 0),
        handle: (res) => receive(res, ctx),
      },
    );
    attempts += sent.attempts;
    statusCode = sent.statusCode;
    probe = undefined;
    existing = undefined;
    const got = sent.value;

    if (got.kind === 'unchanged') {
      return { path: target, bytes: finalSize ?? 0, skipped: true, resumed: 0, etag, statusCode, attempts };
    }
    let complete = false;
    if (got.kind === 'unsatisfiable' && got.total !== undefined && got.total === offset) {
      // The .part already held everything: the server has nothing after its last byte.
      expected = got.total;
      complete = true;
    } else if (got.kind === 'body') {
      expected = got.total;
      if (got.etag !== undefined) etag = got.etag;
      if (got.lastModified !== undefined) lastModified = got.lastModified;
      const size = (await sizeOf(part)) ?? 0;
      complete = expected === undefined ? got.clean : size === expected;
      const version = got.etag ?? got.lastModified ?? validator;
      // Without a validator, If-Range cannot guard the continuation: the next round starts over.
      if (!complete && (expected === undefined || size < expected) && version !== undefined) {
        offset = size;
        validator = version;
      } else {
        offset = 0;
        validator = undefined;
      }
    } else {
      // A 206 at the wrong offset, or a 416 for a file that changed size: start over.
      offset = 0;
      validator = undefined;
    }

    if (complete) {
      const size = (await sizeOf(part)) ?? 0;
      await syncToDisk(part);
      await rename(part, target);
      await writeMeta(target, { url: metaUrl, etag, lastModified, size, complete: true });
      progress.update(size, expected ?? size);
      progress.flush();
      return { path: target, bytes: size, skipped: false, resumed, etag, statusCode, attempts };
    }
    rounds += 1;
    if (rounds > maxResumes) {
      const have = (await sizeOf(part)) ?? 0;
      throw new EoError(
        'EO_DOWNLOAD_INCOMPLETE',
        `The download of ${metaUrl} stopped at ${have} of ${expected ?? 'an unknown number of'} bytes after ${maxResumes} resume${maxResumes === 1 ? '' : 's'}; the file was not created.`,
        {
          url: metaUrl,
          hint:
            options.keepPartial === false
              ? 'Nothing partial was kept: running again downloads the file from the start.'
              : `The partial data is kept in ${partPathOf(target).split(/[\\/]/).pop()} and the next run continues from it.`,
        },
      );
    }
  }
}
