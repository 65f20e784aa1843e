/**
 * The one Redis connection of a process's sharing (tokens, watch emissions), and whether Redis
 * answers. ioredis is loaded here and only here, the first time a command is sent with sharing
 * configured: a process without sharing never loads it.
 *
 * Why ioredis: n8n itself talks to its queue-mode Redis with it (so it is the client those users
 * already run), it is maintained, pure JavaScript with five small dependencies, supports Node 20,
 * TLS, ACL users, a per-command timeout and a switch that makes commands fail at once while the
 * connection is down instead of queueing them: the two things "Redis is never a new way to fail"
 * rests on.
 *
 * Redis being down, slow or refusing is an outage, not an error: every use of the connection goes
 * on in the process alone, each says so once per outage (not per message), and the first command
 * that succeeds again ends it (said once too).
 */
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { redisAddress, type RedisSettings } from './sharing-config';

/** How long a Redis command may take before its caller goes on without Redis. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 500;
/** How long the first command waits for the connection to come up. */
export const DEFAULT_CONNECT_WAIT_MS = 1_000;
/** After a failure, Redis is left alone this long before it is tried again (a reconnect tries at once). */
export const DEFAULT_RETRY_AFTER_MS = 2_000;

/** Options of a Redis connection for sharing. */
export interface RedisConnectionOptions {
  commandTimeoutMs?: number;
  connectWaitMs?: number;
  retryAfterMs?: number;
  /** Where the outage lines go. Default: {@link defaultSharingLog}. */
  log?: (line: string) => void;
  /** Clock. Default `Date.now`. */
  now?: () => number;
}

/** Redis could not be used for this step: the caller goes on in this process alone. */
export class SharedStoreUnavailable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SharedStoreUnavailable';
  }
}

/**
 * Where sharing lines go by default: the process's standard error, which Node-RED, n8n and
 * their service managers keep with their own log. The core has no logger of its own to hand them to.
 */
export function defaultSharingLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} [eo-nodes] ${line}\n`);
}

/** The cause of a Redis failure in words a user can act on. Redis never echoes a password in its errors. */
export function describeRedisFailure(err: unknown, settings: RedisSettings, commandTimeoutMs: number): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown })?.code;
  const setting = settings.source === 'EO_REDIS_URL' ? 'EO_REDIS_URL' : 'QUEUE_BULL_REDIS_PASSWORD and QUEUE_BULL_REDIS_USERNAME';
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message)) {
    return `refused the login (${message.split(/[.\n]/)[0].trim()}): check the user and password in ${setting}`;
  }
  if (/^READONLY/.test(message)) return 'is a read-only replica: point EO_REDIS_URL at the primary';
  if (/^NOPERM/.test(message)) return `does not allow this user the commands sharing needs (${message.split('\n')[0]})`;
  if (/Command timed out/i.test(message)) return `did not answer within ${commandTimeoutMs} ms`;
  if (code === 'ECONNREFUSED') return 'refused the connection';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'could not be found (DNS)';
  if (typeof code === 'string') return `could not be reached (${code})`;
  if (/enableOfflineQueue|Connection is closed|not connected/i.test(message)) return 'is not connected';
  return `failed (${message.split('\n')[0].slice(0, 120)})`;
}

/**
 * One concern that shares through the connection (token sharing, watch emissions), with what it
 * tells the user when Redis stops and starts answering. Each use says it once per outage.
 */
export interface SharedStoreUse {
  /** Opens the line, e.g. "Token sharing". */
  name: string;
  /** What the process does until Redis answers, e.g. "Tokens are kept in this process only until it answers again." */
  meanwhile: string;
  /** What resumes, e.g. "tokens are shared across processes again." */
  resumed: string;
}

/** One lazily opened ioredis connection, with the outage bookkeeping. */
export class RedisConnection {
  private client?: RedisClient;
  private readonly uses = new Map<string, SharedStoreUse>();
  private down?: { since: number; reason: string; retryAt: number };
  /** What the connection itself last reported (a refused login shows up here first). */
  private lastConnectionError?: unknown;
  private closed = false;
  readonly address: string;
  private readonly commandTimeoutMs: number;
  private readonly connectWaitMs: number;
  private readonly retryAfterMs: number;
  private readonly log: (line: string) => void;
  private readonly now: () => number;

  constructor(
    private readonly settings: RedisSettings,
    options: RedisConnectionOptions = {},
  ) {
    this.address = redisAddress(settings);
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.connectWaitMs = options.connectWaitMs ?? DEFAULT_CONNECT_WAIT_MS;
    this.retryAfterMs = options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
    this.log = options.log ?? defaultSharingLog;
    this.now = options.now ?? Date.now;
  }

  /**
   * Registers a concern that shares through this connection, so outages are told in its words.
   * Registered during an outage, it says so at once.
   */
  use(use: SharedStoreUse): void {
    if (this.uses.has(use.name)) return;
    this.uses.set(use.name, use);
    if (this.down) this.log(this.outageLine(use, this.down.reason));
  }

  /** Whether a caller should try Redis now: yes unless an outage is on and its retry time has not come. */
  worthTrying(): boolean {
    return !this.closed && (this.down === undefined || this.now() >= this.down.retryAt);
  }

  /** The outage under way, if any, in words. */
  outage(): string | undefined {
    return this.down?.reason;
  }

  /**
   * Runs `command` on the connection. Any failure (not connected, timeout, refused) starts an
   * outage and throws SharedStoreUnavailable; a success ends one.
   */
  async run<T>(command: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new SharedStoreUnavailable('the shared store is closed');
    let result: T;
    try {
      const client = await this.ready();
      result = await command(client);
    } catch (err) {
      throw this.failed(err);
    }
    this.succeeded();
    return result;
  }

  /** Closes the connection; later commands fail at once (and the process is free to exit). */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client) await client.quit().catch(() => client.disconnect());
  }

  private failed(err: unknown): SharedStoreUnavailable {
    // "Not connected" says little; what the connection reported when it dropped says why.
    const generic = /enableOfflineQueue|Connection is closed|did not come up/i.test(err instanceof Error ? err.message : '');
    const reason = describeRedisFailure(
      generic && this.lastConnectionError ? this.lastConnectionError : err,
      this.settings,
      this.commandTimeoutMs,
    );
    this.startOutage(reason);
    return new SharedStoreUnavailable(reason);
  }

  private startOutage(reason: string): void {
    const now = this.now();
    if (this.down) {
      this.down.retryAt = now + this.retryAfterMs;
      return;
    }
    this.down = { since: now, reason, retryAt: now + this.retryAfterMs };
    for (const use of this.uses.values()) this.log(this.outageLine(use, reason));
  }

  private outageLine(use: SharedStoreUse, reason: string): string {
    return `${use.name}: Redis at ${this.address} ${reason}. ${use.meanwhile}`;
  }

  private succeeded(): void {
    if (!this.down) return;
    const seconds = Math.round((this.now() - this.down.since) / 1000);
    this.down = undefined;
    for (const use of this.uses.values())
      this.log(`${use.name}: Redis at ${this.address} answers again (after ${seconds} s); ${use.resumed}`);
  }

  /** The client, connected: created on first use, waited for (bounded) while it connects. */
  private async ready(): Promise<RedisClient> {
    const client = (this.client ??= this.open());
    if (client.status === 'ready') return client;
    // During an outage the reconnect runs in the background: no caller waits for it.
    if (this.down) throw new Error('Connection is closed');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`Redis did not come up within ${this.connectWaitMs} ms`)), this.connectWaitMs);
      const onReady = (): void => finish();
      // A refused connection or login closes it: no point waiting for the reconnect.
      const onClose = (): void => finish(new Error('Connection is closed'));
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      client.once('ready', onReady);
      client.once('close', onClose);
    });
    return client;
  }

  private open(): RedisClient {
    // Loaded here so that a process without sharing never loads the client library.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Redis } = require('ioredis') as typeof import('ioredis');
    const s = this.settings;
    const options: RedisOptions = {
      host: s.host,
      port: s.port,
      db: s.db,
      username: s.username,
      password: s.password,
      connectionName: 'eo-nodes',
      connectTimeout: Math.max(this.connectWaitMs, 1_000),
      commandTimeout: this.commandTimeoutMs,
      // A command sent while the connection is down fails at once instead of waiting in a queue,
      // and a command cut off by a dropped connection is not sent again later: a caller that has
      // moved on without Redis must not take a lease (or a claim) behind its own back.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Reconnects go on in the background for as long as the process runs (sharing resumes by itself).
      retryStrategy: (times: number) => Math.min(200 * times, 5_000),
      ...(s.tls
        ? { tls: { ...(s.servername ? { servername: s.servername } : {}), rejectUnauthorized: s.rejectUnauthorized ?? true } }
        : {}),
    };
    const client = new Redis(options);
    // Without a listener ioredis prints every connection error itself; the outage line says it once.
    client.on('error', (err: unknown) => {
      this.lastConnectionError = err;
    });
    client.on('close', () => {
      if (!this.closed)
        this.startOutage(describeRedisFailure(this.lastConnectionError ?? new Error('Connection is closed'), s, this.commandTimeoutMs));
    });
    client.on('ready', () => {
      this.lastConnectionError = undefined;
      // Back: the next command tries Redis at once; its success ends the outage.
      if (this.down) this.down.retryAt = 0;
    });
    return client;
  }
}
