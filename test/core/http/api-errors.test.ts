import { unauthorizedHint } from '../../../nodes/core/http/api-errors';

describe('API errors (unit)', () => {
  it('explains a token from the wrong service', () => {
    const sh = { providerLabel: 'Sentinel Hub', issuerRealm: '/auth/realms/main' };
    const cdseToken = { value: 'x', expiresAt: 0, issuer: 'https://identity.dataspace.copernicus.eu/auth/realms/CDSE' };
    expect(unauthorizedHint(sh, cdseToken, new URL('https://services.sentinel-hub.com/api/v1/process'))).toBe(
      'This is a CDSE token used against services.sentinel-hub.com: set the base URL to https://sh.dataspace.copernicus.eu or use Sentinel Hub credentials.',
    );
    expect(unauthorizedHint(sh, cdseToken, new URL('https://proxy.example/api'))).toContain(
      'realm "CDSE" but Sentinel Hub expects realm "main"',
    );
  });
});
