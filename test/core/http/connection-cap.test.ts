/** The per-account connection cap: never above its window, first come first served, AIMD on refusals, one cap per identity. */
import { ConnectionCap, ConnectionCaps, type ConnectionSlot } from '../../../nodes/core/http/connection-cap';
import { resolveConnection } from '../../../nodes/core/config/connection';

afterEach(() => jest.useRealTimers());

/** Lets queued grants settle. */
const settle = () => new Promise((r) => setImmediate(r));

function tracked(cap: ConnectionCap) {
  const granted: string[] = [];
  const slots = new Map<string, ConnectionSlot>();
  const ask = (name: string, priority?: 'normal' | 'resume' | 'spare', signal?: AbortSignal) =>
    cap.acquire(signal, priority).then((slot) => {
      granted.push(name);
      slots.set(name, slot);
      return slot;
    });
  return { granted, slots, ask };
}

test('never grants more than the cap, in the order asked, and each release lets the next one in', async () => {
  const cap = new ConnectionCap(2);
  const { granted, slots, ask } = tracked(cap);
  for (const name of ['a', 'b', 'c', 'd', 'e']) void ask(name);
  await settle();
  expect(granted).toEqual(['a', 'b']);
  expect(cap.state()).toMatchObject({ active: 2, waiting: 3, limit: 2 });
  slots.get('b')!.release(true);
  slots.get('b')!.release(true); // a second release of one slot changes nothing
  await settle();
  expect(granted).toEqual(['a', 'b', 'c']);
  expect(cap.state().active).toBe(2);
  for (const name of ['a', 'c']) slots.get(name)!.release(true);
  await settle();
  expect(granted).toEqual(['a', 'b', 'c', 'd', 'e']);
  expect(cap.state().peakActive).toBe(2);
});

test('a refusal halves the window once per overload, pauses for Retry-After, and successes grow it back', async () => {
  jest.useFakeTimers();
  const cap = new ConnectionCap(4);
  const { granted, slots, ask } = tracked(cap);
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) void ask(name);
  await jest.advanceTimersByTimeAsync(0);
  expect(granted).toEqual(['a', 'b', 'c', 'd']);

  // Two requests refused by the same overload: one halving, not two.
  slots.get('c')!.refused(2_000);
  slots.get('d')!.refused(2_000);
  expect(cap.state()).toMatchObject({ limit: 2, active: 2, refusals: 2 });
  // Nothing starts during the pause, even once connections are free.
  slots.get('a')!.release(true);
  slots.get('b')!.release(true);
  await jest.advanceTimersByTimeAsync(1_900);
  expect(granted).toHaveLength(4);
  expect(cap.state().pausedUntil).toBeDefined();
  await jest.advanceTimersByTimeAsync(200);
  expect(granted).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  expect(cap.state().active).toBe(2);

  // A refusal of a request started after the halving is a new overload: halve again.
  slots.get('e')!.refused(0);
  expect(cap.state().limit).toBe(1);
  await jest.advanceTimersByTimeAsync(100);

  // Successes add 1/window each: back to 4 connections after a few.
  let served = 0;
  slots.get('f')!.release(true);
  await jest.advanceTimersByTimeAsync(0);
  while (cap.state().limit < 4 && served < 50) {
    const slot = await cap.acquire();
    slot.release(true);
    served += 1;
  }
  expect(cap.state().limit).toBe(4);
  expect(served).toBeGreaterThanOrEqual(4);
  expect(served).toBeLessThanOrEqual(10);
  expect(granted).toContain('g');
});

test('a refused request waits in front of the others; a spare request only takes a connection nobody waits for', async () => {
  const cap = new ConnectionCap(1);
  const { granted, slots, ask } = tracked(cap);
  void ask('first');
  await settle();
  void ask('spare', 'spare');
  expect(cap.wanted()).toBe(false); // only a spare request waits
  void ask('normal');
  expect(cap.wanted()).toBe(true);
  void ask('again', 'resume');
  expect(cap.trySpare()).toBeUndefined();
  slots.get('first')!.release(false);
  await settle();
  expect(granted).toEqual(['first', 'again']);
  slots.get('again')!.release(true);
  await settle();
  expect(granted).toEqual(['first', 'again', 'normal']);
  slots.get('normal')!.release(true);
  await settle();
  expect(granted).toEqual(['first', 'again', 'normal', 'spare']);
  expect(cap.wanted()).toBe(false);
  slots.get('spare')!.release(true);
  const spare = cap.trySpare();
  expect(spare).toBeDefined();
  expect(cap.trySpare()).toBeUndefined();
  spare!.release(true);
});

test('an aborted wait leaves the queue and rejects with the reason', async () => {
  const cap = new ConnectionCap(1);
  const held = await cap.acquire();
  const controller = new AbortController();
  const waiting = cap.acquire(controller.signal);
  expect(cap.state().waiting).toBe(1);
  controller.abort(new Error('stopped'));
  await expect(waiting).rejects.toThrow('stopped');
  expect(cap.state().waiting).toBe(0);
  held.release(true);
  expect(cap.state().active).toBe(0);
});

test('a new setting moves the cap; a window shrunk by refusals stays below it', async () => {
  const cap = new ConnectionCap(4);
  cap.setMax(6);
  expect(cap.state()).toMatchObject({ max: 6, limit: 6 });
  const slot = await cap.acquire();
  slot.refused(0);
  expect(cap.state().limit).toBe(3);
  cap.setMax(8);
  expect(cap.state()).toMatchObject({ max: 8, limit: 3 });
  cap.setMax(2);
  expect(cap.state().limit).toBe(2);
  expect(() => cap.setMax(0)).toThrow(RangeError);
});

test('one cap per identity: the same credentials share it, other credentials have their own, the newest setting sizes it', () => {
  const caps = new ConnectionCaps();
  const settings = { provider: 'terrascope', username: 'me', password: 'pw' };
  const a = resolveConnection(settings);
  const b = resolveConnection({ ...settings, maxConnections: '2' });
  const other = resolveConnection({ ...settings, password: 'another' });
  expect(a.maxConnections).toBe(4);
  expect(caps.capFor(a)).toBe(caps.capFor(b));
  expect(caps.capFor(b).max).toBe(2);
  expect(caps.capFor(other)).not.toBe(caps.capFor(a));
  expect(caps.state(other)).toMatchObject({ max: 4, active: 0 });
});
