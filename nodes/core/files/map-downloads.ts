/**
 * Many downloads for one account at once (WorldCover tiles, n8n items), as many as its connection
 * cap lets run: each result is handed over the moment it is there (completion order), and all of
 * them come back in the order they were given. The first failure cancels the others.
 *
 * A few more downloads are under way than the cap has connections: between two requests a
 * download holds none (flushing its file to disk, waiting out a backoff), and the next one should
 * use that connection meanwhile. The cap itself (connection-cap.ts) keeps the connections at or
 * under the limit, across every node and flow of the process.
 *
 * Hand-written rather than p-map or p-limit: those ship as ES modules only, which the CommonJS
 * build of this package cannot load on Node 20, and this needs a signal per item besides.
 */
import type { Connection } from '../config/connection';

/** Options of {@link mapDownloads}. */
export interface MapDownloadsOptions<T, R> {
  /** Whose cap sizes the batch (its `maxConnections`). */
  connection: Connection;
  /** Cancels whatever has not finished. */
  signal?: AbortSignal;
  /** Told of each result as soon as it is there, in completion order. */
  onResult?: (result: R, item: T, index: number) => void;
}

/** Downloads under way per connection of the cap. */
const PER_CONNECTION = 2;

/**
 * Runs `download` for every item, several at once, and returns the results in the items' order.
 * The signal `download` gets ends when the caller cancels or another item failed.
 *
 * @example
 * await mapDownloads(tiles, { connection, signal, onResult: (r, tile) => send(tile, r) },
 *   (tile, i, signal) => downloadToFile({ connection, tokens, url: tile.url, directory, signal }));
 * @throws the first error of any item (the others are cancelled and awaited first), or the signal's reason.
 */
export async function mapDownloads<T, R>(
  items: readonly T[],
  options: MapDownloadsOptions<T, R>,
  download: (item: T, index: number, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) throw options.signal.reason;
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const results = new Array<R>(items.length);
  let failure: { error: unknown } | undefined;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && !stop.signal.aborted) {
      const index = next++;
      try {
        const result = await download(items[index], index, stop.signal);
        results[index] = result;
        if (!stop.signal.aborted) options.onResult?.(result, items[index], index);
      } catch (err) {
        // A cancellation after the first failure (or the caller's) is its echo, not news.
        if (!failure && !stop.signal.aborted) failure = { error: err };
        stop.abort(err);
      }
    }
  };
  try {
    const lanes = Math.max(1, Math.min(items.length, options.connection.maxConnections * PER_CONNECTION));
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (options.signal?.aborted) throw options.signal.reason;
  if (failure) throw failure.error;
  return results;
}
