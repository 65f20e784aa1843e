/**
 * Downloading a file to disk under the same auth, redirect and retry policy as every request:
 * streamed with backpressure into `<file>.part`, renamed only once the size on disk equals the
 * announced size, resumed with `Range` + `If-Range` after a cut, and skipped when unchanged.
 * Every request takes a connection from the account's cap (connection-cap.ts), which a 429 from
 * the server shrinks instead of failing the download; a large file also uses the cap's spare
 * connections for parallel ranges (segmented-download.ts).
 */
import { rename, rm, truncate } from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import type { BackoffPolicy } from '../http/backoff';
import { EoError, safeUrl } from '../errors';
import { explainFileErrors } from './file-errors';
import { rangeValidator, versionOf } from './file-version';
import { READ_AHEAD_BYTES } from './file-sink';
import { metaPathOf, partPathOf, readMeta, sizeOf, syncToDisk, withTargetLock, writeMeta, type DownloadMeta } from './download-state';
import { resolveRequestUrl } from '../http/origin-policy';
import { throttledProgress, type DownloadProgress } from './progress';
import type { Connection } from '../config/connection';
import { normaliseHeaders, type OutgoingHeaders } from '../http/request-headers';
import { sendAuthorized, type AttemptInfo, type SendHooks, type SendResult } from '../http/send-authorized';
import { receiveIntoPart, type ReceiveContext, type Received } from './receive-into-part';
import { assertNotSymlink, prepareTargetFolder, resolveInside } from './safe-path';
import type { TokenProvider } from '../auth/token-provider';
import { sharedConnectionCaps, type ConnectionCap, type ConnectionSlot } from '../http/connection-cap';
import { isRefusal, mayWaitOut, refusedTooOften } from '../http/refusal';
import { headerValue } from '../http/response-headers';
import { fileNameFromUrl } from './file-name';
import { SegmentPlan } from './segment-plan';
import { downloadSegments, type SegmentedResult } from './segmented-download';

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
   * Such a file is not flushed to disk ahead of the kernel either: it is read back at once.
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
  /**
   * Where the download takes its connections from. Default: the process's cap for this identity
   * (`sharedConnectionCaps`), so every download of one account in the process stays within it.
   */
  connectionCap?: ConnectionCap;
  /**
   * `true` (default): a large file whose server takes ranges is also fetched over the cap's spare
   * connections (those nobody else waits for), as parallel `Range` requests. `false`: one connection.
   */
  segments?: boolean;
  /** A connection that joins takes at least this many bytes. Default 8 MiB. */
  minSegmentBytes?: number;
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
  /** The most connections the download used at once (above 1 when ranges ran in parallel). */
  connections: number;
  /** Requests the server refused (429) and the download waited out. */
  refusals: number;
}

/** A large file is split over several connections only when each gets at least this much. */
const DEFAULT_MIN_SEGMENT_BYTES = 8 * 1024 * 1024;

function defaultFilename(url: URL): string {
  const name = fileNameFromUrl(url);
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
      cap: options.connectionCap ?? sharedConnectionCaps().capFor(options.connection),
      tally: { attempts: 0, resumed: 0, refusals: 0, connections: 1 },
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
  /** The account's connections: every request holds one. */
  cap: ConnectionCap;
  /** What the result reports, counted over every request. */
  tally: { attempts: number; resumed: number; refusals: number; connections: number };
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
  // makes the server send the whole new file if it changed meanwhile. One filled as ranges has
  // gaps: its size says nothing, and when its ranges cannot be continued it starts over.
  if (sameSource && !meta.complete && !meta.segments && partSize > 0 && (meta.etag || meta.lastModified)) {
    return { state: { offset: partSize, validator: meta.etag ?? meta.lastModified } };
  }
  return { state: { offset: 0 } };
}

/**
 * Requests the file until the `.part` file holds all of it (resuming after cuts and short
 * bodies, at most `maxResumes` times), then moves it to its final name. A `.part` filled over
 * several connections continues as such (see segmented-download.ts).
 */
async function downloadWithResumes(job: DownloadJob): Promise<DownloadResult> {
  const { options, target, part, tally } = job;
  const maxResumes = options.maxResumes ?? 5;
  const meta = await readMeta(target);
  const finalSize = await sizeOf(target);
  let version: Version = { etag: meta?.etag, lastModified: meta?.lastModified };
  const result = (bytes: number, statusCode: number, skipped = false): DownloadResult => ({
    path: target,
    bytes,
    skipped,
    resumed: skipped ? 0 : tally.resumed,
    etag: version.etag,
    statusCode,
    attempts: tally.attempts,
    connections: tally.connections,
    refusals: tally.refusals,
  });

  const partSize = (await sizeOf(part)) ?? 0;
  const ranges = savedRanges(job, meta, partSize);
  if (ranges) {
    tally.resumed += 1;
    const slot = await job.cap.acquire(options.signal);
    const run = await runRanges(job, { plan: ranges.plan, validator: ranges.validator, primary: slot });
    if (run.complete) return result(await moveToFinalName(job, version, ranges.plan.total), 206);
    if (!run.restart) throw await incompleteError(job, maxResumes, ranges.plan.total, run.bytes);
    // The file changed since: what the ranges hold is of another version.
    await rm(metaPathOf(target), { force: true });
  }

  let { probe, state } = ranges ? { probe: undefined, state: { offset: 0 } as PartState } : startingPoint(job, meta, finalSize, partSize);
  for (let rounds = 1; ; rounds++) {
    if (state.offset > 0) tally.resumed += 1;
    const sent = await onConnection(job, (slot) => requestRound(job, state, probe, meta?.size, slot));
    tally.attempts += sent.attempts;
    probe = undefined;
    const got = sent.value;
    if (got.kind === 'unchanged') return result(finalSize ?? 0, sent.statusCode, true);
    if (got.kind === 'segmented') {
      version = newerVersion(version, got);
      if (got.run.complete) return result(await moveToFinalName(job, version, got.total), sent.statusCode);
      if (!got.run.restart) throw await incompleteError(job, maxResumes, got.total, got.run.bytes);
      state = { offset: 0, expected: state.expected };
    } else {
      const outcome = got.kind === 'body' ? { ...got, partSize: (await sizeOf(part)) ?? 0 } : got;
      if (outcome.kind === 'body') version = newerVersion(version, outcome);
      const next = afterRound(outcome, state);
      state = next.state;
      if (next.complete) return result(await moveToFinalName(job, version, state.expected), sent.statusCode);
    }
    if (rounds > maxResumes) throw await incompleteError(job, maxResumes, state.expected);
  }
}

/**
 * Runs one request on a connection of the account's cap. A refusal (429) gives the connection
 * back (the cap shrinks, and pauses for the server's Retry-After), then the request waits in
 * front of the others and is sent again; after too many, the download fails with EO_RATE_LIMITED.
 */
async function onConnection<T>(job: DownloadJob, send: (slot: ConnectionSlot) => Promise<T>): Promise<T> {
  const { options, tally } = job;
  for (let refusals = 0; ;) {
    const slot = await job.cap.acquire(options.signal, refusals > 0 ? 'resume' : 'normal');
    try {
      const value = await send(slot);
      slot.release(true);
      return value;
    } catch (err) {
      if (!isRefusal(err, options.connection)) {
        slot.release(false);
        throw err;
      }
      slot.refused(err.retryAfterMs);
      refusals += 1;
      tally.refusals += 1;
      tally.attempts += 1;
      if (!mayWaitOut(err, refusals)) throw refusedTooOften(err, refusals);
    }
  }
}

/** The ranges a sidecar recorded for the `.part`, when they still describe it and can be continued. */
function savedRanges(
  job: DownloadJob,
  meta: DownloadMeta | undefined,
  partSize: number,
): { plan: SegmentPlan; validator: string } | undefined {
  if (!meta?.segments || meta.complete || meta.url !== job.metaUrl || meta.size === undefined) return undefined;
  const validator = rangeValidator(meta.etag, meta.lastModified);
  if (!validator) return undefined;
  const plan = SegmentPlan.restore(meta.size, meta.segments);
  // A .part shorter than the ranges' last byte on disk is not the one they describe.
  const reach = Math.max(...meta.segments.map((r) => (r.done > 0 ? r.start + r.done : 0)));
  return plan && partSize >= reach ? { plan, validator } : undefined;
}

/** Runs the ranges of `plan` over the account's connections (the first one, `primary`, already held). */
function runRanges(
  job: DownloadJob,
  how: { plan: SegmentPlan; validator: string; primary: ConnectionSlot; first?: Parameters<typeof downloadSegments>[0]['first'] },
): Promise<SegmentedResult> {
  const { options, tally } = job;
  const version = versionOf(how.validator);
  return downloadSegments({
    connection: options.connection,
    plan: how.plan,
    part: job.part,
    validator: how.validator,
    cap: job.cap,
    primary: how.primary,
    first: how.first,
    signal: options.signal,
    maxResumes: options.maxResumes ?? 5,
    minSegmentBytes: options.minSegmentBytes ?? DEFAULT_MIN_SEGMENT_BYTES,
    send: (headers, handle, signal) =>
      sendGet(job, headers, signal, { acceptStatus: (status) => status === 200 || status === 206, handle }),
    save: (plan) => writeMeta(job.target, { url: job.metaUrl, ...version, size: plan.total, complete: false, segments: plan.toJSON() }),
    onProgress: (bytes) => job.progress.update(bytes, how.plan.total),
    durable: options.keepPartial !== false,
  }).then((run) => {
    tally.attempts += run.attempts;
    tally.resumed += run.resumed;
    tally.connections = Math.max(tally.connections, run.connections);
    return run;
  });
}

/**
 * Takes a body over as the first of several ranges, when the file is large enough for two and
 * its server takes ranges under a strong validator. The ranges start from what the `.part`
 * already holds.
 */
function splitter(job: DownloadJob, slot: ConnectionSlot): ReceiveContext['split'] {
  const { options } = job;
  if (options.segments === false) return undefined;
  const minBytes = options.minSegmentBytes ?? DEFAULT_MIN_SEGMENT_BYTES;
  return (res, body) => {
    const validator = rangeValidator(body.etag, body.lastModified);
    const takesRanges = body.status === 206 || /\bbytes\b/i.test(headerValue(res.headers, 'accept-ranges') ?? '');
    if (body.total === undefined || !validator || !takesRanges || body.total - body.start < 2 * minBytes) return undefined;
    const total = body.total;
    const plan = SegmentPlan.whole(total, body.start);
    const segment = plan.claimFree()!;
    const first = { segment, res, fresh: body.start === 0 };
    return runRanges(job, { plan, validator, primary: slot, first }).then((run): Received => ({
      kind: 'segmented',
      status: body.status,
      total,
      etag: body.etag,
      lastModified: body.lastModified,
      run,
    }));
  };
}

/** One GET of the file under the request policy; a 429 comes back as an error for the connection cap to handle. */
function sendGet<T>(
  job: DownloadJob,
  headers: OutgoingHeaders,
  signal: AbortSignal | undefined,
  hooks: SendHooks<T>,
): Promise<SendResult<T>> {
  const { options } = job;
  return sendAuthorized(
    {
      connection: options.connection,
      tokens: options.tokens,
      method: 'GET',
      url: job.url.href,
      headers: { ...job.headers, ...headers },
      signal,
      dispatcher: options.dispatcher,
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries,
      maxRateLimitRetries: 0,
      maxRedirects: options.maxRedirects,
      minTokenValidityMs: options.minTokenValidityMs,
      onAttempt: options.onAttempt,
      backoff: options.backoff,
      bodyHighWaterMark: READ_AHEAD_BYTES,
    },
    hooks,
  );
}

/** One request of the download (its redirect hops and retries included): a skip probe, a resume from `state.offset`, or the whole file. */
function requestRound(
  job: DownloadJob,
  state: PartState,
  probe: SkipProbe | undefined,
  sizeOnRecord: number | undefined,
  slot: ConnectionSlot,
): Promise<SendResult<Received>> {
  const { options } = job;
  const resuming = state.offset > 0;
  const headers: OutgoingHeaders = {};
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
    split: splitter(job, slot),
    durable: options.keepPartial !== false,
  };
  return sendGet(job, headers, options.signal, {
    acceptStatus: (s) => s === 200 || s === 206 || (s === 304 && probe?.conditions !== undefined) || (s === 416 && resuming),
    handle: (res) => receiveIntoPart(res, ctx),
  });
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
  let size = (await sizeOf(job.part)) ?? 0;
  // Ranges are written at their offsets, into a .part that may be longer than the file (a larger
  // leftover of the same name): the file ends where the server said it does.
  if (expected !== undefined && size > expected) {
    await truncate(job.part, expected);
    size = expected;
  }
  // A file whose folder does not outlive the call is read back at once: making it crash-proof only costs disk time.
  if (job.options.keepPartial !== false) await syncToDisk(job.part);
  await rename(job.part, job.target);
  await writeMeta(job.target, { url: job.metaUrl, etag: version.etag, lastModified: version.lastModified, size, complete: true });
  job.progress.update(size, expected ?? size);
  job.progress.flush();
  return size;
}

async function incompleteError(job: DownloadJob, maxResumes: number, expected: number | undefined, onDisk?: number): Promise<EoError> {
  const have = onDisk ?? (await sizeOf(job.part)) ?? 0;
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
