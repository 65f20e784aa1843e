/**
 * The byte ranges of one file fetched over several connections at once: which parts are on disk,
 * which a connection is fetching, and where a newly free connection should start. The plan is
 * pure bookkeeping (no I/O), saved in the download's sidecar so a restart resumes every range.
 *
 * A connection that becomes free takes a range nobody holds; when there is none, it takes the back
 * half of the range with the most bytes left (work stealing), so all connections finish together
 * however their speeds differ. The connection that held that range stops at the new end.
 */

/** One range of the file, `[start, end)`, of which the first `done` bytes are on disk. */
export interface Segment {
  start: number;
  end: number;
  done: number;
}

/** A segment while a download runs: who holds it and how far its bytes have arrived. */
interface LiveSegment extends Segment {
  held: boolean;
  /** Bytes from `start` that arrived (on disk or on their way there): a split starts after them. */
  received: number;
}

/** Splits happen on boundaries of this size, so ranges stay readable in the sidecar. */
const ALIGN = 64 * 1024;

/** The ranges of a file of `total` bytes. */
export class SegmentPlan {
  private readonly segments: LiveSegment[];

  private constructor(
    readonly total: number,
    segments: Segment[],
  ) {
    this.segments = segments.map((s) => ({ ...s, held: false, received: s.done }));
  }

  /** One range over the whole file, `done` bytes of it already on disk (a `.part` being continued). */
  static whole(total: number, done = 0): SegmentPlan {
    return new SegmentPlan(total, [{ start: 0, end: total, done: Math.min(done, total) }]);
  }

  /**
   * The plan a sidecar recorded, or undefined when it does not describe `total` bytes exactly:
   * ranges in order, without gaps or overlaps, each `done` within its range.
   */
  static restore(total: number, saved: unknown): SegmentPlan | undefined {
    if (!Array.isArray(saved) || saved.length === 0 || !Number.isSafeInteger(total) || total <= 0) return undefined;
    let at = 0;
    const segments: Segment[] = [];
    for (const item of saved) {
      const s = item as Partial<Segment>;
      if (![s.start, s.end, s.done].every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) return undefined;
      const { start, end, done } = s as Segment;
      if (start !== at || end <= start || done > end - start) return undefined;
      segments.push({ start, end, done });
      at = end;
    }
    return at === total ? new SegmentPlan(total, segments) : undefined;
  }

  /** What the sidecar keeps: every range and its bytes on disk. */
  toJSON(): Segment[] {
    return this.segments.map(({ start, end, done }) => ({ start, end, done }));
  }

  /** Bytes on disk over all ranges. */
  bytesDone(): number {
    return this.segments.reduce((sum, s) => sum + s.done, 0);
  }

  /** True when every range is on disk. */
  complete(): boolean {
    return this.segments.every((s) => s.done === s.end - s.start);
  }

  /** The first range nobody holds that still has bytes to fetch, now held. */
  claimFree(): Segment | undefined {
    const free = this.segments.find((s) => !s.held && s.done < s.end - s.start);
    if (free) {
      free.held = true;
      free.received = free.done;
    }
    return free;
  }

  /**
   * Takes the back half of the held range with the most bytes left, when that half is at least
   * `minBytes`: the new range is returned held, and the range it came from ends where it starts.
   */
  split(minBytes: number): Segment | undefined {
    let victim: LiveSegment | undefined;
    let most = 0;
    for (const s of this.segments) {
      const left = s.end - (s.start + s.received);
      if (s.held && left > most) {
        victim = s;
        most = left;
      }
    }
    if (!victim || most < 2 * Math.max(minBytes, ALIGN)) return undefined;
    const from = victim.start + victim.received;
    const mid = Math.ceil((from + most / 2) / ALIGN) * ALIGN;
    if (mid - from < minBytes || victim.end - mid < minBytes) return undefined;
    const taken: LiveSegment = { start: mid, end: victim.end, done: 0, held: true, received: 0 };
    victim.end = mid;
    this.segments.splice(this.segments.indexOf(victim) + 1, 0, taken);
    return taken;
  }

  /** `bytes` of `segment` arrived from the network (not yet on disk): a split starts after them. */
  arrived(segment: Segment, bytes: number): void {
    const live = segment as LiveSegment;
    live.received += bytes;
  }

  /** `bytes` of `segment` reached the disk. */
  written(segment: Segment, bytes: number): void {
    segment.done += bytes;
  }

  /** The range is given back (its connection stopped): bytes that arrived but were not written are fetched again. */
  letGo(segment: Segment): void {
    const live = segment as LiveSegment;
    live.held = false;
    live.received = live.done;
  }
}
