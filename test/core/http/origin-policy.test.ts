import { EoError, isEoError } from '../../../nodes/core/errors';
import { redirectStep, resolveRequestUrl } from '../../../nodes/core/http/origin-policy';

describe('origin and redirect policy (unit)', () => {
  const connection = { baseUrl: 'https://services.sentinel-hub.com/base', allowedOrigins: ['https://services.sentinel-hub.com'] };

  it('resolves relative URLs under the base URL path and refuses foreign origins', () => {
    expect(resolveRequestUrl(connection, '/api/v1/process').href).toBe('https://services.sentinel-hub.com/base/api/v1/process');
    expect(resolveRequestUrl(connection, 'api/v1/process').href).toBe('https://services.sentinel-hub.com/base/api/v1/process');
    let err: unknown;
    try {
      resolveRequestUrl(connection, 'https://evil.example/steal?token=1');
    } catch (e) {
      err = e;
    }
    expect(isEoError(err, 'EO_ORIGIN_NOT_ALLOWED')).toBe(true);
    expect((err as EoError).field).toBe('url');
    expect((err as EoError).message).toContain('https://services.sentinel-hub.com');
    expect((err as EoError).message).not.toContain('token=1');
  });

  it('resolves a URL seen before afresh: a caller changing its copy changes nothing for the next call', () => {
    const conn = { baseUrl: 'https://services.sentinel-hub.com/base', allowedOrigins: ['https://services.sentinel-hub.com'] };
    const first = resolveRequestUrl(conn, '/api/v1/process');
    first.pathname = '/elsewhere';
    first.searchParams.set('x', '1');
    const second = resolveRequestUrl(conn, '/api/v1/process');
    expect(second).not.toBe(first);
    expect(second.href).toBe('https://services.sentinel-hub.com/base/api/v1/process');
  });

  it('checks a remembered URL again when the connection it was checked against changes', () => {
    const conn = { baseUrl: 'https://a.example/base', allowedOrigins: ['https://a.example', 'https://b.example'] };
    expect(resolveRequestUrl(conn, 'https://b.example/x').href).toBe('https://b.example/x');
    conn.allowedOrigins = ['https://a.example'];
    expect(() => resolveRequestUrl(conn, 'https://b.example/x')).toThrow(expect.objectContaining({ code: 'EO_ORIGIN_NOT_ALLOWED' }));
    conn.baseUrl = 'https://a.example/other';
    expect(resolveRequestUrl(conn, '/x').href).toBe('https://a.example/other/x');
  });

  it('refuses an https → http redirect', () => {
    const from = new URL('https://services.terrascope.be/download/x.tif');
    expect(() => redirectStep(from, 302, 'http://mirror.example/x.tif', 'GET')).toThrow(
      expect.objectContaining({ code: 'EO_INSECURE_REDIRECT' }) as unknown as Error,
    );
    expect(() => redirectStep(from, 302, 'ftp://mirror.example/x.tif', 'GET')).toThrow(EoError);
    expect(redirectStep(new URL('http://a.example/x'), 302, 'https://b.example/y', 'GET')).toMatchObject({
      crossOrigin: true,
      method: 'GET',
    });
  });

  it('applies fetch method rules: 303 and 301/302 after POST become GET, 307/308 keep the method', () => {
    const from = new URL('https://a.example/api');
    expect(redirectStep(from, 303, '/next', 'POST')).toMatchObject({ method: 'GET', dropBody: true, crossOrigin: false });
    expect(redirectStep(from, 302, '/next', 'POST')).toMatchObject({ method: 'GET', dropBody: true });
    expect(redirectStep(from, 301, '/next', 'PUT')).toMatchObject({ method: 'PUT', dropBody: false });
    expect(redirectStep(from, 307, '/next', 'POST')).toMatchObject({ method: 'POST', dropBody: false });
    expect(redirectStep(from, 308, 'https://a.example:444/next', 'POST')).toMatchObject({ method: 'POST', crossOrigin: true });
    expect(redirectStep(from, 302, undefined, 'GET')).toBeUndefined();
  });
});
