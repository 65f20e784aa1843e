/**
 * Section 1, token efficiency, in a real Node-RED against the emulator (its own process):
 *  (a) cold burst: 1,000 concurrent requests through 10 eo-request nodes → token requests;
 *  (b) long run with short tokens, time compressed 10×: token requests between ⌈T ÷ lifetime⌉ and
 *      the ideal ⌈T ÷ (lifetime − margin)⌉, and 401s, at the API and in the flow.
 * Peers in the same run: the naive flow (core http request node fetching a token per message) and
 * n8n's reactive credential model (preAuthentication, refreshed only after a 401) in the real n8n;
 * when n8n cannot run, its rows say so. Each peer has an OAuth client of its own, so the emulator's
 * log tells their requests apart.
 */
import { DEFAULT_REFRESH_MARGIN_MS } from '../nodes/core/auth/token-cache';
import type { EmulatorClient } from '../test/emulator/types';
import type { FlowNode } from '../test/support/flows';
import type { BenchContext, BenchRow, BenchSection, BenchSectionRunner } from './report';
import { eoAuthNode, eoRequestNode, SMALL_GET_PATH, type BenchAccount } from './support/bench-nodes';
import { completeLog, countsFor, type ClientCounts } from './support/emulator-log';
import { startEmulatorProcess, type EmulatorProcess } from './support/emulator-process';
import { loadFlow, runLoad } from './support/load-flow';
import { naiveTargets } from './support/naive-flow';
import { N8N_PEER_NOTE, prepareN8nSide, type N8nOutcome } from './support/n8n-side';
import { nodeRedVersion, startBenchNodeRed } from './support/node-red';

const BURST = 1_000;
const BURST_NODES = 10;
/** Time compression of the long run: 1 s of run time stands for this many seconds. */
const COMPRESSION = 10;
/** Simulated token lifetime and request rate of the long run. */
const SIM_LIFETIME_S = 20;
const RATE_PER_S = 20;
/** Entries the emulator keeps in its log: far above what one phase logs (about 15,000). */
const LOG_LIMIT = 100_000;

/** What a peer's run reports: completed and failed messages, failures by status. */
interface RunResult {
  ok: number;
  failed: number;
  failures: Record<string, number>;
  samples?: string[];
}

interface PeerRun {
  counts: ClientCounts;
  result: RunResult;
}

function account(emulator: EmulatorProcess, clientId: string): BenchAccount {
  return {
    tokenUrl: emulator.endpoints.sentinelHub.tokenUrl,
    baseUrl: emulator.endpoints.sentinelHub.baseUrl,
    clientId,
    clientSecret: `${clientId}-secret`,
  };
}

function eoTargets(prefix: string, auth: string, count: number): { nodes: FlowNode[]; ids: string[] } {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
  return { nodes: ids.map((id) => eoRequestNode(id, auth, { operation: 'request', path: SMALL_GET_PATH })), ids };
}

function failuresText(r: RunResult): string {
  return Object.entries(r.failures)
    .map(([why, n]) => `${n}× ${why}`)
    .join(', ');
}

/** 401s the flow saw (failed messages whose status was 401). */
function flow401(r: RunResult): number {
  return r.failures['401'] ?? 0;
}

function failedNote(r: RunResult, who: string): string {
  return r.failed > 0 ? `${who}: ${r.failed} failed (${failuresText(r)}). ` : '';
}

function ratio(peer: number, ours: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round((peer / ours) * f) / f;
}

/** A row against n8n: its figure when it ran, else "not measured" and no verdict. */
function n8nRow(row: BenchRow, n8n: N8nOutcome, peer: (run: Extract<N8nOutcome, { measured: true }>) => Partial<BenchRow>): BenchRow {
  const base: BenchRow = { ...row, peerName: 'n8n (preAuthentication)' };
  if (!n8n.measured)
    return {
      ...base,
      peer: undefined,
      ratio: undefined,
      ratioMeaning: undefined,
      goal: undefined,
      met: undefined,
      note: `n8n not measured: ${n8n.reason}`,
    };
  return { ...base, ...peer(n8n) };
}

export const runTokens: BenchSectionRunner = async (ctx: BenchContext): Promise<BenchSection[]> => {
  const longRunS = ctx.quick ? 30 : 180;
  const lifetimeS = SIM_LIFETIME_S / COMPRESSION;
  const marginS = Math.min(DEFAULT_REFRESH_MARGIN_MS / 1000, lifetimeS / 2);
  const ideal = Math.ceil(longRunS / (lifetimeS - marginS));
  // Fewer than one token per lifetime means the short lifetime was not honoured at all.
  const floor = Math.ceil(longRunS / lifetimeS);
  const longTotal = longRunS * RATE_PER_S;

  const emulator = await startEmulatorProcess();
  try {
    const existing = (await (await fetch(`${emulator.url}/__emulator/config`)).json()) as { clients: EmulatorClient[] };
    const names = ['eo-cold', 'naive-cold', 'n8n-cold', 'eo-long', 'naive-long', 'n8n-long'];
    await emulator.configure({
      clients: [...existing.clients, ...names.map((n) => ({ clientId: `bench-${n}`, clientSecret: `bench-${n}-secret` }))],
      logLimit: LOG_LIMIT,
    });
    const emulatorLog = async () => completeLog(await emulator.log(), LOG_LIMIT);
    const acc = (n: string): BenchAccount => account(emulator, `bench-${n}`);
    ctx.log('preparing n8n (credential type, credentials, workflows)');
    const n8n = await prepareN8nSide(
      [
        { name: 'cold', account: acc('n8n-cold'), url: acc('n8n-cold').baseUrl + SMALL_GET_PATH, total: BURST },
        { name: 'long', account: acc('n8n-long'), url: acc('n8n-long').baseUrl + SMALL_GET_PATH, total: longTotal, ratePerS: RATE_PER_S },
      ],
      ctx.log,
    );
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
        ...loadFlow('naive-cold', naiveCold),
        ...loadFlow('eo-long', { nodes: eoLong.nodes, entries: eoLong.ids, exits: eoLong.ids, caught: eoLong.ids }),
        ...loadFlow('naive-long', naiveLong),
      ]);

      // (a) Cold burst: each peer on its own, all 1,000 requests at once.
      ctx.log(`cold burst: ${BURST} concurrent requests per peer`);
      const burst = async (client: string, run: () => Promise<RunResult>): Promise<PeerRun> => {
        const result = await run();
        return { result, counts: countsFor(await emulatorLog(), `bench-${client}`) };
      };
      const coldEo = await burst('eo-cold', () => runLoad(red, 'eo-cold', { total: BURST, concurrency: BURST }, 120_000));
      const coldNaive = await burst('naive-cold', () => runLoad(red, 'naive-cold', { total: BURST, concurrency: BURST }, 120_000));
      const coldN8nOutcome = await n8n.run('cold', 180_000);
      const coldN8nCounts = countsFor(await emulatorLog(), 'bench-n8n-cold');
      ctx.log(
        `cold burst tokens: eo ${coldEo.counts.tokenRequests}, naive ${coldNaive.counts.tokenRequests}, ` +
          `n8n ${coldN8nOutcome.measured ? coldN8nCounts.tokenRequests : `not measured (${coldN8nOutcome.reason})`}`,
      );

      // (b) Long run: short tokens; the three peers run side by side for the same T.
      await emulator.reset();
      // Lifetimes only in expires_in: the JWT exp counts whole seconds, which at 10× compression
      // would be a 10 s rounding of a 20 s token.
      await emulator.configure({ accessTokenLifetimeS: { main: lifetimeS, CDSE: lifetimeS, terrascope: lifetimeS }, omitExp: true });
      ctx.log(`long run: ${longRunS} s at ${RATE_PER_S} req/s per peer, ${lifetimeS} s tokens`);
      const timeout = (longRunS + 60) * 1000;
      const [longEo, longNaive, longN8nOutcome] = await Promise.all([
        runLoad(red, 'eo-long', { total: longTotal, ratePerS: RATE_PER_S }, timeout),
        runLoad(red, 'naive-long', { total: longTotal, ratePerS: RATE_PER_S }, timeout),
        // n8n needs longer for the same items (its start, and batching pauses after each batch).
        n8n.run('long', (longRunS * 2 + 120) * 1000),
      ]);
      const log = await emulatorLog();
      const eo = { result: longEo as RunResult, counts: countsFor(log, 'bench-eo-long') };
      const naive = { result: longNaive as RunResult, counts: countsFor(log, 'bench-naive-long') };
      const n8nAll = countsFor(log, 'bench-n8n-long');
      // The comparison with n8n over the same span: the first T s of each one's requests.
      const eoInT = countsFor(log, 'bench-eo-long', longRunS);
      const n8nInT = countsFor(log, 'bench-n8n-long', longRunS);
      ctx.log(
        `long run tokens: eo ${eo.counts.tokenRequests} (from ${floor} to the ideal ${ideal}), naive ${naive.counts.tokenRequests}, ` +
          `n8n ${longN8nOutcome.measured ? `${n8nAll.tokenRequests} (${n8nInT.tokenRequests} in its first ${longRunS} s)` : 'not measured'}`,
      );
      for (const [who, r] of [
        ['eo-request', eo.result],
        ['naive', naive.result],
        ...(longN8nOutcome.measured ? [['n8n', longN8nOutcome.run] as const] : []),
      ] as const) {
        if (r.failed > 0) ctx.log(`long run, ${who}: ${r.failed} failed, e.g. ${(r.samples ?? []).slice(0, 2).join(' | ')}`);
      }

      const coldRows: BenchRow[] = [
        {
          metric: `cold burst: token requests for ${BURST} concurrent requests (${BURST_NODES} nodes)`,
          ours: coldEo.counts.tokenRequests,
          peer: coldNaive.counts.tokenRequests,
          peerName: 'naive flow (token per message)',
          unit: 'requests',
          ratio: ratio(coldNaive.counts.tokenRequests, coldEo.counts.tokenRequests),
          ratioMeaning: 'peer ÷ ours',
          goal: '= 1',
          met: coldEo.counts.tokenRequests === 1,
          note: failedNote(coldEo.result, 'eo-request') + failedNote(coldNaive.result, 'naive') || undefined,
        },
        n8nRow(
          { metric: `cold burst: token requests for ${BURST} concurrent requests`, ours: coldEo.counts.tokenRequests, unit: 'requests' },
          coldN8nOutcome,
          (m) => ({
            peer: coldN8nCounts.tokenRequests,
            ratio: ratio(coldN8nCounts.tokenRequests, coldEo.counts.tokenRequests),
            ratioMeaning: 'peer ÷ ours',
            goal: '= 1',
            met: coldEo.counts.tokenRequests === 1,
            note: `${failedNote(m.run, 'n8n')}${N8N_PEER_NOTE}`,
          }),
        ),
        {
          metric: 'cold burst: failed requests seen by the flow',
          ours: coldEo.result.failed,
          peer: coldNaive.result.failed,
          peerName: 'naive flow',
          unit: 'requests',
          goal: '= 0',
          met: coldEo.result.failed === 0,
          note: coldN8nOutcome.measured ? `n8n: ${coldN8nOutcome.run.failed}` : `n8n not measured: ${coldN8nOutcome.reason}`,
        },
      ];
      const idealMet = eo.counts.tokenRequests >= floor && eo.counts.tokenRequests <= ideal && eo.counts.api401 === 0;
      const longRows: BenchRow[] = [
        n8nRow(
          {
            metric: 'long run: 401s answered by the API (each a wasted round trip)',
            ours: eo.counts.api401,
            unit: '401s',
            goal: '= 0',
            met: eo.counts.api401 === 0,
          },
          longN8nOutcome,
          () => ({
            peer: n8nAll.api401,
            note: 'n8n refetches its token only after a 401, so every expiry costs a failed call, then a token request and a retry.',
          }),
        ),
        {
          metric: `long run: token requests (⌈${longRunS} ÷ ${lifetimeS}⌉ = ${floor} … ideal ⌈${longRunS} ÷ (${lifetimeS} − ${marginS})⌉ = ${ideal})`,
          ours: eo.counts.tokenRequests,
          peer: naive.counts.tokenRequests,
          peerName: 'naive flow',
          unit: 'requests',
          ratio: ratio(naive.counts.tokenRequests, eo.counts.tokenRequests),
          ratioMeaning: 'peer ÷ ours',
          goal: `${floor} ≤ ours ≤ ${ideal}, API 401s = 0`,
          met: idealMet,
          note: failedNote(naive.result, 'naive') || undefined,
        },
        n8nRow(
          {
            metric: `long run: token requests in the first ${longRunS} s of each one's requests`,
            ours: eoInT.tokenRequests,
            unit: 'requests',
          },
          longN8nOutcome,
          () => ({
            peer: n8nInT.tokenRequests,
            ratio: ratio(n8nInT.tokenRequests, eoInT.tokenRequests, 2),
            ratioMeaning: 'peer ÷ ours',
            note:
              `${N8N_PEER_NOTE} n8n took ${Math.round(n8nAll.apiSpanS)} s for its ${longTotal} requests (eo-request ${Math.round(eo.counts.apiSpanS)} s; ` +
              `HTTP Request batching pauses after each batch), ${n8nAll.tokenRequests} token requests in all; counted over the same ${longRunS} s from each one's first request.`,
          }),
        ),
        {
          metric: 'long run: 401s that reached the flow',
          ours: flow401(eo.result),
          peer: flow401(naive.result),
          peerName: 'naive flow',
          unit: '401s',
          goal: '= 0',
          met: flow401(eo.result) === 0,
          note: longN8nOutcome.measured
            ? `n8n: ${flow401(longN8nOutcome.run)} (its one retry after a 401 hides them from the workflow).`
            : `n8n not measured: ${longN8nOutcome.reason}`,
        },
        {
          metric: 'long run: failed requests seen by the flow',
          ours: eo.result.failed,
          peer: naive.result.failed,
          peerName: 'naive flow',
          unit: 'requests',
          goal: '= 0',
          met: eo.result.failed === 0,
          note: `${failedNote(eo.result, 'eo-request')}${longN8nOutcome.measured ? `n8n: ${longN8nOutcome.run.failed} (${failuresText(longN8nOutcome.run) || 'none'}).` : `n8n not measured: ${longN8nOutcome.reason}`}`,
        },
      ];
      const n8nSetup = (o: N8nOutcome, text: string): string => (o.measured ? text : `n8n not measured (${o.reason}).`);
      return [
        {
          title: '1a. Token efficiency: cold burst',
          setup:
            `${BURST} requests at once (small authenticated GETs) through ${BURST_NODES} eo-request nodes sharing one eo-auth, in Node-RED ${nodeRedVersion()}; the naive flow through ${BURST_NODES} chains; ` +
            `${n8nSetup(coldN8nOutcome, `n8n: ${BURST} items into one HTTP Request node.`)} Emulator in its own process; token requests counted in its log per OAuth client.`,
          rows: coldRows,
        },
        {
          title: '1b. Token efficiency: long run with short tokens',
          setup:
            `T = ${longRunS} s of run time standing for ${(longRunS * COMPRESSION) / 60} min (time compressed ${COMPRESSION}×): ${lifetimeS} s access tokens (for ${SIM_LIFETIME_S} s), ` +
            `renewal margin ${marginS} s (the token cache's margin for that lifetime: min(${DEFAULT_REFRESH_MARGIN_MS / 1000} s, lifetime ÷ 2)), ${RATE_PER_S} req/s of run time per peer (${longTotal} requests each), ` +
            `the peers side by side (${n8nSetup(longN8nOutcome, 'naive flow, n8n')}). Lifetimes in expires_in only: the JWT exp counts whole seconds, a rounding the compression would magnify.`,
          rows: longRows,
        },
      ];
    } finally {
      await red.stop();
      await n8n.remove();
    }
  } finally {
    await emulator.stop();
  }
};
