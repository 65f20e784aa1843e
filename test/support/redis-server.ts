/**
 * A real Debian redis-server for the tests: its own free port and data folder, no persistence
 * unless asked, stopped (or killed, or restarted empty) by the test. test/support/setup.sh installs
 * the package when it is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { tempDir } from './paths';
import { freePort } from './ports';

/** Options of {@link RedisServer.start}. */
export interface RedisServerOptions {
  /** requirepass: clients must log in with it. */
  password?: string;
  /** Start as a read-only replica of this server. */
  replicaOf?: RedisServer;
  /** Port; default a free one. */
  port?: number;
}

/** One key of a dump: its name, type and every value it holds (hash fields as "field=value"). */
export interface RedisEntry {
  key: string;
  type: string;
  values: string[];
  /** Milliseconds left, -1 without expiry. */
  pttl: number;
}

function redisServerBinary(): string {
  for (const candidate of [process.env.REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (candidate && fs.existsSync(candidate)) return candidate;
  }
  throw new Error("redis-server is not installed: run `bash test/support/setup.sh` (it installs Debian's redis-server)");
}

export class RedisServer {
  private child?: ChildProcess;
  private out = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  /** Starts redis-server and waits until it answers PING. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(options.port ?? (await freePort()), tempDir('eo-redis'), options);
    await server.launch();
    return server;
  }

  /** `redis://[:password@]127.0.0.1:port`, what EO_REDIS_URL is set to. */
  get url(): string {
    return this.urlWith(this.options.password);
  }

  /** The URL with another password (a wrong one, for the tests that need one). */
  urlWith(password: string | undefined): string {
    return `redis://${password ? `:${encodeURIComponent(password)}@` : ''}127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What redis-server printed. */
  output(): string {
    return this.out;
  }

  private async launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
      '--daemonize',
      'no',
    ];
    if (this.options.password) args.push('--requirepass', this.options.password);
    if (this.options.replicaOf) {
      args.push('--replicaof', '127.0.0.1', String(this.options.replicaOf.port));
      if (this.options.replicaOf.options.password) args.push('--masterauth', this.options.replicaOf.options.password);
    }
    const child = spawn(redisServerBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.out += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (this.out += chunk.toString('utf8')));
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    // Its own "ready" line rather than polling with a client: a refused ioredis connect leaves timers behind.
    const deadline = Date.now() + 15_000;
    while (!/Ready to accept connections/.test(this.out)) {
      if (!this.running) throw new Error(`redis-server exited before it was ready:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not get ready within 15 s:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** A plain ioredis client for the test itself (logged in). Disconnect it when done. */
  client(extra: RedisOptions = {}): Redis {
    const client = new Redis({
      host: '127.0.0.1',
      port: this.port,
      password: this.options.password,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
      ...extra,
    });
    client.on('error', () => undefined);
    return client;
  }

  /** How many clients connected under the connection name `name` (`CLIENT SETNAME`; the package's is `eo-nodes`). */
  async clientsNamed(name: string): Promise<number> {
    const list = String(await this.command('CLIENT', 'LIST'));
    return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
  }

  /** Runs one command with a short-lived client. */
  async command(name: string, ...args: (string | number)[]): Promise<unknown> {
    const client = this.client();
    try {
      return await client.call(name, ...args);
    } finally {
      client.disconnect();
    }
  }

  /** Every key with its type, values and TTL (what a Redis dump would show). */
  async entries(): Promise<RedisEntry[]> {
    const client = this.client();
    try {
      const keys = (await client.keys('*')).sort();
      const out: RedisEntry[] = [];
      for (const key of keys) {
        const type = await client.type(key);
        const pttl = await client.pttl(key);
        let values: string[] = [];
        if (type === 'string') values = [(await client.get(key)) ?? ''];
        else if (type === 'hash') values = Object.entries(await client.hgetall(key)).map(([f, v]) => `${f}=${v}`);
        else if (type === 'list') values = await client.lrange(key, 0, -1);
        else if (type === 'set') values = await client.smembers(key);
        else if (type === 'zset') values = await client.zrange(key, 0, -1);
        else values = [`(${type})`];
        out.push({ key, type, values, pttl });
      }
      return out;
    } finally {
      client.disconnect();
    }
  }

  /** SAVE, and the bytes of the RDB file it wrote: what a backup of this Redis would contain. */
  async rdb(): Promise<Buffer> {
    await this.command('SAVE');
    return fs.readFileSync(path.join(this.dir, 'dump.rdb'));
  }

  /** Ends the server abruptly (SIGKILL): clients see the connection drop. */
  async kill(): Promise<void> {
    await this.end('SIGKILL');
  }

  /** Stops the server (SIGTERM; nothing is saved). */
  async stop(): Promise<void> {
    await this.end('SIGTERM');
  }

  /**
   * Starts it again on the same port, empty (what a restart without persistence gives), or with
   * what the last SAVE wrote (`keep: 'saved'`, what a restart with persistence gives).
   */
  async restart(options: { keep?: 'saved' } = {}): Promise<void> {
    if (this.running) await this.stop();
    if (options.keep !== 'saved') fs.rmSync(path.join(this.dir, 'dump.rdb'), { force: true });
    this.out = '';
    await this.launch();
  }

  /** Stops the server and removes its folder. */
  async remove(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
