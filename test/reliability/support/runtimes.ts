/**
 * The Node-RED runtimes every Node-RED fault file runs on: Node-RED 5 on Node 24 (this process's
 * Node) and Node-RED 4.1 on Node 20, the oldest pair the package supports. Each table row names
 * the one it was measured on.
 */
import { nodeRed4Runtime, nodeRed5Runtime, runtimeLabel, type NodeRedRuntime } from '../../support/node-red-process';

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
