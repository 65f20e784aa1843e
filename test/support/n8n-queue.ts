/**
 * n8n in queue mode, the way it scales in production: `n8n start` (the main process: editor,
 * webhooks, timers) and `n8n worker` processes that take executions from a Bull queue in Redis and
 * keep their data in PostgreSQL (queue mode does not support SQLite). Real Debian redis-server and
 * postgresql on their own ports and folders, the real n8n 2.41 from the cache, this package
 * installed as n8n installs community packages. Each worker says which executions it ran
 * ("Worker started execution <id>"), which is how the tests tell the workers apart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { N8N_CACHE, N8nHome, N8nRest, startN8n, type N8nServer } from './n8n-process';
import { freePort } from './ports';
import { PostgresServer } from './postgres-server';
import type { RedisServer } from './redis-server';

const N8N_BIN = join(N8N_CACHE, 'app', 'node_modules', 'n8n', 'bin', 'n8n');

/** One running `n8n worker`. */
export class N8nWorker {
  private out = '';
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (c: Buffer) => (this.out += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (this.out += c.toString('utf8')));
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        process.off('exit', killOnExit);
        resolve();
      }),
    );
  }

  output(): string {
    return this.out;
  }

  /** Ids of the executions this worker ran, from its own log. */
  executions(): string[] {
    return [...this.out.matchAll(/Worker started execution (\d+)/g)].map((m) => m[1]);
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!/n8n worker is now ready/.test(this.out)) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited with ${this.child.exitCode}:\n${this.out.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A running queue-mode deployment. */
export interface N8nQueue {
  home: N8nHome;
  postgres: PostgresServer;
  main: N8nServer;
  workers: N8nWorker[];
  /** A REST session of the instance owner (created at start). */
  rest: N8nRest;
  /** Stops main and workers, then PostgreSQL, and removes the user folder (Redis is the caller's). */
  stop(): Promise<void>;
}

/** Options of {@link startN8nQueue}. */
export interface N8nQueueOptions {
  /** The Redis of the Bull queue (and, unless EO_REDIS_URL says otherwise, of token sharing). */
  redis: RedisServer;
  workers: number;
  /** More environment for every n8n process (e.g. EO_REDIS_URL=off for the "without sharing" peer). */
  env?: NodeJS.ProcessEnv;
  /**
   * CLI commands before the processes start (e.g. `importCredentials`, keeping fixed credential
   * ids). At least one runs, since it also migrates the new database: the processes then start
   * side by side instead of one after the other. Workflows are quicker to add over REST afterwards
   * ({@link publishWorkflow}): every CLI command boots n8n once more.
   */
  prepare: (home: N8nHome) => Promise<void>;
  /** Told of every process started (a benchmark runner ends them all if it fails). */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * PostgreSQL, a user folder with the package, `prepare` (imports), then main and the workers. On a
 * failed start everything already started is stopped.
 */
export async function startN8nQueue(options: N8nQueueOptions): Promise<N8nQueue> {
  const [postgres, home] = await Promise.all([PostgresServer.start(), N8nHome.create()]);
  home.onSpawn = options.onSpawn;
  // Every CLI command and process of this home runs in queue mode on this database.
  Object.assign(home.env, postgres.env(), {
    EXECUTIONS_MODE: 'queue',
    QUEUE_BULL_REDIS_HOST: '127.0.0.1',
    QUEUE_BULL_REDIS_PORT: String(options.redis.port),
    // Queue mode keeps binary data in the database by default (filesystem mode is not supported there).
    N8N_DEFAULT_BINARY_DATA_MODE: 'database',
    ...options.env,
  });
  let main: N8nServer | undefined;
  const workers: N8nWorker[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all([main?.stop(), ...workers.map((w) => w.stop())]);
    await postgres.remove();
    await home.remove();
  };
  try {
    await options.prepare(home);
    const mainStarted = startN8n(home, { timeoutMs: 180_000 }).then((m) => (main = m));
    for (let i = 1; i <= options.workers; i++) {
      const env = {
        ...home.env,
        // Each process runs its own task-runner broker: one port each, never n8n's defaults.
        N8N_RUNNERS_BROKER_PORT: String(await freePort()),
        QUEUE_HEALTH_CHECK_PORT: String(await freePort()),
      };
      const child = spawn(process.execPath, [N8N_BIN, 'worker', '--concurrency=10'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      options.onSpawn?.(child);
      workers.push(new N8nWorker(`worker ${i}`, child));
    }
    await Promise.all([mainStarted, ...workers.map((w) => w.waitReady(180_000))]);
    const rest = new N8nRest(main!.url);
    await rest.setupOwner();
    return { home, postgres, main: main!, workers, rest, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Creates `workflow` (with its fixed id) over REST and publishes it, so its webhooks answer. */
export async function publishWorkflow(rest: N8nRest, workflow: object): Promise<void> {
  const created = await rest.request<{ data: { id: string; versionId: string } }>('POST', '/rest/workflows', workflow);
  if (created.status !== 200)
    throw new Error(`creating the workflow failed: ${created.status} ${JSON.stringify(created.body).slice(0, 500)}`);
  const { id, versionId } = created.body.data;
  const activated = await rest.request('POST', `/rest/workflows/${id}/activate`, { versionId });
  if (activated.status !== 200)
    throw new Error(`publishing ${id} failed: ${activated.status} ${JSON.stringify(activated.body).slice(0, 500)}`);
}
