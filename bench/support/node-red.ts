/**
 * A real Node-RED 5 with this package installed from its tarball (the e2e harness), started for a
 * benchmark with the load generator's node types (and raw undici as a node) in its `nodes/` folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { installPackage, nodeRed5Runtime, startNodeRed, type NodeRedProcess } from '../../test/support/node-red-process';
import { packPackage } from '../../test/support/package-tarball';
import { repoRoot } from '../../test/support/paths';
import { installLoadNodes } from './load-nodes';
import { track } from './processes';
import { installUndiciNode } from './undici-node';

/**
 * Packs and installs the package into `<workDir>/node-red` and starts Node-RED 5 there. With
 * BENCH_CPU_PROF=<folder> set, Node-RED writes a CPU profile there when it stops (open it in
 * Chrome DevTools): how a missed goal is traced to its cause.
 */
export async function startBenchNodeRed(workDir: string): Promise<NodeRedProcess> {
  const runtime = nodeRed5Runtime();
  const packDir = path.join(workDir, 'pack');
  const userDir = path.join(workDir, 'node-red');
  fs.mkdirSync(packDir, { recursive: true });
  await installPackage(userDir, await packPackage(packDir), runtime.nodeBin);
  installLoadNodes(userDir);
  installUndiciNode(userDir);
  const profileDir = process.env.BENCH_CPU_PROF;
  const red = await startNodeRed({
    userDir,
    runtime,
    nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [],
  });
  track(red.child);
  return red;
}

/** Node-RED's version as its package says (for the machine facts of the report and the setup lines). */
export function nodeRedVersion(): string {
  const pkg = path.join(repoRoot, 'node_modules', 'node-red', 'package.json');
  try {
    return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}
