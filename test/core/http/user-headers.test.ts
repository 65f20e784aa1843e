/**
 * Headers a user adds (Node-RED's header list and msg.headers, n8n's "Headers (JSON)"): one rule
 * for what can be sent, with errors that name the header and the field.
 */
import { userHeaders } from '../../../nodes/core/http/user-headers';
import { eoRequest } from '../../../nodes/core/http/eo-request';
import { TokenCache } from '../../../nodes/core/auth/token-cache';
import { emulatorConnection, thrownEoError, useEmulator } from '../../support/fixtures';
import type { Emulator } from '../../emulator/types';

/** The EoError `headers` give. */
const headerError = (headers: Record<string, unknown>, field?: string) =>
  thrownEoError(() => userHeaders(headers, field), 'EO_INVALID_CONFIG');

describe('userHeaders', () => {
  test('lower-cases names and sends numbers and booleans as text, a list as several values', () => {
    expect(userHeaders({ Accept: 'image/tiff', 'X-Count': 7, 'X-Dry-Run': false, 'X-Tags': ['a', 2] })).toEqual({
      accept: 'image/tiff',
      'x-count': '7',
      'x-dry-run': 'false',
      'x-tags': ['a', '2'],
    });
    expect(userHeaders({})).toEqual({});
  });

  test('a name that is not an HTTP token is refused, quoted as typed, naming the field', () => {
    for (const name of ['X Trace', 'x:trace', 'naïve', '', 'x\r\ny']) {
      const err = headerError({ [name]: '1' });
      expect(err.field).toBe('headers');
      expect(err.message).toBe(`${JSON.stringify(name)} is not a header name (letters, digits and - only, no spaces).`);
    }
  });

  test('a value with a line break or NUL is refused: it would split the request', () => {
    for (const value of ['a\r\nx-injected: 1', 'a\nb', 'a\0b', ['ok', 'b\rc']]) {
      const err = headerError({ 'X-Trace': value });
      expect(err.message).toBe('The value of header "X-Trace" must not contain line breaks.');
    }
  });

  test('a value that is not text or a number is refused', () => {
    for (const value of [{ a: 1 }, null, undefined, [{ a: 1 }]]) {
      expect(headerError({ 'X-Trace': value }).message).toBe('The value of header "X-Trace" must be text or a number.');
    }
  });

  test('the field named is the caller’s', () => {
    expect(headerError({ 'a b': '1' }, 'msg.headers').field).toBe('msg.headers');
  });
});

describe("a user's Authorization", () => {
  let emu: Emulator;
  useEmulator((started) => (emu = started));

  test("passes the check, and the request loop still sends the connection's bearer token instead", async () => {
    const headers = userHeaders({ Authorization: 'Basic bm90OnVzZWQ=', 'X-Trace': 't-1' });
    const connection = emulatorConnection(emu, 'sentinel-hub');
    const res = await eoRequest({
      connection,
      tokens: new TokenCache().provider(connection),
      method: 'POST',
      url: '/api/v1/catalog/1.0.0/search',
      body: { collections: ['sentinel-2-l2a'], limit: 1 },
      headers,
    });
    expect(res.statusCode).toBe(200);
    const sent = emu.log().find((e) => e.path === '/api/v1/catalog/1.0.0/search');
    expect(String(sent?.headers.authorization)).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sent?.headers['x-trace']).toBe('t-1');
  });
});
