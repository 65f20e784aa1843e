/**
 * The policy every authenticated call goes through: the token goes only to allowed origins,
 * redirects are followed by hand so the Authorization header never crosses an origin, a 401 is
 * replayed once with a fresh token, 429 waits as long as the provider asks, and 5xx or a dropped
 * connection is retried with backoff when repeating the call is safe. request.ts and download.ts
 * both build on it, each with its own way of reading the body.
 *
 * The retry loop is ours, not undici's retry interceptor: that one reads a numeric Retry-After
 * as seconds (Sentinel Hub sends milliseconds), cannot fetch a new token between attempts, and
 * knows nothing of the read-only POST calls (Process, Catalog, Statistics) that are safe to repeat.
 */
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { ERROR_BODY_LIMIT, httpStatusError, parseErrorBody, unauthorizedHint } from './api-errors';
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter, sleep, type BackoffPolicy } from './backoff';
import { EoError, isEoError, safeUrl } from '../errors';
import { defaultDispatcher } from './dispatcher';
import { baseOrigin, isAllowedOrigin, isRedirectStatus, redirectStep, resolveRequestUrl } from './origin-policy';
import type { Connection } from '../config/connection';
import {
  BODY_HEADERS,
  CROSS_ORIGIN_DROPPED,
  discardBody,
  headerValue,
  normaliseHeaders,
  plainHeaders,
  prepareBody,
  type OutgoingHeaders,
  type RequestBody,
} from './request-body';
import { errorCode, isIdempotentMethod, isNetworkError, isReadOnlyApiCall, isRetryableStatus, isTimeoutError } from './retry-policy';
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
  /** Same as `readOnly: true`, for callers that think in those terms. */
  retryNonIdempotent?: boolean;
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

async function readLimited(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= limit) break;
    }
  } catch {
    // An error body that breaks off is still shown as far as it came.
  } finally {
    body.on('error', () => undefined);
    if (!body.destroyed) body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

async function errorBody(res: Dispatcher.ResponseData): Promise<unknown> {
  return parseErrorBody(await readLimited(res.body, ERROR_BODY_LIMIT), headerValue(res.headers, 'content-type'));
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

/**
 * Sends a request under the policy and hands the accepted response to `hooks.handle`.
 * download.ts builds on this; most callers want {@link eoRequest}.
 *
 * @throws EoError EO_ORIGIN_NOT_ALLOWED, EO_INSECURE_REDIRECT, EO_TOO_MANY_REDIRECTS,
 *   EO_HTTP_STATUS, EO_RATE_LIMITED, EO_NETWORK, EO_TIMEOUT; or the signal's abort reason.
 */
export async function sendAuthorized<T>(options: SendOptions, hooks: SendHooks<T>): Promise<SendResult<T>> {
  const { connection, tokens, signal } = options;
  const startUrl = withQuery(resolveRequestUrl(connection, options.url), options.query);
  const startMethod = (options.method ?? 'GET').toUpperCase();
  const baseHeaders = normaliseHeaders(options.headers);
  const body = prepareBody(options.body, baseHeaders);
  const safeToRepeat =
    options.readOnly ??
    (options.retryNonIdempotent === true || isIdempotentMethod(startMethod) || isReadOnlyApiCall(startMethod, startUrl));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRetries = options.maxRetries ?? 3;
  const maxRateLimitRetries = options.maxRateLimitRetries ?? 5;
  const maxWait = options.maxRetryAfterMs ?? 60_000;
  const maxRedirects = options.maxRedirects ?? 5;
  const accept = hooks.acceptStatus ?? defaultAccept;
  const dispatcher = options.dispatcher ?? defaultDispatcher();

  let attempts = 0;
  let retries = 0;
  let rateLimitWaits = 0;
  let tokenRefreshes = 0;
  let reason: AttemptReason = 'initial';
  let delayMs = 0;

  const retryLater = async (why: AttemptReason, ms: number): Promise<void> => {
    reason = why;
    delayMs = ms;
    if (ms > 0) await sleep(ms, signal);
  };
  const canRepeat = (): boolean => safeToRepeat && body.replayable();
  /** Waits before the next attempt after a connection failure, or throws what the caller should see. */
  const retryAfterFailure = async (err: unknown, at: URL): Promise<void> => {
    const aborted = abortReason(signal, err);
    if (aborted !== undefined) throw aborted;
    if (isEoError(err)) throw err;
    if (isTimeoutError(err)) throw timeoutError(err, at, timeoutMs);
    if (!isNetworkError(err)) throw err;
    if (!canRepeat() || retries >= maxRetries) throw networkError(err, at, attempts, safeToRepeat);
    retries += 1;
    await retryLater('retry', backoffDelay(retries, options.backoff ?? DEFAULT_BACKOFF));
  };

  for (;;) {
    // One run of the redirect chain, from the original URL: a signed redirect target may have expired.
    let url = startUrl;
    let method = startMethod;
    let headers: OutgoingHeaders = { ...baseHeaders };
    let sendBody = true;
    let crossedOrigin = false;
    let hops = 0;
    let token: AccessToken | undefined;
    let authorized: boolean;
    let res: Dispatcher.ResponseData;

    try {
      for (;;) {
        if (signal?.aborted) throw signal.reason;
        authorized = !crossedOrigin && isAllowedOrigin(connection, url);
        token = authorized ? await tokens.getToken({ minValidityMs: options.minTokenValidityMs, signal }) : undefined;
        const sent: OutgoingHeaders = token ? { ...headers, authorization: `Bearer ${token.value}` } : headers;
        attempts += 1;
        options.onAttempt?.({ attempt: attempts, reason, method, url: safeUrl(url), authorized, delayMs });
        delayMs = 0;
        res = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers: sent,
          body: sendBody ? body.take() : undefined,
          signal,
          dispatcher,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          highWaterMark: options.bodyHighWaterMark,
        });
        if (!isRedirectStatus(res.statusCode)) break;
        let step: ReturnType<typeof redirectStep>;
        try {
          step = redirectStep(url, res.statusCode, res.headers.location, method);
        } catch (err) {
          // A refused redirect still holds its connection until the body is read.
          await discardBody(res.body);
          throw err;
        }
        if (!step) break;
        await discardBody(res.body);
        if (++hops > maxRedirects) {
          throw new EoError(
            'EO_TOO_MANY_REDIRECTS',
            `${safeUrl(startUrl)} redirected more than ${maxRedirects} times; the last hop went to ${safeUrl(step.url)}.`,
            {
              url: safeUrl(startUrl),
              hint: 'Check the URL, or raise the redirect limit if the service really needs more hops.',
            },
          );
        }
        if (!step.dropBody && sendBody && !body.replayable()) {
          throw httpStatusError(res.statusCode, url, undefined, {
            hint: 'The request body was a stream and cannot be sent again to the redirect target: pass it as a Buffer or string.',
          });
        }
        if (step.dropBody) {
          sendBody = false;
          headers = { ...headers };
          for (const name of BODY_HEADERS) delete headers[name];
        }
        if (step.crossOrigin && !crossedOrigin) {
          // Strict on purpose: once the chain leaves an origin, no credential follows it anywhere.
          crossedOrigin = true;
          headers = { ...headers };
          for (const name of CROSS_ORIGIN_DROPPED) delete headers[name];
        }
        url = step.url;
        method = step.method;
        reason = 'redirect';
      }
    } catch (err) {
      await retryAfterFailure(err, url);
      continue;
    }

    const status = res.statusCode;
    // Milliseconds are the provider API's own dialect; another origin (a STAC server) speaks HTTP's seconds.
    const retryAfterUnit = url.origin === baseOrigin(connection) ? connection.retryAfterUnit : 's';
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], retryAfterUnit);

    if (status === 401 && authorized && token) {
      tokens.invalidate(token.value);
      if (tokenRefreshes === 0 && body.replayable()) {
        await discardBody(res.body);
        tokenRefreshes += 1;
        await retryLater('auth-replay', 0);
        continue;
      }
      const hint = body.replayable()
        ? unauthorizedHint(connection, token, url)
        : 'The token was refreshed, but the request body was a stream and could not be sent again: pass it as a Buffer or string.';
      throw httpStatusError(status, url, await errorBody(res), { hint });
    }
    if (status === 401 && crossedOrigin) {
      throw httpStatusError(status, url, await errorBody(res), {
        hint: `The request was redirected to ${url.origin}, which never receives the access token.`,
      });
    }
    if (status === 429) {
      // Coming back before the announced time only earns another 429: a wait beyond the limit is the caller's to schedule.
      const tooLong = retryAfterMs !== undefined && retryAfterMs > maxWait;
      if (!tooLong && rateLimitWaits < maxRateLimitRetries && body.replayable()) {
        rateLimitWaits += 1;
        await discardBody(res.body);
        await retryLater('rate-limit', Math.min(retryAfterMs ?? backoffDelay(rateLimitWaits, options.backoff ?? DEFAULT_BACKOFF), maxWait));
        continue;
      }
      throw httpStatusError(status, url, await errorBody(res), {
        code: 'EO_RATE_LIMITED',
        retryAfterMs,
        what: tooLong
          ? `${safeUrl(url)} is rate limited (429) and asks to wait ${Math.ceil(retryAfterMs / 1000)} s, longer than the ${Math.ceil(maxWait / 1000)} s allowed`
          : `${safeUrl(url)} is rate limited (429) after ${rateLimitWaits} wait${rateLimitWaits === 1 ? '' : 's'}`,
        hint: 'Send fewer requests per minute (the provider counts requests and processing units per minute), or try again later.',
      });
    }
    if (isRetryableStatus(status) && !accept(status)) {
      if (canRepeat() && retries < maxRetries) {
        retries += 1;
        await discardBody(res.body);
        const backoff = backoffDelay(retries, options.backoff ?? DEFAULT_BACKOFF);
        await retryLater('retry', Math.max(backoff, Math.min(retryAfterMs ?? 0, maxWait)));
        continue;
      }
      const hint = safeToRepeat
        ? `The service still failed after ${retries} retr${retries === 1 ? 'y' : 'ies'}; try again later.`
        : `Not retried: ${method} ${url.pathname} might have been applied already. Check its state before sending it again.`;
      throw httpStatusError(status, url, await errorBody(res), { hint });
    }
    if (!accept(status)) throw httpStatusError(status, url, await errorBody(res));

    const policyResponse: PolicyResponse = { statusCode: status, headers: plainHeaders(res.headers), body: res.body, url };
    try {
      const value = await hooks.handle(policyResponse);
      return { value, statusCode: status, headers: policyResponse.headers, url, attempts, tokenRefreshes };
    } catch (err) {
      if (!res.body.destroyed) {
        res.body.on('error', () => undefined);
        res.body.destroy();
      }
      await retryAfterFailure(err, url);
    }
  }
}
