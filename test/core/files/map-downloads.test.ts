/** Many downloads at once: results in the items' order, each handed over when it is there, the first failure cancelling the rest. */
import { mapDownloads } from '../../../nodes/core/files/map-downloads';
import { resolveConnection } from '../../../nodes/core/config/connection';

const connection = resolveConnection({ provider: 'terrascope', username: 'me', password: 'pw', maxConnections: 2 });
const later = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

test('returns results in the items order, hands each over in completion order, and runs twice the cap at most', async () => {
  let running = 0;
  let most = 0;
  const seen: string[] = [];
  const delays = [60, 10, 40, 5, 30, 20, 1, 50];
  const results = await mapDownloads(
    delays.map((ms, i) => ({ ms, name: `item-${i}` })),
    { connection, onResult: (r: string) => seen.push(r) },
    async (item, _i, signal) => {
      running += 1;
      most = Math.max(most, running);
      await later(item.ms, signal);
      running -= 1;
      return item.name;
    },
  );
  expect(results).toEqual(delays.map((_, i) => `item-${i}`));
  expect(seen).toHaveLength(8);
  expect(seen).not.toEqual(results);
  // The first four start together; the shortest of them (5 ms) is first to be handed over.
  expect(seen[0]).toBe('item-3');
  expect(most).toBe(4);
});

test('the first failure cancels the others and is what the caller sees', async () => {
  const cancelled: number[] = [];
  const started: number[] = [];
  const err = await mapDownloads([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { connection }, async (i, _index, signal) => {
    started.push(i);
    if (i === 1) {
      await later(5, signal);
      throw new Error('tile 1 failed');
    }
    try {
      await later(200, signal);
    } catch (e) {
      cancelled.push(i);
      throw e;
    }
    return i;
  }).catch((e: unknown) => e);
  expect((err as Error).message).toBe('tile 1 failed');
  expect(cancelled.sort()).toEqual([0, 2, 3]);
  // Nothing new starts once one failed.
  expect(started).toEqual([0, 1, 2, 3]);
});

test("the caller's signal cancels everything and its reason is thrown", async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('flow stopped')), 10);
  await expect(
    mapDownloads([1, 2, 3], { connection, signal: controller.signal }, async (_i, _index, signal) => {
      await later(500, signal);
    }),
  ).rejects.toThrow('flow stopped');
});
