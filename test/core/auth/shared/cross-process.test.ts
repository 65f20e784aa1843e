/**
 * Token sharing between real processes (token-worker.js: the built core in a child process each,
 * as n8n workers or Node-RED copies run it) through a real redis-server: racing for the lease, a
 * lease holder that dies in the middle of its token request, a 429 cool-down met by one process,
 * and the Terrascope refresh-token chain rotated by whichever process renews.
 */
import type { ConnectionSettings } from '../../../../nodes/core/config/connection';
import { useEmulator } from '../../../support/fixtures';
import type { RedisServer } from '../../../support/redis-server';
import { defaultConfig, type FullConfig } from '../../../emulator/state';
import type { Emulator } from '../../../emulator/types';
import { useRedis } from './redis-fixtures';
import { TokenWorker, type WorkerOptions } from './token-workers';

jest.setTimeout(60_000);

let emu: Emulator;
let redis: RedisServer;
useEmulator((started) => (emu = started));
useRedis((started) => (redis = started));
const defaults = defaultConfig();
const workers: TokenWorker[] = [];

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});

function sentinelHub(): ConnectionSettings {
  const e = emu.endpoints.sentinelHub;
  return { provider: 'sentinel-hub', tokenUrl: e.tokenUrl, baseUrl: e.baseUrl, clientId: 'demo-client', clientSecret: 'demo-secret' };
}

function terrascope(): ConnectionSettings {
  const e = emu.endpoints.terrascope;
  return { provider: 'terrascope', tokenUrl: e.tokenUrl, baseUrl: e.baseUrl, username: 'demo', password: 'demo-password' };
}

async function startWorkers(count: number, options: Omit<WorkerOptions, 'redisUrl'>): Promise<TokenWorker[]> {
  const started = await Promise.all(Array.from({ length: count }, () => TokenWorker.start({ redisUrl: redis.url, ...options })));
  workers.push(...started);
  return started;
}

const tokenLog = () => emu.log().filter((e) => /token$/.test(e.path));

it('three processes racing on a cold start, 50 callers each: one token request, one token everywhere', async () => {
  emu.configure({ tokenDelayMs: 150 });
  const racers = await startWorkers(3, { connection: sentinelHub() });
  const seen = await Promise.all(racers.map((w) => w.call<string[]>('burst', { count: 50 })));
  expect(emu.counters().tokenRequests.total).toBe(1);
  expect(seen.map((tokens) => tokens.length)).toEqual([1, 1, 1]);
  expect(new Set(seen.flat()).size).toBe(1);
});

it('a lease holder that dies mid-request: the next process takes over when the lease runs out, not before', async () => {
  const LEASE_MS = 2_000;
  emu.fault({ route: 'token$', hang: true, times: 1 });
  const options = { connection: sentinelHub(), sharing: { leaseTtlMs: LEASE_MS }, cache: { request: { timeoutMs: 20_000, retries: 0 } } };
  const [doomed, survivor] = await startWorkers(2, options);
  const lost = doomed.getToken().catch((err: unknown) => err);
  // The doomed process holds the lease once its (hanging) token request reached the provider.
  while (tokenLog().length === 0) await new Promise((r) => setTimeout(r, 20));
  const leaseTakenAt = tokenLog()[0].time;
  const pending = survivor.getToken();
  await new Promise((r) => setTimeout(r, 300));
  doomed.kill();
  await lost;
  const token = await pending;
  const requests = tokenLog();
  expect(requests).toHaveLength(2);
  // Not before the lease ran out (the holder might have been alive), and not much later.
  expect(requests[1].time - leaseTakenAt).toBeGreaterThanOrEqual(LEASE_MS - 250);
  expect(requests[1].time - leaseTakenAt).toBeLessThan(LEASE_MS + 2_000);
  expect(token.expiresAt).toBeGreaterThan(Date.now() + 3000_000);
});

it('a 429 met by one process is waited out by all: no process asks again before it ends', async () => {
  // Long enough that starting the next processes on a busy machine does not eat it up.
  emu.fault({ route: 'token$', status: 429, headers: { 'retry-after': '3500' }, times: 1 });
  const [first] = await startWorkers(1, { connection: sentinelHub(), cache: { maxRateLimitWaitMs: 0 } });
  await expect(first.getToken()).rejects.toMatchObject({ code: 'EO_RATE_LIMITED' });
  const limitedAt = tokenLog()[0].time;
  const [hurried] = await startWorkers(1, { connection: sentinelHub(), cache: { maxRateLimitWaitMs: 300 } });
  await expect(hurried.getToken()).rejects.toMatchObject({ code: 'EO_RATE_LIMITED' });
  expect(tokenLog()).toHaveLength(1);
  const state = await hurried.call<{ coolDownUntil?: number }>('state');
  expect(state.coolDownUntil).toBeGreaterThan(limitedAt + 3_000);
  // One that may wait 8 s asks once, after the cool-down.
  const [late] = await startWorkers(1, { connection: sentinelHub(), cache: { maxRateLimitWaitMs: 8_000 } });
  await late.getToken();
  const requests = tokenLog();
  expect(requests).toHaveLength(2);
  expect(requests[1].time - limitedAt).toBeGreaterThanOrEqual(3_400);
});

it('Terrascope across three processes: one password login, the newest rotated refresh token always, never one redeemed twice', async () => {
  // Keycloak's "Revoke Refresh Token": a refresh token redeemed twice is refused (400), so any
  // double use shows up in the status counts.
  const singleUse: Partial<FullConfig> = {
    revokeUsedRefreshTokens: true,
    accessTokenLifetimeS: { ...defaults.accessTokenLifetimeS, terrascope: 3 },
  };
  emu.configure(singleUse);
  const group = await startWorkers(3, { connection: terrascope() });
  const RUN_MS = 7_000;
  const served: { value: string; expiresAt: number; finished: number }[] = [];
  const end = Date.now() + RUN_MS;
  await Promise.all(
    group.map(async (w) => {
      while (Date.now() < end) {
        served.push(await w.getToken());
        await new Promise((r) => setTimeout(r, 30));
      }
    }),
  );
  const counts = emu.counters();
  expect(counts.tokenRequests.password).toBe(1);
  expect(counts.tokenStatus['400']).toBeUndefined();
  // 3 s tokens renewed 1.5 s before their end: one renewal every ~1.5 s for the whole group.
  const ideal = Math.ceil(RUN_MS / 1_500);
  expect(counts.tokenRequests.refresh_token).toBeGreaterThanOrEqual(ideal - 2);
  expect(counts.tokenRequests.refresh_token).toBeLessThanOrEqual(ideal + 1);
  // Every token any process served was still valid when served.
  expect(served.filter((t) => t.expiresAt <= t.finished)).toEqual([]);
  expect(new Set(served.map((t) => t.value)).size).toBe(counts.tokenRequests.total);
}, 60_000);

it('a refresh token the provider refuses (invalid_grant): one password login for everybody', async () => {
  emu.configure({ accessTokenLifetimeS: { ...defaults.accessTokenLifetimeS, terrascope: 3 } });
  const group = await startWorkers(3, { connection: terrascope() });
  const first = await group[0].getToken();
  for (const w of group.slice(1)) expect((await w.getToken()).value).toBe(first.value);
  expect(emu.counters().tokenRequests).toMatchObject({ password: 1, refresh_token: 0 });
  emu.revokeRefreshTokens(); // the session ended on the provider's side
  // Inside the margin (half the lifetime of a token of 2 to 3 s): every process must renew.
  await new Promise((r) => setTimeout(r, Math.max(0, first.expiresAt - 700 - Date.now())));
  const renewed = await Promise.all(group.map((w) => w.getToken()));
  expect(new Set(renewed.map((t) => t.value)).size).toBe(1);
  expect(emu.counters().tokenRequests).toMatchObject({ password: 2, refresh_token: 1, total: 3 });
});
