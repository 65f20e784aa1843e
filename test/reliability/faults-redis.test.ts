/**
 * The shared token store failing under real Node-RED processes: two Node-RED 5 copies share a
 * Sentinel Hub client and a Terrascope user through a real redis-server (reached through a proxy
 * that can slow it down), while a third copy has the wrong Redis password. The provider issues
 * 4 s tokens, so renewals keep happening while Redis is killed, restarted empty or slow; Terrascope
 * refresh tokens are single-use (Keycloak's "Revoke Refresh Token"), so a refresh token redeemed
 * twice would show as a refused (400) token request. For each scenario: every message answered,
 * nothing reaching a Catch node, the outage said once per process, and sharing back afterwards.
 * Last, Redis itself (every key and value, and an RDB dump) is searched for every secret.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator } from '../emulator/server';
import type { FullConfig } from '../emulator/state';
import type { Emulator } from '../emulator/types';
import { DelayProxy } from '../support/delay-proxy';
import type { NodeRedProcess } from '../support/node-red-process';
import { SHARED_ROUTE, sharedTokenRoutes, startNodeRedGroup, type FlowIdentity } from '../support/node-red-group';
import { tempDir } from '../support/paths';
import { RedisServer } from '../support/redis-server';
import { artifactDir, keepEmulatorRecord, keepNodeRedRecord, redactSecrets, rememberedSecrets, rememberSecrets } from './hygiene';
import { describeHits, sweepForSecrets } from './support/secret-sweep';
import { byClient, grantsText, logMark, Scenario, tokenRequests } from './support/observe';

jest.setTimeout(180_000);

const ARTIFACTS = artifactDir('faults-redis');
const GROUP = 'Shared token store (Redis)';
const ENGINE = 'Node-RED';
const LIFETIME_S = 4;
/** The longest a message may take while Redis misbehaves: a renewal spends at most one 500 ms Redis timeout, then the token request. */
const LATENCY_BOUND_MS = 2_000;

const run = randomBytes(6).toString('hex');
const client = { clientId: 'faults-redis-client', clientSecret: `faults-redis-secret-${run}` };
const user = { username: 'faults-redis-user', password: `faults-redis-password-${run}` };
const redisPassword = `faults-redis-requirepass-${run}`;
rememberSecrets([client.clientSecret], 'client secret');
rememberSecrets([user.password, redisPassword], 'password');

let emu: Emulator;
let redis: RedisServer;
let proxy: DelayProxy;
/** A and B share through Redis (via the proxy); C has the wrong Redis password. */
let group: NodeRedProcess[];
let work: string;

/** The line a process logs when an outage starts, and when it ends. */
const OUTAGE = /Token sharing: Redis at .* Tokens are kept in this process only/g;
const BACK = /Token sharing: Redis at .* answers again/g;
const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

beforeAll(async () => {
  work = tempDir('eo-faults-redis');
  const config: Partial<FullConfig> = {
    clients: [client],
    users: [user],
    accessTokenLifetimeS: { main: LIFETIME_S, CDSE: 600, terrascope: LIFETIME_S },
    revokeUsedRefreshTokens: true,
  };
  [emu, redis] = await Promise.all([startEmulator(config), RedisServer.start({ password: redisPassword })]);
  proxy = await DelayProxy.start(redis.port);
  const e = emu.endpoints;
  const identities: FlowIdentity[] = [
    { provider: 'sentinel-hub', tokenUrl: e.sentinelHub.tokenUrl, baseUrl: e.sentinelHub.baseUrl, ...client },
    { provider: 'terrascope', tokenUrl: e.terrascope.tokenUrl, baseUrl: e.terrascope.baseUrl, ...user },
  ];
  const shared = { EO_REDIS_URL: proxy.url(redisPassword) };
  group = await startNodeRedGroup({
    workDir: work,
    count: 3,
    env: [shared, shared, { EO_REDIS_URL: redis.urlWith(`wrong-${redisPassword}`) }],
  });
  await Promise.all(group.map((red) => red.deploy(sharedTokenRoutes(identities))));
}, 240_000);

afterAll(async () => {
  for (const [i, red] of (group ?? []).entries()) {
    await red.stop();
    const dir = path.join(ARTIFACTS, `node-red-${i + 1}`);
    fs.mkdirSync(dir, { recursive: true });
    keepNodeRedRecord(red, dir);
  }
  if (emu) {
    keepEmulatorRecord(emu, ARTIFACTS);
    await emu.close();
  }
  await proxy?.close();
  await redis?.remove();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

interface Load {
  calls: number;
  ok: number;
  /** Answers of the Catch node (500) or of nothing at all. */
  failed: string[];
  latencies: number[];
}

/** Calls both identities' routes on `targets` with two callers each, for `ms`; `during` runs meanwhile. */
async function load(targets: NodeRedProcess[], ms: number, during?: () => Promise<void>): Promise<Load> {
  const result: Load = { calls: 0, ok: 0, failed: [], latencies: [] };
  const end = Date.now() + ms;
  const caller = async (red: NodeRedProcess, identity: number): Promise<void> => {
    while (Date.now() < end) {
      const t0 = Date.now();
      result.calls += 1;
      try {
        const res = await red.request('POST', `${SHARED_ROUTE}/${identity}`, {});
        const status = (res.body as { status?: number }).status;
        if (status === 200) result.ok += 1;
        else result.failed.push(`status ${status}`);
      } catch (err) {
        result.failed.push(redactSecrets((err as Error).message).slice(0, 120));
      }
      result.latencies.push(Date.now() - t0);
    }
  };
  const callers = targets.flatMap((red) => [0, 0, 1, 1].map((identity) => caller(red, identity)));
  await Promise.all([...callers, during?.()]);
  return result;
}

function loadText(l: Load): string {
  const sorted = [...l.latencies].sort((a, b) => a - b);
  const p50 = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const max = sorted[sorted.length - 1] ?? 0;
  return `${l.ok}/${l.calls} answered OK, ${l.failed.length} failed${l.failed.length ? ` (${l.failed[0]})` : ''}, latency p50 ${p50} ms, max ${max} ms`;
}

/** Token requests after `mark`, per identity, and refused ones (a refresh token redeemed twice). */
function tokensSince(mark: number): { sh: ReturnType<typeof tokenRequests>; ts: ReturnType<typeof tokenRequests>; refused: number } {
  const sh = tokenRequests(emu, mark, byClient(client.clientId));
  const ts = tokenRequests(emu, mark, byClient('public'));
  return { sh, ts, refused: [...sh.entries, ...ts.entries].filter((e) => e.status === 400).length };
}

/** A renewal per identity every half lifetime (the margin of short tokens), for the whole group together. */
const idealRenewals = (ms: number): number => Math.ceil(ms / ((LIFETIME_S * 1000) / 2));

const [a, b] = [0, 1];
const sharing = () => [group[a], group[b]];
const outputOf = (i: number) => group[i].output();

test('baseline: two processes share one token per identity', async () => {
  await load(sharing(), 1_000); // warm: tokens in Redis
  const mark = logMark(emu);
  const MS = 8_000;
  const l = await load(sharing(), MS);
  const t = tokensSince(mark);
  const ideal = idealRenewals(MS);
  const s = new Scenario(
    GROUP,
    ENGINE,
    'two processes, 4 s tokens, no fault',
    `all answered; token requests per identity about ${ideal} (one renewal per half lifetime for both processes)`,
  );
  s.observe(loadText(l)).observe(`Sentinel Hub ${grantsText(t.sh)}, Terrascope ${grantsText(t.ts)}, ${t.refused} refused`);
  s.check('every message answered OK', l.failed.length === 0 && l.ok === l.calls);
  s.check('Sentinel Hub renewals shared (≤ ideal + 1)', t.sh.total <= ideal + 1 && t.sh.total >= ideal - 2);
  s.check('Terrascope renewals shared (≤ ideal + 1), no password login', t.ts.total <= ideal + 1 && t.ts.password === 0);
  s.check('no refresh token redeemed twice (0 refused)', t.refused === 0);
  s.finish();
});

test('Redis killed mid-run: every message still answered, nothing caught, the outage said once per process', async () => {
  const before = [outputOf(a), outputOf(b)];
  const mark = logMark(emu);
  const MS = 8_000;
  const l = await load(sharing(), MS, async () => {
    await new Promise((r) => setTimeout(r, 2_000));
    await redis.kill();
  });
  const t = tokensSince(mark);
  const lines = [a, b].map((i) => count(outputOf(i).slice(before[i].length), OUTAGE));
  const s = new Scenario(
    GROUP,
    ENGINE,
    'Redis killed (SIGKILL) 2 s into an 8 s run',
    'all answered, 0 Catch; each process on its own tokens; 1 outage line per process; 0 refresh tokens refused',
  );
  s.observe(loadText(l))
    .observe(`Sentinel Hub ${grantsText(t.sh)}, Terrascope ${grantsText(t.ts)}, ${t.refused} refused`)
    .observe(`outage lines ${lines.join(' + ')}`);
  s.check('every message answered OK', l.failed.length === 0 && l.ok === l.calls);
  s.check(
    'one outage line per process',
    lines.every((n) => n === 1),
  );
  s.check('no refresh token redeemed twice (0 refused)', t.refused === 0);
  s.finish();
});

test('Redis restarted empty: sharing resumes without restarting Node-RED', async () => {
  const before = [outputOf(a), outputOf(b)];
  await redis.restart();
  const MS = 8_000;
  await load(sharing(), 4_000); // reconnect, and one renewal each brings both onto the shared token again
  const mark = logMark(emu);
  const l = await load(sharing(), MS);
  const t = tokensSince(mark);
  const ideal = idealRenewals(MS);
  const back = [a, b].map((i) => count(outputOf(i).slice(before[i].length), BACK));
  const s = new Scenario(
    GROUP,
    ENGINE,
    'Redis restarted empty (no persistence), engines not restarted',
    `all answered; "answers again" once per process; then about ${ideal} token requests per identity (shared again, not ${2 * ideal})`,
  );
  s.observe(loadText(l))
    .observe(`Sentinel Hub ${grantsText(t.sh)}, Terrascope ${grantsText(t.ts)}, ${t.refused} refused`)
    .observe(`"answers again" lines ${back.join(' + ')}`);
  s.check('every message answered OK', l.failed.length === 0 && l.ok === l.calls);
  s.check(
    '"answers again" once per process',
    back.every((n) => n === 1),
  );
  s.check('renewals shared again (≤ ideal + 1 per identity)', t.sh.total <= ideal + 1 && t.ts.total <= ideal + 1);
  s.check('no refresh token redeemed twice (0 refused)', t.refused === 0);
  s.finish();
});

test('Redis answering slowly (every reply held 3 s): per-message latency stays bounded', async () => {
  const before = [outputOf(a), outputOf(b)];
  proxy.delayMs = 3_000;
  const mark = logMark(emu);
  const l = await load(sharing(), 8_000);
  proxy.delayMs = 0;
  const t = tokensSince(mark);
  const max = Math.max(...l.latencies);
  const lines = [a, b].map((i) => count(outputOf(i).slice(before[i].length), OUTAGE));
  const s = new Scenario(
    GROUP,
    ENGINE,
    'Redis slow: a proxy holds every reply 3 s, for 8 s',
    `all answered; max latency < ${LATENCY_BOUND_MS} ms (one 500 ms Redis timeout per renewal, then the process alone); 1 outage line per process; 0 refused`,
  );
  s.observe(loadText(l))
    .observe(`Sentinel Hub ${grantsText(t.sh)}, Terrascope ${grantsText(t.ts)}, ${t.refused} refused`)
    .observe(`outage lines ${lines.join(' + ')}`);
  s.check('every message answered OK', l.failed.length === 0 && l.ok === l.calls);
  s.check(`max latency < ${LATENCY_BOUND_MS} ms`, max < LATENCY_BOUND_MS);
  s.check(
    'one outage line per process',
    lines.every((n) => n === 1),
  );
  s.check('no refresh token redeemed twice while Redis was slow (0 refused)', t.refused === 0);
  s.finish();
});

test('wrong Redis password: one clear log line, flows work on their own', async () => {
  const c = group[2];
  const l = await load([c], 5_000);
  const said = c.output().match(/^.*Token sharing: Redis at .*$/gm) ?? [];
  const s = new Scenario(
    GROUP,
    ENGINE,
    'a third process with a wrong password in EO_REDIS_URL',
    'all answered; exactly one log line, saying the login was refused and which setting to check; the password not in it',
  );
  s.observe(loadText(l)).observe(
    `${said.length} line(s): "${redactSecrets(said[0] ?? '')
      .replace(/^.*\[eo-nodes\] /, '')
      .slice(0, 160)}"`,
  );
  s.check('every message answered OK', l.failed.length === 0 && l.ok === l.calls);
  s.check('exactly one line', said.length === 1);
  s.check('it names the cause and the setting', /refused the login \(WRONGPASS.*EO_REDIS_URL/.test(said[0] ?? ''));
  s.check('no password in it', !said.join('\n').includes(redisPassword));
  s.finish();
});

test('what Redis holds after the faults: sealed tokens under anonymous names, no secret in any key, value or dump', async () => {
  await load(sharing(), 1_000); // fresh tokens, so access entries are there too
  const entries = await redis.entries();
  const rdb = await redis.rdb();
  fs.writeFileSync(path.join(ARTIFACTS, 'redis-entries.json'), JSON.stringify(entries, null, 1));
  fs.writeFileSync(path.join(ARTIFACTS, 'redis-dump.rdb'), rdb);
  keepEmulatorRecord(emu, ARTIFACTS); // remembers every token issued so far
  const secrets = rememberedSecrets();
  const sweep = sweepForSecrets([ARTIFACTS], secrets, []);
  const redisHits = sweep.hits.filter((h) => h.file.startsWith('redis-'));
  const kinds = entries.map((e) => e.key.replace(/^eo-nodes:v1:\{[A-Za-z0-9_-]{22}\}:/, ''));
  const names = entries.map((e) => e.key).join(' ');
  const revealing = [client.clientId, user.username, 'faults-redis'].filter((w) => names.includes(w));
  const s = new Scenario(
    GROUP,
    'core',
    'Redis keys, values and RDB dump after the fault scenarios',
    'only eo-nodes:v1:{digest}:access|refresh keys with a TTL; 0 hits for any issued token, client secret or password',
  );
  s.observe(
    `${entries.length} keys (${kinds.join(', ')}), TTLs ${entries.map((e) => Math.round(e.pttl / 1000)).join('/')} s, RDB ${rdb.length} bytes`,
  );
  s.observe(
    `searched for ${secrets.length} secrets: ${redisHits.length} hits${redisHits.length ? ` (${describeHits(redisHits).join('; ')})` : ''}; names revealing an identity: ${revealing.length}`,
  );
  s.check('keys of the expected shape only', entries.length > 0 && kinds.every((k) => k === 'access' || k === 'refresh'));
  s.check(
    'every key expires',
    entries.every((e) => e.pttl > 0),
  );
  s.check('no secret in Redis', redisHits.length === 0 && secrets.length > 0);
  s.check('no client id or username in key names', revealing.length === 0);
  s.finish();
});
