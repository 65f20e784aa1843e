/**
 * Who emits a scene. One watch in one process decides alone, from its cursor; several copies of
 * the same flow (Node-RED behind a load balancer, one per machine) would each emit every scene.
 * The decision therefore goes through this small interface: the in-process claims below serve a
 * single process, and the Redis claims (redis-emission-claims.ts) serve every process that shares
 * one Redis (`EO_REDIS_URL`), without any change to the nodes.
 *
 * A claim is per scene, not per version: it holds the `updated` time last claimed, and a version
 * wins only over an older one. So a republished scene is emitted once more, once in total; a
 * copy that sees an older version late (a lagging catalogue replica) cannot win it back; and a copy
 * that first meets a scene in a version another copy replaced learns that it is an update.
 */
import { isNewer } from './cursor';

/** A scene in the version a watch is about to emit: its id and its `updated` time ('' when none). */
export interface SceneVersion {
  id: string;
  updated: string;
}

/** A version a caller won. */
export interface ClaimedVersion extends SceneVersion {
  /**
   * The version it replaced (an `updated` time, '' for one without), when a version of this scene
   * was claimed before, by this copy or another: the scene is then an update for everybody,
   * whatever this copy's cursor says.
   */
  replaced?: string;
}

/** Decides, across everyone running the same watch, who emits a scene version. */
export interface EmissionClaims {
  /**
   * Claims `versions` for the watch `watch` (one version per scene). Resolves to the versions this
   * caller won: those whose scene nobody claimed before, or only in an older version. A claim may
   * be forgotten after `keepUntil` (epoch ms), when the scene has left the look-back window and
   * can no longer be found. A store that cannot be reached rejects; the watch then emits what its
   * own cursor says, rather than nothing.
   */
  claim(watch: string, versions: readonly SceneVersion[], keepUntil: number): Promise<ClaimedVersion[]>;
  /**
   * Gives back versions that `claim` won but that will not be emitted after all (the poll was
   * stopped between the claim and the emission): each scene goes back to the version it replaced,
   * unless a newer one was claimed meanwhile. A store that cannot be reached rejects, and gives
   * them back before the watch's next claim instead.
   */
  release(watch: string, claimed: readonly ClaimedVersion[]): Promise<void>;
}

/** Claims held at most by the in-process store, whatever the number of watches. */
const MAX_CLAIMS = 100_000;

/** One scene's claim: the version last claimed and until when it is kept. */
interface Held {
  updated: string;
  keepUntil: number;
}

function sceneKey(watch: string, id: string): string {
  return `${watch}\u0000${id}`;
}

/**
 * Claims kept in this process's memory. Bounded: expired claims go first, and past
 * {@link MAX_CLAIMS} the oldest.
 *
 * @example
 * const won = await new InProcessEmissionClaims().claim(key, [{ id, updated }], Date.now() + 72 * 3600_000);
 */
export class InProcessEmissionClaims implements EmissionClaims {
  /** Scene key → its claim; a Map keeps insertion order, so the first entries are the oldest. */
  private readonly claims = new Map<string, Held>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(watch: string, versions: readonly SceneVersion[], keepUntil: number): Promise<ClaimedVersion[]> {
    this.prune();
    const won: ClaimedVersion[] = [];
    for (const v of versions) {
      const key = sceneKey(watch, v.id);
      const held = this.claims.get(key);
      if (held && !isNewer(v.updated, held.updated)) continue;
      this.claims.delete(key);
      this.claims.set(key, { updated: v.updated, keepUntil: Math.max(keepUntil, held?.keepUntil ?? 0) });
      won.push(held ? { ...v, replaced: held.updated } : { ...v });
    }
    return won;
  }

  async release(watch: string, claimed: readonly ClaimedVersion[]): Promise<void> {
    for (const c of claimed) {
      const key = sceneKey(watch, c.id);
      const held = this.claims.get(key);
      if (held?.updated !== c.updated) continue;
      if (c.replaced === undefined) this.claims.delete(key);
      else held.updated = c.replaced;
    }
  }

  /** Scenes claimed now. */
  get size(): number {
    return this.claims.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, held] of this.claims) if (held.keepUntil <= now) this.claims.delete(key);
    for (const key of this.claims.keys()) {
      if (this.claims.size <= MAX_CLAIMS) break;
      this.claims.delete(key);
    }
  }
}
