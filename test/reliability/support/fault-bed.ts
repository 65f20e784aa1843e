/**
 * A real Node-RED with the package installed from its tarball (test/support/node-red-stack.ts), running one
 * tab built for fault scenarios: an EO Auth node per identity, an EO Request node per target,
 * a Catch node for the tab, and an http-in route that sends a message to one target. A scenario
 * sets the emulator's faults, calls `run(target, msg)` and gets back what came out of the
 * target and what the Catch node saw, as recorded by the test collector (test/support/flows.ts).
 * A test file calls startScenario() in beforeEach (runtime trouble is then looked for in that
 * scenario's output only) and reportUnfinished() in afterEach (Node-RED's output is printed when
 * jest's timeout ended a test that was still waiting). The bed runs Node-RED 5 on this Node unless
 * given another runtime (Node-RED 4.1 on Node 20), and can kill Node-RED and start it again on
 * the same user directory, as a crash and a restart would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { clearCollected, collected, withCollectors, type Collected, type FlowNode } from '../../support/flows';
import { tempDir } from '../../support/paths';
import { startStack, type Stack } from '../../support/node-red-stack';
import { startNodeRed, type NodeRedProcess, type NodeRedRuntime } from '../../support/node-red-process';
import type { Emulator } from '../../emulator/types';
import type { EmulatedProvider } from '../../support/emulated-providers';
import { keepEmulatorRecord, keepNodeRedRecord } from '../hygiene';

/** An EO Auth config node. Credentials are stored by Node-RED in flows_cred.json, never in flows.json. */
export interface FaultBedAuth {
  id: string;
  provider: EmulatedProvider;
  tokenUrl: string;
  baseUrl: string;
  credentials: { clientId?: string; clientSecret?: string; username?: string; password?: string };
}

/** An EO Auth node for a Sentinel Hub OAuth client, pointed at the emulator (the legacy /oauth/token path). */
export function sentinelHubAuth(emulator: Emulator, client: { clientId: string; clientSecret: string }, id = 'auth-sh'): FaultBedAuth {
  const e = emulator.endpoints.sentinelHub;
  return { id, provider: 'sentinel-hub', tokenUrl: e.tokenUrl, baseUrl: e.baseUrl, credentials: { ...client } };
}

/** An EO Auth node for a Terrascope user (password grant), pointed at the emulator. */
export function terrascopeAuth(emulator: Emulator, user: { username: string; password: string }, id = 'auth-ts'): FaultBedAuth {
  const e = emulator.endpoints.terrascope;
  return { id, provider: 'terrascope', tokenUrl: e.tokenUrl, baseUrl: e.baseUrl, credentials: { ...user } };
}

/** An EO Request node, with its flows.json properties (operation, url, output, directory, ...). */
export interface FaultBedTarget {
  id: string;
  auth: string;
  props: Record<string, unknown>;
}

/** What one message through a target produced. */
export interface FaultBedRun {
  /** Messages the target sent. */
  outputs: Collected[];
  /** Messages the Catch node received (done(err) of the target). */
  errors: Collected[];
}

const TAB = 'tab-faults';
const CATCH = 'faults-catch';
const RUN_ROUTE = '/eo-fault-run';

/** The tab: route → targets → debug, and catch → debug (collectors are added beside the debug nodes). */
function faultBedFlows(auths: FaultBedAuth[], targets: FaultBedTarget[]): FlowNode[] {
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
    ...auths.map((a) => ({
      id: a.id,
      type: 'eo-auth',
      name: `connection ${a.id}`,
      provider: a.provider,
      tokenUrl: a.tokenUrl,
      baseUrl: a.baseUrl,
      credentials: a.credentials,
    })),
    {
      id: 'faults-in',
      type: 'http in',
      z: TAB,
      name: '',
      url: RUN_ROUTE,
      method: 'post',
      upload: false,
      swaggerDoc: '',
      x: 100,
      y: 40,
      wires: [['faults-router']],
    },
    {
      id: 'faults-router',
      type: 'function',
      z: TAB,
      name: 'route',
      func: router,
      outputs: ids.length + 1,
      x: 300,
      y: 40,
      wires: [['faults-answer'], ...ids.map((id) => [id])],
    },
    { id: 'faults-answer', type: 'http response', z: TAB, name: '', statusCode: '', headers: {}, x: 500, y: 40, wires: [] },
    ...targets.map((t, i) => ({
      id: t.id,
      type: 'eo-request',
      z: TAB,
      name: `request ${t.id}`,
      auth: t.auth,
      ...t.props,
      x: 500,
      y: 100 + i * 40,
      wires: [['faults-out']],
    })),
    {
      id: 'faults-out',
      type: 'debug',
      z: TAB,
      name: 'out',
      active: true,
      tosidebar: false,
      console: false,
      complete: 'false',
      x: 700,
      y: 100,
      wires: [],
    },
    { id: CATCH, type: 'catch', z: TAB, name: 'errors', scope: null, uncaught: false, x: 500, y: 20, wires: [['faults-err']] },
    {
      id: 'faults-err',
      type: 'debug',
      z: TAB,
      name: 'err',
      active: true,
      tosidebar: false,
      console: false,
      complete: 'false',
      x: 700,
      y: 20,
      wires: [],
    },
  ];
  return withCollectors(nodes);
}

/** How long run() waits for a result by default; a test that calls run() must allow more (see FAULT_TEST_TIMEOUT_MS). */
export const RUN_TIMEOUT_MS = 60_000;
/** Per-test jest timeout for the fault files: a scenario makes up to three runs (fault, recovery, health). */
export const FAULT_TEST_TIMEOUT_MS = 3 * RUN_TIMEOUT_MS + 30_000;

/** The end of Node-RED's output, where the reason for a missing result usually is. */
function tail(output: string): string {
  return output.slice(-3000);
}

/** Output lines that mean the runtime lost control of an error. */
const RUNTIME_TROUBLE = /Uncaught Exception|unhandledRejection|UnhandledPromiseRejection|Unhandled promise rejection/i;

export class FaultBed {
  /** Every message collected by every run, kept for the artefact folder. */
  private readonly seen: Collected[] = [];
  /** Where the current scenario's part of the Node-RED output begins. */
  private scenarioStart = 0;
  /** The run() still waiting for its result, if any. */
  private pending: { target: string; since: number; abandoned: boolean } | undefined;

  /** The Node-RED now running (a new one after restart()). */
  private red: NodeRedProcess;
  /** What the Node-RED processes before the current one printed (they crashed or were restarted). */
  private earlierOutput = '';

  private constructor(
    readonly stack: Stack,
    readonly workDir: string,
    /** Where downloads go (the EO Request nodes' folder). */
    readonly files: string,
    private readonly restartWith: { runtime?: NodeRedRuntime; env?: NodeJS.ProcessEnv; user?: { uid: number; gid: number } },
  ) {
    this.red = stack.nodeRed;
  }

  /**
   * Starts emulator + Node-RED and deploys the tab. `setup` receives the emulator before the
   * deploy, to configure its clients and users and to say which identities and targets exist.
   */
  static async start(options: {
    env?: NodeJS.ProcessEnv;
    /** Default: Node-RED 5 on this process's Node. */
    runtime?: NodeRedRuntime;
    /** Run Node-RED as this user (needs root); the work folder is opened to it. */
    user?: { uid: number; gid: number };
    setup: (
      emulator: Emulator,
      files: string,
    ) => Promise<{ auths: FaultBedAuth[]; targets: FaultBedTarget[] }> | { auths: FaultBedAuth[]; targets: FaultBedTarget[] };
  }): Promise<FaultBed> {
    const workDir = tempDir('eo-faults');
    const files = path.join(workDir, 'files');
    fs.mkdirSync(files, { recursive: true });
    // A temporary folder is private to its maker; another user must be able to reach the user directory in it.
    if (options.user) fs.chmodSync(workDir, 0o755);
    let stack: Stack | undefined;
    try {
      stack = await startStack({ workDir, deployExamples: false, env: options.env, runtime: options.runtime, user: options.user });
      const { auths, targets } = await options.setup(stack.emulator, files);
      await stack.nodeRed.deploy(faultBedFlows(auths, targets));
      return new FaultBed(stack, workDir, files, { runtime: options.runtime, env: options.env, user: options.user });
    } catch (err) {
      // What Node-RED printed is the clue to a failed start; the folder must not outlive it.
      const said = stack ? `\nNode-RED said:\n${tail(stack.nodeRed.output())}` : '';
      await stack?.stop();
      fs.rmSync(workDir, { recursive: true, force: true });
      throw said ? new Error(`${(err as Error).message ?? String(err)}${said}`, { cause: err }) : err;
    }
  }

  get emulator(): Emulator {
    return this.stack.emulator;
  }

  /** Where the current Node-RED listens. */
  get url(): string {
    return this.red.url;
  }

  /**
   * Sends `msg` to `target` and waits until it has sent `count` messages or the Catch node has
   * seen an error, then a little longer, so a second (unexpected) message would be seen too.
   */
  async run(target: string, msg: Record<string, unknown> = {}, options: { count?: number; timeoutMs?: number } = {}): Promise<FaultBedRun> {
    const red = this.red;
    const count = options.count ?? 1;
    const pending = { target, since: Date.now(), abandoned: false };
    this.pending = pending;
    try {
      await clearCollected(red);
      await red.whenStarted(() => red.request('POST', RUN_ROUTE, { target, msg }));
      const end = Date.now() + (options.timeoutMs ?? RUN_TIMEOUT_MS);
      const split = (all: Collected[]): FaultBedRun => ({
        outputs: all.filter((c) => c.from === target),
        errors: all.filter((c) => c.from === CATCH),
      });
      let now = split(await collected(red));
      while (now.errors.length === 0 && now.outputs.length < count) {
        if (pending.abandoned) throw new Error(`${target}: abandoned, the test ended first`);
        if (Date.now() > end)
          throw new Error(
            `${target}: no result within ${Math.round((options.timeoutMs ?? RUN_TIMEOUT_MS) / 1000)} s; Node-RED said:\n${tail(red.output())}`,
          );
        await new Promise((r) => setTimeout(r, 100));
        now = split(await collected(red));
      }
      await new Promise((r) => setTimeout(r, 300));
      const all = await collected(red);
      this.seen.push(...all);
      return split(all);
    } finally {
      if (this.pending === pending) this.pending = undefined;
    }
  }

  /**
   * Call in `beforeEach`: from now on, runtimeTrouble() looks only at what Node-RED prints for
   * this scenario, so an unhandled rejection is blamed on the scenario that caused it alone.
   */
  startScenario(): void {
    this.scenarioStart = this.red.output().length;
  }

  /**
   * Call in `afterEach`: when jest's own timeout ended a test while run() was still waiting, jest
   * says only "Exceeded timeout"; this prints what Node-RED said meanwhile, and stops the wait.
   */
  reportUnfinished(): void {
    const pending = this.pending;
    if (!pending) return;
    pending.abandoned = true;
    this.pending = undefined;
    const waited = ((Date.now() - pending.since) / 1000).toFixed(0);
    console.error(
      `${pending.target}: the test ended while still waiting for a result (${waited} s); Node-RED said:\n${tail(this.red.output())}`,
    );
  }

  /** True when the process runs and its Admin API answers. */
  async alive(): Promise<boolean> {
    const red = this.red;
    if (!red.running) return false;
    try {
      await red.flows();
      return true;
    } catch {
      return false;
    }
  }

  /** Lines Node-RED printed since startScenario() that report an unhandled rejection or uncaught exception. */
  runtimeTrouble(): string[] {
    return this.red
      .output()
      .slice(this.scenarioStart)
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
    keepNodeRedRecord({ output: () => this.earlierOutput + this.red.output(), userDir: this.stack.userDir }, dir);
    fs.writeFileSync(path.join(dir, 'collected-messages.json'), JSON.stringify(this.seen, null, 1));
    keepEmulatorRecord(this.emulator, dir);
  }

  /**
   * Posts `msg` to `target` and returns as soon as Node-RED has taken it, without waiting for the
   * outcome (for a crash in the middle of the work).
   */
  async send(target: string, msg: Record<string, unknown> = {}): Promise<void> {
    await clearCollected(this.red);
    await this.red.whenStarted(() => this.red.request('POST', RUN_ROUTE, { target, msg }));
  }

  /** Kills Node-RED with SIGKILL, in the middle of whatever it does. */
  async crash(): Promise<void> {
    await this.red.kill();
  }

  /**
   * Starts Node-RED again on the same user directory (flows.json, flows_cred.json), runtime,
   * environment and user, as a service manager does after a crash, and waits for its flows.
   */
  async restart(): Promise<void> {
    await this.red.stop();
    this.earlierOutput += this.red.output();
    this.red = await startNodeRed({ userDir: this.stack.userDir, ...this.restartWith });
    this.scenarioStart = 0;
    await this.red.whenStarted(() => collected(this.red));
  }

  async stop(): Promise<void> {
    await this.red.stop();
    await this.stack.emulator.close();
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}
