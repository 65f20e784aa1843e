/**
 * A real Node-RED process with this package installed the way a user installs it: `npm pack`,
 * then `npm install <tarball>` into a fresh user directory. Used by the end-to-end tests, the
 * editor tests and `npm run demo`, so the demo a newcomer runs is the setup the tests prove.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { nodeRedRuntime } from './node-red-runtime';
import { repoRoot } from './paths';
import { freePort } from './ports';

const run = promisify(execFile);

/** Which Node-RED to run and with which Node: 5.x needs Node ≥ 22.9, 4.1 runs on Node 20. */
export interface NodeRedRuntime {
  /** Folder under node_modules: `node-red` (5.x) or `node-red4` (4.1). */
  module: 'node-red' | 'node-red4';
  /** The Node binary that runs it. */
  nodeBin: string;
}

/** Node-RED 5 on this process's Node when it is new enough, else Node-RED 4.1 (the Node 20 pass). */
export function runtimeForThisNode(): NodeRedRuntime {
  return { module: nodeRedRuntime.module === 'node-red' ? 'node-red' : 'node-red4', nodeBin: process.execPath };
}

/** Node-RED 5 on the Node 24 that ships as a development dependency (what the demo runs). */
export function nodeRed5Runtime(): NodeRedRuntime {
  const major = Number(process.versions.node.split('.')[0]);
  const bundled = path.join(repoRoot, 'node_modules', '.bin', 'node');
  return { module: 'node-red', nodeBin: major >= 22 || !fs.existsSync(bundled) ? process.execPath : bundled };
}

/**
 * Node-RED 4.1 on Node 20: the Node in HOST_NODE (npm test sets it to the Node that runs npm), or
 * else the first Node 20 on PATH outside this repository's node_modules (where Node 24 is).
 */
export function nodeRed4Runtime(): NodeRedRuntime {
  const bundled = path.join(repoRoot, 'node_modules');
  const onPath = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir && !path.resolve(dir).startsWith(bundled))
    .map((dir) => path.join(dir, 'node'));
  for (const candidate of [process.env.HOST_NODE, ...onPath]) {
    if (!candidate || !fs.existsSync(candidate)) continue;
    const version = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout?.trim() ?? '';
    if (version.split('.')[0] === '20') return { module: 'node-red4', nodeBin: candidate };
  }
  throw new Error('Node-RED 4.1 runs on Node 20, and none was found: set HOST_NODE to a Node 20 binary.');
}

/** "Node-RED 5.0.7 (Node 24)": which runtime a test or a table row is about. */
export function runtimeLabel(runtime: NodeRedRuntime): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', runtime.module, 'package.json'), 'utf8')) as {
    version: string;
  };
  const node = spawnSync(runtime.nodeBin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout?.trim() ?? '?';
  return `Node-RED ${manifest.version} (Node ${node.split('.')[0]})`;
}

export async function installPackage(userDir: string, tarball: string, nodeBin: string = process.execPath): Promise<void> {
  fs.mkdirSync(userDir, { recursive: true });
  const manifest = path.join(userDir, 'package.json');
  if (!fs.existsSync(manifest)) {
    fs.writeFileSync(
      manifest,
      JSON.stringify({ name: 'node-red-project', description: 'Node-RED user directory', version: '0.0.1', private: true }, null, 2),
    );
  }
  await run(
    'npm',
    ['install', tarball, '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'],
    {
      cwd: userDir,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}` },
    },
  );
}

/** Options of {@link startNodeRed}. */
export interface StartNodeRedOptions {
  userDir: string;
  runtime?: NodeRedRuntime;
  /** Listen port; default a free one. */
  port?: number;
  /** Encrypts flows_cred.json; default a fixed test value. */
  credentialSecret?: string;
  /** Working directory of the process (relative output folders resolve against it); default userDir. */
  cwd?: string;
  /** Also echo the process output here (the demo prints it). */
  echo?: NodeJS.WritableStream;
  /** Give up waiting for the runtime after this many ms. Default 60 s. */
  startTimeoutMs?: number;
  /** Turns on Node-RED's adminAuth with these users; default off (an open editor, as in the demo). */
  adminUsers?: AdminUser[];
  /** Extra environment of the process, e.g. NODE_EXTRA_CA_CERTS for a test https origin. */
  env?: NodeJS.ProcessEnv;
  /** Options for Node itself, before red.js (e.g. `--expose-gc`, or `--cpu-prof` when profiling a benchmark). */
  nodeArgs?: string[];
  /** More members of the settings object, as JavaScript source (e.g. a functionGlobalContext). */
  extraSettings?: string[];
  /**
   * Run as this user instead of the test's (needs root): the user directory is handed to it first.
   * For what root is never refused, such as writing into a folder without permission.
   */
  user?: { uid: number; gid: number };
}

/** A user of the editor and Admin API when adminAuth is on. */
export interface AdminUser {
  username: string;
  password: string;
  /** Node-RED permissions, e.g. '*' or 'read'. */
  permissions: string;
}

/** A running Node-RED: its URL, its output, and the Admin API calls the tests and the demo use. */
export class NodeRedProcess {
  private out = '';
  private exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly userDir: string,
    echo?: NodeJS.WritableStream,
  ) {
    const collect = (chunk: Buffer) => {
      this.out += chunk.toString('utf8');
      echo?.write(chunk);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    // Should this process die without stop() (a crashed test worker), the runtime goes with it.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        process.off('exit', killOnExit);
        resolve(code);
      }),
    );
  }

  /** Everything the process printed so far. */
  output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** A request against the Admin API / http-in routes; throws with the body on a non-2xx answer. */
  async request(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown }> {
    const res = await fetch(new URL(route.replace(/^\//, ''), this.url + '/'), {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    if (!res.ok) throw new Error(`${method} ${route} answered ${res.status}: ${text.slice(0, 500)}`);
    return { status: res.status, body: parsed };
  }

  /** Deploys `flows` (the whole configuration) with the v2 Admin API; returns the new revision. */
  async deploy(flows: object[], type: 'full' | 'flows' | 'nodes' = 'full'): Promise<string> {
    const { body } = await this.request('POST', '/flows', { flows }, { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': type });
    return (body as { rev: string }).rev;
  }

  /** The deployed flows as the Admin API returns them (credentials never included). */
  async flows(): Promise<object[]> {
    const { body } = await this.request('GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' });
    return (body as { flows: object[] }).flows;
  }

  /** Presses an inject node's button (waiting up to 10 s for a just-deployed node to start). */
  async inject(id: string): Promise<void> {
    await this.whenStarted(() => this.request('POST', `/inject/${id}`));
  }

  /**
   * Retries `call` while it fails with 404: a deploy answers before every node has started, so
   * an inject button or http-in route can be missing for a moment. Other failures throw at once.
   */
  async whenStarted<T>(call: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (!/ answered 404/.test((err as Error).message) || Date.now() > end) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Kills the runtime at once (SIGKILL: no shutdown of any kind, as the OOM killer or a power cut) and waits until it is gone. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Stops the runtime (SIGTERM, then SIGKILL after 10 s); safe to call twice. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Node-RED's adminAuth users, with passwords hashed by the bcrypt library Node-RED itself uses. */
function adminAuthSetting(users: AdminUser[]): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bcrypt = require(require.resolve('bcryptjs', { paths: [path.join(repoRoot, 'node_modules', '@node-red', 'editor-api')] })) as {
    hashSync(password: string, rounds: number): string;
  };
  const list = users.map(({ username, password, permissions }) => ({ username, password: bcrypt.hashSync(password, 8), permissions }));
  return `  adminAuth: { type: 'credentials', users: ${JSON.stringify(list)} },`;
}

/** Writes a settings file: loopback only, a fixed credential secret, no telemetry or tours. */
function writeSettings(userDir: string, credentialSecret: string, adminUsers?: AdminUser[], extraSettings: string[] = []): string {
  const file = path.join(userDir, 'settings.js');
  const settings = [
    '// Written by the test harness / demo: loopback only, fixed credential secret.',
    'module.exports = {',
    `  uiHost: '127.0.0.1',`,
    `  flowFile: 'flows.json',`,
    `  credentialSecret: ${JSON.stringify(credentialSecret)},`,
    `  logging: { console: { level: 'info', metrics: false, audit: false } },`,
    `  functionExternalModules: false,`,
    ...(adminUsers ? [adminAuthSetting(adminUsers)] : []),
    ...extraSettings.map((member) => `  ${member.replace(/,\s*$/, '')},`),
    '};',
    '',
  ].join('\n');
  fs.writeFileSync(file, settings);
  return file;
}

/** Hands `dir` and everything in it to `user`. */
function chownTree(dir: string, user: { uid: number; gid: number }): void {
  fs.chownSync(dir, user.uid, user.gid);
  for (const entry of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) fs.lchownSync(path.join(dir, entry), user.uid, user.gid);
}

/**
 * Starts Node-RED on 127.0.0.1 with `userDir` and waits until its Admin API answers.
 * The caller must `stop()` it (the tests do so in afterAll, whatever the outcome).
 */
export async function startNodeRed(options: StartNodeRedOptions): Promise<NodeRedProcess> {
  const runtime = options.runtime ?? runtimeForThisNode();
  const port = options.port ?? (await freePort());
  const settingsFile = writeSettings(
    options.userDir,
    options.credentialSecret ?? 'eo-nodes-test-credential-secret',
    options.adminUsers,
    options.extraSettings,
  );
  const redJs = path.join(repoRoot, 'node_modules', runtime.module, 'red.js');
  const args = [
    ...(options.nodeArgs ?? []),
    redJs,
    '-u',
    options.userDir,
    '-s',
    settingsFile,
    '-p',
    String(port),
    '-D',
    'telemetry.enabled=false',
    '-D',
    'editorTheme.tours=false',
    '-D',
    'editorTheme.palette.catalogues=[]',
  ];
  if (options.user) chownTree(options.userDir, options.user);
  const child = spawn(runtime.nodeBin, args, {
    cwd: options.cwd ?? options.userDir,
    env: { ...process.env, NODE_OPTIONS: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.user ?? {}),
  });
  const red = new NodeRedProcess(child, `http://127.0.0.1:${port}`, options.userDir, options.echo);
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (!red.running) throw new Error(`Node-RED exited before it was ready:\n${red.output()}`);
    try {
      const res = await fetch(`${red.url}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } });
      await res.arrayBuffer();
      // With adminAuth on, an anonymous caller is refused: that, too, means the runtime is up.
      if (res.ok || (options.adminUsers && res.status === 401)) return red;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await red.stop();
      throw new Error(`Node-RED did not answer within the start timeout:\n${red.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
