/**
 * Whether processes share state (tokens, watch emissions), and through which Redis: `EO_REDIS_URL`
 * when set, else n8n's own queue-mode Redis (`EXECUTIONS_MODE=queue` with `QUEUE_BULL_REDIS_*`),
 * else not at all. Read from the environment once per process; a malformed value never fails a
 * flow: it turns sharing off and says why (the caller logs it once).
 */

/** Where the shared Redis is and how to log in. `password` is a secret: never log these settings whole. */
export interface RedisSettings {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** TLS only: check the server certificate (n8n's `QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE`). Default true. */
  rejectUnauthorized?: boolean;
  /** TLS only: server name for SNI and the certificate check, when it differs from `host`. */
  servername?: string;
  /** Which setting turned sharing on, for messages that tell the user what to change. */
  source: 'EO_REDIS_URL' | 'QUEUE_BULL_REDIS_*';
}

/** The outcome of reading the environment. */
export type SharingConfig =
  | { mode: 'local' }
  | { mode: 'redis'; redis: RedisSettings }
  /** Sharing was asked for but cannot work as configured: each process works on its own, and `problem` says why. */
  | { mode: 'invalid'; problem: string };

/** `EO_REDIS_URL` values that turn sharing off, even in n8n queue mode. */
const OFF = new Set(['off', 'none', 'false', '0']);
const DEFAULT_PORT = 6379;

/** `host:port` as the status line shows it (IPv6 in brackets). */
export function redisAddress(redis: Pick<RedisSettings, 'host' | 'port'>): string {
  return redis.host.includes(':') ? `[${redis.host}]:${redis.port}` : `${redis.host}:${redis.port}`;
}

function port(text: string | undefined, name: string): number | string {
  if (text === undefined || text === '') return DEFAULT_PORT;
  const n = Number(text);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : `${name} must be a port number (1-65535)`;
}

function db(text: string | undefined, name: string): number | string {
  if (text === undefined || text === '') return 0;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 ? n : `${name} must be a database number (0, 1, ...)`;
}

function decoded(part: string): string | undefined {
  if (!part) return undefined;
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Parses `redis://[user:password@]host:port[/db]` or `rediss://...`. The message never repeats the URL: it may hold a password. */
function fromUrl(text: string): SharingConfig {
  const fix =
    'Set EO_REDIS_URL to redis://[user:password@]host:port[/db] (rediss:// for TLS), or unset it; each process works on its own until then.';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { mode: 'invalid', problem: `EO_REDIS_URL is not a URL. ${fix}` };
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return { mode: 'invalid', problem: `EO_REDIS_URL must start with redis:// or rediss://, not ${url.protocol}//. ${fix}` };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) return { mode: 'invalid', problem: `EO_REDIS_URL has no host. ${fix}` };
  const p = port(url.port, 'The port in EO_REDIS_URL');
  const d = db(url.pathname.replace(/^\//, ''), 'The path of EO_REDIS_URL');
  if (typeof p === 'string') return { mode: 'invalid', problem: `${p}. ${fix}` };
  if (typeof d === 'string') return { mode: 'invalid', problem: `${d}. ${fix}` };
  return {
    mode: 'redis',
    redis: {
      host,
      port: p,
      db: d,
      username: decoded(url.username),
      password: decoded(url.password),
      tls: url.protocol === 'rediss:',
      source: 'EO_REDIS_URL',
    },
  };
}

/** n8n's queue-mode Redis, with n8n's defaults (localhost:6379, db 0). */
function fromN8nQueue(env: NodeJS.ProcessEnv): SharingConfig {
  const fix = 'Set EO_REDIS_URL to share through another Redis; each process works on its own until then.';
  if (env.QUEUE_BULL_REDIS_CLUSTER_NODES) {
    return {
      mode: 'invalid',
      problem: `n8n runs on a Redis cluster (QUEUE_BULL_REDIS_CLUSTER_NODES), which sharing across processes does not support yet. ${fix}`,
    };
  }
  const p = port(env.QUEUE_BULL_REDIS_PORT, 'QUEUE_BULL_REDIS_PORT');
  const d = db(env.QUEUE_BULL_REDIS_DB, 'QUEUE_BULL_REDIS_DB');
  if (typeof p === 'string') return { mode: 'invalid', problem: `${p}. ${fix}` };
  if (typeof d === 'string') return { mode: 'invalid', problem: `${d}. ${fix}` };
  const tls = env.QUEUE_BULL_REDIS_TLS === 'true';
  return {
    mode: 'redis',
    redis: {
      host: env.QUEUE_BULL_REDIS_HOST || 'localhost',
      port: p,
      db: d,
      username: env.QUEUE_BULL_REDIS_USERNAME || undefined,
      password: env.QUEUE_BULL_REDIS_PASSWORD || undefined,
      tls,
      ...(tls && env.QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE === 'false' ? { rejectUnauthorized: false } : {}),
      ...(tls && env.QUEUE_BULL_REDIS_TLS_SERVERNAME ? { servername: env.QUEUE_BULL_REDIS_TLS_SERVERNAME } : {}),
      source: 'QUEUE_BULL_REDIS_*',
    },
  };
}

/**
 * How this process shares tokens and watch emissions, from its environment.
 *
 * @example
 * sharingConfig({ EO_REDIS_URL: 'redis://cache:6379/2' }); // { mode: 'redis', redis: { host: 'cache', port: 6379, db: 2, ... } }
 * sharingConfig({ EXECUTIONS_MODE: 'queue', QUEUE_BULL_REDIS_HOST: 'redis' }); // n8n's Redis, no setup
 * sharingConfig({}); // { mode: 'local' }: every process on its own
 */
export function sharingConfig(env: NodeJS.ProcessEnv = process.env): SharingConfig {
  const url = env.EO_REDIS_URL?.trim();
  if (url) return OFF.has(url.toLowerCase()) ? { mode: 'local' } : fromUrl(url);
  if (env.EXECUTIONS_MODE === 'queue') return fromN8nQueue(env);
  return { mode: 'local' };
}
