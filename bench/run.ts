/**
 * `npm run bench`: runs every section of bench/sections.ts against the emulator on this machine and
 * writes its results (bench/publish.ts says where). Options:
 *   --quick             smoke sizes (about a minute per section)
 *   --only a,b          run only these sections (names as in sections.ts)
 * Only a full run of all sections writes the published bench/results.* and the tables in
 * docs/performance.md; a --quick or --only run writes under test-artifacts/bench/ instead.
 * A missed goal is a result (shown in the table), not a failure: the exit code is non-zero only
 * when a section crashed. Child processes are ended whatever happens.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../test/support/paths';
import { N8N_CACHE } from '../test/support/n8n-process';
import { writeBenchResults } from './publish';
import { renderMarkdown, type BenchMachine, type BenchResults, type BenchSectionOutcome } from './report';
import { SECTIONS } from './sections';
import { nodeRedVersion } from './support/node-red';
import { killAll, removeFolders, trackFolder } from './support/processes';

interface Options {
  quick: boolean;
  only?: string[];
}

function parseArgs(args: string[]): Options {
  const options: Options = { quick: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg.includes('=') ? arg.slice('--only='.length) : args[++i];
      if (!value) throw new Error('--only needs a list of section names, e.g. --only tokens,overhead');
      options.only = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    } else throw new Error(`unknown option ${arg} (use --quick and --only <name,...>)`);
  }
  const unknown = options.only?.filter((name) => !SECTIONS.some((s) => s.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}; sections are ${SECTIONS.map((s) => s.name).join(', ')}`);
  return options;
}

function versionOf(file: string): string {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function machine(): BenchMachine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown CPU',
    node: process.versions.node,
    nodeRed: nodeRedVersion(),
    n8n: versionOf(path.join(N8N_CACHE, 'app', 'node_modules', 'n8n', 'package.json')),
    platform: `${os.platform()} ${os.release()}`,
  };
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const outcomes: BenchSectionOutcome[] = [];
  const chosen = SECTIONS.filter((s) => !options.only || options.only.includes(s.name));
  for (const section of chosen) {
    const workDir = trackFolder(fs.mkdtempSync(path.join(os.tmpdir(), `eo-bench-${section.name}-`)));
    const t0 = Date.now();
    const log = (line: string): void => void process.stdout.write(`[${section.name} ${((Date.now() - t0) / 1000).toFixed(0)}s] ${line}\n`);
    log('start');
    try {
      const result = await section.run({ workDir, quick: options.quick, log });
      outcomes.push({ name: section.name, seconds: (Date.now() - t0) / 1000, sections: Array.isArray(result) ? result : [result] });
      log('done');
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      outcomes.push({
        name: section.name,
        seconds: (Date.now() - t0) / 1000,
        sections: [],
        error: message.split('\n').slice(0, 6).join(' / '),
      });
      log(`FAILED: ${message}`);
    } finally {
      // Whatever a failed section left running goes now, before the next one starts.
      killAll();
      fs.rmSync(workDir, { recursive: true, force: true, maxRetries: 3 });
    }
  }
  const results: BenchResults = {
    startedAt: new Date(started).toISOString(),
    quick: options.quick,
    totalSeconds: (Date.now() - started) / 1000,
    machine: machine(),
    outcomes,
  };
  // The published table comes only from a full run of every section.
  const published = !options.quick && chosen.length === SECTIONS.length;
  const written = writeBenchResults(results, repoRoot, published);
  process.stdout.write(`\n${renderMarkdown(results)}\nwrote ${written.join(', ')} (${results.totalSeconds.toFixed(0)} s)\n`);
  return outcomes.some((o) => o.error) ? 1 : 0;
}

// Child processes and scratch folders (work folders, n8n homes) go with the runner, whether it ends
// normally, by a signal or by a crash.
function cleanUp(): void {
  killAll();
  removeFolders();
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    cleanUp();
    process.exit(2);
  },
);
