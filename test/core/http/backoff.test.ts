import { backoffDelay, parseRetryAfter, sleep } from '../../../nodes/core/http/backoff';

describe('parseRetryAfter', () => {
  test('Sentinel Hub sends milliseconds', () => {
    expect(parseRetryAfter('3398', 'ms')).toBe(3398);
  });
  test('the HTTP standard says seconds', () => {
    expect(parseRetryAfter('2', 's')).toBe(2000);
    expect(parseRetryAfter(['1.5'], 's')).toBe(1500);
  });
  test('an HTTP date is a point in time', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', 'ms', now)).toBe(5000);
  });
  test('missing or garbage gives undefined', () => {
    expect(parseRetryAfter(undefined, 'ms')).toBeUndefined();
    expect(parseRetryAfter('soon', 's')).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  const policy = { baseMs: 100, maxMs: 1000, factor: 3 };
  test('grows exponentially within [ceiling/2, ceiling] and is capped', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(2, policy, () => 1)).toBe(300);
    expect(backoffDelay(3, policy, () => 1)).toBe(900);
    expect(backoffDelay(9, policy, () => 1)).toBe(1000);
  });
  test('jitter spreads parallel callers', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(2, policy)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('sleep', () => {
  test('an abort wakes it with the reason', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
