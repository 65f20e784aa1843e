/**
 * What the request policy does with an answer that is not a redirect: hand it over, send the call
 * again (a fresh token after 401, a wait after 429, backoff after 5xx), or fail with the hint that
 * fits. A pure function, so the loop in send-authorized.ts stays thin and each rule is testable.
 */
import { formatSeconds, safeUrl } from '../errors';
import type { Connection } from '../config/connection';
import type { AccessToken } from '../auth/token-provider';
import { unauthorizedHint, type StatusErrorDetails } from './api-errors';
import { isRetryableStatus } from './retry-policy';

/** How often a call has been sent again so far, per cause. */
export interface RepeatCounts {
  /** After 5xx or a failed connection. */
  retries: number;
  /** After 429. */
  rateLimitWaits: number;
  /** Tokens thrown away after a 401 and fetched again. */
  tokenRefreshes: number;
}

/** The limits of one call, defaults applied. */
export interface RepeatLimits {
  maxRetries: number;
  maxRateLimitRetries: number;
  /** Longest single wait after a 429 or a 503 with Retry-After. */
  maxWaitMs: number;
  /** The backoff delay before repeat number `n` (1 = first). */
  backoff: (n: number) => number;
}

/** An answer, and what the decision needs to know about the call that got it. */
export interface AnsweredCall {
  status: number;
  /** The URL that answered. */
  url: URL;
  method: string;
  /** The token the request carried; undefined when it went without one. */
  token?: AccessToken;
  /** The chain left the connection's origins on the way (so no token was sent). */
  crossedOrigin: boolean;
  /** `Retry-After` in milliseconds, when the answer carried one. */
  retryAfterMs?: number;
  /** The call is safe to repeat (idempotent or read-only). */
  safeToRepeat: boolean;
  /** The request body can be sent again (a stream that was sent cannot). */
  bodyReplayable: boolean;
  /** Statuses the caller takes as answers. */
  accept: (status: number) => boolean;
  connection: Pick<Connection, 'issuerRealm' | 'providerLabel'>;
}

/** What to do with an answer. */
export type StatusDecision =
  | { action: 'accept' }
  | { action: 'repeat'; reason: 'auth-replay' | 'rate-limit' | 'retry'; delayMs: number; counts: keyof RepeatCounts }
  | { action: 'fail'; details: StatusErrorDetails };

/**
 * The status decision: 401 (one replay with a fresh token), 429 (wait as asked, within limits),
 * 5xx on a call safe to repeat (backoff), any other refused status (fail), or the answer.
 * `counts` are the repeats made before this answer.
 */
export function decideOnStatus(answer: AnsweredCall, counts: RepeatCounts, limits: RepeatLimits): StatusDecision {
  const { status, url } = answer;
  if (status === 401 && answer.token) {
    if (counts.tokenRefreshes === 0 && answer.bodyReplayable)
      return { action: 'repeat', reason: 'auth-replay', delayMs: 0, counts: 'tokenRefreshes' };
    const hint = answer.bodyReplayable
      ? unauthorizedHint(answer.connection, answer.token, url)
      : 'The token was refreshed, but the request body was a stream and could not be sent again: pass it as a Buffer or string.';
    return { action: 'fail', details: { hint } };
  }
  if (status === 401 && answer.crossedOrigin) {
    return { action: 'fail', details: { hint: `The request was redirected to ${url.origin}, which never receives the access token.` } };
  }
  if (status === 429) return decideOnRateLimit(answer, counts.rateLimitWaits, limits);
  if (isRetryableStatus(status) && !answer.accept(status)) {
    if (answer.safeToRepeat && answer.bodyReplayable && counts.retries < limits.maxRetries) {
      const delayMs = Math.max(limits.backoff(counts.retries + 1), Math.min(answer.retryAfterMs ?? 0, limits.maxWaitMs));
      return { action: 'repeat', reason: 'retry', delayMs, counts: 'retries' };
    }
    const { retries } = counts;
    const hint = answer.safeToRepeat
      ? `The service still failed after ${retries} retr${retries === 1 ? 'y' : 'ies'}; try again later.`
      : `Not retried: ${answer.method} ${url.pathname} might have been applied already. Check its state before sending it again.`;
    return { action: 'fail', details: { hint } };
  }
  if (!answer.accept(status)) return { action: 'fail', details: {} };
  return { action: 'accept' };
}

function decideOnRateLimit(answer: AnsweredCall, waits: number, limits: RepeatLimits): StatusDecision {
  const { retryAfterMs, url } = answer;
  const maxWait = limits.maxWaitMs;
  // Coming back before the announced time only earns another 429: a wait beyond the limit is the caller's to schedule.
  const tooLong = retryAfterMs !== undefined && retryAfterMs > maxWait;
  if (!tooLong && waits < limits.maxRateLimitRetries && answer.bodyReplayable) {
    return {
      action: 'repeat',
      reason: 'rate-limit',
      delayMs: Math.min(retryAfterMs ?? limits.backoff(waits + 1), maxWait),
      counts: 'rateLimitWaits',
    };
  }
  return {
    action: 'fail',
    details: {
      code: 'EO_RATE_LIMITED',
      retryAfterMs,
      what: tooLong
        ? `${safeUrl(url)} is rate limited (429) and asks to wait ${formatSeconds(retryAfterMs)}, longer than the ${formatSeconds(maxWait)} allowed`
        : `${safeUrl(url)} is rate limited (429) after ${waits} wait${waits === 1 ? '' : 's'}`,
      hint: 'Send fewer requests per minute (the provider counts requests and processing units per minute), or try again later.',
    },
  };
}
