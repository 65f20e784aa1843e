/**
 * One token request per identity across processes. A token cache calls this at its renewal step
 * only (a valid token in memory never reaches here), and it decides who asks the provider:
 *
 * 1. Read the identity's shared entry. A token there that serves the callers is taken over: no
 *    request at all. A cool-down there is adopted (no process sends during another's 429 wait).
 * 2. Otherwise take the lease (SET NX with a TTL). The holder reads once more (someone may have
 *    just finished), then asks the provider with the newest refresh token of the chain, publishes
 *    the result, and lets go. It keeps the lease alive while it works; if it dies, the lease runs
 *    out after its TTL and the next process takes over.
 * 3. The others poll the entry (bounded) until the token appears, or the holder's failure does
 *    (then they fail alike, so a wrong password is tried once, not once per process: see
 *    CONFIGURATION_FAILURES).
 *
 * Redis being slow, down or refusing is never an error here: the renewal goes on in this process
 * alone. Alone, a refresh token that another process may hold is never redeemed (it could be
 * redeemed twice at once, which a rotating chain punishes): the connection's own grant is used
 * instead, costing one login per process for the outage, never a failed flow.
 */
import { EoError, isEoError, type EoErrorCode } from '../../errors';
import { identitySlot, type IdentitySlot } from './identity-slot';
import {
  RedisConnection,
  SharedStoreUnavailable,
  type RedisConnectionOptions,
  type SharedStoreUse,
} from '../../shared-store/redis-connection';
import type { RedisSettings } from '../../shared-store/sharing-config';
import { RedisTokenStore, type SharedFailure, type SharedSnapshot } from './redis-token-store';
import type { RefreshRecord, RenewalPort, Renewed, TokenSharing, TokenSharingStatus } from './renewal-port';

/**
 * Lease lifetime: a little above one token request's timeout (30 s by default), so that even a
 * holder whose keep-alives do not get through (Redis slow) keeps the lease for its request.
 */
export const DEFAULT_LEASE_TTL_MS = 35_000;
/** The longest a process waits for another one's renewal before it renews alone. */
export const DEFAULT_MAX_WAIT_MS = 120_000;
/** How long a failed renewal's error stays for the other processes. */
const FAILURE_TTL_MS = 10_000;
/**
 * Answers about the configuration rather than the moment: the same credentials and token URL get
 * the same answer, and every one of those fields goes into the identity's slot, so a corrected
 * setting never meets the old failure. A process that needs a token within FAILURE_TTL_MS of one
 * takes it over even if it did not wait for that renewal: a wrong password is sent once, not once
 * per process (Keycloak counts failed logins). Transient failures (5xx, 429, network) are taken
 * over only by the processes that waited for that very renewal; the next one tries again.
 */
const CONFIGURATION_FAILURES = new Set<string>([
  'EO_AUTH_INVALID_CLIENT',
  'EO_AUTH_INVALID_GRANT',
  'EO_AUTH_REJECTED',
  'EO_NOT_A_TOKEN_ENDPOINT',
]);
/** Polling of waiters: starts fast (a token request takes tens of ms), backs off to this. */
const MAX_POLL_MS = 200;
const FIRST_POLL_MS = 20;
/** Rejected tokens remembered per identity, so a stale shared copy is not taken over again. */
const REJECTED_KEPT = 4;
/** Identities whose derived keys are kept; beyond this the memory starts over. */
const SLOTS_KEPT = 256;

/** What token sharing says when Redis stops answering, and when it is back. */
const TOKEN_SHARING: SharedStoreUse = {
  name: 'Token sharing',
  meanwhile: 'Tokens are kept in this process only until it answers again.',
  resumed: 'tokens are shared across processes again.',
};

/** Options of {@link RedisTokenSharing}. */
export interface RedisTokenSharingOptions extends RedisConnectionOptions {
  /** Default {@link DEFAULT_LEASE_TTL_MS}. */
  leaseTtlMs?: number;
  /** Default {@link DEFAULT_MAX_WAIT_MS}. */
  maxWaitMs?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The message without the hint that EoError appends to it. */
function bareMessage(err: EoError): string {
  return err.hint && err.message.endsWith(` ${err.hint}`) ? err.message.slice(0, -err.hint.length - 1) : err.message;
}

function failureOf(err: EoError, owner: string): SharedFailure {
  return {
    owner,
    code: err.code,
    message: bareMessage(err),
    hint: err.hint,
    field: err.field,
    status: err.status,
    retryAfterMs: err.retryAfterMs,
    providerCode: err.providerCode,
    providerMessage: err.providerMessage,
    url: err.url,
  };
}

function rebuilt(f: SharedFailure): EoError {
  return new EoError(f.code as EoErrorCode, f.message, {
    hint: f.hint,
    field: f.field,
    status: f.status,
    retryAfterMs: f.retryAfterMs,
    providerCode: f.providerCode,
    providerMessage: f.providerMessage,
    url: f.url,
  });
}

/**
 * Token sharing through one Redis: a connection of its own (given the settings), or one it shares
 * with the process's other concerns (given the connection; the connection's options are then its
 * own). Connects on the first renewal; until then (and without any renewal) it costs nothing.
 *
 * @example
 * const cache = new TokenCache({ sharing: new RedisTokenSharing(settings) });
 */
export class RedisTokenSharing implements TokenSharing {
  private readonly redis: RedisConnection;
  private readonly store: RedisTokenStore;
  private readonly slots = new Map<string, Promise<IdentitySlot>>();
  private readonly rejected = new Map<string, string[]>();
  private readonly leaseTtlMs: number;
  private readonly maxWaitMs: number;
  private readonly now: () => number;

  constructor(redis: RedisSettings | RedisConnection, options: RedisTokenSharingOptions = {}) {
    this.now = options.now ?? Date.now;
    this.redis = redis instanceof RedisConnection ? redis : new RedisConnection(redis, options);
    this.redis.use(TOKEN_SHARING);
    this.store = new RedisTokenStore(this.redis, this.now);
    this.leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  }

  async renew(port: RenewalPort): Promise<Renewed> {
    if (!this.redis.worthTrying()) return this.alone(port);
    const slot = await this.slotOf(port);
    try {
      return await this.together(port, slot);
    } catch (err) {
      // Only steps before any token request throw this: afterwards Redis trouble is swallowed.
      if (err instanceof SharedStoreUnavailable) return this.alone(port);
      throw err;
    }
  }

  invalidate(port: Pick<RenewalPort, 'connection' | 'localKey'>, tokenValue: string): void {
    const list = this.rejected.get(port.localKey) ?? [];
    if (!list.includes(tokenValue)) list.push(tokenValue);
    this.rejected.set(port.localKey, list.slice(-REJECTED_KEPT));
    if (!this.redis.worthTrying()) return;
    // Best effort: a copy left behind is recognised as rejected here, and expires with the token anyway.
    this.slotOf(port)
      .then((slot) => this.store.reject(slot, tokenValue))
      .catch(() => undefined);
  }

  status(): TokenSharingStatus {
    const problem = this.redis.outage();
    return {
      mode: 'redis',
      address: this.redis.address,
      ...(problem ? { unavailable: true, problem } : {}),
      text: problem
        ? `shared via Redis at ${this.redis.address}, which ${problem}: this process only until it answers`
        : `shared via Redis at ${this.redis.address}`,
    };
  }

  /** Closes the Redis connection, for every concern that shares it (a process about to exit). */
  close(): Promise<void> {
    return this.redis.close();
  }

  /** Renews in this process without Redis, never with a refresh token another process may hold. */
  private async alone(port: RenewalPort): Promise<Renewed> {
    const held = port.heldRefresh();
    const obtained = await port.obtain(held && !held.shared ? held : undefined, { shared: false });
    return { token: obtained.token, fresh: true };
  }

  private slotOf(port: Pick<RenewalPort, 'connection' | 'localKey'>): Promise<IdentitySlot> {
    let slot = this.slots.get(port.localKey);
    if (!slot) {
      if (this.slots.size >= SLOTS_KEPT) this.slots.clear();
      slot = identitySlot(port.connection);
      this.slots.set(port.localKey, slot);
    }
    return slot;
  }

  private isRejected(port: RenewalPort, tokenValue: string): boolean {
    return this.rejected.get(port.localKey)?.includes(tokenValue) ?? false;
  }

  /** Takes over the shared token when it serves; `undefined` when a renewal is still needed. */
  private adoptIfServing(port: RenewalPort, snapshot: SharedSnapshot): Renewed | undefined {
    const access = snapshot.access;
    if (!access || this.isRejected(port, access.value) || !port.serves(access)) return undefined;
    port.adopt(access, snapshot.refresh);
    return { token: access, fresh: false };
  }

  private async together(port: RenewalPort, slot: IdentitySlot): Promise<Renewed> {
    const waitedOn = new Set<string>();
    const deadline = this.now() + this.maxWaitMs;
    let pause = FIRST_POLL_MS;
    for (;;) {
      const snapshot = await this.store.read(slot);
      const adopted = this.adoptIfServing(port, snapshot);
      if (adopted) return adopted;
      if (snapshot.coolDownMs > 0) port.coolDown(this.now() + snapshot.coolDownMs);
      const failure = snapshot.failure;
      if (failure && (waitedOn.has(failure.owner) || CONFIGURATION_FAILURES.has(failure.code))) throw rebuilt(failure);
      if (!snapshot.leaseOwner) {
        const owner = await this.store.acquire(slot, this.leaseTtlMs);
        if (owner) return this.asHolder(port, slot, owner);
        continue; // taken a moment ago: the next read says by whom
      }
      waitedOn.add(snapshot.leaseOwner);
      // The holder keeps its lease alive: this long means the provider is very slow, not that the holder died.
      if (this.now() >= deadline) return this.alone(port);
      await sleep(pause);
      pause = Math.min(MAX_POLL_MS, Math.round(pause * 1.5));
    }
  }

  private async asHolder(port: RenewalPort, slot: IdentitySlot, owner: string): Promise<Renewed> {
    const keepAlive = setInterval(() => {
      this.store.extend(slot, owner, this.leaseTtlMs).catch(() => undefined);
    }, this.leaseTtlMs / 3);
    keepAlive.unref();
    try {
      // Between the read that found no token and the lease, another holder may have published.
      const snapshot = await this.store.read(slot);
      const adopted = this.adoptIfServing(port, snapshot);
      if (adopted) return adopted;
      const onCoolDown = (untilMs: number): void => {
        this.store.coolDown(slot, untilMs - this.now()).catch(() => undefined);
      };
      let obtained;
      try {
        obtained = await port.obtain(this.newestRefresh(port, snapshot), { shared: true, onCoolDown });
      } catch (err) {
        if (isEoError(err)) await this.store.fail(slot, failureOf(err, owner), FAILURE_TTL_MS).catch(() => undefined);
        throw err;
      }
      // The token is ours whatever Redis does now: a failed publish only costs the others a request.
      await this.store.publish(slot, obtained.token, obtained.refresh, snapshot.refreshGeneration).catch(() => undefined);
      return { token: obtained.token, fresh: true };
    } finally {
      clearInterval(keepAlive);
      await this.store.release(slot, owner).catch(() => undefined);
    }
  }

  /** The chain's newest refresh token: the shared one, else (Redis restarted empty) the one held here. Safe: we hold the lease. */
  private newestRefresh(port: RenewalPort, snapshot: SharedSnapshot): RefreshRecord | undefined {
    if (snapshot.refresh && port.refreshUsable(snapshot.refresh)) return snapshot.refresh;
    const held = port.heldRefresh();
    return held && port.refreshUsable(held) ? held : undefined;
  }
}
