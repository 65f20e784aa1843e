import { errorCode, formatSeconds } from '../../nodes/core/errors';

describe('errorCode', () => {
  it('finds the code of an error, of its causes, and of the first error of an AggregateError', () => {
    expect(errorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    const wrapped = new Error('fetch failed', {
      cause: new Error('other side closed', { cause: Object.assign(new Error('s'), { code: 'UND_ERR_SOCKET' }) }),
    });
    expect(errorCode(wrapped)).toBe('UND_ERR_SOCKET');
    const perAddress = new AggregateError([Object.assign(new Error('v6'), { code: 'ECONNREFUSED' }), new Error('v4')]);
    expect(errorCode(new Error('connect', { cause: perAddress }))).toBe('ECONNREFUSED');
  });

  it('gives up on errors without a code, and on causes that go round in a circle', () => {
    expect(errorCode(new Error('plain'))).toBeUndefined();
    expect(errorCode('a string')).toBeUndefined();
    expect(errorCode(Object.assign(new Error('empty'), { code: '' }))).toBeUndefined();
    const a: { cause?: unknown } = {};
    a.cause = { cause: a };
    expect(errorCode(a)).toBeUndefined();
  });
});

describe('formatSeconds', () => {
  it('writes tenths of a second, rounded up', () => {
    expect(formatSeconds(200)).toBe('0.2 s');
    expect(formatSeconds(3398)).toBe('3.4 s');
    expect(formatSeconds(60_000)).toBe('60 s');
    expect(formatSeconds(3_600_801)).toBe('3600.9 s');
  });
});
