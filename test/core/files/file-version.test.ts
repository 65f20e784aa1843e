import { answersVersion, contentRangeOf, isEtagValidator, rangeValidator, versionOf } from '../../../nodes/core/files/file-version';

describe('file versions', () => {
  test('a validator is an ETag unless it is an HTTP date, quoted or not', () => {
    expect(isEtagValidator('"abc"')).toBe(true);
    expect(isEtagValidator('abc123')).toBe(true);
    expect(isEtagValidator('W/"abc"')).toBe(true);
    expect(isEtagValidator('Wed, 21 Oct 2026 07:28:00 GMT')).toBe(false);
    expect(versionOf('abc123')).toEqual({ etag: 'abc123' });
    expect(versionOf('Wed, 21 Oct 2026 07:28:00 GMT')).toEqual({ lastModified: 'Wed, 21 Oct 2026 07:28:00 GMT' });
  });

  test('ranges are joined under a strong ETag, else Last-Modified; a weak ETag allows none', () => {
    expect(rangeValidator('"abc"', 'Wed, 21 Oct 2026 07:28:00 GMT')).toBe('"abc"');
    expect(rangeValidator('abc123', undefined)).toBe('abc123');
    expect(rangeValidator('W/"abc"', 'Wed, 21 Oct 2026 07:28:00 GMT')).toBeUndefined();
    expect(rangeValidator(undefined, 'Wed, 21 Oct 2026 07:28:00 GMT')).toBe('Wed, 21 Oct 2026 07:28:00 GMT');
  });

  test('an answer matches by the kind of validator kept; a missing header only when lenient', () => {
    expect(answersVersion('abc123', { etag: 'abc123' })).toBe(true);
    expect(answersVersion('abc123', { etag: 'abc124' })).toBe(false);
    expect(answersVersion('abc123', { 'last-modified': 'abc123' })).toBe(false);
    const date = 'Wed, 21 Oct 2026 07:28:00 GMT';
    expect(answersVersion(date, { 'last-modified': date, etag: '"x"' })).toBe(true);
    expect(answersVersion(date, {})).toBe(false);
    expect(answersVersion(date, {}, true)).toBe(true);
  });

  test('Content-Range: start and total, either unknown as *', () => {
    expect(contentRangeOf({ 'content-range': 'bytes 100-199/1000' })).toEqual({ start: 100, total: 1000 });
    expect(contentRangeOf({ 'content-range': 'bytes */1000' })).toEqual({ start: undefined, total: 1000 });
    expect(contentRangeOf({ 'content-range': 'bytes 0-9/*' })).toEqual({ start: 0, total: undefined });
    expect(contentRangeOf({ 'content-range': 'items 0-9/10' })).toBeUndefined();
    expect(contentRangeOf({})).toBeUndefined();
  });
});
