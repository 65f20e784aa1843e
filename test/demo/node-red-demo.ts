/**
 * `npm run demo`: the example flows working offline, with no account. Packs this package, installs
 * the tarball into `.demo/node-red` (a fresh Node-RED user directory), starts the provider emulator
 * and Node-RED 5 on 127.0.0.1, deploys the examples against the emulator's demo credentials, runs
 * each once, and prints what to open. Ctrl-C stops everything.
 *
 *   node dist/test/demo/node-red-demo.js [--port 1880] [--emulator-port 8480]   (emulator port 0: any free one)
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadExamples } from '../support/flows';
import { nodeRed5Runtime } from '../support/node-red-process';
import { repoRoot } from '../support/paths';
import { emulatorQuiet, listFiles, startStack, type Stack } from '../support/node-red-stack';
import type { FlowNode } from '../support/flows';
import { portOption } from './options';

/** How often the demo's emulator publishes a new scene for the EO Watch example. */
const SCENE_EVERY_MS = 30_000;

/**
 * New scenes while the demo runs: the emulator publishes one over the watched field (on time,
 * late, or a republication of the previous one, in turn) and presses the example's "poll now",
 * so the EO Watch tab shows scenes arriving without waiting for its 10-minute interval.
 */
function feedScenes(stack: Stack, say: (line: string) => void): () => void {
  const watch = stack.flows.find((n) => n.type === 'eo-watch');
  const pollNow = stack.flows.find((n: FlowNode) => n.type === 'inject' && n.wires?.[0]?.includes(String(watch?.id)));
  if (!watch || !pollNow) return () => undefined;
  let round = 0;
  let previous: string | undefined;
  const publish = () => {
    const kind = ['on time', 'late', 'republished'][round++ % 3];
    const now = Date.now();
    const scene =
      kind === 'republished' && previous
        ? stack.emulator.republishScene(previous, { cloudCover: 5 })
        : stack.emulator.publishScene({ acquired: kind === 'late' ? now - 26 * 3_600_000 : now - 1000, cloudCover: 4 + (round % 10) });
    previous = scene.id;
    say(`  scene ${scene.id} (${kind}, ${scene.cloudCover} % cloud) published → EO Watch polls`);
    void stack.nodeRed.inject(pollNow.id).catch(() => undefined);
  };
  publish();
  const timer = setInterval(publish, SCENE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

async function main(): Promise<void> {
  const port = portOption('--port', 1880);
  const emulatorPort = portOption('--emulator-port', 8480, true);
  // EO_DEMO_DIR lets the demo's own test run it without touching a user's .demo folder.
  const workDir = process.env.EO_DEMO_DIR || path.join(repoRoot, '.demo');
  const say = (line = '') => process.stdout.write(`${line}\n`);

  say(`Packing the package and installing it into ${path.relative(process.cwd(), path.join(workDir, 'node-red')) || workDir} ...`);
  let stack: Stack;
  fs.mkdirSync(workDir, { recursive: true });
  const logFile = path.join(workDir, 'node-red.log');
  const log = fs.createWriteStream(logFile);
  try {
    stack = await startStack({
      workDir,
      port,
      emulatorPort,
      runtime: nodeRed5Runtime(),
      credentialSecret: 'eo-nodes-demo-credential-secret',
      echo: log,
    });
  } catch (err) {
    process.stderr.write(`demo: could not start: ${(err as Error).message}\n`);
    process.stderr.write(`(is something else using port ${port} or ${emulatorPort}? try --port / --emulator-port)\n`);
    process.exit(1);
  }
  let stopping = false;
  let stopFeed = () => undefined as void;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stopFeed();
    say(`\n${signal}: stopping Node-RED and the emulator`);
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  // Run every example once, so the editor opens on green statuses and files already on disk.
  for (const node of stack.flows) if (node.type === 'inject') await stack.nodeRed.inject(node.id);
  await emulatorQuiet(stack.emulator);
  say('EO Watch example: the emulator publishes a Sentinel-2 scene over the field every 30 s:');
  stopFeed = feedScenes(stack, say);
  await emulatorQuiet(stack.emulator);
  const output = path.join(stack.userDir, 'eo-data');
  // Bookkeeping files (.meta.json: ETag and size for the skip check) are not results.
  const files = listFiles(output).filter((f) => !f.endsWith('.meta.json'));

  say('');
  say(`Node-RED ${stack.nodeRed.url}  (editor; the example flows are deployed, one tab each)`);
  say(`Provider emulator ${stack.emulator.url}  (plays Sentinel Hub, CDSE and Terrascope; demo credentials)`);
  say(`Node-RED log ${path.relative(process.cwd(), logFile) || logFile}`);
  say('');
  say('Example flows (each ran once; press an inject button to run it again):');
  for (const ex of loadExamples()) say(`  - ${ex.title}`);
  say('');
  say(`Files written under ${path.relative(process.cwd(), output) || output}:`);
  for (const f of files) say(`  ${f}  (${(fs.statSync(path.join(output, f)).size / 1048576).toFixed(2)} MB)`);
  say('');
  say('The EO Auth nodes point at the emulator. To use a real account, open an EO Auth node, clear');
  say('Token URL and API base URL, pick the provider, enter your credentials and press Test connection.');
  say('Press Ctrl-C to stop.');
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
