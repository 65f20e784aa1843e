/**
 * A real n8n 2.41 (from the cache test/support/install-n8n.sh fills) with this package installed
 * the way n8n installs community packages: the `npm pack` tarball installed into
 * `$N8N_USER_FOLDER/.n8n/nodes/node_modules/` with its runtime dependencies only, so
 * `n8n-workflow` comes from the host n8n. Driven through n8n's own CLI and REST API.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Emulator } from '../emulator/types';
import { DEMO_CLIENT, DEMO_USER } from '../emulator/server';
import { packPackage } from './package-tarball';
import { repoRoot } from './paths';
import { freePort } from './ports';

const run = promisify(execFile);

export const N8N_VERSION = '2.41.1';
export const N8N_CACHE = join(repoRoot, '.cache', `n8n-${N8N_VERSION}`);
const N8N_BIN = join(N8N_CACHE, 'app', 'node_modules', 'n8n', 'bin', 'n8n');
export const PACKAGE_NAME = '@eo-nodes/n8n-nodes-earth-observation';
/** Node type of the EO Request node inside n8n. */
export const EO_REQUEST_TYPE = `${PACKAGE_NAME}.eoRequest`;

/** Ids the example workflows reference their credentials by. */
export const SENTINEL_HUB_CREDENTIAL = { id: 'eoSentinelHubCred', name: 'Sentinel Hub account' };
export const TERRASCOPE_CREDENTIAL = { id: 'eoTerrascopeCred', name: 'Terrascope account' };

/** n8n 2.x needs Node 24: the Node 24 jest pass runs on it, so its binary runs n8n too. */
function node24(): string {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) throw new Error(`The n8n tests need Node 24 (this is ${process.version}); run them in the Node 24 pass.`);
  return process.execPath;
}

/** The two credentials the examples use, pointed at the emulator with its demo accounts. */
export function emulatorCredentials(emu: Emulator, over: { clientSecret?: string; password?: string } = {}): object[] {
  return [
    {
      ...SENTINEL_HUB_CREDENTIAL,
      type: 'sentinelHubApi',
      data: {
        environment: 'sentinel-hub',
        clientId: DEMO_CLIENT.clientId,
        clientSecret: over.clientSecret ?? DEMO_CLIENT.clientSecret,
        tokenUrl: emu.endpoints.sentinelHub.tokenUrl,
        baseUrl: emu.endpoints.sentinelHub.baseUrl,
      },
    },
    {
      ...TERRASCOPE_CREDENTIAL,
      type: 'terrascopeApi',
      data: {
        username: DEMO_USER.username,
        password: over.password ?? DEMO_USER.password,
        tokenUrl: emu.endpoints.terrascope.tokenUrl,
        baseUrl: emu.endpoints.terrascope.baseUrl,
      },
    },
  ];
}

/** What a CLI command printed. */
export interface CliResult {
  code: number | null;
  /** The signal that ended the process, when one did (then `code` is null). */
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The run data `n8n execute --rawOutput` prints. */
export interface ExecutionResult extends CliResult {
  /** Parsed from the first line that is exactly `{`; undefined when n8n printed none. */
  run?: {
    data: {
      resultData: {
        runData: Record<
          string,
          {
            data?: {
              main: Array<Array<{ json: Record<string, unknown>; binary?: Record<string, Record<string, unknown>>; pairedItem?: unknown }>>;
            };
            error?: Record<string, unknown>;
          }[]
        >;
        error?: Record<string, unknown> & { message?: string; description?: string };
        lastNodeExecuted?: string;
      };
    };
    status?: string;
  };
}

/** Items a node put out on its first output in the first run. */
export function nodeOutput(result: ExecutionResult, nodeName: string) {
  return result.run?.data.resultData.runData[nodeName]?.[0]?.data?.main[0] ?? [];
}

/** One N8N_USER_FOLDER with the package installed; reuse it for a whole test file. */
export class N8nHome {
  readonly env: NodeJS.ProcessEnv;
  /** Told of every n8n process started here (a benchmark runner ends them all if it fails). */
  onSpawn?: (child: ChildProcess) => void;

  private constructor(
    readonly folder: string,
    /** Where workflows may write files (N8N_RESTRICT_FILE_ACCESS_TO). */
    readonly files: string,
    brokerPort: number,
  ) {
    this.env = {
      ...process.env,
      N8N_USER_FOLDER: folder,
      N8N_ENCRYPTION_KEY: 'eo-nodes-test-encryption-key',
      DB_TYPE: 'sqlite',
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
      N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
      N8N_RUNNERS_BROKER_PORT: String(brokerPort),
      N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
      N8N_RESTRICT_FILE_ACCESS_TO: files,
      N8N_PERSONALIZATION_ENABLED: 'false',
      N8N_TEMPLATES_ENABLED: 'false',
      // jest sets NODE_ENV=test, which makes n8n skip loading nodes and silence its output.
      NODE_ENV: 'production',
      // The emulator is on loopback; a proxy from the machine's environment must not intercept it.
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
    };
  }

  /**
   * A user folder with the packed package installed into `.n8n/nodes` (benchmarks that
   * measure n8n itself pass `withPackage: false` and install only what they bring).
   */
  static async create(options: { withPackage?: boolean; folder?: string } = {}): Promise<N8nHome> {
    node24();
    // A fixed folder (the demo's) is made if missing; by default a fresh temporary one.
    const folder = options.folder ?? (await mkdtemp(join(tmpdir(), 'eo-n8n-home-')));
    const files = join(folder, 'files');
    const nodesDir = join(folder, '.n8n', 'nodes');
    await mkdir(files, { recursive: true });
    await mkdir(nodesDir, { recursive: true });
    await writeFile(join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }));
    if (options.withPackage !== false) {
      const tarball = await packPackage(folder);
      // As n8n does it: no dev or peer dependencies (n8n-workflow must be the host's), no scripts.
      await run(
        'npm',
        [
          'install',
          tarball,
          '--omit=dev',
          '--omit=peer',
          '--prefer-offline',
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
          '--loglevel=error',
        ],
        {
          cwd: nodesDir,
        },
      );
      await rm(tarball, { force: true });
    }
    return new N8nHome(folder, files, await freePort());
  }

  /**
   * Runs `n8n <args>` to completion. After `timeoutMs` (default 180 s) the child is killed and the
   * promise rejects: a hung n8n must not block a test or a benchmark forever.
   */
  cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}, options: { timeoutMs?: number } = {}): Promise<CliResult> {
    const timeoutMs = options.timeoutMs ?? 180_000;
    return new Promise((done, fail) => {
      const child = spawn(node24(), [N8N_BIN, ...args], { env: { ...this.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      this.onSpawn?.(child);
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        fail(
          new Error(
            `n8n ${args.join(' ')} did not finish within ${timeoutMs / 1000} s and was killed:\n${stdout.slice(-1000)}\n${stderr.slice(-1000)}`,
          ),
        );
      }, timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', (err) => {
        clearTimeout(timer);
        fail(err);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        done({ code, signal, stdout, stderr });
      });
    });
  }

  private async cliOk(args: string[]): Promise<CliResult> {
    const result = await this.cli(args);
    if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
    return result;
  }

  /** `n8n import:credentials` (data as plain objects: n8n encrypts them on import). */
  async importCredentials(credentials: object[]): Promise<void> {
    const file = join(this.folder, `credentials-${Date.now()}.json`);
    await writeFile(file, JSON.stringify(credentials));
    await this.cliOk(['import:credentials', `--input=${file}`]);
    await rm(file, { force: true });
  }

  /** `n8n import:workflow` for several workflows at once. */
  async importWorkflows(workflows: object[]): Promise<void> {
    const file = join(this.folder, `workflows-${Date.now()}.json`);
    await writeFile(file, JSON.stringify(workflows));
    await this.cliOk(['import:workflow', `--input=${file}`]);
    await rm(file, { force: true });
  }

  /** `n8n execute --id=<id> --rawOutput`, with the run data parsed (`timeoutMs` as for {@link cli}). */
  async execute(id: string, extraEnv: NodeJS.ProcessEnv = {}, options: { timeoutMs?: number } = {}): Promise<ExecutionResult> {
    const result = await this.cli(['execute', `--id=${id}`, '--rawOutput'], extraEnv, options);
    const lines = result.stdout.split('\n');
    const start = lines.indexOf('{');
    if (start < 0) return result;
    let end = lines.lastIndexOf('}');
    // Log lines can follow the JSON: take the shortest tail that parses.
    for (; end > start; end = lines.lastIndexOf('}', end - 1)) {
      try {
        return { ...result, run: JSON.parse(lines.slice(start, end + 1).join('\n')) };
      } catch {
        // Not the closing brace of the run data yet.
      }
    }
    return result;
  }

  /** The bytes n8n keeps for a binary (filesystem mode) under its id, e.g. `filesystem-v2:workflows/…`. */
  binaryPath(id: string): string {
    return join(this.folder, '.n8n', 'storage', id.replace(/^filesystem(-v2)?:/, ''));
  }

  /** Files a workflow wrote under `files/<sub>`. */
  async writtenFiles(sub: string): Promise<string[]> {
    return (await readdir(join(this.files, sub)).catch(() => [] as string[])).sort();
  }

  /** Every file in n8n's binary store (filesystem mode, `.n8n/storage`) of exactly `bytes` bytes. */
  async storedBinaries(bytes: number): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile() && (await stat(full)).size === bytes) found.push(full);
      }
    };
    await walk(join(this.folder, '.n8n', 'storage'));
    return found;
  }

  async remove(): Promise<void> {
    await rm(this.folder, { recursive: true, force: true });
  }
}

/** The instance owner the tests and the demo create (n8n 2.x always has user management on). */
export interface N8nOwner {
  email: string;
  firstName: string;
  lastName: string;
  password: string;
}

export const N8N_OWNER: N8nOwner = { email: 'owner@example.com', firstName: 'Eo', lastName: 'Owner', password: 'Owner-pass-1234' };

/** A running `n8n start` (one process: its token cache lives as long as it does). */
export interface N8nServer {
  url: string;
  /** Process id of the n8n main process (the benchmarks read its memory). */
  pid: number;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Options of {@link startN8n}. */
export interface StartN8nOptions {
  /** Port of the editor and REST API; default a free one. */
  port?: number;
  /** How long to wait for "ready" before giving up (default 90 s). */
  timeoutMs?: number;
  /** Where n8n's own output is copied as it comes (the demo's log file). */
  echo?: NodeJS.WritableStream;
  /** Options for Node itself, before n8n's own (e.g. `--expose-gc`, `--require <probe>`); not passed on to n8n's child processes. */
  nodeArgs?: string[];
  /** More environment for n8n (execution data settings, ...). */
  env?: NodeJS.ProcessEnv;
}

/** Starts `n8n start` on 127.0.0.1 and waits until it is ready. */
export async function startN8n(home: N8nHome, options: StartN8nOptions = {}): Promise<N8nServer> {
  const port = options.port ?? (await freePort());
  const timeoutMs = options.timeoutMs ?? 90_000;
  const child = spawn(node24(), [...(options.nodeArgs ?? []), N8N_BIN, 'start'], {
    env: { ...home.env, ...options.env, N8N_PORT: String(port), N8N_LISTEN_ADDRESS: '127.0.0.1', N8N_SECURE_COOKIE: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    options.echo?.write(chunk);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`n8n start exited with ${child.exitCode}:\n${output}`);
    const ready = await fetch(`${url}/healthz/readiness`).then(
      (res) => res.ok,
      () => false,
    );
    // Published workflows' webhooks are registered after the readiness probe turns green.
    if (ready && /Editor is now accessible/.test(output)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`n8n start was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, pid: child.pid!, output: () => output, stop };
}

/**
 * Calls `/webhook/<path>` of a published workflow. n8n registers those webhooks a moment after it
 * reports ready, and a 404 in that window runs nothing, so it is waited out (up to `timeoutMs`).
 */
export async function callWebhook(server: N8nServer, path: string, init: RequestInit = {}, timeoutMs = 30_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${server.url}/webhook/${path}`, init);
    if (res.status !== 404 || Date.now() > deadline) return res;
    await res.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A logged-in REST session: n8n ties the auth cookie to a `browser-id` header. */
export class N8nRest {
  private cookie = '';
  private readonly browserId = 'eo-nodes-test-browser';

  constructor(readonly url: string) {}

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'browser-id': this.browserId, ...(this.cookie ? { cookie: this.cookie } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('n8n-auth='));
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    return { status: res.status, body: parsed as T };
  }

  /** Creates the instance owner (first start only) and keeps the session cookie. */
  async setupOwner(owner: N8nOwner = N8N_OWNER): Promise<void> {
    const res = await this.request('POST', '/rest/owner/setup', owner);
    if (res.status !== 200) throw new Error(`owner setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** Signs in as n8n's sign-in page does and keeps the session cookie. */
  async login(owner: Pick<N8nOwner, 'email' | 'password'> = N8N_OWNER): Promise<void> {
    const res = await this.request('POST', '/rest/login', { emailOrLdapLoginId: owner.email, password: owner.password });
    if (res.status !== 200) throw new Error(`sign-in as ${owner.email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
}
