import { isEoError } from '../../../nodes/core/errors';
import { redirectStep } from '../../../nodes/core/http/origin-policy';
import { nextHop, startChain } from '../../../nodes/core/http/redirect-chain';

const START = new URL('https://a.example/api');
const HEADERS = { 'content-type': 'application/json', cookie: 'session=1', 'proxy-authorization': 'Basic x', 'x-trace': 't1' };
const LIMITS = { startUrl: START, maxRedirects: 2, bodyReplayable: true };

describe('nextHop', () => {
  it('keeps body and credentials on a same-origin 307', () => {
    const chain = startChain(START, 'POST', HEADERS);
    const next = nextHop(chain, redirectStep(START, 307, '/next', 'POST')!, 307, LIMITS);
    expect(next).toMatchObject({ method: 'POST', sendBody: true, crossedOrigin: false, hops: 1, headers: HEADERS });
    expect(next.url.href).toBe('https://a.example/next');
  });

  it('drops the body and its headers when a 303 turns the request into a GET, and never sends the body again', () => {
    const chain = startChain(START, 'POST', HEADERS);
    const get = nextHop(chain, redirectStep(START, 303, '/next', 'POST')!, 303, LIMITS);
    expect(get).toMatchObject({ method: 'GET', sendBody: false });
    expect(get.headers['content-type']).toBeUndefined();
    expect(get.headers.cookie).toBe('session=1');
    const again = nextHop(get, redirectStep(get.url, 307, '/last', 'GET')!, 307, LIMITS);
    expect(again.sendBody).toBe(false);
    // The caller's headers are never changed in place.
    expect(chain.headers).toEqual(HEADERS);
  });

  it('drops cookies and proxy credentials once the chain leaves its origin, for good', () => {
    const chain = startChain(START, 'GET', HEADERS);
    const away = nextHop(chain, redirectStep(START, 302, 'https://b.example/x', 'GET')!, 302, LIMITS);
    expect(away.crossedOrigin).toBe(true);
    expect(away.headers.cookie).toBeUndefined();
    expect(away.headers['proxy-authorization']).toBeUndefined();
    expect(away.headers['x-trace']).toBe('t1');
    const back = nextHop(away, redirectStep(away.url, 302, 'https://a.example/back', 'GET')!, 302, LIMITS);
    expect(back.crossedOrigin).toBe(true);
  });

  it('stops past maxRedirects, and will not send a streamed body to a redirect target', () => {
    let chain = startChain(START, 'GET', {});
    for (let i = 0; i < 2; i++) chain = nextHop(chain, redirectStep(chain.url, 302, '/loop', 'GET')!, 302, LIMITS);
    let err: unknown;
    try {
      nextHop(chain, redirectStep(chain.url, 302, '/loop', 'GET')!, 302, LIMITS);
    } catch (e) {
      err = e;
    }
    expect(isEoError(err, 'EO_TOO_MANY_REDIRECTS')).toBe(true);
    expect((err as Error).message).toContain('https://a.example/api redirected more than 2 times');

    const stream = startChain(START, 'PUT', {});
    expect(() => nextHop(stream, redirectStep(START, 307, '/next', 'PUT')!, 307, { ...LIMITS, bodyReplayable: false })).toThrow(
      expect.objectContaining({ code: 'EO_HTTP_STATUS', hint: expect.stringContaining('stream') }),
    );
  });
});
