/**
 * Load flows: the node(s) under test between a `bench-driver` and a `bench-sink` (see
 * load-nodes.ts), so every peer inside Node-RED is driven and timed by the same code.
 */
import type { FlowNode } from '../../test/support/flows';
import type { NodeRedProcess } from '../../test/support/node-red-process';

/** What one load run reports back from inside Node-RED. */
export interface LoadResult {
  done: boolean;
  total: number;
  ok: number;
  failed: number;
  /** Status codes (or error codes) of the failed messages, with counts. */
  failures: Record<string, number>;
  /** A few failure texts, for the console. */
  samples: string[];
  /** First message sent → last message back, ms. */
  elapsedMs: number;
  /** Per-message latency in ms, in completion order. */
  latencies: number[];
}

/** How a run is paced. */
export interface LoadPlan {
  total: number;
  /** Closed loop: keep this many messages in flight (total = all at once). */
  concurrency?: number;
  /** Open loop: start this many messages per second, whatever is still in flight. */
  ratePerS?: number;
  /** msg.payload of every message (a fresh copy each). */
  body?: unknown;
}

/** The nodes under test between driver and sink: `entries` receive the driver's messages, `exits` lead to the sink. */
export interface LoadTargets {
  /** The nodes (with `z` set by {@link loadFlow}); their outgoing wires to the sink are added here. */
  nodes: FlowNode[];
  /** One id per driver output: message n goes to entries[n % entries.length]. */
  entries: string[];
  /** Ids whose first output goes to the sink. */
  exits: string[];
  /** Ids whose errors a Catch node hands to the sink (nodes that report failures with done(err)). */
  caught: string[];
}

/** Id of the sink of the flow `name` (for targets with a failure output of their own). */
export function sinkId(name: string): string {
  return `bench-${name}-sink`;
}

/** A tab with driver, targets, sink and a Catch node scoped to the targets that report with done(err). */
export function loadFlow(name: string, targets: LoadTargets): FlowNode[] {
  const tab = `bench-${name}`;
  const sink = sinkId(name);
  const withSink = targets.nodes.map((n) =>
    targets.exits.includes(n.id)
      ? { ...n, z: tab, wires: [[...(n.wires?.[0] ?? []), sink], ...(n.wires?.slice(1) ?? [])] }
      : { ...n, z: tab },
  );
  const nodes: FlowNode[] = [
    { id: tab, type: 'tab', label: `bench ${name}`, disabled: false, info: '' },
    {
      id: `${tab}-driver`,
      type: 'bench-driver',
      z: tab,
      benchName: name,
      targets: targets.entries.length,
      x: 100,
      y: 40,
      wires: targets.entries.map((e) => [e]),
    },
    { id: sink, type: 'bench-sink', z: tab, benchName: name, x: 700, y: 120, wires: [] },
    ...withSink,
  ];
  if (targets.caught.length > 0) {
    nodes.push({
      id: `${tab}-catch`,
      type: 'catch',
      z: tab,
      name: '',
      scope: targets.caught,
      uncaught: false,
      x: 500,
      y: 160,
      wires: [[sink]],
    });
  }
  return nodes;
}

/** Starts the run `name` and waits for its result (polling; fails after `timeoutMs`). */
export async function runLoad(red: NodeRedProcess, name: string, plan: LoadPlan, timeoutMs: number): Promise<LoadResult> {
  await red.whenStarted(() => red.request('POST', `/bench/${name}/start`, plan));
  const end = Date.now() + timeoutMs;
  let last: Partial<LoadResult> = {};
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200));
    last = (await red.request('GET', `/bench/${name}/result`)).body as Partial<LoadResult>;
    if (last.done) return last as LoadResult;
  }
  throw new Error(`load run ${name} did not finish within ${timeoutMs} ms: ${JSON.stringify(last).slice(0, 500)}`);
}
