import { decideOnStatus, type AnsweredCall, type RepeatCounts, type RepeatLimits } from '../../../nodes/core/http/status-decision';

const NONE: RepeatCounts = { retries: 0, rateLimitWaits: 0, tokenRefreshes: 0 };
/** Backoff of 100 ms per repeat number, so a delay shows which repeat it was computed for. */
const LIMITS: RepeatLimits = { maxRetries: 2, maxRateLimitRetries: 2, maxWaitMs: 1000, backoff: (n) => n * 100 };
const TOKEN = { value: 't', expiresAt: 0, issuer: 'https://services.sentinel-hub.com/auth/realms/main' };

function answer(status: number, extra: Partial<AnsweredCall> = {}): AnsweredCall {
  return {
    status,
    url: new URL('https://services.sentinel-hub.com/api/v1/process'),
    method: 'POST',
    token: TOKEN,
    crossedOrigin: false,
    safeToRepeat: true,
    bodyReplayable: true,
    accept: (s) => s >= 200 && s < 300,
    connection: { providerLabel: 'Sentinel Hub', issuerRealm: '/auth/realms/main' },
    ...extra,
  };
}

describe('decideOnStatus', () => {
  it('hands over an accepted answer and fails a refused one without a hint of its own', () => {
    expect(decideOnStatus(answer(200), NONE, LIMITS)).toEqual({ action: 'accept' });
    expect(decideOnStatus(answer(404), NONE, LIMITS)).toEqual({ action: 'fail', details: {} });
  });

  it('replays a 401 once with a fresh token, then fails with the hint about the token', () => {
    expect(decideOnStatus(answer(401), NONE, LIMITS)).toEqual({
      action: 'repeat',
      reason: 'auth-replay',
      delayMs: 0,
      counts: 'tokenRefreshes',
    });
    const again = decideOnStatus(answer(401), { ...NONE, tokenRefreshes: 1 }, LIMITS);
    expect(again).toMatchObject({ action: 'fail', details: { hint: expect.stringContaining('freshly issued token') } });
    const stream = decideOnStatus(answer(401, { bodyReplayable: false }), NONE, LIMITS);
    expect(stream).toMatchObject({ action: 'fail', details: { hint: expect.stringContaining('stream') } });
  });

  it('does not replay a 401 from an origin the token never went to, and says so', () => {
    const decision = decideOnStatus(answer(401, { token: undefined, crossedOrigin: true }), NONE, LIMITS);
    expect(decision).toMatchObject({ action: 'fail', details: { hint: expect.stringContaining('never receives the access token') } });
  });

  it('waits after 429 as asked, within the limits, then fails with EO_RATE_LIMITED', () => {
    expect(decideOnStatus(answer(429, { retryAfterMs: 300 }), NONE, LIMITS)).toEqual({
      action: 'repeat',
      reason: 'rate-limit',
      delayMs: 300,
      counts: 'rateLimitWaits',
    });
    // Without Retry-After: the backoff of the next wait (the second here).
    expect(decideOnStatus(answer(429), { ...NONE, rateLimitWaits: 1 }, LIMITS)).toMatchObject({ delayMs: 200 });
    const spent = decideOnStatus(answer(429, { retryAfterMs: 300 }), { ...NONE, rateLimitWaits: 2 }, LIMITS);
    expect(spent).toMatchObject({
      action: 'fail',
      details: { code: 'EO_RATE_LIMITED', retryAfterMs: 300, what: expect.stringContaining('after 2 waits') },
    });
    const tooLong = decideOnStatus(answer(429, { retryAfterMs: 5000 }), NONE, LIMITS);
    expect(tooLong).toMatchObject({
      action: 'fail',
      details: { code: 'EO_RATE_LIMITED', what: expect.stringContaining('asks to wait 5 s, longer than the 1 s allowed') },
    });
  });

  it('retries 5xx with backoff (or a longer Retry-After) on a call safe to repeat, and fails the others', () => {
    expect(decideOnStatus(answer(503), { ...NONE, retries: 1 }, LIMITS)).toEqual({
      action: 'repeat',
      reason: 'retry',
      delayMs: 200,
      counts: 'retries',
    });
    expect(decideOnStatus(answer(503, { retryAfterMs: 700 }), NONE, LIMITS)).toMatchObject({ delayMs: 700 });
    expect(decideOnStatus(answer(503), { ...NONE, retries: 2 }, LIMITS)).toMatchObject({
      action: 'fail',
      details: { hint: expect.stringContaining('after 2 retries') },
    });
    expect(decideOnStatus(answer(502, { safeToRepeat: false }), NONE, LIMITS)).toMatchObject({
      action: 'fail',
      details: { hint: expect.stringContaining('Not retried: POST /api/v1/process') },
    });
    // A 5xx the caller takes as an answer is handed over.
    expect(decideOnStatus(answer(503, { accept: () => true }), NONE, LIMITS)).toEqual({ action: 'accept' });
  });
});
