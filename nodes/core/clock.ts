/**
 * The core's clock for token lifetimes, cool-downs and status displays: wall-clock time read once,
 * then advanced by the monotonic clock, which never steps.
 *
 * Why not `Date.now()`: the wall clock can step (NTP correcting a clock at boot, an administrator
 * setting the date, a virtual machine moved). Measured against it, a token cached before a forward
 * step of an hour looks expired, and after a backward step a dead token looks valid for another
 * hour. Measured against this clock, a token is used for the time that really passed since it
 * arrived, whatever the wall clock did meanwhile.
 *
 * This clock goes back to the wall clock only when told to ({@link resyncSteadyClock}): the token
 * cache does so when a token endpoint issues a token that looks expired on arrival, the sign that
 * this clock is ahead of the issuer's (the process started before its wall clock was corrected).
 *
 * The monotonic clock stops while the machine is suspended, so after a resume this clock lags the
 * wall clock by the time asleep: the token cached before the suspend is then sent once more, the
 * API answers 401, and the request is replayed with a new token (the 401 path every request has).
 */

/** Where the clock started: kept on `globalThis`, so that every copy of this module in a process reads the same time. */
interface Anchor {
  wallMs: number;
  monotonicMs: number;
}

const ANCHOR_KEY = Symbol.for('eo-nodes.steady-clock.v1');

function anchor(): Anchor {
  const holder = globalThis as typeof globalThis & { [ANCHOR_KEY]?: Anchor };
  return (holder[ANCHOR_KEY] ??= { wallMs: Date.now(), monotonicMs: performance.now() });
}

/**
 * Epoch milliseconds that do not jump when the wall clock steps: the wall clock when the process
 * first asked (or at the last resync), plus the monotonic time elapsed since.
 *
 * @example
 * const expiresAt = steadyNow() + expiresInS * 1000;
 * const usable = expiresAt - steadyNow() > marginMs;
 */
export function steadyNow(): number {
  const a = anchor();
  return a.wallMs + (performance.now() - a.monotonicMs);
}

/**
 * Sets {@link steadyNow} to the wall clock again. Only for evidence that the wall clock is now the
 * better one (a token endpoint's clock agrees with it and not with this one): every cached
 * expiry time moves by the difference.
 */
export function resyncSteadyClock(): void {
  const a = anchor();
  a.wallMs = Date.now();
  a.monotonicMs = performance.now();
}
