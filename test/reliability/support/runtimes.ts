/**
 * The Node-RED runtimes every Node-RED fault file runs on: Node-RED 5 on Node 24 (this process's
 * Node) and Node-RED 4.1 on Node 20, the oldest pair the package supports. Each table row names
 * the one it was measured on. describeOnEachRuntime() gives a file's scenarios a fault bed on each.
 */
import { nodeRed4Runtime, nodeRed5Runtime, runtimeLabel, type NodeRedRuntime } from '../../support/node-red-process';
import { artifactDir } from '../hygiene';
import type { FaultBed } from './fault-bed';

export interface FaultRuntime {
  runtime: NodeRedRuntime;
  /** The table's "engine" cell, e.g. "Node-RED 4.1.3 (Node 20)". */
  engine: string;
  /** For artefact folder names: "node-red" or "node-red4". */
  key: string;
}

/**
 * Both runtimes, Node-RED 5 first; EO_NODE_RED_RUNTIMES=node-red (or node-red4) keeps one, for a
 * quicker run while working on a scenario.
 */
export function faultRuntimes(): FaultRuntime[] {
  const wanted = process.env.EO_NODE_RED_RUNTIMES?.split(',').map((k) => k.trim());
  const all: Array<{ key: NodeRedRuntime['module']; runtime: () => NodeRedRuntime }> = [
    { key: 'node-red', runtime: nodeRed5Runtime },
    { key: 'node-red4', runtime: nodeRed4Runtime },
  ];
  return all
    .filter(({ key }) => !wanted || wanted.includes(key))
    .map(({ key, runtime }) => {
      const chosen = runtime();
      return { runtime: chosen, engine: runtimeLabel(chosen), key };
    });
}

/** How a fault file starts and ends its bed on one runtime. */
export interface BedLifecycle {
  /** Artefact folder name; "-node-red" or "-node-red4" is appended. */
  artifacts: string;
  /** Starts the bed; undefined when nothing can run on this machine (the file records why). */
  start(runtime: NodeRedRuntime, engine: string): Promise<FaultBed | undefined>;
  /** Hands the running bed to the file's scenarios. */
  use(bed: FaultBed): void;
  /** Runs before the bed stops: close what the file opened beside it (a TLS front, a mount). */
  beforeStop?(): Promise<void> | void;
  /** Default 240 s. */
  startTimeoutMs?: number;
}

/**
 * Runs `scenarios` once per runtime, each time on a bed of its own: started before them, its
 * artefacts kept and stopped after them. Before each scenario the emulator's faults are cleared and
 * the runtime's output is marked (FaultBed.startScenario); after it, a wait the test's timeout
 * ended is reported with what Node-RED said (FaultBed.reportUnfinished).
 */
export function describeOnEachRuntime(title: string, lifecycle: BedLifecycle, scenarios: (engine: string) => void): void {
  describe.each(faultRuntimes())(`${title} ($engine)`, ({ runtime, engine, key }) => {
    let bed: FaultBed | undefined;
    beforeAll(async () => {
      bed = await lifecycle.start(runtime, engine);
      if (bed) lifecycle.use(bed);
    }, lifecycle.startTimeoutMs ?? 240_000);
    afterAll(async () => {
      await lifecycle.beforeStop?.();
      if (!bed) return;
      bed.saveArtifacts(artifactDir(`${lifecycle.artifacts}-${key}`));
      await bed.stop();
    }, 60_000);
    beforeEach(() => {
      bed?.emulator.clearFaults();
      bed?.startScenario();
    });
    afterEach(() => bed?.reportUnfinished());
    scenarios(engine);
  });
}
