/**
 * The cursor in the node's context, in the store the user named. With Node-RED's
 * `localfilesystem` store it survives restarts; with the default memory store a restart starts
 * again as on the first poll. One key per watch identity: a redeploy with the same settings finds
 * its cursor, other settings start a new one, and the cursors of settings no longer used are
 * removed so the context does not grow with every change.
 */
import { EoError } from '../../../core';

/** The part of Node-RED's node context the cursor needs (callback forms, which every store supports). */
export interface NodeContextStore {
  get(key: string, store: string | undefined, callback: (err: Error | null | undefined, value?: unknown) => void): void;
  set(key: string, value: unknown, store: string | undefined, callback: (err?: Error | null) => void): void;
  keys(store: string | undefined, callback: (err: Error | null | undefined, keys?: string[]) => void): void;
}

const PREFIX = 'eo-watch-cursor:';

function storeError(store: string | undefined, err: Error): EoError {
  return new EoError('EO_INVALID_CONFIG', `The context store "${store ?? 'default'}" did not answer: ${err.message}`, {
    field: 'store',
    hint: 'Name a store configured in settings.js (contextStorage), or leave the field empty for the default store.',
    cause: err,
  });
}

/** Reads and writes one watch's cursor. */
export class CursorStore {
  private readonly key: string;

  constructor(
    private readonly context: NodeContextStore,
    watchKey: string,
    private readonly store?: string,
  ) {
    this.key = PREFIX + watchKey;
  }

  load(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      try {
        this.context.get(this.key, this.store, (err, value) => (err ? reject(storeError(this.store, err)) : resolve(value)));
      } catch (err) {
        reject(storeError(this.store, err as Error));
      }
    });
  }

  save(cursor: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        this.context.set(this.key, cursor, this.store, (err) => (err ? reject(storeError(this.store, err)) : resolve()));
      } catch (err) {
        reject(storeError(this.store, err as Error));
      }
    });
  }

  /** Removes the cursors of this node's earlier settings; failures only cost a little space. */
  forgetOthers(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.context.keys(this.store, (err, keys) => {
          const stale = err ? [] : (keys ?? []).filter((k) => k.startsWith(PREFIX) && k !== this.key);
          let left = stale.length;
          if (left === 0) return resolve();
          for (const k of stale) this.context.set(k, undefined, this.store, () => (--left === 0 ? resolve() : undefined));
        });
      } catch {
        resolve();
      }
    });
  }
}
