/**
 * Downloading a file to disk under the same auth, redirect and retry policy as every request:
 * streamed with backpressure into `<file>.part`, renamed only once the size on disk equals the
 * announced size, resumed with `Range` + `If-Range` after a cut, and skipped when unchanged.
 */
import { rename, rm } from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import type { BackoffPolicy } from '../http/backoff';
import { EoError, safeUrl } from '../errors';
import { explainFileErrors } from './file-errors';
import { READ_AHEAD_BYTES } from './file-sink';
import { metaPathOf, partPathOf, readMeta, sizeOf, syncToDisk, withTargetLock, writeMeta, type DownloadMeta } from './download-state';
import { resolveRequestUrl } from '../http/origin-policy';
import { throttledProgress, type DownloadProgress } from './progress';
import type { Connection } from '../config/connection';
import { normaliseHeaders, type OutgoingHeaders } from '../http/request-headers';
import { sendAuthorized, type AttemptInfo, type SendResult } from '../http/send-authorized';
import { receiveIntoPart, type ReceiveContext, type Received } from './receive-into-part';
import { assertNotSymlink, prepareTargetFolder, resolveInside } from './safe-path';
import type { TokenProvider } from '../auth/token-provider';

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
  await assertNotSymlink(metaPathOf(target), filename);
  return withTargetLock(target, async () => {
    const job: DownloadJob = {
      options,
      url,
      target,
      part,
      metaUrl: safeUrl(url),
      headers: callerHeaders(options.headers),
      progress: throttledProgress(options.onProgress),
    };
    try {
      return await downloadWithResumes(job);
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

/** What one download works with, the same for all its requests. */
interface DownloadJob {
  options: DownloadOptions;
  url: URL;
  target: string;
  part: string;
  /** The URL as the sidecar records it: origin and path. */
  metaUrl: string;
  /** The caller's headers, without the ones the download manages. */
  headers: OutgoingHeaders;
  progress: ReturnType<typeof throttledProgress>;
}

/** Ranges and conditions are the download's bookkeeping: a caller's own would corrupt the .part file. */
const DOWNLOAD_MANAGED_HEADERS = ['range', 'if-range', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since'];

function callerHeaders(input: DownloadOptions['headers']): OutgoingHeaders {
  const headers = normaliseHeaders(input);
  for (const name of DOWNLOAD_MANAGED_HEADERS) delete headers[name];
  return headers;
}

/** Where the `.part` file stands between two requests. */
interface PartState {
  /** Bytes the next request continues after; 0 starts the file over. */
  offset: number;
  /** The version the `.part` file holds, sent as If-Range with a resume. */
  validator?: string;
  /** The full size, as the last response announced it. */
  expected?: number;
}

/** A conditional GET for a finished file: 304 (or the same ETag) means it is still current. */
interface SkipProbe {
  /** If-None-Match or If-Modified-Since; none when the sidecar holds no validator. */
  conditions?: Record<string, string>;
  existing: NonNullable<ReceiveContext['existing']>;
}

/**
 * Where the first request starts from what the last run left on disk: a skip probe for a finished
 * file its sidecar still describes, a resume of a `.part` file, or the whole file.
 */
function startingPoint(
  job: DownloadJob,
  meta: DownloadMeta | undefined,
  finalSize: number | undefined,
  partSize: number,
): { probe?: SkipProbe; state: PartState } {
  const sameSource = meta !== undefined && meta.url === job.metaUrl;
  const unchangedOnDisk = sameSource && meta.complete && finalSize !== undefined && meta.size === finalSize;
  if ((job.options.overwrite ?? 'if-changed') === 'if-changed' && unchangedOnDisk) {
    let conditions: SkipProbe['conditions'];
    if (meta.etag) conditions = { 'if-none-match': meta.etag };
    else if (meta.lastModified) conditions = { 'if-modified-since': meta.lastModified };
    return { probe: { conditions, existing: { etag: meta.etag, size: finalSize } }, state: { offset: 0 } };
  }
  // A .part from an earlier run is continued only when its validator is known, so If-Range
  // makes the server send the whole new file if it changed meanwhile.
  if (sameSource && !meta.complete && partSize > 0 && (meta.etag || meta.lastModified)) {
    return { state: { offset: partSize, validator: meta.etag ?? meta.lastModified } };
  }
  return { state: { offset: 0 } };
}

/**
 * Requests the file until the `.part` file holds all of it (resuming after cuts and short
 * bodies, at most `maxResumes` times), then moves it to its final name.
 */
async function downloadWithResumes(job: DownloadJob): Promise<DownloadResult> {
  const { options, target, part } = job;
  const maxResumes = options.maxResumes ?? 5;
  const meta = await readMeta(target);
  const finalSize = await sizeOf(target);
  let { probe, state } = startingPoint(job, meta, finalSize, (await sizeOf(part)) ?? 0);
  let version: Version = { etag: meta?.etag, lastModified: meta?.lastModified };
  let attempts = 0;
  let resumed = 0;

  for (let rounds = 1; ; rounds++) {
    if (state.offset > 0) resumed += 1;
    const sent = await requestRound(job, state, probe, meta?.size);
    attempts += sent.attempts;
    probe = undefined;
    const got = sent.value;
    if (got.kind === 'unchanged') {
      return { path: target, bytes: finalSize ?? 0, skipped: true, resumed: 0, etag: version.etag, statusCode: sent.statusCode, attempts };
    }
    const outcome = got.kind === 'body' ? { ...got, partSize: (await sizeOf(part)) ?? 0 } : got;
    if (outcome.kind === 'body') version = newerVersion(version, outcome);
    const next = afterRound(outcome, state);
    state = next.state;
    if (next.complete) {
      const bytes = await moveToFinalName(job, version, state.expected);
      return { path: target, bytes, skipped: false, resumed, etag: version.etag, statusCode: sent.statusCode, attempts };
    }
    if (rounds > maxResumes) throw await incompleteError(job, maxResumes, state.expected);
  }
}

/** One request of the download (its redirect hops and retries included): a skip probe, a resume from `state.offset`, or the whole file. */
function requestRound(
  job: DownloadJob,
  state: PartState,
  probe: SkipProbe | undefined,
  sizeOnRecord: number | undefined,
): Promise<SendResult<Received>> {
  const { options } = job;
  const resuming = state.offset > 0;
  const headers: OutgoingHeaders = { ...job.headers };
  if (resuming) {
    headers.range = `bytes=${state.offset}-`;
    if (state.validator) headers['if-range'] = state.validator;
  } else if (probe?.conditions) {
    Object.assign(headers, probe.conditions);
  }
  const ctx: ReceiveContext = {
    offset: state.offset,
    validator: resuming ? state.validator : undefined,
    expectedTotal: resuming ? (state.expected ?? sizeOnRecord) : undefined,
    part: job.part,
    existing: resuming ? undefined : probe?.existing,
    signal: options.signal,
    progress: job.progress,
    metaUrl: job.metaUrl,
    onHeaders: (m) => writeMeta(job.target, m),
  };
  return sendAuthorized(
    {
      connection: options.connection,
      tokens: options.tokens,
      method: 'GET',
      url: job.url.href,
      headers,
      signal: options.signal,
      dispatcher: options.dispatcher,
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries,
      maxRedirects: options.maxRedirects,
      minTokenValidityMs: options.minTokenValidityMs,
      onAttempt: options.onAttempt,
      backoff: options.backoff,
      bodyHighWaterMark: READ_AHEAD_BYTES,
    },
    {
      acceptStatus: (s) => s === 200 || s === 206 || (s === 304 && probe?.conditions !== undefined) || (s === 416 && resuming),
      handle: (res) => receiveIntoPart(res, ctx),
    },
  );
}

/** The validators of the newest version seen: what the sidecar of the finished file records. */
interface Version {
  etag?: string;
  lastModified?: string;
}

function newerVersion(seen: Version, got: Version): Version {
  return { etag: got.etag ?? seen.etag, lastModified: got.lastModified ?? seen.lastModified };
}

/** A round's outcome other than a skip; a body comes with the size of the `.part` file after it. */
type RoundOutcome = Exclude<Received, { kind: 'unchanged' | 'body' }> | (Extract<Received, { kind: 'body' }> & { partSize: number });

/**
 * The resume decision: whether the `.part` file is complete after a round, and where the next
 * round continues from.
 */
function afterRound(got: RoundOutcome, state: PartState): { complete: boolean; state: PartState } {
  if (got.kind === 'unsatisfiable' && got.total !== undefined && got.total === state.offset) {
    // The .part already held everything: the server has nothing after its last byte.
    return { complete: true, state: { ...state, expected: got.total } };
  }
  if (got.kind === 'body') {
    const expected = got.total;
    const complete = expected === undefined ? got.clean : got.partSize === expected;
    const version = got.etag ?? got.lastModified ?? state.validator;
    // Without a validator, If-Range cannot guard the continuation: the next round starts over.
    if (!complete && (expected === undefined || got.partSize < expected) && version !== undefined) {
      return { complete, state: { offset: got.partSize, validator: version, expected } };
    }
    return { complete, state: { offset: 0, expected } };
  }
  // A 206 at the wrong offset, or a 416 for a file that changed size: start over.
  return { complete: false, state: { offset: 0, expected: state.expected } };
}

/**
 * The `.part` file holds the whole body: puts it on disk, moves it to its final name and records
 * it in the sidecar as complete. Returns its size.
 */
async function moveToFinalName(job: DownloadJob, version: Version, expected: number | undefined): Promise<number> {
  const size = (await sizeOf(job.part)) ?? 0;
  await syncToDisk(job.part);
  await rename(job.part, job.target);
  await writeMeta(job.target, { url: job.metaUrl, etag: version.etag, lastModified: version.lastModified, size, complete: true });
  job.progress.update(size, expected ?? size);
  job.progress.flush();
  return size;
}

async function incompleteError(job: DownloadJob, maxResumes: number, expected: number | undefined): Promise<EoError> {
  const have = (await sizeOf(job.part)) ?? 0;
  return new EoError(
    'EO_DOWNLOAD_INCOMPLETE',
    `The download of ${job.metaUrl} stopped at ${have} of ${expected ?? 'an unknown number of'} bytes after ${maxResumes} resume${maxResumes === 1 ? '' : 's'}; the file was not created.`,
    {
      url: job.metaUrl,
      hint:
        job.options.keepPartial === false
          ? 'Nothing partial was kept: running again downloads the file from the start.'
          : `The partial data is kept in ${job.part.split(/[\\/]/).pop()} and the next run continues from it.`,
    },
  );
}
