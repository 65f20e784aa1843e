/** The bookkeeping of parallel ranges: claiming, work stealing, progress, and what a sidecar may restore. */
import { SegmentPlan } from '../../../nodes/core/files/segment-plan';

const MIB = 1024 * 1024;

test('a whole file is one range; a joining connection takes the back half of what is left, on a 64 KiB boundary', () => {
  const plan = SegmentPlan.whole(100 * MIB);
  const first = plan.claimFree()!;
  expect(first).toMatchObject({ start: 0, end: 100 * MIB, done: 0 });
  expect(plan.claimFree()).toBeUndefined();
  plan.arrived(first, 10 * MIB);
  plan.written(first, 10 * MIB);
  const second = plan.split(8 * MIB)!;
  // 90 MiB left after the first 10: the new range starts 45 MiB further.
  expect(second).toMatchObject({ start: 55 * MIB, end: 100 * MIB, done: 0 });
  expect(first.end).toBe(55 * MIB);
  expect(second.start % (64 * 1024)).toBe(0);
  // The next split halves the larger of the two remainders (45 MiB each: the first one found).
  const third = plan.split(8 * MIB)!;
  expect(third.start).toBeGreaterThan(10 * MIB);
  expect(third.end).toBe(55 * MIB);
  expect(plan.toJSON().map((s) => [s.start, s.end])).toEqual([
    [0, third.start],
    [third.start, 55 * MIB],
    [55 * MIB, 100 * MIB],
  ]);
});

test('a split counts the bytes that arrived, not only those on disk, and never makes a range below the minimum', () => {
  const plan = SegmentPlan.whole(40 * MIB);
  const only = plan.claimFree()!;
  plan.arrived(only, 20 * MIB);
  plan.written(only, 4 * MIB);
  const tail = plan.split(8 * MIB)!;
  expect(tail.start).toBeGreaterThanOrEqual(30 * MIB);
  plan.arrived(only, 9 * MIB);
  // 29 MiB arrived of a range ending near 30: nothing worth taking.
  expect(plan.split(8 * MIB)).toBeUndefined();
  expect(SegmentPlan.whole(15 * MIB).split(8 * MIB)).toBeUndefined();
});

test('progress, completion, and a range given back is fetched again from its last byte on disk', () => {
  const plan = SegmentPlan.whole(32 * MIB, 2 * MIB);
  const a = plan.claimFree()!;
  expect(plan.bytesDone()).toBe(2 * MIB);
  plan.arrived(a, 4 * MIB);
  const b = plan.split(4 * MIB)!;
  plan.arrived(b, 3 * MIB);
  plan.written(b, 1 * MIB);
  plan.letGo(b);
  const again = plan.claimFree()!;
  expect(again).toBe(b);
  expect(again.start + again.done).toBe(b.start + MIB);
  plan.written(a, a.end - a.start - a.done);
  expect(plan.complete()).toBe(false);
  plan.written(b, b.end - b.start - b.done);
  expect(plan.complete()).toBe(true);
  expect(plan.bytesDone()).toBe(32 * MIB);
});

test('a sidecar restores only ranges that cover the file exactly', () => {
  const saved = [
    { start: 0, end: 10, done: 10 },
    { start: 10, end: 30, done: 5 },
  ];
  const plan = SegmentPlan.restore(30, saved)!;
  expect(plan.toJSON()).toEqual(saved);
  expect(plan.bytesDone()).toBe(15);
  expect(plan.claimFree()).toMatchObject({ start: 10, done: 5 });
  for (const bad of [
    [{ start: 0, end: 10, done: 10 }],
    [
      { start: 0, end: 10, done: 11 },
      { start: 10, end: 30, done: 0 },
    ],
    [
      { start: 0, end: 10, done: 0 },
      { start: 12, end: 30, done: 0 },
    ],
    [
      { start: 0, end: 20, done: 0 },
      { start: 10, end: 30, done: 0 },
    ],
    [{ start: 0, end: 30, done: -1 }],
    [{ start: 0, end: 30, done: '3' }],
    [],
    'ranges',
  ]) {
    expect(SegmentPlan.restore(30, bad)).toBeUndefined();
  }
});
