/**
 * How many downloads one account runs at once, for the whole process. Providers cap concurrent
 * download connections per account (CDSE: 4) and refuse the next one; every node, flow and
 * execution downloading for the same credentials therefore takes its connections from one
 * {@link ConnectionCap}, kept per identity like the token cache keeps tokens.
 *
 * The cap adapts the way TCP adapts its window (additive increase, multiplicative decrease): a
 * refusal from the server (429) halves the number of connections the account may use and, when
 * the server said how long to wait (`Retry-After`), starts no new connection before that time;
 * every request the server serves adds `1 / window` back, so the window grows by about one
 * connection per window of successful requests, up to the configured cap. Refusals of requests
 * that started before the last halving do not halve again: they answer to the same overload.
 *
 * The cap is per process. Several processes downloading for one account (n8n workers, Node-RED
 * copies) must divide the provider's allowance between them in their settings; a refusal caused
 * by another process still shrinks this one's window, so they settle below the server's limit.
 */
import { IdentityKeys } from '../auth/identity-key';
import type { Connection } from '../config/connection';

/** The least a pause after a refusal lasts, so a `Retry-After: 0` does not become a burst of retries. */
const MIN_PAUSE_MS = 100;
/** Pause after a refusal that named no time. */
const DEFAULT_PAUSE_MS = 1_000;

/** One connection taken from a {@link ConnectionCap}; give it back exactly once. */
export interface ConnectionSlot {
  /**
   * The request is over (its body read, or given up). `served`: the server answered it (any
   * status but a refusal), which lets the window grow back.
   */
  release(served: boolean): void;
  /**
   * The server refused the request for too many connections or requests (429): the window
   * shrinks, and no new connection starts for `retryAfterMs` (at least 100 ms; 1 s when unknown).
   */
  refused(retryAfterMs?: number): void;
}

/** Where a waiter queues: `resume` goes first (a refused request that was already running), `spare` only takes a connection nobody else waits for. */
export type SlotPriority = 'normal' | 'resume' | 'spare';

/** A cap's state, for status displays and tests. */
export interface ConnectionCapState {
  /** The configured cap. */
  max: number;
  /** Connections the account may use now (1 … max): below `max` after refusals. */
  limit: number;
  /** Connections in use. */
  active: number;
  /** Requests waiting for a connection. */
  waiting: number;
  /** The most connections in use at once so far. */
  peakActive: number;
  /** Refusals (429) seen so far. */
  refusals: number;
  /** No new connection starts before this time (epoch ms), after a refusal. */
  pausedUntil?: number;
}

interface Waiter {
  grant(slot: ConnectionSlot): void;
  /** Queue order: lower ranks first, first come first served within a rank. */
  rank: number;
}

const RANKS: Record<SlotPriority, number> = { resume: 0, normal: 1, spare: 2 };

/**
 * An adaptive cap on concurrent connections (see the file comment). Use {@link sharedConnectionCaps}
 * in production; a private instance in tests.
 *
 * @example
 * const slot = await cap.acquire(signal);
 * try { await fetchIt(); slot.release(true); } catch (err) { if (is429(err)) slot.refused(err.retryAfterMs); else slot.release(false); throw err; }
 */
export class ConnectionCap {
  private maxConnections: number;
  /** The adaptive window: `floor(window)` connections may run. */
  private window: number;
  private active = 0;
  private peak = 0;
  private refusalCount = 0;
  /** Counts the halvings; a slot remembers the one it started under. */
  private epoch = 0;
  private pausedUntil = 0;
  private readonly queue: Waiter[] = [];
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(max: number, options: { now?: () => number } = {}) {
    this.maxConnections = checkedMax(max);
    this.window = this.maxConnections;
    this.now = options.now ?? Date.now;
  }

  /** The configured cap. */
  get max(): number {
    return this.maxConnections;
  }

  /**
   * Changes the cap (a setting was edited). A window that was at the old cap moves to the new
   * one; a window shrunk by refusals stays where it is, below the new cap.
   */
  setMax(max: number): void {
    const next = checkedMax(max);
    if (next === this.maxConnections) return;
    this.window = this.window >= this.maxConnections ? next : Math.min(this.window, next);
    this.maxConnections = next;
    this.pump();
  }

  /** Waits for a connection (first come, first served; `resume` before the others). */
  acquire(signal?: AbortSignal, priority: SlotPriority = 'normal'): Promise<ConnectionSlot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<ConnectionSlot>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.queue.indexOf(waiter);
        if (at >= 0) this.queue.splice(at, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        rank: RANKS[priority],
        grant: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const behind = this.queue.findIndex((w) => w.rank > waiter.rank);
      this.queue.splice(behind < 0 ? this.queue.length : behind, 0, waiter);
      this.pump();
    });
  }

  /** A connection now if one is free and nobody waits for it, else undefined. */
  trySpare(): ConnectionSlot | undefined {
    if (this.queue.length > 0 || !this.canStart()) return undefined;
    return this.take();
  }

  /**
   * Whether a request waits for a connection, not counting those that only take spare ones: a
   * connection that joined a download to fetch a range gives way to it instead of taking more.
   */
  wanted(): boolean {
    return this.queue.some((w) => w.rank < RANKS.spare);
  }

  /** The state of the cap, for status displays and tests. */
  state(): ConnectionCapState {
    const paused = this.pausedUntil > this.now() ? this.pausedUntil : undefined;
    return {
      max: this.maxConnections,
      limit: this.allowed(),
      active: this.active,
      waiting: this.queue.length,
      peakActive: this.peak,
      refusals: this.refusalCount,
      pausedUntil: paused,
    };
  }

  /** True when nothing runs and nothing waits: the cap may be dropped. */
  idle(): boolean {
    return this.active === 0 && this.queue.length === 0;
  }

  private allowed(): number {
    return Math.max(1, Math.floor(this.window + 1e-9));
  }

  private canStart(): boolean {
    return this.active < this.allowed() && this.now() >= this.pausedUntil;
  }

  private take(): ConnectionSlot {
    this.active += 1;
    this.peak = Math.max(this.peak, this.active);
    const startedIn = this.epoch;
    let open = true;
    const close = (): boolean => {
      if (!open) return false;
      open = false;
      this.active -= 1;
      return true;
    };
    return {
      release: (served) => {
        if (!close()) return;
        if (served) this.window = Math.min(this.maxConnections, this.window + 1 / this.window);
        this.pump();
      },
      refused: (retryAfterMs) => {
        if (!close()) return;
        this.refusalCount += 1;
        if (startedIn === this.epoch) {
          this.window = Math.max(1, this.window / 2);
          this.epoch += 1;
        }
        const pause = Math.max(MIN_PAUSE_MS, retryAfterMs ?? DEFAULT_PAUSE_MS);
        this.pausedUntil = Math.max(this.pausedUntil, this.now() + pause);
        this.pump();
      },
    };
  }

  /** Grants waiting requests while connections are free; wakes up again when a pause ends. */
  private pump(): void {
    while (this.queue.length > 0 && this.canStart()) {
      this.queue.shift()!.grant(this.take());
    }
    if (this.queue.length > 0 && this.active < this.allowed() && !this.timer) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.pump();
        },
        Math.max(0, this.pausedUntil - this.now()),
      );
      // A pause must not keep a process alive that has nothing else to do.
      this.timer.unref();
    }
  }
}

function checkedMax(max: number): number {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`A connection cap must be a whole number of at least 1 (got ${max}).`);
  return max;
}

/** Caps above this count are pruned of the idle ones (changed passwords leave old identities behind). */
const PRUNE_ABOVE = 256;

/**
 * The caps of every identity in the process, keyed as the token cache keys tokens (provider, token
 * URL, grant, client id or username, and a digest of the secret).
 */
export class ConnectionCaps {
  private readonly keys = new IdentityKeys();
  private readonly caps = new Map<string, ConnectionCap>();

  /** The cap of `connection`'s identity, created on first use; its size follows the newest setting. */
  capFor(connection: Connection): ConnectionCap {
    const key = this.keys.keyOf(connection);
    let cap = this.caps.get(key);
    if (!cap) {
      if (this.caps.size >= PRUNE_ABOVE) this.pruneIdle();
      cap = new ConnectionCap(connection.maxConnections);
      this.caps.set(key, cap);
    } else {
      cap.setMax(connection.maxConnections);
    }
    return cap;
  }

  /** The state of `connection`'s cap (a fresh one when it was never used). */
  state(connection: Connection): ConnectionCapState {
    return this.capFor(connection).state();
  }

  /** Forgets every cap; connections in use are still given back to theirs. */
  clear(): void {
    this.caps.clear();
  }

  private pruneIdle(): void {
    for (const [key, cap] of this.caps) if (cap.idle()) this.caps.delete(key);
  }
}

/** Versioned, so a future incompatible registry in the same process does not pick this one up. */
const SHARED_CAPS_KEY = Symbol.for('eo-nodes.connection-caps.v1');

/**
 * The process's caps. Kept on `globalThis`, like the token cache, so two copies of this module
 * (Node-RED and n8n loading the package twice, a redeploy) still share one cap per account.
 */
export function sharedConnectionCaps(): ConnectionCaps {
  const holder = globalThis as typeof globalThis & { [SHARED_CAPS_KEY]?: ConnectionCaps };
  return (holder[SHARED_CAPS_KEY] ??= new ConnectionCaps());
}
