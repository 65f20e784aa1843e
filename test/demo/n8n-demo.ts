/**
 * `npm run demo:n8n`: the example workflows in a real n8n 2.41.1, offline, with no account. Packs
 * this package and installs the tarball into `.demo/n8n/.n8n/nodes` the way n8n installs community
 * packages, starts the provider emulator, imports credentials that point at it and both example
 * workflows, starts `n8n start` on 127.0.0.1, creates the instance owner, and prints where to sign
 * in. Every start begins from an empty n8n folder. Ctrl-C stops everything.
 *
 *   node dist/test/demo/n8n-demo.js [--port 5690] [--emulator-port 8490]   (emulator port 0: any free one)
 */
import fs from 'node:fs';
import path from 'node:path';
import { example } from '../n8n/workflows';
import { startEmulator } from '../emulator/server';
import type { Emulator } from '../emulator/types';
import { emulatorCredentials, N8N_OWNER, N8N_VERSION, N8nHome, N8nRest, startN8n, type N8nServer } from '../support/n8n-process';
import { repoRoot } from '../support/paths';
import { portOption } from './options';

/** The shipped workflows, where each writes its files, and the ids they are imported under. */
const WORKFLOWS = [
  { file: 'worldcover-monthly-download.json', files: 'worldcover' },
  { file: 'sentinel-hub-process-geotiff.json', files: 'sentinel-hub' },
];

async function main(): Promise<void> {
  const port = portOption('--port', 5690);
  const emulatorPort = portOption('--emulator-port', 8490, true);
  // EO_DEMO_DIR lets the demo's own test run it without touching a user's .demo folder.
  const workDir = process.env.EO_DEMO_DIR || path.join(repoRoot, '.demo');
  const folder = path.join(workDir, 'n8n');
  const shown = (p: string) => path.relative(process.cwd(), p) || p;
  const say = (line = '') => process.stdout.write(`${line}\n`);

  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(workDir, { recursive: true });
  const logFile = path.join(workDir, 'n8n.log');
  const log = fs.createWriteStream(logFile);
  let emulator: Emulator | undefined;
  let server: N8nServer | undefined;
  let stopping = false;
  const stop = async () => {
    await server?.stop();
    await emulator?.close();
  };
  process.on('SIGINT', () => shutDown('SIGINT'));
  process.on('SIGTERM', () => shutDown('SIGTERM'));
  function shutDown(signal: string): void {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping n8n and the emulator`);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }

  try {
    say(`Packing the package and installing it into ${shown(path.join(folder, '.n8n', 'nodes'))} ...`);
    const home = await N8nHome.create({ folder });
    emulator = await startEmulator(emulatorPort ? { port: emulatorPort, secondPort: emulatorPort + 1 } : {});
    say('Importing the credentials and the example workflows ...');
    await home.importCredentials(emulatorCredentials(emulator));
    const workflows = WORKFLOWS.map((w) => {
      fs.mkdirSync(path.join(home.files, w.files), { recursive: true });
      return example(w.file, home.files, w.files);
    });
    await home.importWorkflows(workflows);
    say(`Starting n8n ${N8N_VERSION} ...`);
    server = await startN8n(home, { port, echo: log });
    // n8n 2.x always has user management: the demo creates the owner, then signs in once as a
    // person would, which also proves the printed credentials work.
    await new N8nRest(server.url).setupOwner(N8N_OWNER);
    const rest = new N8nRest(server.url);
    await rest.login(N8N_OWNER);
    const listed = await rest.request<{ data: { id: string }[] }>('GET', '/rest/workflows');
    const missing = workflows.filter((w) => !listed.body.data?.some((d) => d.id === w.id));
    if (missing.length) throw new Error(`n8n does not list ${missing.map((w) => w.name).join(', ')}`);

    const first = workflows[0];
    say('');
    say(`n8n ${N8N_VERSION} ${server.url}  (editor)`);
    say(`  Open ${server.url}/signin?redirect=${encodeURIComponent(`/workflow/${first.id}`)}`);
    say(`  and sign in as ${N8N_OWNER.email} with password ${N8N_OWNER.password}; the editor then opens on`);
    say(`  "${first.name}". n8n keeps you signed in in that browser.`);
    say(`Provider emulator ${emulator.url}  (plays Sentinel Hub, CDSE and Terrascope; demo credentials)`);
    say(`n8n log ${shown(logFile)}`);
    say('');
    say('Example workflows (press "Execute workflow" in the editor to run one):');
    for (const w of workflows) say(`  - ${w.name}  ${server.url}/workflow/${w.id}`);
    say('');
    say(`Credentials "Sentinel Hub account" and "Terrascope account" point at the emulator. The workflows`);
    say(`write their files under ${shown(home.files)}/.`);
    say('To use a real account, open a credential, clear Token URL and API base URL, enter your own');
    say('client id and secret (or username and password) and press Save, which tests them.');
    say('Press Ctrl-C to stop.');
  } catch (err) {
    process.stderr.write(`demo: could not start: ${(err as Error).message}\n`);
    process.stderr.write(`(is something else using port ${port} or ${emulatorPort}? try --port / --emulator-port)\n`);
    await stop().catch(() => undefined);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
