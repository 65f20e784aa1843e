/**
 * n8n in queue mode: `n8n start` and two `n8n worker` processes on a real Redis and PostgreSQL
 * (test/support/n8n-queue.ts), the package installed as n8n installs it, nothing configured for
 * token sharing: the package finds n8n's own Redis (QUEUE_BULL_REDIS_*). Webhook executions spread
 * over both workers share one token; Terrascope's rotating refresh token is redeemed by one worker
 * at a time; the credential test says so; Redis holds nothing usable; a download into a folder
 * (not through the database's binary store) is written by the worker byte for byte. Started once for the file:
 * n8n's start-up is the expensive part.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bodyBytes, DEMO_CLIENT, DEMO_USER, startEmulator, syntheticSource } from '../emulator/server';
import type { FullConfig } from '../emulator/state';
import { defaultConfig } from '../emulator/state';
import type { Emulator } from '../emulator/types';
import { emulatorCredentials, SENTINEL_HUB_CREDENTIAL } from '../support/n8n-process';
import { publishWorkflow, startN8nQueue, type N8nQueue } from '../support/n8n-queue';
import { RedisServer } from '../support/redis-server';
import { webhookDownload, webhookDownloadToFolder, webhookProcess } from './workflows';

jest.setTimeout(180_000);

let emu: Emulator;
let redis: RedisServer;
let queue: N8nQueue;

beforeAll(async () => {
  const record: Partial<FullConfig> = { recordIssuedTokens: true };
  [emu, redis] = await Promise.all([startEmulator(record), RedisServer.start()]);
  queue = await startN8nQueue({ redis, workers: 2, prepare: (home) => home.importCredentials(emulatorCredentials(emu)) });
  await publishWorkflow(queue.rest, webhookProcess('eoQueueProcess', 'eo-queue-process'));
  await publishWorkflow(queue.rest, webhookDownload('eoQueueDownload', 'eo-queue-download', '6b1c2d3e-2222-4a5b-8c9d-000000000002'));
  await publishWorkflow(
    queue.rest,
    webhookDownloadToFolder('eoQueueFolder', 'eo-queue-folder', '6b1c2d3e-2222-4a5b-8c9d-000000000003', join(queue.home.files, 'queue')),
  );
}, 420_000);

afterAll(async () => {
  await queue?.stop();
  await redis?.remove();
  await emu?.close();
});

/** Calls a production webhook; waits out the moment after start-up when it is not registered yet. */
async function callWebhook(path: string, timeoutMs = 60_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${queue.main.url}/webhook/${path}`);
    if (res.status !== 404 || Date.now() > deadline) return res;
    await res.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Executions each worker ran so far. */
const ranBy = () => queue.workers.map((w) => w.executions().length);

test('40 webhook executions spread over both workers cost exactly 1 token request', async () => {
  await (await callWebhook('eo-queue-process')).arrayBuffer(); // registered, and one token in Redis
  emu.reset();
  const before = ranBy();
  const CALLS = 40;
  const statuses: number[] = [];
  // Ten at a time: each worker takes up to ten jobs, so both get work.
  for (let batch = 0; batch < CALLS / 10; batch++) {
    const answers = await Promise.all(Array.from({ length: 10 }, () => callWebhook('eo-queue-process')));
    for (const res of answers) {
      statuses.push(res.status);
      await res.arrayBuffer();
    }
  }
  const ran = ranBy().map((n, i) => n - before[i]);
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  expect(ran.reduce((a, b) => a + b, 0)).toBe(CALLS);
  expect(ran.every((n) => n > 0)).toBe(true);
  expect(emu.counters().tokenRequests.total).toBe(0);
  expect(emu.counters().apiStatus['200']).toBe(CALLS);
});

test('the first token of a cold deployment: one request, whichever worker asks', async () => {
  // A fresh identity (a second OAuth client) nobody has a token for yet.
  const client = { clientId: 'queue-cold-client', clientSecret: 'queue-cold-secret-0123' };
  emu.configure({ clients: [...defaultConfig().clients, client] });
  const changed = await queue.rest.request('PATCH', `/rest/credentials/${SENTINEL_HUB_CREDENTIAL.id}`, {
    name: SENTINEL_HUB_CREDENTIAL.name,
    type: 'sentinelHubApi',
    data: {
      environment: 'sentinel-hub',
      ...client,
      tokenUrl: emu.endpoints.sentinelHub.tokenUrl,
      baseUrl: emu.endpoints.sentinelHub.baseUrl,
    },
  });
  expect(changed.status).toBe(200);
  emu.reset();
  const before = ranBy();
  const answers = await Promise.all(Array.from({ length: 20 }, () => callWebhook('eo-queue-process')));
  for (const res of answers) {
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
  expect(
    ranBy()
      .map((n, i) => n - before[i])
      .every((n) => n > 0),
  ).toBe(true);
  expect(emu.counters().tokenRequests).toMatchObject({ client_credentials: 1, total: 1 });
});

test('Terrascope with short tokens across both workers: 1 password login, refreshes at the ideal count, 0 API 401s', async () => {
  const LIFETIME_S = 4;
  emu.configure({ accessTokenLifetimeS: { ...defaultConfig().accessTokenLifetimeS, terrascope: LIFETIME_S } });
  emu.reset();
  const before = ranBy();
  const RUN_MS = 12_000;
  const end = Date.now() + RUN_MS;
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < end) {
        const res = await callWebhook('eo-queue-download');
        statuses.push(res.status);
        await res.arrayBuffer();
      }
    }),
  );
  const counts = emu.counters();
  // Renewed half a lifetime before the end (the margin of short tokens): one renewal per 2 s.
  const ideal = Math.round(RUN_MS / ((LIFETIME_S * 1000) / 2));
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  expect(
    ranBy()
      .map((n, i) => n - before[i])
      .every((n) => n > 0),
  ).toBe(true);
  expect(counts.tokenRequests.password).toBe(1);
  expect(counts.tokenStatus['400']).toBeUndefined(); // no refresh token redeemed twice, none refused
  expect(counts.tokenRequests.refresh_token).toBeGreaterThanOrEqual(ideal - 2);
  expect(counts.tokenRequests.refresh_token).toBeLessThanOrEqual(ideal + 2);
  expect(counts.apiStatus['401']).toBeUndefined();
  expect(counts.apiStatus['200']).toBe(statuses.length);
});

test('a download into a folder runs on a worker and writes the file byte for byte; the next run skips it', async () => {
  const size = 6 * 1024 * 1024 + 7;
  emu.reset();
  const before = ranBy();
  const res = await callWebhook(`eo-queue-folder?size=${size}`);
  const text = await res.text();
  expect(res.status).toBe(200);
  const item = JSON.parse(text) as Record<string, unknown>;
  const path = join(queue.home.files, 'queue', `${size}.bin`);
  expect(item).toMatchObject({ path, fileName: `${size}.bin`, bytes: size, skipped: false });
  expect(ranBy().reduce((sum, n, i) => sum + n - before[i], 0)).toBe(1);
  expect((await readFile(path)).equals(bodyBytes(syntheticSource(size)))).toBe(true);

  const again = await callWebhook(`eo-queue-folder?size=${size}`);
  expect(JSON.parse(await again.text())).toMatchObject({ path, bytes: size, skipped: true });
  expect(emu.counters().apiStatus['304']).toBe(1);
});

test("the credential test says tokens are shared via n8n's Redis", async () => {
  const res = await queue.rest.request<{ data: { status: string; message: string } }>('POST', '/rest/credentials/test', {
    credentials: {
      ...SENTINEL_HUB_CREDENTIAL,
      type: 'sentinelHubApi',
      data: {
        environment: 'sentinel-hub',
        ...DEMO_CLIENT,
        tokenUrl: emu.endpoints.sentinelHub.tokenUrl,
        baseUrl: emu.endpoints.sentinelHub.baseUrl,
      },
    },
  });
  expect(res.body.data.status).toBe('OK');
  expect(res.body.data.message).toMatch(new RegExp(`Tokens: shared via Redis at 127\\.0\\.0\\.1:${redis.port}\\.$`));
});

test("Redis (n8n's queue and the shared tokens) holds no token, secret or password in clear", async () => {
  const entries = await redis.entries();
  const ours = entries.filter((e) => e.key.startsWith('eo-nodes:'));
  expect(ours.length).toBeGreaterThanOrEqual(3); // two identities' access tokens and Terrascope's refresh token
  expect(entries.some((e) => e.key.startsWith('bull:'))).toBe(true); // n8n's queue shares the server
  const dump = `${JSON.stringify(entries)}\n${(await redis.rdb()).toString('latin1')}`;
  const issued = emu.issuedTokens();
  expect(issued.access.length).toBeGreaterThan(5);
  const secrets = [...issued.access, ...issued.refresh, DEMO_CLIENT.clientSecret, DEMO_USER.password, 'queue-cold-secret-0123'];
  expect(secrets.filter((s) => dump.includes(s)).length).toBe(0);
  for (const e of ours) expect(e.key).not.toMatch(/demo|client|queue-cold/);
});
