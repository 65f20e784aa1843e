/**
 * Starts token-worker.js processes and talks to them: each is a separate Node process with its
 * own token cache and its own Redis connection, as the workers of a real deployment are.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ConnectionSettings } from '../../../../nodes/core/config/connection';

export interface WorkerOptions {
  redisUrl?: string;
  connection: ConnectionSettings;
  /** TokenCacheOptions that survive JSON (refreshMarginMs, maxRateLimitWaitMs, request...). */
  cache?: Record<string, unknown>;
  /** RedisTokenSharingOptions that survive JSON (leaseTtlMs, commandTimeoutMs, retryAfterMs...). */
  sharing?: Record<string, unknown>;
}

export interface WorkerError {
  code?: string;
  message?: string;
  retryAfterMs?: number;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WorkerError };

/** One token-worker.js process. */
export class TokenWorker {
  /** Lines its token sharing logged. */
  readonly logs: string[] = [];
  private next = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();

  private constructor(readonly child: ChildProcess) {
    child.on('message', (msg: { log?: string } & Partial<Reply>) => {
      if (typeof msg.log === 'string') this.logs.push(msg.log);
      if (typeof msg.id === 'number') this.waiting.get(msg.id)?.(msg as Reply);
    });
  }

  static async start(options: WorkerOptions): Promise<TokenWorker> {
    const child = fork(path.join(__dirname, 'token-worker.js'), [JSON.stringify(options)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, EO_REDIS_URL: '', EXECUTIONS_MODE: '' },
    });
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`token worker exited with ${code} before it was ready`)));
      child.on('message', (msg: { ready?: boolean }) => msg.ready && resolve());
    });
    return new TokenWorker(child);
  }

  /** Sends one operation; resolves with its value, rejects with the error the worker caught. */
  call<T = unknown>(op: string, args?: unknown): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const onExit = (): void => reject(new Error(`token worker exited during ${op}`));
      this.child.once('exit', onExit);
      this.waiting.set(id, (reply) => {
        this.waiting.delete(id);
        this.child.off('exit', onExit);
        if (reply.ok) resolve(reply.value as T);
        else reject(Object.assign(new Error(reply.error.message ?? 'worker error'), reply.error));
      });
      this.child.send({ id, op, args });
    });
  }

  getToken(args: { minValidityMs?: number } = {}): Promise<{ value: string; expiresAt: number; started: number; finished: number }> {
    return this.call('getToken', args);
  }

  /** Dies at once, as a crashed process does (its Redis connection drops with it). */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}
