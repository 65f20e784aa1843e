/**
 * Editing a deployed connection into another provider: the dialog still holds the old provider's
 * (hidden) fields, and "Test connection" must test the new provider's typed credentials instead
 * of asking for a secret the new provider does not use.
 */
import { authNode, demoCredentials, NODES, useTestBed } from './eo-flow';
import { DEMO_CLIENT, DEMO_USER } from '../emulator/state';

const bed = useTestBed();

async function postTest(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await bed.helper.request().post('/eo-auth/test').send(body);
  return res.body as Record<string, unknown>;
}

test('a Sentinel Hub connection switched to Terrascope tests the typed username and password', async () => {
  await bed.helper.load(NODES, [authNode(bed.emu, 'sentinel-hub')], demoCredentials('sentinel-hub'));
  const terrascope = bed.emu.endpoints.terrascope;
  // What the dialog sends: the hidden client fields keep their values, the stored secret as __PWRD__.
  const answer = await postTest({
    id: 'auth',
    provider: 'terrascope',
    tokenUrl: terrascope.tokenUrl,
    baseUrl: terrascope.baseUrl,
    extraOrigins: '',
    credentials: { clientId: DEMO_CLIENT.clientId, clientSecret: '__PWRD__', username: DEMO_USER.username, password: DEMO_USER.password },
  });
  expect(answer).toEqual(expect.objectContaining({ ok: true, subject: DEMO_USER.username, provider: 'terrascope' }));
  // The stored Sentinel Hub secret went nowhere: one password grant, no client credentials grant.
  expect(bed.emu.counters().tokenRequests).toEqual(expect.objectContaining({ password: 1 }));
  expect(bed.emu.counters().tokenRequests.client_credentials ?? 0).toBe(0);
});

test('switched to Terrascope with the password left empty, the missing password is named (nothing stored for it)', async () => {
  await bed.helper.load(NODES, [authNode(bed.emu, 'sentinel-hub')], demoCredentials('sentinel-hub'));
  const terrascope = bed.emu.endpoints.terrascope;
  const answer = await postTest({
    id: 'auth',
    provider: 'terrascope',
    tokenUrl: terrascope.tokenUrl,
    baseUrl: terrascope.baseUrl,
    credentials: { clientId: DEMO_CLIENT.clientId, clientSecret: '__PWRD__', username: DEMO_USER.username, password: '' },
  });
  expect(answer).toEqual(expect.objectContaining({ ok: false, code: 'EO_INVALID_CONFIG', field: 'password' }));
  expect(bed.emu.counters().tokenRequests.total).toBe(0);
});
