/**
 * Section 2, request overhead: small authenticated GETs and Process POSTs through eo-request in a
 * real Node-RED, against raw undici (its own process, static bearer token) and against Node-RED's
 * core http request node with a static bearer header, same emulator, same concurrency. A fourth
 * peer, the same undici call as a minimal node inside the same Node-RED (undici-node.ts), shows
 * what Node-RED's runtime itself costs. The peers take turns in rounds, in an order that rotates
 * every round, so drift on a busy machine hits them alike; all stay warm (same warm-up, processes
 * and connections kept) throughout.
 */
import type { BenchContext, BenchRow, BenchSection, BenchSectionRunner } from './report';
import {
  eoAuthNode,
  eoRequestNode,
  fetchToken,
  httpRequestNode,
  PROCESS_BODY,
  SMALL_GET_PATH,
  type BenchAccount,
} from './support/bench-nodes';
import { startEmulatorProcess } from './support/emulator-process';
import { loadFlow, runLoad, type LoadResult } from './support/load-flow';
import { nodeRedVersion, startBenchNodeRed } from './support/node-red';
import { percentile, round, shareOfGap, throughput } from './support/stats';
import { startUndiciWorker } from './support/undici-load';
import { installedWith, undiciNode, undiciVersion } from './support/undici-node';
import { DEMO_CLIENT } from '../test/emulator/state';

const CONCURRENCY = 8;
/** Short interleaved rounds: on a shared machine, load from elsewhere comes and goes within seconds. */
const ROUNDS = 10;

/** Requests each peer sends per workload (all rounds together), and the warm-up before. */
function sizes(quick: boolean): { total: number; warmup: number } {
  return quick ? { total: 600, warmup: 100 } : { total: 15_000, warmup: 500 };
}

interface Workload {
  key: 'get' | 'post';
  label: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  accept?: string;
}

const WORKLOADS: Workload[] = [
  { key: 'get', label: 'small GET (batch job list, JSON)', method: 'GET', path: SMALL_GET_PATH },
  { key: 'post', label: 'Process POST (8×8 PNG)', method: 'POST', path: '/api/v1/process', body: PROCESS_BODY, accept: 'image/png' },
];

/** Completed runs of one peer on one workload. */
interface Tally {
  ok: number;
  failed: number;
  elapsedMs: number;
  /** Throughput of each round, in round order. */
  rates: number[];
  latencies: number[];
  failures: string[];
}

function emptyTally(): Tally {
  return { ok: 0, failed: 0, elapsedMs: 0, rates: [], latencies: [], failures: [] };
}

function add(t: Tally, r: { ok: number; failed: number; elapsedMs: number; latencies: number[] }, failures?: LoadResult['failures']): void {
  t.ok += r.ok;
  t.failed += r.failed;
  t.elapsedMs += r.elapsedMs;
  t.rates.push(throughput(r.ok, r.elapsedMs));
  t.latencies.push(...r.latencies);
  if (failures) for (const [why, n] of Object.entries(failures)) t.failures.push(`${n}× ${why}`);
}

function flows(account: BenchAccount, token: string): object[] {
  const bearer = { Authorization: `Bearer ${token}` };
  const url = (path: string): string => account.baseUrl + path;
  return [
    eoAuthNode('bench-auth', account),
    ...loadFlow('eo-get', {
      nodes: [eoRequestNode('eo-get-node', 'bench-auth', { operation: 'request', path: SMALL_GET_PATH })],
      entries: ['eo-get-node'],
      exits: ['eo-get-node'],
      caught: ['eo-get-node'],
    }),
    ...loadFlow('eo-post', {
      nodes: [eoRequestNode('eo-post-node', 'bench-auth', { operation: 'process', accept: 'image/png' })],
      entries: ['eo-post-node'],
      exits: ['eo-post-node'],
      caught: ['eo-post-node'],
    }),
    ...loadFlow('core-get', {
      nodes: [httpRequestNode('core-get-node', { method: 'GET', url: url(SMALL_GET_PATH), ret: 'obj', headers: bearer })],
      entries: ['core-get-node'],
      exits: ['core-get-node'],
      caught: [],
    }),
    ...loadFlow('core-post', {
      nodes: [
        httpRequestNode('core-post-node', {
          method: 'POST',
          url: url('/api/v1/process'),
          ret: 'bin',
          headers: { ...bearer, Accept: 'image/png' },
        }),
      ],
      entries: ['core-post-node'],
      exits: ['core-post-node'],
      caught: [],
    }),
    ...loadFlow('inside-get', {
      nodes: [undiciNode('inside-get-node', { method: 'GET', url: url(SMALL_GET_PATH), token })],
      entries: ['inside-get-node'],
      exits: ['inside-get-node'],
      caught: ['inside-get-node'],
    }),
    ...loadFlow('inside-post', {
      nodes: [undiciNode('inside-post-node', { method: 'POST', url: url('/api/v1/process'), token, accept: 'image/png' })],
      entries: ['inside-post-node'],
      exits: ['inside-post-node'],
      caught: ['inside-post-node'],
    }),
  ];
}

/** Ours ÷ peer for throughput; peer ÷ ours for latency: above 1 means eo-request is faster either way. */
function rows(w: Workload, ours: Tally, peer: Tally, peerName: string, goal: number, context?: string): BenchRow[] {
  const note = (t: Tally, who: string): string => (t.failed > 0 ? `${who}: ${t.failed} failed (${t.failures.join(', ')}). ` : '');
  const failures = note(ours, 'eo-request') + note(peer, peerName);
  const speed = (a: number, b: number): number => round(a / b, 2);
  // Each round's peers ran back to back; the median of the rounds' ratios leaves out the rounds
  // that something else on the machine disturbed.
  const roundRatios = ours.rates.map((rate, i) => rate / peer.rates[i]);
  const list: BenchRow[] = [
    {
      metric: `${w.label}: throughput`,
      ours: round(percentile(ours.rates, 50), 0),
      peer: round(percentile(peer.rates, 50), 0),
      peerName,
      unit: 'req/s',
      ratio: round(percentile(roundRatios, 50), 2),
      ratioMeaning: `ours ÷ peer, median of ${roundRatios.length} rounds`,
    },
  ];
  for (const p of [50, 99]) {
    const o = percentile(ours.latencies, p);
    const q = percentile(peer.latencies, p);
    list.push({
      metric: `${w.label}: p${p} latency`,
      ours: round(o, 2),
      peer: round(q, 2),
      peerName,
      unit: 'ms',
      ratio: speed(q, o),
      ratioMeaning: 'peer ÷ ours (speed)',
    });
  }
  for (const row of list) {
    row.goal = `≥ ${goal}×`;
    row.met = row.ratio !== undefined && row.ratio >= goal;
    const note = [failures.trim(), context].filter(Boolean).join(' ');
    if (note) row.note = note;
  }
  return list;
}

export const runOverhead: BenchSectionRunner = async (ctx: BenchContext): Promise<BenchSection> => {
  const { total, warmup } = sizes(ctx.quick);
  const emulator = await startEmulatorProcess();
  let stopUndici = async (): Promise<void> => undefined;
  try {
    const red = await startBenchNodeRed(ctx.workDir);
    try {
      const account: BenchAccount = {
        tokenUrl: emulator.endpoints.sentinelHub.tokenUrl,
        baseUrl: emulator.endpoints.sentinelHub.baseUrl,
        ...DEMO_CLIENT,
      };
      const token = await fetchToken(account);
      await red.deploy(flows(account, token));
      const undici = startUndiciWorker(require.resolve('undici', { paths: [installedWith(red.userDir)] }));
      stopUndici = () => undici.stop();
      const perRound = Math.ceil(total / ROUNDS);
      const tallies: Record<string, Tally> = {};
      for (const w of WORKLOADS) for (const peer of ['eo', 'core', 'undici', 'inside']) tallies[`${peer}-${w.key}`] = emptyTally();

      const nodeRedRun = async (name: string, n: number): Promise<LoadResult> =>
        runLoad(red, name, { total: n, concurrency: CONCURRENCY, body: name.endsWith('post') ? PROCESS_BODY : undefined }, 120_000);
      const undiciRun = (w: Workload, n: number) =>
        undici.run({
          url: account.baseUrl + w.path,
          method: w.method,
          token,
          body: w.body,
          accept: w.accept,
          total: n,
          concurrency: CONCURRENCY,
        });
      const peers: {
        name: 'eo' | 'core' | 'undici' | 'inside';
        run: (
          w: Workload,
          n: number,
        ) => Promise<{ ok: number; failed: number; elapsedMs: number; latencies: number[]; failures?: LoadResult['failures'] }>;
      }[] = [
        { name: 'eo', run: (w, n) => nodeRedRun(`eo-${w.key}`, n) },
        { name: 'core', run: (w, n) => nodeRedRun(`core-${w.key}`, n) },
        { name: 'undici', run: undiciRun },
        { name: 'inside', run: (w, n) => nodeRedRun(`inside-${w.key}`, n) },
      ];

      ctx.log(`warm-up: ${warmup} requests per peer and workload`);
      for (const w of WORKLOADS) for (const peer of peers) await peer.run(w, warmup);
      for (let round = 1; round <= ROUNDS; round++) {
        // Each round starts with another peer: none is always the one that runs first or last.
        const order = peers.map((_, i) => peers[(i + round) % peers.length]);
        for (const w of WORKLOADS) {
          const rates: string[] = [];
          for (const peer of order) {
            const r = await peer.run(w, perRound);
            add(tallies[`${peer.name}-${w.key}`], r, r.failures);
            rates.push(`${peer.name} ${Math.round(throughput(r.ok, r.elapsedMs))}`);
          }
          ctx.log(`round ${round}/${ROUNDS} ${w.key}: ${rates.join(', ')} req/s`);
        }
      }
      const table: BenchRow[] = [];
      const installedUndici = undiciVersion(installedWith(red.userDir));
      for (const w of WORKLOADS) {
        // How much of eo-request's gap to raw undici any node pays for running inside Node-RED: the
        // same undici call as a node, against raw undici in the same rounds.
        const undiciRate = tallies[`undici-${w.key}`].rates;
        const oursOverRaw = percentile(
          tallies[`eo-${w.key}`].rates.map((rate, i) => rate / undiciRate[i]),
          50,
        );
        const insideOverRaw = percentile(
          tallies[`inside-${w.key}`].rates.map((rate, i) => rate / undiciRate[i]),
          50,
        );
        const share = shareOfGap(oursOverRaw, insideOverRaw);
        const runtimeNote =
          `Same rounds: undici in Node-RED reaches ${round(insideOverRaw, 2)}× raw undici (throughput, median)` +
          (share === undefined
            ? '.'
            : `, so Node-RED's runtime accounts for ${share > 0 ? `${Math.round(share * 100)}%` : 'none'} of eo-request's gap to raw undici.`);
        table.push(...rows(w, tallies[`eo-${w.key}`], tallies[`undici-${w.key}`], 'raw undici', 0.9, runtimeNote));
        table.push(...rows(w, tallies[`eo-${w.key}`], tallies[`inside-${w.key}`], 'undici in Node-RED', 0.9));
        // How far any client could get ahead of the core node here: raw undici's lead in the same rounds.
        const ceiling = round(
          percentile(
            tallies[`core-${w.key}`].rates.map((rate, i) => undiciRate[i] / rate),
            50,
          ),
          2,
        );
        table.push(
          ...rows(
            w,
            tallies[`eo-${w.key}`],
            tallies[`core-${w.key}`],
            'core http request node',
            1.5,
            `Same rounds: raw undici ÷ core node ${ceiling}× (throughput, median).`,
          ),
        );
      }
      return {
        title: '2. Request overhead',
        setup:
          `${perRound * ROUNDS} requests per peer and workload (${ROUNDS} interleaved rounds after ${warmup} warm-up; throughput = median of the rounds), ${CONCURRENCY} in flight, emulator in its own process. ` +
          `eo-request and the core http request node (keep-alive on, static bearer header) in Node-RED ${nodeRedVersion()}, driven and timed by a driver/sink node pair in the same runtime (the same for both); ` +
          'raw undici: an Agent in one Node process of its own for the whole section, same warm-up, same static token (sent over IPC). ' +
          'undici in Node-RED: the same call (Agent options, static token, body read) as a minimal node in the same Node-RED. ' +
          `Every peer runs the undici ${installedUndici} that npm installed with our package. ` +
          'Peer order rotates every round. Latency = message in → message out (Node-RED) or request → body read (undici).',
        rows: table,
      };
    } finally {
      await stopUndici();
      await red.stop();
    }
  } finally {
    await emulator.stop();
  }
};
