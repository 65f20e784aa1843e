/**
 * Section "scale-out": token requests and provider sessions (password logins) when the same load
 * is spread over several processes, with tokens shared through Redis and without, against the
 * ideal; and what sharing costs a request in steady state.
 *  (a) Node-RED 5 with 1, 2 and 4 processes: a Terrascope user with short tokens (every renewal is
 *      a refresh, every login a session), open-loop load spread round-robin over the processes.
 *  (b) n8n queue mode, main + 2 workers: the same with webhook executions.
 *  (c) Steady state, 2 Node-RED processes: per-request latency with sharing on against off, with
 *      long-lived tokens (no renewal during the run: the hot path is the same in-memory lookup).
 * Each configuration starts with a user nobody holds a token for, and the emulator's counters are
 * reset before it, so its token requests are its own.
 */
import { webhookDownload } from '../test/n8n/workflows';
import type { EmulatorUser } from '../test/emulator/types';
import type { NodeRedProcess } from '../test/support/node-red-process';
import { SHARED_ROUTE, sharedTokenRoutes, startNodeRedGroup, type FlowIdentity } from '../test/support/node-red-group';
import { TERRASCOPE_CREDENTIAL } from '../test/support/n8n-process';
import { publishWorkflow, startN8nQueue } from '../test/support/n8n-queue';
import { RedisServer } from '../test/support/redis-server';
import type { BenchContext, BenchRow, BenchSection, BenchSectionRunner } from './report';
import { startEmulatorProcess, type EmulatorProcess } from './support/emulator-process';
import { track } from './support/processes';
import { percentile } from './support/stats';

/** Access-token lifetime of the token-count runs: renewals every half lifetime (the margin of short tokens). */
const LIFETIME_S = 4;
const RATE_PER_S = 40;
/** n8n's rate: two workers on a 2-core machine fall behind 40 executions/s, and a growing queue only measures the queue. */
const N8N_RATE_PER_S = 10;
const PROCESS_COUNTS = [1, 2, 4];

interface LoadOutcome {
  calls: number;
  failed: number;
  latencies: number[];
  /** First call sent → last answer back (n8n's queue can drain well after the last call is sent). */
  elapsedMs: number;
  /** Failures by what they answered ("status 500", an error name), for the note. */
  failures: Record<string, number>;
}

/** Open loop: `ratePerS` calls per second for `seconds`, whatever is still in flight; `call(i)` resolves with the HTTP status. */
async function openLoad(ratePerS: number, seconds: number, call: (i: number) => Promise<number>): Promise<LoadOutcome> {
  const total = Math.round(ratePerS * seconds);
  const started = Date.now();
  const outcome: LoadOutcome = { calls: total, failed: 0, latencies: [], elapsedMs: 0, failures: {} };
  const failed = (why: string): void => {
    outcome.failed += 1;
    outcome.failures[why] = (outcome.failures[why] ?? 0) + 1;
  };
  const calls: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / ratePerS;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const t0 = Date.now();
    calls.push(
      call(i).then(
        (status) => {
          outcome.latencies.push(Date.now() - t0);
          if (status !== 200) failed(`status ${status}`);
        },
        (err: unknown) => failed(err instanceof Error ? (err.cause instanceof Error ? err.cause.name : err.name) : 'error'),
      ),
    );
  }
  await Promise.all(calls);
  outcome.elapsedMs = Date.now() - started;
  return outcome;
}

async function post(url: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const body = (await res.json().catch(() => ({}))) as { status?: number };
  return res.status === 200 && (body.status === undefined || body.status === 200) ? 200 : res.status;
}

/** Token requests of a renewal every (lifetime − margin) over `seconds`, margin = lifetime ÷ 2; the first is the login. */
function ideal(seconds: number): number {
  return Math.ceil(seconds / (LIFETIME_S / 2));
}

interface Counted {
  tokens: number;
  logins: number;
  refused: number;
  load: LoadOutcome;
}

async function counted(emulator: EmulatorProcess, run: () => Promise<LoadOutcome>): Promise<Counted> {
  await emulator.reset();
  const load = await run();
  const c = await emulator.counters();
  return { tokens: c.tokenRequests.total, logins: c.tokenRequests.password, refused: c.tokenStatus['400'] ?? 0, load };
}

function rowsFor(label: string, processes: number, shared: Counted, alone: Counted): BenchRow[] {
  // The renewals a run needs follow from how long it used tokens, whatever was planned.
  const seconds = Math.round(shared.load.elapsedMs / 100) / 10;
  const best = ideal(seconds);
  const failures = (c: Counted, who: string) =>
    c.load.failed
      ? `${who}: ${c.load.failed} of ${c.load.calls} failed (${Object.entries(c.load.failures)
          .map(([why, n]) => `${n}× ${why}`)
          .join(', ')}). `
      : '';
  return [
    {
      metric: `${label}: token requests (ideal ⌈${seconds} s ÷ ${LIFETIME_S / 2} s⌉ = ${best})`,
      ours: shared.tokens,
      peer: alone.tokens,
      peerName: 'without Redis',
      unit: 'requests',
      ratio: Math.round((alone.tokens / Math.max(1, shared.tokens)) * 10) / 10,
      ratioMeaning: 'peer ÷ ours',
      goal: `≤ ideal + 1 = ${best + 1}`,
      met: shared.tokens <= best + 1 && shared.refused === 0,
      note: `${failures(shared, 'with Redis')}${failures(alone, 'without')}refused refresh tokens: ${shared.refused} with Redis, ${alone.refused} without; the runs took ${seconds} s and ${Math.round(alone.load.elapsedMs / 100) / 10} s.`,
    },
    {
      metric: `${label}: provider sessions (password logins)`,
      ours: shared.logins,
      peer: alone.logins,
      peerName: 'without Redis',
      unit: 'logins',
      goal: '= 1',
      met: shared.logins === 1,
      note: processes > 1 ? `Without Redis every process logs in: one session each (CDSE allows 100 per user).` : undefined,
    },
  ];
}

function latencyText(l: LoadOutcome): string {
  return `p50 ${percentile(l.latencies, 50)} ms, p95 ${percentile(l.latencies, 95)} ms`;
}

export const runScaleOut: BenchSectionRunner = async (ctx: BenchContext): Promise<BenchSection[]> => {
  const seconds = ctx.quick ? 12 : 60;
  const emulator = await startEmulatorProcess();
  const redis = await RedisServer.start();
  const groups: NodeRedProcess[][] = [];
  try {
    const e = emulator.endpoints;
    const users: EmulatorUser[] = Array.from({ length: 12 }, (_, i) => ({
      username: `bench-scale-${i}`,
      password: `bench-scale-${i}-password`,
    }));
    await emulator.configure({
      users,
      accessTokenLifetimeS: { main: 3600, CDSE: 600, terrascope: LIFETIME_S },
      // Lifetimes from expires_in only: the JWT's exp counts whole seconds, too coarse for 4 s tokens.
      omitExp: true,
      logLimit: 100_000,
    });
    const terrascope = (user: EmulatorUser): FlowIdentity => ({
      provider: 'terrascope',
      tokenUrl: e.terrascope.tokenUrl,
      baseUrl: e.terrascope.baseUrl,
      ...user,
    });
    const sentinelHub: FlowIdentity = {
      provider: 'sentinel-hub',
      tokenUrl: e.sentinelHub.tokenUrl,
      baseUrl: e.sentinelHub.baseUrl,
      clientId: 'demo-client',
      clientSecret: 'demo-secret',
    };
    // Route 0: Sentinel Hub (steady state); route 1 + i: user i.
    const identities = [sentinelHub, ...users.map(terrascope)];

    ctx.log('starting 4 Node-RED processes sharing through Redis and 4 on their own');
    const shared = await startNodeRedGroup({ workDir: `${ctx.workDir}/shared`, count: 4, env: { EO_REDIS_URL: redis.url } });
    groups.push(shared);
    const alone = await startNodeRedGroup({ workDir: `${ctx.workDir}/alone`, count: 4, env: { EO_REDIS_URL: 'off' } });
    groups.push(alone);
    for (const red of [...shared, ...alone]) track(red.child);
    await Promise.all([...shared, ...alone].map((red) => red.deploy(sharedTokenRoutes(identities))));

    let nextUser = 0;
    const nodeRedRun = (reds: NodeRedProcess[]) => {
      const route = 1 + nextUser++;
      return () => openLoad(RATE_PER_S, seconds, (i) => post(`${reds[i % reds.length].url}${SHARED_ROUTE}/${route}`));
    };
    const nodeRedRows: BenchRow[] = [];
    for (const n of PROCESS_COUNTS) {
      ctx.log(`Node-RED × ${n}: ${seconds} s at ${RATE_PER_S} req/s, with Redis and without`);
      const withRedis = await counted(emulator, nodeRedRun(shared.slice(0, n)));
      const without = await counted(emulator, nodeRedRun(alone.slice(0, n)));
      ctx.log(`  tokens ${withRedis.tokens} vs ${without.tokens}, logins ${withRedis.logins} vs ${without.logins}`);
      nodeRedRows.push(...rowsFor(`Node-RED × ${n}`, n, withRedis, without));
    }

    ctx.log(`steady state: 2 processes, long-lived token, ${seconds} s at ${RATE_PER_S} req/s each way`);
    const steady = async (reds: NodeRedProcess[]): Promise<LoadOutcome> => {
      await openLoad(RATE_PER_S, 2, (i) => post(`${reds[i % 2].url}${SHARED_ROUTE}/0`)); // tokens in memory
      return openLoad(RATE_PER_S, seconds, (i) => post(`${reds[i % 2].url}${SHARED_ROUTE}/0`));
    };
    const steadyOn = await steady(shared.slice(0, 2));
    const steadyOff = await steady(alone.slice(0, 2));
    const p50On = percentile(steadyOn.latencies, 50);
    const p50Off = percentile(steadyOff.latencies, 50);
    const latencyRatio = Math.round((p50On / Math.max(1, p50Off)) * 100) / 100;
    const steadyRows: BenchRow[] = [
      {
        metric: 'steady state: median latency per request, sharing on',
        ours: p50On,
        peer: p50Off,
        peerName: 'sharing off',
        unit: 'ms',
        ratio: latencyRatio,
        ratioMeaning: 'ours ÷ peer',
        goal: 'no measurable difference (0.8 … 1.25, the spread between runs)',
        met: latencyRatio >= 0.8 && latencyRatio <= 1.25,
        note: `on: ${latencyText(steadyOn)}; off: ${latencyText(steadyOff)}; failed ${steadyOn.failed} / ${steadyOff.failed}.`,
      },
    ];
    for (const group of groups) await Promise.all(group.map((red) => red.stop()));
    groups.length = 0;

    const n8nRows: BenchRow[] = [];
    const n8nCounts: Counted[] = [];
    for (const mode of ['with', 'without'] as const) {
      const user = users[nextUser++];
      ctx.log(`n8n queue mode, main + 2 workers, ${mode} Redis sharing: starting`);
      const queue = await startN8nQueue({
        redis,
        workers: 2,
        env: mode === 'with' ? {} : { EO_REDIS_URL: 'off' },
        onSpawn: (child) => void track(child),
        prepare: (home) =>
          home.importCredentials([
            {
              ...TERRASCOPE_CREDENTIAL,
              type: 'terrascopeApi',
              data: { ...user, tokenUrl: e.terrascope.tokenUrl, baseUrl: e.terrascope.baseUrl },
            },
          ]),
      });
      try {
        await publishWorkflow(queue.rest, webhookDownload('benchScaleOut', 'bench-scale-out', '6b1c2d3e-3333-4a5b-8c9d-000000000003'));
        const hook = `${queue.main.url}/webhook/bench-scale-out`;
        const call = (): Promise<number> => fetch(hook).then(async (r) => (await r.arrayBuffer(), r.status));
        ctx.log(`n8n ${mode} Redis: ${seconds} s at ${N8N_RATE_PER_S} executions/s`);
        n8nCounts.push(
          await counted(emulator, async () => {
            // Webhooks are registered a moment after publishing; the call that finds it is counted too.
            for (let i = 0; i < 150 && (await call()) === 404; i++) await new Promise((r) => setTimeout(r, 200));
            return openLoad(N8N_RATE_PER_S, seconds, call);
          }),
        );
      } finally {
        await queue.stop();
      }
    }
    n8nRows.push(...rowsFor('n8n queue mode, 2 workers', 2, n8nCounts[0], n8nCounts[1]));
    const setupLine =
      `A Terrascope user per configuration with ${LIFETIME_S} s access tokens (renewed ${LIFETIME_S / 2} s before the end: the margin of short tokens is half the lifetime), ` +
      `so every renewal is a refresh and every login a provider session; the emulator's counters reset before each run. Redis ${redis.url.replace(/^redis:\/\//, '')} (Debian redis-server).`;
    return [
      {
        title: 'Scale-out a. Node-RED: token requests and sessions for 1, 2 and 4 processes',
        setup: `${seconds} s of open-loop load at ${RATE_PER_S} req/s (small Terrascope downloads), spread round-robin over the processes; Node-RED 5, EO_REDIS_URL set (ours) or "off" (peer). ${setupLine}`,
        rows: nodeRedRows,
      },
      {
        title: 'Scale-out b. n8n queue mode: token requests and sessions, main + 2 workers',
        setup: `${seconds} s of webhook executions at ${N8N_RATE_PER_S}/s (a Terrascope download each), n8n 2.41 on PostgreSQL and the same Redis; the package finds n8n's Redis by itself (ours) or EO_REDIS_URL=off (peer). ${setupLine}`,
        rows: n8nRows,
      },
      {
        title: 'Scale-out c. Steady state: what sharing costs a request',
        setup: `2 Node-RED processes, Sentinel Hub Catalog searches with a 1 h token already in memory, ${seconds} s at ${RATE_PER_S} req/s, sharing on against off, one after the other.`,
        rows: steadyRows,
      },
    ];
  } finally {
    for (const group of groups) await Promise.all(group.map((red) => red.stop()));
    await redis.remove();
    await emulator.stop();
  }
};
