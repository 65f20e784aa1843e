import { resolveConnection, type ConnectionSettings } from '../../../../nodes/core/config/connection';
import { identitySlot } from '../../../../nodes/core/auth/shared/identity-slot';

const terrascope = (over: Partial<ConnectionSettings> = {}) =>
  resolveConnection({ provider: 'terrascope', username: 'alice@example.org', password: 'correct horse battery', ...over });
const sentinelHub = (over: Partial<ConnectionSettings> = {}) =>
  resolveConnection({ provider: 'sentinel-hub', clientId: 'b6f8a1c2-client', clientSecret: 'sh-secret-value-123', ...over });

describe("an identity's place in Redis", () => {
  it('is the same in every process for the same credentials, and another one for any other', async () => {
    const a = await identitySlot(terrascope());
    const b = await identitySlot(terrascope());
    expect(b.keys).toEqual(a.keys);
    const others = await Promise.all([
      identitySlot(terrascope({ password: 'another password' })),
      identitySlot(terrascope({ username: 'bob@example.org' })),
      identitySlot(terrascope({ tokenUrl: 'http://127.0.0.1:1/auth/realms/terrascope/protocol/openid-connect/token' })),
      identitySlot(sentinelHub()),
      identitySlot(sentinelHub({ clientSecret: 'sh-secret-value-124' })),
    ]);
    const names = new Set([a, ...others].map((s) => s.keys.access));
    expect(names.size).toBe(6);
  });

  it('key names carry no client id, username or secret', async () => {
    for (const connection of [terrascope(), sentinelHub()]) {
      const slot = await identitySlot(connection);
      const all = Object.values(slot.keys).join(' ');
      expect(all).toMatch(/^eo-nodes:v1:\{[A-Za-z0-9_-]{22}\}:access /);
      for (const word of ['alice', 'example.org', 'correct horse', 'b6f8a1c2', 'sh-secret', 'terrascope', 'sentinel']) {
        expect(all).not.toContain(word);
      }
    }
  });

  it('a sealed token opens only with the same credentials and in the same key', async () => {
    const slot = await identitySlot(terrascope());
    const token = { value: 'eyJhbGciOi.the-token.signature', expiresAt: 1, obtainedAt: 0 };
    const sealed = slot.seal(slot.keys.access, token);
    expect(sealed).not.toContain('the-token');
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('the-token');
    expect(slot.open(slot.keys.access, sealed)).toEqual(token);
    // Copied into another key of the same identity: refused (the key name is authenticated).
    expect(slot.open(slot.keys.refresh, sealed)).toBeUndefined();
    // Another secret: refused.
    const other = await identitySlot(terrascope({ password: 'another password' }));
    expect(other.open(slot.keys.access, sealed)).toBeUndefined();
    // One bit changed: refused.
    const raw = Buffer.from(sealed, 'base64url');
    raw[raw.length - 20] ^= 1;
    expect(slot.open(slot.keys.access, raw.toString('base64url'))).toBeUndefined();
    expect(slot.open(slot.keys.access, 'garbage')).toBeUndefined();
    // Two seals of the same value differ (random IV), so equal tokens cannot be spotted in a dump.
    expect(slot.seal(slot.keys.access, token)).not.toBe(sealed);
  });

  it('fingerprints tell tokens apart without revealing them, and differ per identity', async () => {
    const slot = await identitySlot(sentinelHub());
    const other = await identitySlot(sentinelHub({ clientSecret: 'sh-secret-value-124' }));
    expect(slot.fingerprint('token-a')).toBe(slot.fingerprint('token-a'));
    expect(slot.fingerprint('token-a')).not.toBe(slot.fingerprint('token-b'));
    expect(other.fingerprint('token-a')).not.toBe(slot.fingerprint('token-a'));
    expect(slot.fingerprint('token-a')).not.toContain('token-a');
  });
});
