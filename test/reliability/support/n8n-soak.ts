/**
 * The n8n half of the soak: a real `n8n start` (from the cache) with the packed package and three
 * published webhook workflows (Sentinel Hub Process, Sentinel Hub Catalog, and a Terrascope
 * download answered with the file itself), which the test calls on timers for the soak's duration,
 * with 5 s tokens and the same random faults as the Node-RED soak, on an emulator of its own.
 *
 * n8n's memory is sampled inside its own process, after a full GC, by a probe preloaded with
 * `--require` (n8n runs with `--expose-gc`), as the Node-RED soak samples Node-RED's. Successful
 * executions are not kept (EXECUTIONS_DATA_SAVE_ON_SUCCESS=none), so neither n8n's database nor
 * its binary store grows by a few hundred megabytes of soak downloads.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { prng } from '../../emulator/http';
import { bodyBytes, startEmulator, syntheticSource } from '../../emulator/server';
import type { Emulator, EmulatorConfig } from '../../emulator/types';
import { EO_REQUEST_TYPE, N8N_VERSION, N8nHome, startN8n, type N8nServer } from '../../support/n8n-process';
import { processParameters } from '../../n8n/workflows';
import { keepEmulatorRecord, rememberSecrets } from '../hygiene';
import { recordScenario } from '../scenarios';
import { randomFault, SOAK_DOWNLOAD_SIZES } from './soak-faults';
import { isTokenPath, memoryTrend, tokenUse, tokenUseExpected, type MemorySample } from './soak-metrics';

const GROUP = 'Soak';
const ENGINE = `n8n ${N8N_VERSION}`;

/** The webhook flows and how often the test calls each. */
const FLOWS = [
  { id: 'process', everyS: 1.0 },
  { id: 'catalog', everyS: 1.4 },
  { id: 'download', everyS: 1.9 },
] as const;
type FlowId = (typeof FLOWS)[number]['id'];

/** What one webhook call came back with. */
interface CallOutcome {
  flow: FlowId;
  t: number;
  status: number;
  error?: string;
  size?: number;
  bytes?: number;
  identical?: boolean;
}

/** The memory probe n8n preloads: a full GC, then one line of figures, every `EO_MEMORY_EVERY_MS`. */
const MEMORY_PROBE = `// Preloaded into the soaked n8n (node --expose-gc --require this-file).
const fs = require('node:fs');
const file = process.env.EO_MEMORY_SAMPLES;
const every = Number(process.env.EO_MEMORY_EVERY_MS || 5000);
// Child processes n8n starts (task runners) inherit the environment: they must not sample too.
delete process.env.EO_MEMORY_SAMPLES;
if (file) {
  setInterval(() => {
    if (typeof global.gc === 'function') global.gc();
    const m = process.memoryUsage();
    fs.appendFileSync(file, JSON.stringify({ pid: process.pid, at: Date.now(), rss: m.rss, heapUsed: m.heapUsed }) + '\\n');
  }, every).unref();
}
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function webhookNode(path: string, binary: boolean): Record<string, unknown> {
  return {
    id: randomUUID(),
    name: 'Webhook',
    type: 'n8n-nodes-base.webhook',
    typeVersion: 2,
    position: [0, 0],
    webhookId: randomUUID(),
    parameters: {
      path,
      responseMode: 'lastNode',
      responseData: binary ? 'firstEntryBinary' : 'firstEntryJson',
      ...(binary ? { responseBinaryPropertyName: 'data' } : {}),
      options: {},
    },
  };
}

/** Webhook → one EO Request node (Continue On Fail, so an error comes back in the answer), answered by the node's first item. */
function soakWorkflow(flow: FlowId, credentials: Record<string, unknown>): object {
  const parameters: Record<FlowId, Record<string, unknown>> = {
    process: processParameters('13.35,52.5,13.45,52.55'),
    catalog: {
      resource: 'sentinelHub',
      operation: 'catalogSearch',
      dataCollection: 'sentinel-2-l2a',
      areaType: 'bbox',
      bbox: '13.35,52.5,13.45,52.55',
      timeFrom: '2024-06-01T00:00:00.000Z',
      timeTo: '2024-06-30T00:00:00.000Z',
      returnAll: false,
      limit: 5,
    },
    download: {
      resource: 'terrascope',
      operation: 'download',
      url: "={{ '/download/synthetic/' + $json.query.size + '.bin' }}",
      fileName: "={{ 'soak-' + $json.query.size + '.bin' }}",
      binaryPropertyName: 'data',
    },
  };
  return {
    id: `eoSoak${flow[0].toUpperCase()}${flow.slice(1)}`,
    name: `Soak: ${flow}`,
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [
      webhookNode(`eo-soak-${flow}`, flow === 'download'),
      {
        id: randomUUID(),
        name: 'EO',
        type: EO_REQUEST_TYPE,
        typeVersion: 1,
        position: [200, 0],
        parameters: parameters[flow],
        credentials,
        onError: 'continueRegularOutput',
      },
    ],
    connections: { Webhook: { main: [[{ node: 'EO', type: 'main', index: 0 }]] } },
  };
}

export class N8nSoak {
  private readonly expectedHash = new Map(
    SOAK_DOWNLOAD_SIZES.map((size) => [
      size,
      createHash('sha256')
        .update(bodyBytes(syntheticSource(size)))
        .digest('hex'),
    ]),
  );

  /** What the last run saw, for the artefact folder. */
  private outcomes: object = {};

  private constructor(
    private readonly emulator: Emulator,
    private readonly home: N8nHome,
    private readonly server: N8nServer,
    private readonly samplesFile: string,
    private readonly memoryEveryMs: number,
    private readonly clientId: string,
    private readonly lifetimeS: number,
  ) {}

  /**
   * Starts the emulator (tokens living `lifetimeS`) and n8n with the workflows published, sampling
   * its memory every `memoryEveryMs`.
   */
  static async start(options: { lifetimeS: number; memoryEveryMs: number }): Promise<N8nSoak> {
    const suffix = randomBytes(6).toString('hex');
    const client = { clientId: 'n8n-soak-client', clientSecret: `n8n-soak-secret-${suffix}` };
    const user = { username: 'n8n-soak-user', password: `n8n-soak-password-${suffix}` };
    rememberSecrets([client.clientSecret], 'client secret');
    rememberSecrets([user.password], 'password');
    const lifetime = {
      main: options.lifetimeS,
      CDSE: options.lifetimeS,
      terrascope: options.lifetimeS,
    } as EmulatorConfig['accessTokenLifetimeS'];
    const emulator = await startEmulator({
      accessTokenLifetimeS: lifetime,
      clients: [client],
      users: [user],
      logLimit: 1_000_000,
    } as Parameters<typeof startEmulator>[0]);
    let home: N8nHome | undefined;
    try {
      home = await N8nHome.create();
      const e = emulator.endpoints;
      const sh = { id: 'eoSoakSh', name: 'Sentinel Hub (soak)' };
      const ts = { id: 'eoSoakTs', name: 'Terrascope (soak)' };
      await home.importCredentials([
        {
          ...sh,
          type: 'sentinelHubApi',
          data: { environment: 'sentinel-hub', ...client, tokenUrl: e.sentinelHub.tokenUrl, baseUrl: e.sentinelHub.baseUrl },
        },
        { ...ts, type: 'terrascopeApi', data: { ...user, tokenUrl: e.terrascope.tokenUrl, baseUrl: e.terrascope.baseUrl } },
      ]);
      const workflows = [
        soakWorkflow('process', { sentinelHubApi: sh }),
        soakWorkflow('catalog', { sentinelHubApi: sh }),
        soakWorkflow('download', { terrascopeApi: ts }),
      ] as { id: string }[];
      await home.importWorkflows(workflows);
      // n8n 2.x runs production webhooks of published workflows only.
      for (const w of workflows) {
        const published = await home.cli(['publish:workflow', `--id=${w.id}`]);
        if (published.code !== 0) throw new Error(`publishing ${w.id} failed:\n${published.stdout}\n${published.stderr}`);
      }
      const probe = path.join(home.folder, 'memory-probe.js');
      fs.writeFileSync(probe, MEMORY_PROBE);
      const samplesFile = path.join(home.folder, 'memory-samples.jsonl');
      const server = await startN8n(home, {
        // Generous: on a busy two-core machine n8n has taken more than 90 s to come up.
        timeoutMs: 240_000,
        nodeArgs: ['--expose-gc', '--require', probe],
        env: {
          EO_MEMORY_SAMPLES: samplesFile,
          EO_MEMORY_EVERY_MS: String(options.memoryEveryMs),
          EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'none',
          // n8n pings its database every 2 s and answers every webhook 503 "Database is not ready!"
          // after one ping slower than 5 s, which a busy two-core test machine (and the probe's
          // full collections) can cause; that is n8n's own health check, not what the soak measures.
          DB_PING_TIMEOUT_MS: '20000',
        },
      });
      return new N8nSoak(emulator, home, server, samplesFile, options.memoryEveryMs, client.clientId, options.lifetimeS);
    } catch (err) {
      await home?.remove();
      await emulator.close();
      throw err;
    }
  }

  /** One call of `flow`, with what came back. */
  private async call(flow: FlowId, n: number): Promise<CallOutcome> {
    const t = Date.now();
    const size = flow === 'download' ? SOAK_DOWNLOAD_SIZES[n % SOAK_DOWNLOAD_SIZES.length] : undefined;
    const query = size === undefined ? '' : `?size=${size}`;
    try {
      const res = await fetch(`${this.server.url}/webhook/eo-soak-${flow}${query}`, { signal: AbortSignal.timeout(120_000) });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) return { flow, t, status: res.status, error: `HTTP ${res.status}: ${body.toString('utf8').slice(0, 300)}` };
      if (size !== undefined) {
        const identical = body.length === size && createHash('sha256').update(body).digest('hex') === this.expectedHash.get(size);
        return { flow, t, status: 200, size, bytes: body.length, identical };
      }
      const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      if (json.error !== undefined)
        return {
          flow,
          t,
          status: 200,
          error: `${String(json.error)} ${String(json.description ?? '')} (httpCode ${String(json.httpCode)})`,
        };
      return { flow, t, status: 200 };
    } catch (err) {
      return { flow, t, status: 0, error: `no answer: ${(err as Error).message}` };
    }
  }

  /**
   * Waits until n8n has registered every webhook: a call answers something other than 404. These
   * calls reach the emulator like any other (the token yardstick replays every call it logged).
   */
  private async webhooksReady(): Promise<void> {
    const end = Date.now() + 60_000;
    for (const { id } of FLOWS) {
      for (;;) {
        const res = await fetch(`${this.server.url}/webhook/eo-soak-${id}?size=4096`).catch(() => undefined);
        await res?.arrayBuffer();
        if (res && res.status !== 404) break;
        if (Date.now() > end) throw new Error(`n8n did not register the webhook eo-soak-${id} within 60 s`);
        await sleep(250);
      }
    }
  }

  /**
   * Calls the webhooks for `durationS` with faults from `seed`, then records the rows; returns the
   * checks that did not hold (empty when the soak passed).
   */
  async run(durationS: number, seed: number, limits: { heapMbPerMin: number; rssMbPerMin: number }): Promise<string[]> {
    await this.webhooksReady();
    const random = prng(seed);
    const outcomes: CallOutcome[] = [];
    const faults = new Map<string, number>();
    const inFlight = new Set<Promise<void>>();
    const counts = new Map<FlowId, number>();
    const start = Date.now();
    const end = start + durationS * 1000;
    const next = new Map<FlowId, number>(FLOWS.map((f, i) => [f.id, start + 300 * i]));
    let nextFault = start + 2000;
    let sent = 0;
    while (Date.now() < end) {
      const now = Date.now();
      for (const flow of FLOWS) {
        if (now < (next.get(flow.id) ?? 0)) continue;
        next.set(flow.id, now + flow.everyS * 1000);
        const n = (counts.get(flow.id) ?? 0) + 1;
        counts.set(flow.id, n);
        sent += 1;
        const pending: Promise<void> = this.call(flow.id, n).then((o) => {
          outcomes.push(o);
          inFlight.delete(pending);
        });
        inFlight.add(pending);
      }
      if (now >= nextFault) {
        const { kind, script } = randomFault(random);
        this.emulator.fault(script);
        faults.set(kind, (faults.get(kind) ?? 0) + 1);
        nextFault = now + 2000 + random() * 3000;
      }
      await sleep(100);
    }
    this.emulator.clearFaults();
    await Promise.race([Promise.all(inFlight), sleep(90_000)]);
    const elapsedS = (Date.now() - start) / 1000;
    return this.record(outcomes, sent, faults, seed, durationS, elapsedS, start, limits);
  }

  private record(
    outcomes: CallOutcome[],
    sent: number,
    faults: Map<string, number>,
    seed: number,
    durationS: number,
    elapsedS: number,
    start: number,
    limits: { heapMbPerMin: number; rssMbPerMin: number },
  ): string[] {
    const failed: string[] = [];
    const row = (scenario: string, expected: string, observed: string, pass: boolean): void => {
      recordScenario({ group: GROUP, engine: ENGINE, scenario, expected, observed, pass });
      if (!pass) failed.push(`${scenario}: ${observed}`);
    };
    const log = this.emulator.log();
    const errors = outcomes.filter((o) => o.error !== undefined);
    const results = outcomes.length - errors.length;
    const unanswered = sent - outcomes.length;
    const flow401 = errors.filter((o) => /\b401\b|unauthori[sz]ed|EO_AUTH_/i.test(o.error ?? '')).length;
    const apiCalls = log.filter((e) => !isTokenPath(e.path));
    const faultText = [...faults].map(([k, n]) => `${n} ${k}`).join(', ');
    const errorText = [...new Set(errors.map((e) => `${e.flow}: ${e.error?.slice(0, 120)}`))].slice(0, 3).join(' | ');
    row(
      `${Math.round(elapsedS)} s, ${FLOWS.length} webhook workflows (Process, Catalog, Terrascope download), 2 identities, seed ${seed}: ${faultText}`,
      'every call answered with a result; 0 errors (every injected fault is absorbed)',
      `${sent} calls: ${results} results, ${errors.length} errors${errorText ? ` (${errorText})` : ''}, ${unanswered} unanswered`,
      results > 0 && errors.length === 0 && unanswered === 0,
    );
    row(
      `401s with ${this.lifetimeS} s access tokens`,
      '0 reaching executions',
      `${flow401} reaching executions; the API answered 401 ${apiCalls.filter((e) => e.status === 401).length} times out of ${apiCalls.length} calls`,
      flow401 === 0,
    );
    for (const [label, clientId, grant] of [
      ['Sentinel Hub', this.clientId, 'client credentials'],
      ['Terrascope', 'public', 'password grant, renewed by refresh grant'],
    ] as const) {
      const use = tokenUse(log, clientId, this.lifetimeS);
      row(`token requests of ${label} (${grant})`, tokenUseExpected(this.lifetimeS), use.text, use.within5);
    }

    // The soak's window only: after it, n8n is winding down the calls still open.
    const samples = this.memorySamples(start).filter((m) => m.t <= durationS);
    const trend = memoryTrend(samples, durationS / 2);
    const callsPerMinute = apiCalls.length / (elapsedS / 60);
    const perCall = (mbPerMin: number) => `${Math.round((mbPerMin * 1024 * 1024) / Math.max(1, callsPerMinute))} B/call`;
    row(
      `memory of the n8n process (after a full GC, every ${(this.memoryEveryMs / 1000).toFixed(1)} s; trend fitted over the second half, ${trend.samples} samples)`,
      `flat: heap trend ≤ ${limits.heapMbPerMin} MB/min, RSS trend ≤ ${limits.rssMbPerMin} MB/min (at ${Math.round(callsPerMinute)} calls/min: a leak of ${perCall(limits.heapMbPerMin)} or ${perCall(limits.rssMbPerMin)})`,
      `heap ${trend.heapTrend.toFixed(2)} MB/min (mean ${trend.heapMean.toFixed(1)} MB), RSS ${trend.rssTrend.toFixed(2)} MB/min (mean ${trend.rssMean.toFixed(1)} MB)`,
      trend.samples >= 6 && trend.heapTrend <= limits.heapMbPerMin && trend.rssTrend <= limits.rssMbPerMin,
    );

    const downloads = outcomes.filter((o) => o.flow === 'download' && o.error === undefined);
    const identical = downloads.filter((o) => o.identical).length;
    const megabytes = downloads.reduce((s, o) => s + (o.bytes ?? 0), 0) / 1e6;
    row(
      'Terrascope downloads of synthetic files (1.5–4.2 MB) under resets and short bodies, answered by n8n from its binary store',
      'every file delivered byte-identical (sha256)',
      `${identical} of ${downloads.length} identical (${megabytes.toFixed(0)} MB)`,
      downloads.length > 0 && identical === downloads.length,
    );
    this.outcomes = { seed, faults: Object.fromEntries(faults), errors, samples };
    return failed;
  }

  /** n8n's own memory samples from `start` on (its child processes do not sample: the probe removes its variable). */
  private memorySamples(start: number): MemorySample[] {
    if (!fs.existsSync(this.samplesFile)) return [];
    return fs
      .readFileSync(this.samplesFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { pid: number; at: number; rss: number; heapUsed: number })
      .filter((m) => m.pid === this.server.pid && m.at >= start)
      .map((m) => ({ t: (m.at - start) / 1000, rss: m.rss, heapUsed: m.heapUsed }));
  }

  /** Stops n8n and the emulator and keeps what they left for the secret sweep in `artifacts`. */
  async stop(artifacts: string): Promise<void> {
    await this.server.stop();
    fs.writeFileSync(path.join(artifacts, 'n8n-output.log'), this.server.output());
    fs.writeFileSync(path.join(artifacts, 'n8n-outcomes.json'), JSON.stringify(this.outcomes, null, 1));
    keepEmulatorRecord(this.emulator, artifacts);
    await this.emulator.close();
    await this.home.remove();
  }
}
