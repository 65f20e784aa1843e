/**
 * A real Debian PostgreSQL for the tests (n8n's queue mode needs it: it does not support SQLite
 * there): a fresh cluster in a temporary folder, its own free port, trust login on loopback, and
 * settings that trade durability for speed (a test database is thrown away). PostgreSQL refuses to
 * run as root, so as root the cluster belongs to the `postgres` user the Debian package creates.
 * test/support/setup.sh installs the package when it is missing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

const run = promisify(execFile);

/** The newest /usr/lib/postgresql/<major>/bin that has a server. */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!majors.length) throw new Error("PostgreSQL is not installed: run `bash test/support/setup.sh` (it installs Debian's postgresql)");
  return path.join(root, majors[0], 'bin');
}

/** As root, run as the `postgres` user (initdb and the server refuse root); otherwise as we are. */
function owner(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, but there is no postgres user to run PostgreSQL as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export class PostgresServer {
  private child?: ChildProcess;
  private out = '';

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
  ) {}

  /** Creates a cluster, starts it and creates `database`. */
  static async start(database = 'n8n'): Promise<PostgresServer> {
    const bin = binDir();
    // Not under a root-only mkdtemp folder: the postgres user must reach it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-postgres-'));
    fs.chmodSync(dir, 0o755);
    const user = owner();
    if (user.uid !== undefined) fs.chownSync(dir, user.uid, user.gid!);
    const server = new PostgresServer(await freePort(), dir, bin);
    try {
      await run(path.join(bin, 'initdb'), ['-D', server.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], {
        ...user,
        cwd: dir,
      });
      await server.launch();
      await run(path.join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(server.port), '-U', 'postgres', database], {
        ...user,
        cwd: dir,
      });
      return server;
    } catch (err) {
      await server.remove();
      throw err;
    }
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** What n8n needs to use this database (DB_TYPE=postgresdb and the connection). */
  env(database = 'n8n'): NodeJS.ProcessEnv {
    return {
      DB_TYPE: 'postgresdb',
      DB_POSTGRESDB_HOST: '127.0.0.1',
      DB_POSTGRESDB_PORT: String(this.port),
      DB_POSTGRESDB_DATABASE: database,
      DB_POSTGRESDB_USER: 'postgres',
      DB_POSTGRESDB_PASSWORD: 'unused-trust-login',
    };
  }

  private async launch(): Promise<void> {
    const args = [
      '-D',
      this.dataDir,
      '-p',
      String(this.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${this.dir}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=100',
    ];
    const child = spawn(path.join(this.bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir, ...owner() });
    this.child = child;
    child.stdout!.on('data', (c: Buffer) => (this.out += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (this.out += c.toString('utf8')));
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    const deadline = Date.now() + 30_000;
    while (!/ready to accept connections/.test(this.out)) {
      if (child.exitCode !== null) throw new Error(`postgres exited before it was ready:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`postgres was not ready within 30 s:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Runs one SQL statement with psql; returns its unaligned output. */
  async sql(statement: string, database = 'n8n'): Promise<string> {
    const args = ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-d', database, '-At', '-c', statement];
    const { stdout } = await run(path.join(this.bin, 'psql'), args, { maxBuffer: 64 * 1024 * 1024, cwd: this.dir, ...owner() });
    return stdout;
  }

  /** Stops the server (fast shutdown) and removes the cluster. */
  async remove(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // SIGINT is PostgreSQL's "fast" shutdown: sessions are ended, nothing is waited for.
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
