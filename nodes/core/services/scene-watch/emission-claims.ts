/**
 * Who emits a scene. One watch in one process decides alone, from its cursor; several copies of
 * the same flow (Node-RED behind a load balancer, one per machine) would each emit every scene.
 * The decision therefore goes through this small interface: the in-process claims below serve a
 * single process, and a store shared by the copies (Redis) can take their place without any
 * change to the nodes.
 */

/** A scene in the version a watch is about to emit: its id and its `updated` time ('' when none). */
export interface SceneVersion {
  id: string;
  updated: string;
}

/** Decides, across everyone running the same watch, who emits a scene version. */
export interface EmissionClaims {
  /**
   * Claims `versions` for the watch `watch`. Resolves to the versions this caller won: the ones
   * nobody claimed before. A claim may be forgotten after `keepUntil` (epoch ms), when the scene
   * has left the look-back window and can no longer be found. A store that cannot be reached
   * rejects; the watch then emits what its own cursor says, rather than nothing.
   */
  claim(watch: string, versions: readonly SceneVersion[], keepUntil: number): Promise<SceneVersion[]>;
}

/** Claims held at most by the in-process store, whatever the number of watches. */
const MAX_CLAIMS = 100_000;

function versionKey(watch: string, v: SceneVersion): string {
  return `${watch}\u0000${v.id}\u0000${v.updated}`;
}

/**
 * Claims kept in this process's memory: the first caller of a version wins until `keepUntil`.
 * Bounded: expired claims go first, and past {@link MAX_CLAIMS} the oldest.
 *
 * @example
 * const won = await new InProcessEmissionClaims().claim(key, [{ id, updated }], Date.now() + 72 * 3600_000);
 */
export class InProcessEmissionClaims implements EmissionClaims {
  /** Version key → keepUntil; a Map keeps insertion order, so the first entries are the oldest. */
  private readonly claims = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(watch: string, versions: readonly SceneVersion[], keepUntil: number): Promise<SceneVersion[]> {
    this.prune();
    const won: SceneVersion[] = [];
    for (const v of versions) {
      const key = versionKey(watch, v);
      if (this.claims.has(key)) continue;
      this.claims.set(key, keepUntil);
      won.push(v);
    }
    return won;
  }

  /** Claims held now. */
  get size(): number {
    return this.claims.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, until] of this.claims) if (until <= now) this.claims.delete(key);
    for (const key of this.claims.keys()) {
      if (this.claims.size <= MAX_CLAIMS) break;
      this.claims.delete(key);
    }
  }
}

const SHARED_CLAIMS_KEY = Symbol.for('eo-nodes.emission-claims.v1');

/**
 * The claims of this process, shared by every copy of this module (the same reason as for the
 * token cache: Node-RED and n8n may load the package twice).
 */
export function sharedEmissionClaims(): EmissionClaims {
  const holder = globalThis as typeof globalThis & { [SHARED_CLAIMS_KEY]?: EmissionClaims };
  return (holder[SHARED_CLAIMS_KEY] ??= new InProcessEmissionClaims());
}
