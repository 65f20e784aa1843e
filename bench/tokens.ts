/**
 * Section 1, token efficiency, in a real Node-RED against the emulator (its own process):
 *  (a) cold burst: 1,000 concurrent requests through 10 eo-request nodes → token requests;
 *  (b) long run with short tokens, time compressed 10×: token requests against the ideal
 *      ⌈T ÷ (lifetime − margin)⌉, and 401s that reached the flow.
 * Peers in the same run: the naive flow (core http request node fetching a token per message) and
 * n8n's reactive credential model (preAuthentication, refreshed only after a 401) in the real n8n,
 * or a model of it when n8n cannot run. Each peer has an OAuth client of its own, so the
 * emulator's log tells their requests apart.
 */
import { DEFAULT_REFRESH_MARGIN_MS } from '../nodes/core/token-cache';
import type { EmulatorClient } from '../test/emulator/types';
import type { FlowNode } from '../test/e2e/flows';
import type { BenchContext, BenchRow, BenchSection, BenchSectionRunner } from './report';
import { eoAuthNode, eoRequestNode, functionNode, httpRequestNode, SMALL_GET_PATH, type BenchAccount } from './support/bench-nodes';
import { countsFor, type ClientCounts } from './support/emulator-log';
import { startEmulatorProcess, type EmulatorProcess } from './support/emulator-process';
import { loadFlow, runLoad, sinkId } from './support/load-flow';
import { N8nReactiveCredential, type ModelOutcome } from './support/n8n-model';
import { createN8nPeer, type N8nPeer } from './support/n8n-peer';
import { nodeRedVersion, startBenchNodeRed } from './support/node-red';

const BURST = 1_000;
const BURST_NODES = 10;
/** Time compression of the long run: 1 s of run time stands for this many seconds. */
const COMPRESSION = 10;
/** Simulated token lifetime and request rate of the long run. */
const SIM_LIFETIME_S = 20;
const RATE_PER_S = 20;

const N8N_REAL_NOTE =
  'n8n 2.41.1 (real): its HTTP Request node with a predefined credential type that has preAuthentication and a hidden expirable token field.';
const N8N_MODEL_NOTE =
  'n8n peer is a MODEL of n8n 2.41.1 requestWithAuthentication + preAuthentication (the real n8n could not be run: see the console): stored token used until a 401, then one refetch and one retry; no expiry check, no single flight.';

/** The n8n peer: the real n8n when it runs, else the model (said so in the table). */
interface N8nSide {
  run(name: 'cold' | 'long', acc: BenchAccount, total: number, ratePerS?: number): Promise<{ ok: number; failed: number; failures: Record<string, number>; samples?: string[]; seconds?: number }>;
  note(): string;
}

function n8nSide(peer: N8nPeer | undefined, log: (line: string) => void): N8nSide {
  let real = peer !== undefined;
  return {
    async run(name, acc, total, ratePerS) {
      if (real && peer) {
        try {
          return await peer.run(name);
        } catch (err) {
          log(`real n8n failed, using the model instead: ${(err as Error).message.slice(0, 800)}`);
          real = false;
        }
      }
      return runModel(acc, total, ratePerS);
    },
    note: () => (real ? N8N_REAL_NOTE : N8N_MODEL_NOTE),
  };
}

function account(emulator: EmulatorProcess, clientId: string): BenchAccount {
  return { tokenUrl: emulator.endpoints.sentinelHub.tokenUrl, baseUrl: emulator.endpoints.sentinelHub.baseUrl, clientId, clientSecret: `${clientId}-secret` };
}

/** The naive flow: per message, a token request through one http request node, then the API call through another. */
function naiveChain(prefix: string, flowName: string, acc: BenchAccount): { nodes: FlowNode[]; entry: string; exit: string } {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: acc.clientId, client_secret: acc.clientSecret }).toString();
  const id = (part: string): string => `${prefix}-${part}`;
  return {
    entry: id('prep'),
    exit: id('api'),
    nodes: [
      functionNode(id('prep'), `msg.payload = ${JSON.stringify(form)};\nmsg.headers = { 'content-type': 'application/x-www-form-urlencoded' };\nreturn msg;`, [[id('token')]]),
      httpRequestNode(id('token'), { method: 'POST', url: acc.tokenUrl, ret: 'obj', wires: [[id('auth')]] }),
      functionNode(
        id('auth'),
        "if (msg.statusCode !== 200 || !msg.payload || !msg.payload.access_token) return [null, msg];\nmsg.headers = { Authorization: 'Bearer ' + msg.payload.access_token };\nmsg.payload = undefined;\nreturn [msg, null];",
        [[id('api')], [sinkId(flowName)]],
      ),
      httpRequestNode(id('api'), { method: 'GET', url: acc.baseUrl + SMALL_GET_PATH, ret: 'obj' }),
    ],
  };
}

function eoTargets(prefix: string, auth: string, count: number): { nodes: FlowNode[]; ids: string[] } {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
  return { nodes: ids.map((id) => eoRequestNode(id, auth, { operation: 'request', path: SMALL_GET_PATH })), ids };
}

function naiveTargets(prefix: string, flowName: string, acc: BenchAccount, count: number): { nodes: FlowNode[]; entries: string[]; exits: string[] } {
  const chains = Array.from({ length: count }, (_, i) => naiveChain(`${prefix}-${i + 1}`, flowName, acc));
  return { nodes: chains.flatMap((c) => c.nodes), entries: chains.map((c) => c.entry), exits: chains.map((c) => c.exit) };
}

/** Runs the n8n model: all at once (`ratePerS` undefined) or at a fixed rate. */
async function runModel(acc: BenchAccount, total: number, ratePerS?: number): Promise<{ ok: number; failed: number; failures: Record<string, number> }> {
  const credential = new N8nReactiveCredential(acc);
  const calls: Promise<ModelOutcome>[] = [];
  const t0 = Date.now();
  for (let i = 0; i < total; i++) {
    if (ratePerS) {
      const due = t0 + (i * 1000) / ratePerS;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    calls.push(credential.get(SMALL_GET_PATH));
  }
  const outcomes = await Promise.all(calls);
  await credential.close();
  const failures: Record<string, number> = {};
  for (const o of outcomes) if (!o.ok) failures[String(o.status)] = (failures[String(o.status)] ?? 0) + 1;
  const failed = outcomes.filter((o) => !o.ok).length;
  return { ok: total - failed, failed, failures };
}

function failuresText(r: { failures: Record<string, number> }): string {
  return Object.entries(r.failures)
    .map(([why, n]) => `${n}× ${why}`)
    .join(', ');
}

/** 401s the flow saw (failed messages whose status was 401). */
function flow401(r: { failures: Record<string, number> }): number {
  return r.failures['401'] ?? 0;
}

interface PeerRun {
  counts: ClientCounts;
  result: { ok: number; failed: number; failures: Record<string, number> };
}

export const runTokens: BenchSectionRunner = async (ctx: BenchContext): Promise<BenchSection[]> => {
  const longRunS = ctx.quick ? 30 : 180;
  const lifetimeS = SIM_LIFETIME_S / COMPRESSION;
  const marginS = Math.min(DEFAULT_REFRESH_MARGIN_MS / 1000, lifetimeS / 2);
  const ideal = Math.ceil(longRunS / (lifetimeS - marginS));
  const longTotal = longRunS * RATE_PER_S;

  const emulator = await startEmulatorProcess();
  try {
    const existing = (await (await fetch(`${emulator.url}/__emulator/config`)).json()) as { clients: EmulatorClient[] };
    const names = ['eo-cold', 'naive-cold', 'n8n-cold', 'eo-long', 'naive-long', 'n8n-long'];
    await emulator.configure({
      clients: [...existing.clients, ...names.map((n) => ({ clientId: `bench-${n}`, clientSecret: `bench-${n}-secret` }))],
      logLimit: 100_000,
    });
    const acc = (n: string): BenchAccount => account(emulator, `bench-${n}`);
    ctx.log('preparing n8n (credential type, credentials, workflows)');
    const peer = await createN8nPeer([
      { name: 'cold', account: acc('n8n-cold'), url: acc('n8n-cold').baseUrl + SMALL_GET_PATH, total: BURST },
      { name: 'long', account: acc('n8n-long'), url: acc('n8n-long').baseUrl + SMALL_GET_PATH, total: longTotal, ratePerS: RATE_PER_S },
    ]).catch((err: unknown) => {
      ctx.log(`the real n8n cannot be prepared, using the model instead: ${(err as Error).message}`);
      return undefined;
    });
    const n8n = n8nSide(peer, ctx.log);
    const red = await startBenchNodeRed(ctx.workDir);
    try {
      const eoCold = eoTargets('eo-cold', 'auth-eo-cold', BURST_NODES);
      const naiveCold = naiveTargets('naive-cold', 'naive-cold', acc('naive-cold'), BURST_NODES);
      const eoLong = eoTargets('eo-long', 'auth-eo-long', 1);
      const naiveLong = naiveTargets('naive-long', 'naive-long', acc('naive-long'), 1);
      await red.deploy([
        eoAuthNode('auth-eo-cold', acc('eo-cold')),
        eoAuthNode('auth-eo-long', acc('eo-long')),
        ...loadFlow('eo-cold', { nodes: eoCold.nodes, entries: eoCold.ids, exits: eoCold.ids, caught: eoCold.ids }),
        ...loadFlow('naive-cold', { nodes: naiveCold.nodes, entries: naiveCold.entries, exits: naiveCold.exits, caught: [] }),
        ...loadFlow('eo-long', { nodes: eoLong.nodes, entries: eoLong.ids, exits: eoLong.ids, caught: eoLong.ids }),
        ...loadFlow('naive-long', { nodes: naiveLong.nodes, entries: naiveLong.entries, exits: naiveLong.exits, caught: [] }),
      ]);

      // (a) Cold burst: each peer on its own, all 1,000 requests at once.
      ctx.log(`cold burst: ${BURST} concurrent requests per peer`);
      const burst = async (client: string, run: () => Promise<PeerRun['result']>): Promise<PeerRun> => {
        const result = await run();
        return { result, counts: countsFor(await emulator.log(), `bench-${client}`) };
      };
      const coldEo = await burst('eo-cold', () => runLoad(red, 'eo-cold', { total: BURST, concurrency: BURST }, 120_000));
      const coldNaive = await burst('naive-cold', () => runLoad(red, 'naive-cold', { total: BURST, concurrency: BURST }, 120_000));
      const coldN8n = await burst('n8n-cold', () => n8n.run('cold', acc('n8n-cold'), BURST));
      ctx.log(`cold burst tokens: eo ${coldEo.counts.tokenRequests}, naive ${coldNaive.counts.tokenRequests}, n8n ${coldN8n.counts.tokenRequests}`);

      // (b) Long run: short tokens; the three peers run side by side for the same T.
      await emulator.reset();
      // Lifetimes only in expires_in: the JWT exp counts whole seconds, which at 10× compression
      // would be a 10 s rounding of a 20 s token.
      await emulator.configure({ accessTokenLifetimeS: { main: lifetimeS, CDSE: lifetimeS, terrascope: lifetimeS }, omitExp: true });
      ctx.log(`long run: ${longRunS} s at ${RATE_PER_S} req/s per peer, ${lifetimeS} s tokens`);
      const timeout = (longRunS + 60) * 1000;
      const [longEo, longNaive, longN8n] = await Promise.all([
        runLoad(red, 'eo-long', { total: longTotal, ratePerS: RATE_PER_S }, timeout),
        runLoad(red, 'naive-long', { total: longTotal, ratePerS: RATE_PER_S }, timeout),
        n8n.run('long', acc('n8n-long'), longTotal, RATE_PER_S),
      ]);
      const log = await emulator.log();
      const long = {
        eo: { result: longEo, counts: countsFor(log, 'bench-eo-long') },
        naive: { result: longNaive, counts: countsFor(log, 'bench-naive-long') },
        n8n: { result: longN8n, counts: countsFor(log, 'bench-n8n-long') },
      };
      ctx.log(`long run tokens: eo ${long.eo.counts.tokenRequests} (ideal ${ideal}), naive ${long.naive.counts.tokenRequests}, n8n ${long.n8n.counts.tokenRequests}`);

      const failedNote = (r: PeerRun['result'], who: string): string => (r.failed > 0 ? `${who}: ${r.failed} failed (${failuresText(r)}). ` : '');
      const coldRows: BenchRow[] = [
        {
          metric: `cold burst: token requests for ${BURST} concurrent requests (${BURST_NODES} nodes)`, ours: coldEo.counts.tokenRequests,
          peer: coldNaive.counts.tokenRequests, peerName: 'naive flow (token per message)', unit: 'requests',
          ratio: Math.round((coldNaive.counts.tokenRequests / coldEo.counts.tokenRequests) * 10) / 10, ratioMeaning: 'peer ÷ ours',
          goal: '= 1', met: coldEo.counts.tokenRequests === 1, note: failedNote(coldEo.result, 'eo-request') + failedNote(coldNaive.result, 'naive') || undefined,
        },
        {
          metric: `cold burst: token requests for ${BURST} concurrent requests`, ours: coldEo.counts.tokenRequests, peer: coldN8n.counts.tokenRequests,
          peerName: 'n8n (preAuthentication)', unit: 'requests', ratio: Math.round((coldN8n.counts.tokenRequests / coldEo.counts.tokenRequests) * 10) / 10,
          ratioMeaning: 'peer ÷ ours', goal: '= 1', met: coldEo.counts.tokenRequests === 1, note: `${failedNote(coldN8n.result, 'n8n')}${n8n.note()}`,
        },
        {
          metric: 'cold burst: failed requests seen by the flow', ours: coldEo.result.failed, peer: coldNaive.result.failed, peerName: 'naive flow',
          unit: 'requests', goal: '= 0', met: coldEo.result.failed === 0, note: `n8n: ${coldN8n.result.failed}`,
        },
      ];
      for (const [who, run] of Object.entries(long)) {
        const samples = (run.result as { samples?: string[] }).samples ?? [];
        if (run.result.failed > 0) ctx.log(`long run, ${who}: ${run.result.failed} failed, e.g. ${samples.slice(0, 2).join(' | ')}`);
      }
      const perMinute = (c: ClientCounts): string => (c.apiSpanS > 0 ? `${Math.round((c.tokenRequests * 60) / c.apiSpanS)}` : '–');
      const n8nDuration =
        ` Its requests spanned ${Math.round(long.n8n.counts.apiSpanS)} s (eo-request's ${Math.round(long.eo.counts.apiSpanS)} s; HTTP Request batching, 2 items per 100 ms):` +
        ` ${perMinute(long.n8n.counts)} token requests per minute against eo-request's ${perMinute(long.eo.counts)}.`;
      const peerNote = `naive flow: ${flow401(long.naive.result)} (${long.naive.counts.tokenRequests} token requests for ${long.naive.counts.apiRequests} API calls).`;
      const longRows: BenchRow[] = [
        {
          metric: `long run: token requests (ideal ⌈${longRunS} ÷ (${lifetimeS} − ${marginS})⌉ = ${ideal})`, ours: long.eo.counts.tokenRequests,
          peer: long.naive.counts.tokenRequests, peerName: 'naive flow', unit: 'requests',
          ratio: Math.round((long.naive.counts.tokenRequests / long.eo.counts.tokenRequests) * 10) / 10, ratioMeaning: 'peer ÷ ours',
          goal: `≤ ${ideal} (ideal)`, met: long.eo.counts.tokenRequests <= ideal, note: failedNote(long.naive.result, 'naive') || undefined,
        },
        {
          metric: 'long run: token requests', ours: long.eo.counts.tokenRequests, peer: long.n8n.counts.tokenRequests, peerName: 'n8n (preAuthentication)',
          unit: 'requests', ratio: Math.round((long.n8n.counts.tokenRequests / long.eo.counts.tokenRequests) * 100) / 100, ratioMeaning: 'peer ÷ ours',
          goal: `≤ ${ideal} (ideal)`, met: long.eo.counts.tokenRequests <= ideal, note: `${n8n.note()}${n8nDuration}`,
        },
        {
          metric: 'long run: 401s that reached the flow', ours: flow401(long.eo.result), peer: flow401(long.n8n.result), peerName: 'n8n (preAuthentication)',
          unit: '401s', goal: '= 0', met: flow401(long.eo.result) === 0, note: peerNote,
        },
        {
          metric: 'long run: 401s answered by the API (each a wasted round trip)', ours: long.eo.counts.api401, peer: long.n8n.counts.api401,
          peerName: 'n8n (preAuthentication)', unit: '401s', note: 'n8n refetches only after a 401, so every expiry costs a failed call, retried once.',
        },
        {
          metric: 'long run: failed requests seen by the flow', ours: long.eo.result.failed, peer: long.naive.result.failed, peerName: 'naive flow',
          unit: 'requests', goal: '= 0', met: long.eo.result.failed === 0,
          note: `${failedNote(long.eo.result, 'eo-request')}n8n: ${long.n8n.result.failed} (${failuresText(long.n8n.result) || 'none'}).`,
        },
      ];
      return [
        {
          title: '1a. Token efficiency: cold burst',
          setup: `${BURST} requests at once (small authenticated GETs) through ${BURST_NODES} eo-request nodes sharing one eo-auth, in Node-RED ${nodeRedVersion()}; the naive flow through ${BURST_NODES} chains; n8n: ${BURST} items into one HTTP Request node. Emulator in its own process; token requests counted in its log per OAuth client.`,
          rows: coldRows,
        },
        {
          title: '1b. Token efficiency: long run with short tokens',
          setup:
            `T = ${longRunS} s of run time standing for ${(longRunS * COMPRESSION) / 60} min (time compressed ${COMPRESSION}×): ${lifetimeS} s access tokens (for ${SIM_LIFETIME_S} s), ` +
            `renewal margin ${marginS} s (the token cache's margin for that lifetime: min(${DEFAULT_REFRESH_MARGIN_MS / 1000} s, lifetime ÷ 2)), ${RATE_PER_S} req/s of run time per peer (${longTotal} requests each), ` +
            'the three peers side by side. Lifetimes in expires_in only: the JWT exp counts whole seconds, a rounding the compression would magnify.',
          rows: longRows,
        },
      ];
    } finally {
      await red.stop();
      await peer?.remove();
    }
  } finally {
    await emulator.stop();
  }
};
