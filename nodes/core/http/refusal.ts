/**
 * A download server refusing a request because the account runs too many connections or requests
 * (429, e.g. "Maximum number of 4 concurrent flows achieved by the user"): not a failure of the
 * download, but a signal to use fewer connections (see connection-cap.ts) and come back later.
 */
import { EoError, isEoError, safeUrl } from '../errors';
import type { Connection } from '../config/connection';

/** Refusals one download waits out before it fails: the cap halves on each, so by then it runs alone. */
export const MAX_REFUSALS = 10;
/** The longest `Retry-After` a download waits out; a longer one is the caller's to schedule. */
export const MAX_REFUSAL_WAIT_MS = 60_000;

/** Errors that already are the final word on refusals, so nothing retries them again. */
const finalRefusals = new WeakSet<object>();

/**
 * True for a 429 answered by the server being downloaded from (or a redirect hop of it), as
 * sendAuthorized reports it when it does not wait itself; false for a token endpoint's 429, which
 * the token cache already waits out for everybody, and for {@link refusedTooOften}.
 */
export function isRefusal(err: unknown, connection: Connection): err is EoError {
  if (!isEoError(err, 'EO_RATE_LIMITED') || err.status !== 429 || finalRefusals.has(err)) return false;
  return err.url !== undefined && err.url !== safeUrl(connection.tokenUrl);
}

/** Whether another refusal may still be waited out, after `refusals` of them. */
export function mayWaitOut(err: EoError, refusals: number): boolean {
  return refusals < MAX_REFUSALS && (err.retryAfterMs ?? 0) <= MAX_REFUSAL_WAIT_MS;
}

/** The error a download fails with when refusals did not stop: the last 429, in words. */
export function refusedTooOften(err: EoError, refusals: number): EoError {
  const wait = err.retryAfterMs ?? 0;
  const tooLong = wait > MAX_REFUSAL_WAIT_MS;
  const final = new EoError(
    'EO_RATE_LIMITED',
    tooLong
      ? `${err.url ?? 'The download server'} refused the download (429) and asks to wait ${Math.ceil(wait / 1000)} s, longer than the ${MAX_REFUSAL_WAIT_MS / 1000} s allowed.`
      : `${err.url ?? 'The download server'} refused the download ${refusals} times (429), even with this account's downloads cut to one at a time.`,
    {
      status: 429,
      providerMessage: err.providerMessage,
      providerCode: err.providerCode,
      retryAfterMs: err.retryAfterMs,
      url: err.url,
      body: err.body,
      hint: 'Another program or process is probably downloading with the same account: lower "Download connections" here or there, or try again later.',
      cause: err,
    },
  );
  finalRefusals.add(final);
  return final;
}
