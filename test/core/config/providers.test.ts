import {
  CDSE_TOKEN_URL,
  PROVIDERS,
  PROVIDER_IDS,
  SENTINEL_HUB_REALM_TOKEN_URL,
  SENTINEL_HUB_TOKEN_URL,
  TERRASCOPE_TOKEN_URL,
} from '../../../nodes/core/config/providers';
import { resolveConnection } from '../../../nodes/core/config/connection';
import { EoError, isEoError } from '../../../nodes/core/errors';

function configError(fn: () => unknown): EoError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EoError);
    expect((err as EoError).code).toBe('EO_INVALID_CONFIG');
    return err as EoError;
  }
  throw new Error('expected an EO_INVALID_CONFIG error');
}

describe('provider list', () => {
  test('every provider declares the fields of its grant, secrets as password fields', () => {
    for (const id of PROVIDER_IDS) {
      const def = PROVIDERS[id];
      const names = def.fields.map((f) => f.name);
      if (def.grant === 'client_credentials') expect(names).toEqual(expect.arrayContaining(['clientId', 'clientSecret']));
      if (def.grant === 'password') expect(names).toEqual(expect.arrayContaining(['username', 'password']));
      for (const field of def.fields) {
        expect(field.secret).toBe(field.type === 'password');
      }
      expect(new Set(names).size).toBe(names.length);
    }
  });

  test('defaults come from the provider documents', () => {
    expect(PROVIDERS['sentinel-hub'].tokenUrl).toBe('https://services.sentinel-hub.com/oauth/token');
    expect(PROVIDERS['sentinel-hub'].alternativeTokenUrls.map((a) => a.url)).toContain(SENTINEL_HUB_REALM_TOKEN_URL);
    expect(PROVIDERS.cdse.tokenUrl).toBe(CDSE_TOKEN_URL);
    expect(PROVIDERS.terrascope.tokenUrl).toBe('https://sso.terrascope.be/auth/realms/terrascope/protocol/openid-connect/token');
    expect(PROVIDERS.terrascope.passwordClientId).toBe('public');
    expect(PROVIDERS['sentinel-hub'].retryAfterUnit).toBe('ms');
    // CDSE Quotas: 4 concurrent download connections per account.
    expect(PROVIDERS.cdse.maxConnections).toBe(4);
  });
});

describe('resolveConnection', () => {
  test('download connections: the provider default when empty, a setting from 1 to 32, anything else names the field', () => {
    const base = { provider: 'cdse', clientId: 'id', clientSecret: 'x' };
    expect(resolveConnection(base).maxConnections).toBe(PROVIDERS.cdse.maxConnections);
    expect(resolveConnection({ ...base, maxConnections: ' ' }).maxConnections).toBe(4);
    expect(resolveConnection({ ...base, maxConnections: '2' }).maxConnections).toBe(2);
    expect(resolveConnection({ ...base, maxConnections: 8 }).maxConnections).toBe(8);
    for (const bad of ['0', '33', '2.5', 'four', -1]) {
      const err = configError(() => resolveConnection({ ...base, maxConnections: bad }));
      expect(err.field).toBe('maxConnections');
      expect(err.message).toMatch(/whole number from 1 to 32/);
    }
  });

  test('Sentinel Hub with only client id and secret gets the documented endpoints', () => {
    const c = resolveConnection({ provider: 'sentinel-hub', clientId: ' abc ', clientSecret: 's3cret' });
    expect(c).toMatchObject({
      grant: 'client_credentials',
      tokenUrl: SENTINEL_HUB_TOKEN_URL,
      baseUrl: 'https://services.sentinel-hub.com',
      allowedOrigins: ['https://services.sentinel-hub.com'],
      clientId: 'abc',
      clientAuth: 'body',
    });
  });

  test('Terrascope uses the password grant with client_id public and allows the STAC origin', () => {
    const c = resolveConnection({ provider: 'terrascope', username: 'me@example.org', password: 'pw' });
    expect(c).toMatchObject({ grant: 'password', clientId: 'public', tokenUrl: TERRASCOPE_TOKEN_URL });
    expect(c.allowedOrigins).toEqual(['https://services.terrascope.be', 'https://stac.terrascope.be']);
  });

  test('overridden URLs and extra origins are parsed; the base URL loses its trailing slash', () => {
    const c = resolveConnection({
      provider: 'cdse',
      clientId: 'id',
      clientSecret: 'x',
      tokenUrl: 'http://127.0.0.1:9/auth/realms/CDSE/protocol/openid-connect/token',
      baseUrl: 'http://127.0.0.1:9/',
      extraOrigins: 'http://127.0.0.1:10/some/path, https://a.example',
    });
    expect(c.baseUrl).toBe('http://127.0.0.1:9');
    expect(c.allowedOrigins).toEqual(['http://127.0.0.1:9', 'http://127.0.0.1:10', 'https://a.example']);
  });

  test('custom provider takes its grant from the settings', () => {
    const c = resolveConnection({
      provider: 'custom',
      tokenUrl: 'https://id.example/token',
      baseUrl: 'https://api.example',
      grant: 'password',
      username: 'u',
      password: 'p',
    });
    expect(c.grant).toBe('password');
    expect(c.clientId).toBe('public');
  });

  test.each([
    [{ provider: 'nope' }, 'provider'],
    [{ provider: 'sentinel-hub', clientSecret: 'x' }, 'clientId'],
    [{ provider: 'sentinel-hub', clientId: 'x' }, 'clientSecret'],
    [{ provider: 'terrascope', password: 'x' }, 'username'],
    [{ provider: 'terrascope', username: 'x' }, 'password'],
    [{ provider: 'custom', baseUrl: 'https://a.example', clientId: 'a', clientSecret: 'b' }, 'tokenUrl'],
    [{ provider: 'custom', tokenUrl: 'https://a.example/t', clientId: 'a', clientSecret: 'b' }, 'baseUrl'],
    [{ provider: 'custom', tokenUrl: 'https://a/t', baseUrl: 'https://a', grant: 'implicit' }, 'grant'],
    [{ provider: 'sentinel-hub', clientId: 'a', clientSecret: 'b', tokenUrl: 'not a url' }, 'tokenUrl'],
    [{ provider: 'sentinel-hub', clientId: 'a', clientSecret: 'b', tokenUrl: 'http://id.example/token' }, 'tokenUrl'],
    [{ provider: 'sentinel-hub', clientId: 'a', clientSecret: 'b', baseUrl: 'http://10.0.0.5' }, 'baseUrl'],
    [{ provider: 'sentinel-hub', clientId: 'a', clientSecret: 'b', extraOrigins: 'http://stac.example' }, 'extraOrigins'],
    [{ provider: 'sentinel-hub', clientId: 'a', clientSecret: 'b', baseUrl: 'ftp://x.example' }, 'baseUrl'],
    [{ provider: 'sentinel-hub', clientId: 'a', clientSecret: 'b', baseUrl: 'https://u:p@x.example' }, 'baseUrl'],
    [{ provider: 'sentinel-hub', clientId: 'a', clientSecret: 'b', extraOrigins: 'nope' }, 'extraOrigins'],
    [{ provider: 'sentinel-hub', clientId: 'a', clientSecret: 'b', clientAuth: 'jwt' }, 'clientAuth'],
  ])('bad settings %j name the field %s', (settings, field) => {
    const err = configError(() => resolveConnection(settings));
    expect(err.field).toBe(field);
    expect(err.message.length).toBeGreaterThan(20);
  });

  test('plain http is accepted for loopback only (the local emulator)', () => {
    for (const host of ['127.0.0.1:8480', 'localhost:8480', '[::1]:8480']) {
      const c = resolveConnection({
        provider: 'sentinel-hub',
        clientId: 'a',
        clientSecret: 'b',
        baseUrl: `http://${host}`,
        tokenUrl: `http://${host}/oauth/token`,
      });
      expect(c.baseUrl).toBe(`http://${host}`);
    }
  });

  test('an invalid URL is not echoed back (a secret pasted into the wrong field stays out of logs)', () => {
    const err = configError(() =>
      resolveConnection({ provider: 'sentinel-hub', clientId: 'a', clientSecret: 'b', tokenUrl: 'pasted-secret-value' }),
    );
    expect(err.message).not.toContain('pasted-secret-value');
  });

  test('a missing secret error never echoes other secrets', () => {
    const err = configError(() =>
      resolveConnection({ provider: 'terrascope', username: 'u', password: '', clientSecret: 'top-secret-value' }),
    );
    expect(err.message).not.toContain('top-secret-value');
  });
});

describe('isEoError', () => {
  test('recognises an EoError from another copy of the module (the shared cache crosses copies)', () => {
    let OtherEoError: typeof EoError | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a second copy of the module needs require inside isolateModules
      OtherEoError = (require('../../../nodes/core/errors') as typeof import('../../../nodes/core/errors')).EoError;
    });
    expect(OtherEoError).not.toBe(EoError);
    const foreign = new (OtherEoError as typeof EoError)('EO_RATE_LIMITED', 'slow down');
    expect(isEoError(foreign, 'EO_RATE_LIMITED')).toBe(true);
    expect(isEoError(foreign, 'EO_NETWORK')).toBe(false);
    expect(isEoError(new Error('plain'))).toBe(false);
    expect(isEoError({ code: 'EO_RATE_LIMITED' })).toBe(false);
  });
});
