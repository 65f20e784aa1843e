/**
 * The policy every authenticated call goes through: the token goes only to allowed origins,
 * redirects are followed by hand so the Authorization header never crosses an origin, a 401 is
 * replayed once with a fresh token, 429 waits as long as the provider asks, and 5xx or a dropped
 * connection is retried with backoff when repeating the call is safe. eo-request.ts and download.ts
 * both build on it, each with its own way of reading the body.
 *
 * The retry loop is ours, not undici's retry interceptor: that one reads a numeric Retry-After
 * as seconds (Sentinel Hub sends milliseconds), cannot fetch a new token between attempts, and
 * knows nothing of the read-only POST calls (Process, Catalog, Statistics) that are safe to repeat.
 */
import { request, type Dispatcher } from 'undici';
import { ERROR_BODY_LIMIT, httpStatusError, parseErrorBody } from './api-errors';
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter, sleep, type BackoffPolicy } from './backoff';
import { EoError, errorCode, isEoError, safeUrl } from '../errors';
import { defaultDispatcher } from './dispatcher';
import { baseOrigin, isAllowedOrigin, isRedirectStatus, redirectStep, resolveRequestUrl, type RedirectStep } from './origin-policy';
import { nextHop, startChain, type RedirectChain } from './redirect-chain';
import type { Connection } from '../config/connection';
import { prepareBody, type PreparedBody, type RequestBody } from './request-body';
import { normaliseHeaders, type OutgoingHeaders } from './request-headers';
import { discardBody, readCapped } from './response-body';
import { headerValue, plainHeaders } from './response-headers';
import { isIdempotentMethod, isNetworkError, isReadOnlyApiCall, isTimeoutError } from './retry-policy';
import { decideOnStatus, type RepeatCounts, type RepeatLimits } from './status-decision';
import type { AccessToken, TokenProvider } from '../auth/token-provider';

/** Why an HTTP request is being sent, for status displays and logs. */
export type AttemptReason = 'initial' | 'redirect' | 'retry' | 'rate-limit' | 'auth-replay';

/** What `onAttempt` receives before each HTTP request. */
export interface AttemptInfo {
  /** 1 for the first HTTP request of this call; redirect hops and retries count up. */
  attempt: number;
  reason: AttemptReason;
  method: string;
  /** Origin and path only. */
  url: string;
  /** Whether this request carries the bearer token. */
  authorized: boolean;
  /** How long the loop waited before this request. */
  delayMs: number;
}

/** One authenticated call: what to send and how hard to try. */
export interface SendOptions {
  connection: Connection;
  tokens: TokenProvider;
  /** Default GET. */
  method?: string;
  /** Relative to `connection.baseUrl`, or absolute on one of `connection.allowedOrigins`. */
  url: string;
  headers?: Record<string, string | string[] | number | undefined>;
  /** Objects are sent as JSON; a Readable is streamed once and never replayed. */
  body?: RequestBody;
  /** Added to the URL's query string. */
  query?: Record<string, string | number | boolean | null | undefined | (string | number)[]>;
  /** Applies to waiting for the response headers and to each gap in the body. Default 120 s. */
  timeoutMs?: number;
  /** Retries after 5xx or a connection failure, for calls that are safe to repeat. Default 3. */
  maxRetries?: number;
  /** Waits after 429 before giving up with EO_RATE_LIMITED. Default 5. */
  maxRateLimitRetries?: number;
  /**
   * Longest single wait after a 429 or a 503 with Retry-After. Default 60 s. A 429 that asks for
   * longer fails at once with EO_RATE_LIMITED and `retryAfterMs`.
   */
  maxRetryAfterMs?: number;
  /**
   * The call only reads, so 5xx and connection failures may be retried even for POST. Default:
   * idempotent methods, and Sentinel Hub Process, Catalog and Statistics POSTs (`isReadOnlyApiCall`).
   */
  readOnly?: boolean;
  signal?: AbortSignal;
  dispatcher?: Dispatcher;
  /** Default 5. */
  maxRedirects?: number;
  /** The token must stay valid this long (e.g. the expected duration of a download chunk). */
  minTokenValidityMs?: number;
  backoff?: BackoffPolicy;
  /**
   * Bytes undici may hold for a slow reader before it pauses the connection. Downloads raise it:
   * undici 7 throws an uncatchable assertion when a paused connection is closed by the server
   * (nodejs/undici#5360), so a reader should rarely let it pause.
   */
  bodyHighWaterMark?: number;
  /** Called before every HTTP request is sent. */
  onAttempt?: (info: AttemptInfo) => void;
}

/** A response that passed the policy, its body not yet read. */
export interface PolicyResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Dispatcher.ResponseData['body'];
  /** The URL that answered, after redirects. */
  url: URL;
}

/** What `sendAuthorized` returns: the value `handle` produced, and how it was obtained. */
export interface SendResult<T> {
  value: T;
  statusCode: number;
  headers: Record<string, string | string[]>;
  url: URL;
  /** HTTP requests sent, redirect hops and retries included. */
  attempts: number;
  /** Tokens thrown away after a 401 and fetched again. */
  tokenRefreshes: number;
}

/** How `sendAuthorized` hands over the accepted response. */
export interface SendHooks<T> {
  /** Statuses handed to `handle` instead of failing with EO_HTTP_STATUS. Default: 2xx and 304. */
  acceptStatus?: (status: number) => boolean;
  /**
   * Consumes an accepted response. A connection error thrown from here (e.g. a reset mid-body)
   * is retried like one before the headers, when the call is safe to repeat.
   */
  handle: (res: PolicyResponse) => Promise<T>;
}

const DEFAULT_TIMEOUT_MS = 120_000;

function defaultAccept(status: number): boolean {
  return (status >= 200 && status < 300) || status === 304;
}

function withQuery(url: URL, query: SendOptions['query']): URL {
  if (!query) return url;
  const out = new URL(url);
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.searchParams.append(key, String(v));
  }
  return out;
}

async function errorBody(res: Dispatcher.ResponseData): Promise<unknown> {
  // An error body that breaks off is still shown as far as it came.
  const { bytes } = await readCapped(res.body, ERROR_BODY_LIMIT);
  return parseErrorBody(bytes, headerValue(res.headers, 'content-type'));
}

function abortReason(signal: AbortSignal | undefined, err: unknown): unknown {
  return signal?.aborted ? (signal.reason ?? err) : undefined;
}

function networkError(err: unknown, url: URL, attempts: number, retryable: boolean): EoError {
  const code = errorCode(err) ?? 'unknown error';
  const tail = retryable
    ? `after ${attempts} attempt${attempts === 1 ? '' : 's'}`
    : '(not retried: repeating this call might apply it twice)';
  return new EoError('EO_NETWORK', `The connection to ${url.host} failed (${code}) ${tail}.`, {
    url: safeUrl(url),
    hint: 'Check the network, the proxy settings (HTTPS_PROXY, NO_PROXY) and the base URL.',
    cause: err,
  });
}

function timeoutError(err: unknown, url: URL, timeoutMs: number): EoError {
  const phase = errorCode(err) === 'UND_ERR_BODY_TIMEOUT' ? 'stopped sending the response' : 'did not answer';
  return new EoError('EO_TIMEOUT', `${safeUrl(url)} ${phase} within ${timeoutMs} ms.`, {
    url: safeUrl(url),
    hint: 'Increase the timeout, or ask for a smaller area or output.',
    cause: err,
  });
}

/** One call's settings, defaults applied. */
interface CallPlan {
  startUrl: URL;
  startMethod: string;
  baseHeaders: OutgoingHeaders;
  body: PreparedBody;
  safeToRepeat: boolean;
  timeoutMs: number;
  maxRedirects: number;
  limits: RepeatLimits;
  accept: (status: number) => boolean;
  dispatcher: Dispatcher;
}

function planCall(options: SendOptions, hooks: SendHooks<unknown>): CallPlan {
  const startUrl = withQuery(resolveRequestUrl(options.connection, options.url), options.query);
  const startMethod = (options.method ?? 'GET').toUpperCase();
  const baseHeaders = normaliseHeaders(options.headers);
  const body = prepareBody(options.body, baseHeaders);
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  return {
    startUrl,
    startMethod,
    baseHeaders,
    body,
    safeToRepeat: options.readOnly ?? (isIdempotentMethod(startMethod) || isReadOnlyApiCall(startMethod, startUrl)),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxRedirects: options.maxRedirects ?? 5,
    limits: {
      maxRetries: options.maxRetries ?? 3,
      maxRateLimitRetries: options.maxRateLimitRetries ?? 5,
      maxWaitMs: options.maxRetryAfterMs ?? 60_000,
      backoff: (n) => backoffDelay(n, backoff),
    },
    accept: hooks.acceptStatus ?? defaultAccept,
    dispatcher: options.dispatcher ?? defaultDispatcher(),
  };
}

/** Why the next request is sent, and how long the call waited for it. */
interface NextAttempt {
  reason: AttemptReason;
  delayMs: number;
}

/** What ran so far: requests sent, and the repeats per cause. */
interface Tally extends RepeatCounts {
  attempts: number;
}

/** The answer at the end of a redirect chain, and how the chain got there. */
interface ChainEnd {
  res: Dispatcher.ResponseData;
  chain: RedirectChain;
  /** The token the last request carried. */
  token?: AccessToken;
}

/** A run along the chain that failed before an answer: what failed, and at which hop's URL. */
interface ChainFailure {
  failure: unknown;
  at: URL;
}

/**
 * One run along the redirect chain, from the original URL: sends the request and follows its
 * redirects, each hop with the token only where it may go.
 */
async function sendAlongRedirects(options: SendOptions, plan: CallPlan, tally: Tally, next: NextAttempt): Promise<ChainEnd | ChainFailure> {
  const { connection, tokens, signal } = options;
  let { reason, delayMs } = next;
  let chain = startChain(plan.startUrl, plan.startMethod, plan.baseHeaders);
  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const { url, method } = chain;
      const authorized = !chain.crossedOrigin && isAllowedOrigin(connection, url);
      const token = authorized ? await tokens.getToken({ minValidityMs: options.minTokenValidityMs, signal }) : undefined;
      const headers: OutgoingHeaders = token ? { ...chain.headers, authorization: `Bearer ${token.value}` } : chain.headers;
      tally.attempts += 1;
      options.onAttempt?.({ attempt: tally.attempts, reason, method, url: safeUrl(url), authorized, delayMs });
      delayMs = 0;
      const res = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body: chain.sendBody ? plan.body.take() : undefined,
        signal,
        dispatcher: plan.dispatcher,
        headersTimeout: plan.timeoutMs,
        bodyTimeout: plan.timeoutMs,
        highWaterMark: options.bodyHighWaterMark,
      });
      if (!isRedirectStatus(res.statusCode)) return { res, chain, token };
      let step: RedirectStep | undefined;
      try {
        step = redirectStep(url, res.statusCode, res.headers.location, method);
      } catch (err) {
        // A refused redirect still holds its connection until the body is read.
        await discardBody(res.body);
        throw err;
      }
      if (!step) return { res, chain, token };
      await discardBody(res.body);
      chain = nextHop(chain, step, res.statusCode, {
        startUrl: plan.startUrl,
        maxRedirects: plan.maxRedirects,
        bodyReplayable: plan.body.replayable(),
      });
      reason = 'redirect';
    }
  } catch (err) {
    return { failure: err, at: chain.url };
  }
}

/** After a connection failure (or a failure reading an accepted body): another attempt, or the error the caller should see. */
function decideOnFailure(
  err: unknown,
  at: URL,
  options: SendOptions,
  plan: CallPlan,
  tally: Tally,
): { retryInMs: number } | { error: unknown } {
  const aborted = abortReason(options.signal, err);
  if (aborted !== undefined) return { error: aborted };
  if (isEoError(err)) return { error: err };
  if (isTimeoutError(err)) return { error: timeoutError(err, at, plan.timeoutMs) };
  if (!isNetworkError(err)) return { error: err };
  const canRepeat = plan.safeToRepeat && plan.body.replayable();
  if (!canRepeat || tally.retries >= plan.limits.maxRetries) return { error: networkError(err, at, tally.attempts, plan.safeToRepeat) };
  return { retryInMs: plan.limits.backoff(tally.retries + 1) };
}

/**
 * Sends a request under the policy and hands the accepted response to `hooks.handle`.
 * download.ts builds on this; most callers want {@link eoRequest}.
 *
 * @throws EoError EO_ORIGIN_NOT_ALLOWED, EO_INSECURE_REDIRECT, EO_TOO_MANY_REDIRECTS,
 *   EO_HTTP_STATUS, EO_RATE_LIMITED, EO_NETWORK, EO_TIMEOUT; or the signal's abort reason.
 */
export async function sendAuthorized<T>(options: SendOptions, hooks: SendHooks<T>): Promise<SendResult<T>> {
  const { connection, tokens, signal } = options;
  const plan = planCall(options, hooks);
  const tally: Tally = { attempts: 0, retries: 0, rateLimitWaits: 0, tokenRefreshes: 0 };
  let next: NextAttempt = { reason: 'initial', delayMs: 0 };

  const waitFor = async (reason: NextAttempt['reason'], delayMs: number): Promise<void> => {
    next = { reason, delayMs };
    if (delayMs > 0) await sleep(delayMs, signal);
  };
  const retryAfterFailure = async (err: unknown, at: URL): Promise<void> => {
    const decision = decideOnFailure(err, at, options, plan, tally);
    if ('error' in decision) throw decision.error;
    tally.retries += 1;
    await waitFor('retry', decision.retryInMs);
  };

  for (;;) {
    // Every attempt starts again from the original URL: a signed redirect target may have expired.
    const end = await sendAlongRedirects(options, plan, tally, next);
    if ('failure' in end) {
      await retryAfterFailure(end.failure, end.at);
      continue;
    }

    const { res, token } = end;
    const { url, method, crossedOrigin } = end.chain;
    const status = res.statusCode;
    // The token was refused whatever happens next: a newer one fetched meanwhile by another caller stays.
    if (status === 401 && token) tokens.invalidate(token.value);
    // Milliseconds are the provider API's own dialect; another origin (a STAC server) speaks HTTP's seconds.
    const retryAfterUnit = url.origin === baseOrigin(connection) ? connection.retryAfterUnit : 's';
    const decision = decideOnStatus(
      {
        status,
        url,
        method,
        token,
        crossedOrigin,
        retryAfterMs: parseRetryAfter(res.headers['retry-after'], retryAfterUnit),
        safeToRepeat: plan.safeToRepeat,
        bodyReplayable: plan.body.replayable(),
        accept: plan.accept,
        connection,
      },
      tally,
      plan.limits,
    );
    if (decision.action === 'fail') throw httpStatusError(status, url, await errorBody(res), decision.details);
    if (decision.action === 'repeat') {
      await discardBody(res.body);
      tally[decision.counts] += 1;
      await waitFor(decision.reason, decision.delayMs);
      continue;
    }

    const policyResponse: PolicyResponse = { statusCode: status, headers: plainHeaders(res.headers), body: res.body, url };
    try {
      const value = await hooks.handle(policyResponse);
      return {
        value,
        statusCode: status,
        headers: policyResponse.headers,
        url,
        attempts: tally.attempts,
        tokenRefreshes: tally.tokenRefreshes,
      };
    } catch (err) {
      if (!res.body.destroyed) {
        res.body.on('error', () => undefined);
        res.body.destroy();
      }
      await retryAfterFailure(err, url);
    }
  }
}
