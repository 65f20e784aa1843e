/**
 * A real Node-RED with the package installed from its tarball (test/e2e/stack.ts), running one
 * tab built for fault scenarios: an EO Auth node per identity, an EO Request node per target,
 * a Catch node for the tab, and an http-in route that sends a message to one target. A scenario
 * sets the emulator's faults, calls `run(target, msg)` and gets back what came out of the
 * target and what the Catch node saw, as recorded by the test collector (test/e2e/flows.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { clearCollected, collected, withCollectors, type Collected, type FlowNode } from '../../e2e/flows';
import { tempDir } from '../../e2e/harness';
import { startStack, type Stack } from '../../e2e/stack';
import type { Emulator } from '../../emulator/types';
import { keepEmulatorRecord } from '../hygiene';

/** An EO Auth config node. Credentials are stored by Node-RED in flows_cred.json, never in flows.json. */
export interface BenchAuth {
  id: string;
  provider: 'sentinel-hub' | 'cdse' | 'terrascope';
  tokenUrl: string;
  baseUrl: string;
  credentials: { clientId?: string; clientSecret?: string; username?: string; password?: string };
}

/** An EO Request node, with its flows.json properties (operation, url, output, directory, ...). */
export interface BenchTarget {
  id: string;
  auth: string;
  props: Record<string, unknown>;
}

/** What one message through a target produced. */
export interface BenchRun {
  /** Messages the target sent. */
  outputs: Collected[];
  /** Messages the Catch node received (done(err) of the target). */
  errors: Collected[];
}

const TAB = 'tab-faults';
const CATCH = 'faults-catch';
const RUN_ROUTE = '/eo-fault-run';

/** The tab: route → targets → debug, and catch → debug (collectors are added beside the debug nodes). */
function benchFlows(auths: BenchAuth[], targets: BenchTarget[]): FlowNode[] {
  const ids = targets.map((t) => t.id);
  const router = `
const targets = ${JSON.stringify(ids)};
const i = targets.indexOf(msg.payload && msg.payload.target);
if (i < 0) { msg.statusCode = 404; msg.payload = { unknown: msg.payload && msg.payload.target }; return [msg]; }
const out = new Array(targets.length + 1).fill(null);
out[i + 1] = Object.assign({}, msg.payload.msg);
msg.payload = { started: targets[i] };
out[0] = msg;
return out;`;
  const nodes: FlowNode[] = [
    { id: TAB, type: 'tab', label: 'fault scenarios', disabled: false, info: '' },
    ...auths.map((a) => ({ id: a.id, type: 'eo-auth', name: `connection ${a.id}`, provider: a.provider, tokenUrl: a.tokenUrl, baseUrl: a.baseUrl, credentials: a.credentials })),
    { id: 'faults-in', type: 'http in', z: TAB, name: '', url: RUN_ROUTE, method: 'post', upload: false, swaggerDoc: '', x: 100, y: 40, wires: [['faults-router']] },
    { id: 'faults-router', type: 'function', z: TAB, name: 'route', func: router, outputs: ids.length + 1, x: 300, y: 40, wires: [['faults-answer'], ...ids.map((id) => [id])] },
    { id: 'faults-answer', type: 'http response', z: TAB, name: '', statusCode: '', headers: {}, x: 500, y: 40, wires: [] },
    ...targets.map((t, i) => ({ id: t.id, type: 'eo-request', z: TAB, name: `request ${t.id}`, auth: t.auth, ...t.props, x: 500, y: 100 + i * 40, wires: [['faults-out']] })),
    { id: 'faults-out', type: 'debug', z: TAB, name: 'out', active: true, tosidebar: false, console: false, complete: 'false', x: 700, y: 100, wires: [] },
    { id: CATCH, type: 'catch', z: TAB, name: 'errors', scope: null, uncaught: false, x: 500, y: 20, wires: [['faults-err']] },
    { id: 'faults-err', type: 'debug', z: TAB, name: 'err', active: true, tosidebar: false, console: false, complete: 'false', x: 700, y: 20, wires: [] },
  ];
  return withCollectors(nodes);
}

/** Output lines that mean the runtime lost control of an error. */
const RUNTIME_TROUBLE = /Uncaught Exception|unhandledRejection|UnhandledPromiseRejection|Unhandled promise rejection/i;

export class NodeRedBench {
  /** Every message collected by every run, kept for the artefact folder. */
  private readonly seen: Collected[] = [];

  private constructor(
    readonly stack: Stack,
    readonly workDir: string,
    /** Where downloads go (the EO Request nodes' folder). */
    readonly files: string,
  ) {}

  /**
   * Starts emulator + Node-RED and deploys the tab. `setup` receives the emulator before the
   * deploy, to configure its clients and users and to say which identities and targets exist.
   */
  static async start(options: {
    env?: NodeJS.ProcessEnv;
    setup: (emulator: Emulator, files: string) => Promise<{ auths: BenchAuth[]; targets: BenchTarget[] }> | { auths: BenchAuth[]; targets: BenchTarget[] };
  }): Promise<NodeRedBench> {
    const workDir = tempDir('eo-faults');
    const files = path.join(workDir, 'files');
    fs.mkdirSync(files, { recursive: true });
    const stack = await startStack({ workDir, deployExamples: false, env: options.env });
    try {
      const { auths, targets } = await options.setup(stack.emulator, files);
      await stack.nodeRed.deploy(benchFlows(auths, targets));
      return new NodeRedBench(stack, workDir, files);
    } catch (err) {
      await stack.stop();
      throw err;
    }
  }

  get emulator(): Emulator {
    return this.stack.emulator;
  }

  /**
   * Sends `msg` to `target` and waits until it has sent `count` messages or the Catch node has
   * seen an error, then a little longer, so a second (unexpected) message would be seen too.
   */
  async run(target: string, msg: Record<string, unknown> = {}, options: { count?: number; timeoutMs?: number } = {}): Promise<BenchRun> {
    const red = this.stack.nodeRed;
    const count = options.count ?? 1;
    await clearCollected(red);
    await red.whenStarted(() => red.request('POST', RUN_ROUTE, { target, msg }));
    const end = Date.now() + (options.timeoutMs ?? 60_000);
    const split = (all: Collected[]): BenchRun => ({ outputs: all.filter((c) => c.from === target), errors: all.filter((c) => c.from === CATCH) });
    let now = split(await collected(red));
    while (now.errors.length === 0 && now.outputs.length < count) {
      if (Date.now() > end) throw new Error(`${target}: no result within the time limit; Node-RED said:\n${red.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
      now = split(await collected(red));
    }
    await new Promise((r) => setTimeout(r, 300));
    const all = await collected(red);
    this.seen.push(...all);
    return split(all);
  }

  /** True when the process runs and its Admin API answers. */
  async alive(): Promise<boolean> {
    const red = this.stack.nodeRed;
    if (!red.running) return false;
    try {
      await red.flows();
      return true;
    } catch {
      return false;
    }
  }

  /** Lines of the Node-RED output that report an unhandled rejection or uncaught exception. */
  runtimeTrouble(): string[] {
    return this.stack.nodeRed
      .output()
      .split('\n')
      .filter((line) => RUNTIME_TROUBLE.test(line));
  }

  /** Files in the download folder under `sub` (bookkeeping such as .part included). */
  filesIn(sub: string): string[] {
    const dir = path.join(this.files, sub);
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).sort();
  }

  /**
   * Keeps what the run produced in `dir`: Node-RED's output, every collected message, flows.json
   * (flows_cred.json is the credential store and stays behind) and the emulator's record.
   */
  saveArtifacts(dir: string): void {
    fs.writeFileSync(path.join(dir, 'node-red-output.log'), this.stack.nodeRed.output());
    fs.writeFileSync(path.join(dir, 'collected-messages.json'), JSON.stringify(this.seen, null, 1));
    const flows = path.join(this.stack.userDir, 'flows.json');
    if (fs.existsSync(flows)) fs.copyFileSync(flows, path.join(dir, 'flows.json'));
    keepEmulatorRecord(this.emulator, dir);
  }

  async stop(): Promise<void> {
    await this.stack.stop();
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}
