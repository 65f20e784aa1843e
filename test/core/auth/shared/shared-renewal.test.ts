/**
 * Token caches that share through a real redis-server. Each cache has its own Redis connection and
 * its own memory, exactly what two processes have; the tests that need real processes (a lease
 * holder that dies, racing workers) are in cross-process.test.ts.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { EoError } from '../../../../nodes/core/errors';
import { TokenCache } from '../../../../nodes/core/auth/token-cache';
import type { ConnectionSettings } from '../../../../nodes/core/config/connection';
import { emulatorConnection, useEmulator } from '../../../support/fixtures';
import { DelayProxy } from '../../../support/delay-proxy';
import { RedisServer } from '../../../support/redis-server';
import type { FullConfig } from '../../../emulator/state';
import type { Emulator } from '../../../emulator/types';
import { useRedis } from './redis-fixtures';

const run = promisify(execFile);

let emu: Emulator;
let redis: RedisServer;
useEmulator((started) => (emu = started));
const sharingCache = useRedis((started) => (redis = started));

const sentinelHub = (over: Partial<ConnectionSettings> = {}) => emulatorConnection(emu, 'sentinel-hub', over);
const terrascope = (over: Partial<ConnectionSettings> = {}) => emulatorConnection(emu, 'terrascope', over);
const tokenRequests = () => emu.counters().tokenRequests;

/** A clock the test moves; the emulator stamps its tokens with the same offset. */
function movableClock() {
  let offsetMs = 0;
  return {
    now: () => Date.now() + offsetMs,
    advance(ms: number) {
      offsetMs += ms;
      emu.configure({ clockSkewS: Math.round(offsetMs / 1000) });
    },
  };
}

/** Calls of the commands token sharing sends, from Redis's own statistics. */
async function sharingCommands(): Promise<number> {
  const info = String(await redis.command('INFO', 'commandstats'));
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_(eval|set|get|hget|hgetall|pexpire|del):calls=(\d+)/gm)) calls += Number(m[2]);
  return calls;
}

/**
 * Two Terrascope caches on a movable clock, with Keycloak's "Revoke Refresh Token" on: a refresh
 * token redeemed twice is refused (400), so any double use shows in the status counts.
 */
function twoProcessesWithSingleUseRefreshTokens() {
  const singleUse: Partial<FullConfig> = { revokeUsedRefreshTokens: true };
  emu.configure(singleUse);
  const clock = movableClock();
  const a = sharingCache(undefined, { now: clock.now }).cache.provider(terrascope());
  const b = sharingCache(undefined, { now: clock.now }).cache.provider(terrascope());
  return { clock, a, b };
}

describe('one token per identity across processes', () => {
  it("a second process takes over the first one's token: one token request for both", async () => {
    const a = sharingCache(undefined).cache.provider(sentinelHub());
    const b = sharingCache(undefined).cache.provider(sentinelHub());
    const first = await a.getToken();
    const second = await b.getToken();
    expect(second.value).toBe(first.value);
    expect(tokenRequests().total).toBe(1);
  });

  it('a valid token in memory is served without a single Redis command', async () => {
    const tokens = sharingCache(undefined).cache.provider(sentinelHub());
    await tokens.getToken();
    const before = await sharingCommands();
    for (let i = 0; i < 1000; i++) await tokens.getToken();
    const after = await sharingCommands();
    expect(after - before).toBe(0);
    expect(tokenRequests().total).toBe(1);
  });

  it('minValidityMs holds across processes: the one that needs more renews, the other takes the newer token over', async () => {
    const clock = movableClock();
    const a = sharingCache(undefined, { now: clock.now }).cache.provider(sentinelHub());
    const b = sharingCache(undefined, { now: clock.now }).cache.provider(sentinelHub());
    const first = await a.getToken();
    expect((await b.getToken()).value).toBe(first.value);
    clock.advance(40 * 60_000); // 20 min left
    const renewed = await b.getToken({ minValidityMs: 30 * 60_000 });
    expect(renewed.value).not.toBe(first.value);
    expect(tokenRequests().total).toBe(2);
    // A needs no more than its 20 minutes: its own token, no Redis, no request.
    expect((await a.getToken()).value).toBe(first.value);
    // A long job in A: the newer token B published serves it, without a request.
    expect((await a.getToken({ minValidityMs: 30 * 60_000 })).value).toBe(renewed.value);
    expect(tokenRequests().total).toBe(2);
  });

  it('a 401 in one process replaces the token for all, and a late 401 for the old token never removes the new one', async () => {
    const a = sharingCache(undefined).cache.provider(sentinelHub());
    const b = sharingCache(undefined).cache.provider(sentinelHub());
    const old = await a.getToken();
    expect((await b.getToken()).value).toBe(old.value);
    a.invalidate(old.value);
    const fresh = await a.getToken();
    expect(fresh.value).not.toBe(old.value);
    expect(tokenRequests().total).toBe(2);
    // B meets its own 401 for the old token: it takes A's replacement, no request.
    b.invalidate(old.value);
    expect((await b.getToken()).value).toBe(fresh.value);
    // A late 401 for the old token, from A again: the shared replacement stays.
    a.invalidate(old.value);
    await new Promise((r) => setTimeout(r, 100));
    const c = sharingCache(undefined).cache.provider(sentinelHub());
    expect((await c.getToken()).value).toBe(fresh.value);
    expect(tokenRequests().total).toBe(2);
  });

  it("the renewing process's failure is every waiting process's: a wrong secret is sent once, not once per process", async () => {
    emu.configure({ tokenDelayMs: 200 });
    const wrong = { clientSecret: 'wrong-secret-123' };
    const caches = [1, 2, 3].map(() => sharingCache(undefined).cache.provider(sentinelHub(wrong)));
    const outcomes = await Promise.all(
      caches.map((c) =>
        c.getToken().then(
          () => 'token',
          (e: unknown) => e,
        ),
      ),
    );
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(EoError);
      expect((outcome as EoError).code).toBe('EO_AUTH_INVALID_CLIENT');
      expect((outcome as EoError).field).toBe('clientSecret');
    }
    expect(tokenRequests().total).toBe(1);
  });

  it('a wrong secret is answered to a process arriving later without a request; an endpoint outage is tried again', async () => {
    const wrong = { clientSecret: 'wrong-secret-123' };
    await expect(sharingCache(undefined).cache.provider(sentinelHub(wrong)).getToken()).rejects.toMatchObject({
      code: 'EO_AUTH_INVALID_CLIENT',
    });
    const later = sharingCache(undefined).cache.provider(sentinelHub(wrong));
    await expect(later.getToken()).rejects.toMatchObject({ code: 'EO_AUTH_INVALID_CLIENT', field: 'clientSecret' });
    expect(tokenRequests().total).toBe(1);
    // The endpoint failing is not about the credentials: the next process asks again.
    emu.fault({ route: 'token$', status: 503, times: 4 });
    const fast = { request: { retries: 3, backoff: { baseMs: 5, maxMs: 20, factor: 2 } } };
    await expect(sharingCache(undefined, fast).cache.provider(sentinelHub()).getToken()).rejects.toMatchObject({
      code: 'EO_TOKEN_ENDPOINT_UNAVAILABLE',
    });
    await sharingCache(undefined).cache.provider(sentinelHub()).getToken();
    expect(tokenRequests().total).toBe(1 + 4 + 1);
  });

  it('a 429 cool-down met by one process holds for the others: nobody asks before it ends', async () => {
    emu.fault({ route: 'token$', status: 429, headers: { 'retry-after': '1500' }, times: 1 });
    const impatient = sharingCache(undefined, { maxRateLimitWaitMs: 0 }).cache.provider(sentinelHub());
    await expect(impatient.getToken()).rejects.toMatchObject({ code: 'EO_RATE_LIMITED' });
    const limitedAt = Date.now();
    // Another process that may not wait that long fails at once, without a request.
    const hurried = sharingCache(undefined, { maxRateLimitWaitMs: 200 }).cache.provider(sentinelHub());
    await expect(hurried.getToken()).rejects.toMatchObject({ code: 'EO_RATE_LIMITED' });
    expect(tokenRequests().total).toBe(1);
    expect(hurried.state().coolDownUntil).toBeGreaterThan(Date.now() + 500);
    // One that may wait gets its token after the cool-down, with one more request.
    const patient = sharingCache(undefined).cache.provider(sentinelHub());
    await patient.getToken();
    const sentAt = emu.log().filter((e) => /token$/.test(e.path))[1].time;
    expect(sentAt - limitedAt).toBeGreaterThanOrEqual(1300);
    expect(tokenRequests().total).toBe(2);
  });
});

describe('the Terrascope refresh chain across processes', () => {
  it('whoever renews redeems the newest refresh token of the chain, not the older one it holds', async () => {
    const { clock, a, b } = twoProcessesWithSingleUseRefreshTokens();
    await a.getToken();
    await b.getToken(); // B holds the first refresh token
    clock.advance(250_000);
    await a.getToken(); // A rotates the chain; B, busy elsewhere, still holds the first one
    clock.advance(250_000);
    await b.getToken(); // now B renews
    expect(tokenRequests()).toMatchObject({ password: 1, refresh_token: 2 });
    expect(emu.counters().tokenStatus['400']).toBeUndefined();
  });
});

describe('what Redis holds', () => {
  it('sealed tokens under names without client id, username or secret, expiring with the token', async () => {
    const record: Partial<FullConfig> = { recordIssuedTokens: true };
    emu.configure(record);
    await sharingCache(undefined).cache.provider(sentinelHub()).getToken();
    await sharingCache(undefined).cache.provider(terrascope()).getToken();
    const entries = await redis.entries();
    expect(entries.map((e) => e.key.replace(/\{[^}]+\}/, '{id}')).sort()).toEqual([
      'eo-nodes:v1:{id}:access',
      'eo-nodes:v1:{id}:access',
      'eo-nodes:v1:{id}:refresh',
    ]);
    const dump = `${JSON.stringify(entries)}\n${(await redis.rdb()).toString('latin1')}`;
    const issued = emu.issuedTokens();
    expect(issued.access.length + issued.refresh.length).toBe(3);
    const secrets = [...issued.access, ...issued.refresh, 'demo-client', 'demo-secret', 'demo-password', '"demo"'];
    expect(secrets.filter((s) => dump.includes(s))).toEqual([]);
    for (const e of entries) {
      expect(e.pttl).toBeGreaterThan(0);
      expect(e.pttl).toBeLessThanOrEqual((e.key.endsWith(':refresh') ? 3600 : 3600) * 1000);
    }
    const terrascopeAccess = entries.filter((e) => e.key.endsWith(':access')).map((e) => e.pttl);
    expect(Math.min(...terrascopeAccess)).toBeLessThanOrEqual(300_000);
  });
});

describe('Redis is never a new way to fail', () => {
  it('down from the start: tokens come at once from this process, and the outage is said once', async () => {
    // A port where nothing listens any more.
    const gone = await RedisServer.start();
    await gone.remove();
    const { cache, logs } = sharingCache(gone.url);
    const tokens = cache.provider(sentinelHub());
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const token = await tokens.getToken();
      tokens.invalidate(token.value);
    }
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(tokenRequests().total).toBe(20);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/Redis at 127\.0\.0\.1:\d+ refused the connection\. Tokens are kept in this process only/);
    expect(cache.sharingStatus()).toMatchObject({ mode: 'redis', unavailable: true });
    expect(cache.sharingStatus().text).toMatch(/this process only until it answers/);
  });

  it('killed, then restarted empty: every call still answered, and sharing resumes by itself', async () => {
    const clock = movableClock();
    const a = sharingCache(undefined, { now: clock.now }, { retryAfterMs: 200 });
    const b = sharingCache(undefined, { now: clock.now }, { retryAfterMs: 200 });
    const ta = a.cache.provider(sentinelHub());
    const tb = b.cache.provider(sentinelHub());
    await ta.getToken();
    await tb.getToken();
    expect(tokenRequests().total).toBe(1);
    await redis.kill();
    clock.advance(3570_000); // inside the margin: both must renew
    await ta.getToken();
    await tb.getToken();
    expect(tokenRequests().total).toBe(3); // each on its own while Redis is gone
    await redis.restart();
    await new Promise((r) => setTimeout(r, 1_500)); // ioredis reconnects in the background
    clock.advance(3570_000);
    const renewed = await ta.getToken();
    expect((await tb.getToken()).value).toBe(renewed.value);
    expect(tokenRequests().total).toBe(4);
    for (const logs of [a.logs, b.logs]) {
      expect(logs).toHaveLength(2);
      expect(logs[0]).toMatch(/Tokens are kept in this process only/);
      expect(logs[1]).toMatch(/answers again/);
    }
  });

  it('a wrong Redis password: one clear line, tokens from this process', async () => {
    const locked = await RedisServer.start({ password: 'right-redis-password' });
    try {
      const { cache, logs } = sharingCache(locked.urlWith('wrong-redis-password'));
      const tokens = cache.provider(sentinelHub());
      for (let i = 0; i < 5; i++) tokens.invalidate((await tokens.getToken()).value);
      expect(tokenRequests().total).toBe(5);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatch(/refused the login \(WRONGPASS[^)]*\): check the user and password in EO_REDIS_URL/);
      expect(logs.join('\n')).not.toContain('wrong-redis-password');
    } finally {
      await locked.remove();
    }
  });

  it('a read-only replica: says so once, tokens from this process', async () => {
    const replica = await RedisServer.start({ replicaOf: redis });
    try {
      const { cache, logs } = sharingCache(replica.url);
      const tokens = cache.provider(sentinelHub());
      for (let i = 0; i < 3; i++) tokens.invalidate((await tokens.getToken()).value);
      expect(tokenRequests().total).toBe(3);
      expect(logs).toEqual([expect.stringMatching(/is a read-only replica: point EO_REDIS_URL at the primary/)]);
    } finally {
      await replica.remove();
    }
  });

  it('a slow Redis costs a renewal at most the command timeout, and sharing comes back when it answers', async () => {
    const proxy = await DelayProxy.start(redis.port);
    try {
      const { cache, logs } = sharingCache(proxy.url(), {}, { commandTimeoutMs: 300, retryAfterMs: 200 });
      const tokens = cache.provider(sentinelHub());
      await tokens.getToken(); // connected and shared
      proxy.delayMs = 3_000;
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        tokens.invalidate((await tokens.getToken()).value);
        const t0 = Date.now();
        await tokens.getToken();
        times.push(Date.now() - t0);
        await new Promise((r) => setTimeout(r, 250)); // past retryAfterMs: each renewal tries Redis again
      }
      expect(Math.max(...times)).toBeLessThan(1_500); // 300 ms timeout + the token request, on a busy machine
      expect(logs).toEqual([expect.stringMatching(/did not answer within 300 ms/)]);
      proxy.delayMs = 0;
      await new Promise((r) => setTimeout(r, 3_500)); // the replies still on their way arrive
      tokens.invalidate((await tokens.getToken()).value);
      await tokens.getToken();
      expect(logs[1]).toMatch(/answers again/);
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it('a token rejected (401) while Redis did not answer is not taken over again once it does', async () => {
    const proxy = await DelayProxy.start(redis.port);
    try {
      const a = sharingCache(undefined).cache.provider(sentinelHub());
      const bCache = sharingCache(proxy.url(), {}, { commandTimeoutMs: 200, retryAfterMs: 100 }).cache;
      const b = bCache.provider(sentinelHub());
      const old = await a.getToken();
      expect((await b.getToken()).value).toBe(old.value);
      // B's Redis stops answering; B finds out while renewing another identity's token.
      proxy.delayMs = 2_000;
      await bCache.provider(terrascope()).getToken();
      expect(bCache.sharingStatus().unavailable).toBe(true);
      // Meanwhile the API rejects the shared token in B: Redis cannot be told.
      b.invalidate(old.value);
      proxy.delayMs = 0;
      await new Promise((r) => setTimeout(r, 2_500));
      // Redis answers again and still holds the rejected token: B does not take it.
      const next = await b.getToken();
      expect(next.value).not.toBe(old.value);
      expect(tokenRequests().client_credentials).toBe(2);
    } finally {
      await proxy.close();
    }
  }, 20_000);

  it('alone, a process never redeems a refresh token another process may hold: it logs in instead', async () => {
    const { clock, a, b } = twoProcessesWithSingleUseRefreshTokens();
    await a.getToken();
    await b.getToken(); // took A's token and refresh token over
    expect(tokenRequests()).toMatchObject({ password: 1, refresh_token: 0 });
    await redis.kill();
    clock.advance(250_000); // inside the margin of the 300 s token
    await Promise.all([a.getToken(), b.getToken()]);
    // Each logged in on its own; nobody sent the shared refresh token, so nobody's was refused.
    expect(tokenRequests()).toMatchObject({ password: 3, refresh_token: 0 });
    expect(emu.counters().tokenStatus['400']).toBeUndefined();
    // Its own refresh token (never shared) is redeemed alone the next time.
    clock.advance(250_000);
    await a.getToken();
    expect(tokenRequests()).toMatchObject({ password: 3, refresh_token: 1 });
    expect(emu.counters().tokenStatus['400']).toBeUndefined();
  });
});

describe('the client library', () => {
  /** Runs the built core in a fresh process; returns whether ioredis was loaded after one token. */
  async function loadsIoredis(env: NodeJS.ProcessEnv): Promise<{ loaded: boolean; status: string }> {
    const core = path.resolve(__dirname, '../../../../dist/nodes/core');
    const script = `
      const core = require(${JSON.stringify(core)});
      const c = core.resolveConnection({ provider: 'sentinel-hub', tokenUrl: ${JSON.stringify(emu.endpoints.sentinelHub.tokenUrl)}, baseUrl: ${JSON.stringify(emu.endpoints.sentinelHub.baseUrl)}, clientId: 'demo-client', clientSecret: 'demo-secret' });
      core.tokenProviderFor(c).getToken().then(async () => {
        const loaded = Object.keys(require.cache).some((f) => f.includes('/node_modules/ioredis/'));
        console.log(JSON.stringify({ loaded, status: core.tokenSharingStatus().text }));
        await core.sharedTokenCache().close();
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], {
      env: { ...process.env, EO_REDIS_URL: '', EXECUTIONS_MODE: '', ...env },
    });
    return JSON.parse(stdout.trim().split('\n').pop()!) as { loaded: boolean; status: string };
  }

  it('is loaded only when sharing is configured', async () => {
    expect(await loadsIoredis({})).toEqual({ loaded: false, status: 'this process only' });
    expect(await loadsIoredis({ EO_REDIS_URL: redis.url })).toEqual({
      loaded: true,
      status: `shared via Redis at 127.0.0.1:${redis.port}`,
    });
  });

  it('a TokenCache of its own shares only when given a sharing; the environment configures the process-wide one', () => {
    const saved = process.env.EO_REDIS_URL;
    process.env.EO_REDIS_URL = redis.url;
    try {
      expect(new TokenCache().sharingStatus()).toEqual({ mode: 'local', text: 'this process only' });
    } finally {
      if (saved === undefined) delete process.env.EO_REDIS_URL;
      else process.env.EO_REDIS_URL = saved;
    }
  });
});
