/**
 * Which Node-RED a test run uses: Node-RED 5 needs Node ≥ 22.9, so Node 24 runs 5.x and the
 * Node 20 run uses 4.1 (installed side by side as the `node-red4` alias).
 */
/** The part of node-red-node-test-helper the tests use (the package ships no types). */
export interface NodeRedTestHelper {
  init(runtimePath: string, settings?: Record<string, unknown>): void;
  load(nodes: unknown, flow: object[], credentials?: Record<string, object>): Promise<void>;
  unload(): Promise<void>;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  getNode(id: string): NodeRedTestNode | null;
  settings(values: Record<string, unknown>): void;
  _RED: { version(): string };
}

export interface NodeRedTestNode {
  receive(msg: object): void;
  on(event: 'input', listener: (msg: Record<string, unknown>) => void): void;
  on(event: 'call:error' | 'call:status', listener: (call: { args: unknown[] }) => void): void;
}

const nodeMajor = Number(process.versions.node.split('.')[0]);

export const nodeRedRuntime = nodeMajor >= 22 ? { module: 'node-red', major: 5 } : { module: 'node-red4', major: 4 };

export function loadTestHelper(): NodeRedTestHelper {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const helper = require('node-red-node-test-helper') as NodeRedTestHelper;
  helper.init(require.resolve(nodeRedRuntime.module));
  return helper;
}
