/**
 * Two Node-RED 5 processes with the same flows and the same EO_REDIS_URL, as a high-availability
 * setup runs them: real processes with the package from its tarball, a real redis-server, the
 * provider emulator. Cold messages over both cost one token request between them, redeploys cost
 * none, the Test connection button says tokens are shared, and Redis holds nothing usable.
 */
import fs from 'node:fs';
import { startEmulator } from '../emulator/server';
import type { FullConfig } from '../emulator/state';
import type { Emulator } from '../emulator/types';
import { emulatorTarget } from '../support/node-red-stack';
import { clearCollected, waitForCollected } from '../support/flows';
import type { NodeRedProcess } from '../support/node-red-process';
import { SHARED_FLOW, sharedTokenFlows, startNodeRedGroup, type FlowIdentity } from '../support/node-red-group';
import { tempDir } from '../support/paths';
import { RedisServer } from '../support/redis-server';

jest.setTimeout(120_000);

const PER_PROCESS = 100;
let emu: Emulator;
let redis: RedisServer;
let group: NodeRedProcess[];
let work: string;
let identity: FlowIdentity;

beforeAll(async () => {
  work = tempDir('eo-scale-out');
  const record: Partial<FullConfig> = { recordIssuedTokens: true };
  [emu, redis] = await Promise.all([startEmulator(record), RedisServer.start()]);
  const t = emulatorTarget(emu);
  identity = {
    provider: 'sentinel-hub',
    tokenUrl: t.endpoints.sentinelHub.tokenUrl,
    baseUrl: t.endpoints.sentinelHub.baseUrl,
    clientId: t.clientId,
    clientSecret: t.clientSecret,
  };
  group = await startNodeRedGroup({ workDir: work, count: 2, env: { EO_REDIS_URL: redis.url } });
}, 180_000);

afterAll(async () => {
  await Promise.all((group ?? []).map((red) => red.stop()));
  await redis?.remove();
  await emu?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Fires both processes at once and waits for every answer; all must be successes. */
async function fireBoth(): Promise<void> {
  await Promise.all(group.map((red) => clearCollected(red)));
  await Promise.all(group.map((red) => red.inject(SHARED_FLOW.fire)));
  for (const red of group) {
    const answers = await waitForCollected(red, PER_PROCESS, undefined, 60_000);
    const ok = answers.filter((m) => m.from === SHARED_FLOW.request && m.statusCode === 200);
    expect({ ok: ok.length, caught: answers.filter((m) => m.from === SHARED_FLOW.catch).length }).toEqual({ ok: PER_PROCESS, caught: 0 });
  }
}

test('200 cold messages over two Node-RED processes cost exactly one token request', async () => {
  await Promise.all(group.map((red) => red.deploy(sharedTokenFlows(identity, PER_PROCESS))));
  emu.reset();
  await fireBoth();
  expect(emu.counters().tokenRequests.total).toBe(1);
  expect(emu.counters().apiRequests).toBe(2 * PER_PROCESS);
});

test('full and "modified flows" redeploys of both cost no token request', async () => {
  emu.reset();
  await Promise.all(group.map((red) => red.deploy(sharedTokenFlows(identity, PER_PROCESS), 'full')));
  await fireBoth();
  await Promise.all(group.map((red) => red.deploy(sharedTokenFlows(identity, PER_PROCESS, 'shared tokens, edited'), 'flows')));
  await fireBoth();
  expect(emu.counters().tokenRequests.total).toBe(0);
  expect(emu.counters().apiRequests).toBe(4 * PER_PROCESS);
});

test('Test connection in either process says "shared via Redis at host:port"', async () => {
  for (const red of group) {
    const body = {
      provider: 'sentinel-hub',
      tokenUrl: identity.tokenUrl,
      baseUrl: identity.baseUrl,
      grant: 'client_credentials',
      clientAuth: 'body',
      credentials: identity.provider === 'sentinel-hub' ? { clientId: identity.clientId, clientSecret: identity.clientSecret } : {},
    };
    const answer = (await red.request('POST', '/eo-auth/test', body)).body as { ok: boolean; sharing?: string; message?: string };
    expect(answer.ok).toBe(true);
    // The dialog shows the line whether it comes as its own field or inside the answer's message.
    expect(answer.sharing ?? answer.message).toContain(`shared via Redis at 127.0.0.1:${redis.port}`);
  }
});

test('Redis holds sealed tokens under names without the client id, and no token or secret in clear', async () => {
  const entries = await redis.entries();
  expect(entries.length).toBeGreaterThan(0);
  expect(entries.every((e) => /^eo-nodes:v1:\{[A-Za-z0-9_-]{22}\}:(access|refresh)$/.test(e.key))).toBe(true);
  expect(entries.every((e) => e.pttl > 0)).toBe(true);
  const dump = `${JSON.stringify(entries)}\n${(await redis.rdb()).toString('latin1')}`;
  const issued = emu.issuedTokens().access;
  expect(issued.length).toBeGreaterThan(0);
  const identityWords = identity.provider === 'sentinel-hub' ? [identity.clientId, identity.clientSecret] : [];
  expect([...issued, ...identityWords].filter((s) => dump.includes(s))).toEqual([]);
});
