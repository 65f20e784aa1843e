/**
 * One file fetched over several connections at once, as `Range` requests into one `.part` file.
 *
 * The download's own connection fetches the first range; whenever the account's cap has a
 * connection nobody else waits for (`spare`), another one joins and takes half of the range with
 * the most bytes left (segment-plan.ts). Every range request carries `If-Range` with the version
 * the file started with, and every answer must be a 206 for exactly that range, total size and
 * version: anything else means the file changed, and the download starts over rather than join
 * two versions. A range cut off mid-body is continued from its last byte on disk, and the ranges
 * and their progress are saved in the sidecar, so a restart resumes each of them.
 */
import { open } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EoError } from '../errors';
import type { ConnectionCap, ConnectionSlot } from '../http/connection-cap';
import { isRefusal, mayWaitOut, refusedTooOften } from '../http/refusal';
import type { OutgoingHeaders } from '../http/request-headers';
import { answersVersion, contentRangeOf } from './file-version';
import type { PolicyResponse, SendResult } from '../http/send-authorized';
import type { Connection } from '../config/connection';
import { createFileSink, READ_AHEAD_BYTES } from './file-sink';
import type { Segment, SegmentPlan } from './segment-plan';

/** How one range request ended. */
export type RangeOutcome = { kind: 'restart' } | { kind: 'range'; clean: boolean };

/** What a segmented run needs from the download it belongs to. */
export interface SegmentedRun {
  connection: Connection;
  plan: SegmentPlan;
  part: string;
  /** Sent as If-Range with every range, and required of every answer: the version the `.part` holds. */
  validator: string;
  cap: ConnectionCap;
  /** The connection the download already holds; the run gives it back. */
  primary: ConnectionSlot;
  /**
   * The first answer, already open, and the range it fills (the download's own first request);
   * `fresh` when the `.part` starts over with it (its bytes go from offset 0 into an emptied file).
   */
  first?: { segment: Segment; res: PolicyResponse; fresh: boolean };
  /** Sends one ranged GET under the download's request policy; 429 comes back as an error. */
  send(
    headers: OutgoingHeaders,
    handle: (res: PolicyResponse) => Promise<RangeOutcome>,
    signal: AbortSignal,
  ): Promise<SendResult<RangeOutcome>>;
  signal?: AbortSignal;
  /** Cuts each range may be continued after, before the download gives up. */
  maxResumes: number;
  /** A connection that joins takes at least this many bytes. */
  minSegmentBytes: number;
  /** Records the plan in the sidecar. */
  save(plan: SegmentPlan): Promise<void>;
  /** Bytes on disk so far, over all ranges. */
  onProgress(bytes: number): void;
  /** `false` for a temporary file: nothing is flushed to disk early. */
  durable?: boolean;
}

/** How a segmented run ended, when it did not throw. */
export interface SegmentedResult {
  /** Every range is on disk. */
  complete: boolean;
  /** The server sent another version: the `.part` must start over. */
  restart: boolean;
  /** HTTP requests sent, redirects and retries included. */
  attempts: number;
  /** Ranges continued after a cut. */
  resumed: number;
  /** The most connections the run used at once. */
  connections: number;
  /** Bytes on disk when it ended, over all ranges. */
  bytes: number;
}

/** The sidecar is rewritten at least this often while ranges run (and whenever one ends). */
const SAVE_EVERY_MS = 1_000;
/**
 * ... and whenever this many bytes arrived since the last write: on a fast link a second is
 * hundreds of MiB, which a process killed before the timer fired would otherwise fetch again.
 */
const SAVE_EVERY_BYTES = 8 * 2 ** 20;

/**
 * Passes a range's bytes on until the range's end, which may move closer while they flow (another
 * connection took the rest); then ends, and the source is let go.
 */
function rangeGate(plan: SegmentPlan, segment: Segment, from: number, onEnd: () => void): Transform & { reachedEnd: boolean } {
  let position = from;
  const gate = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const allowed = segment.end - position;
      if (allowed <= 0) {
        done();
        return;
      }
      const piece = chunk.length > allowed ? chunk.subarray(0, allowed) : chunk;
      position += piece.length;
      plan.arrived(segment, piece.length);
      done(null, piece);
      if (position >= segment.end && !gate.reachedEnd) {
        gate.reachedEnd = true;
        queueMicrotask(onEnd);
      }
    },
  }) as Transform & { reachedEnd: boolean };
  gate.reachedEnd = false;
  return gate;
}

/** Runs `run` to its end: the file complete, restarted, or given up (see {@link SegmentedResult}); throws what must fail the download. */
export async function downloadSegments(run: SegmentedRun): Promise<SegmentedResult> {
  const { plan, cap } = run;
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort(run.signal?.reason);
  if (run.signal?.aborted) onOuterAbort();
  else run.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const result: SegmentedResult = { complete: false, restart: false, attempts: 0, resumed: 0, connections: 1, bytes: 0 };
  let failure: { error: unknown } | undefined;
  let givenUp = false;
  let running = 0;
  const workers = new Set<Promise<void>>();

  // One sidecar write at a time, the newest state last.
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => (saving = saving.then(() => run.save(plan)).catch(() => undefined));
  const timer = setInterval(() => void save(), SAVE_EVERY_MS);
  timer.unref();
  let unsavedBytes = 0;
  const saveAfter = (bytes: number): void => {
    unsavedBytes += bytes;
    if (unsavedBytes < SAVE_EVERY_BYTES) return;
    unsavedBytes = 0;
    void save();
  };

  /** Ends the run for every connection: a failure, a restart or an incomplete range. */
  const halt = (why: 'failure' | 'restart' | 'incomplete', error?: unknown): void => {
    if (why === 'failure' && !failure && !stop.signal.aborted) failure = { error };
    if (why === 'restart') result.restart = true;
    if (why === 'incomplete') givenUp = true;
    if (!stop.signal.aborted) stop.abort(new Error(`segmented download stopped (${why})`));
  };

  /** Streams one answer into the range, from `from`; resolves once its bytes are on disk. */
  const receive = async (res: PolicyResponse, segment: Segment, from: number, fresh = false): Promise<RangeOutcome> => {
    let sourceError: unknown;
    const body = res.body as Readable;
    body.on('error', (err: unknown) => {
      sourceError ??= err;
    });
    const gate = rangeGate(plan, segment, from, () => {
      // The range is complete (or another connection took its rest): this answer is not needed further.
      body.unpipe(gate);
      gate.end();
      body.destroy();
    });
    body.once('close', () => {
      if (!body.readableEnded && !gate.writableEnded) gate.end();
    });
    body.pipe(gate);
    const sink = createFileSink(run.part, {
      flags: fresh ? 'w' : 'r+',
      start: from,
      highWaterMark: READ_AHEAD_BYTES,
      durable: run.durable,
      onWritten: (bytes) => {
        plan.written(segment, bytes);
        saveAfter(bytes);
        run.onProgress(plan.bytesDone());
      },
    });
    const writing = pipeline(gate, sink, { signal: stop.signal });
    writing.catch(() => body.destroy());
    await writing;
    return { kind: 'range', clean: gate.reachedEnd || sourceError === undefined };
  };

  /** Checks that an answer continues this range of this version, then receives it. */
  const receiveRange = async (res: PolicyResponse, segment: Segment, from: number): Promise<RangeOutcome> => {
    // Each range must come from the version the .part holds: a server or cache that ignores
    // If-Range answers a changed file with a 206 too.
    const range = contentRangeOf(res.headers);
    if (res.statusCode !== 206 || range?.start !== from || range.total !== plan.total || !answersVersion(run.validator, res.headers)) {
      res.body.on('error', () => undefined);
      res.body.destroy();
      return { kind: 'restart' };
    }
    return receive(res, segment, from);
  };

  /** One connection of the run, the range it works on, and the refusals it waited out. */
  interface Worker {
    slot: ConnectionSlot;
    /** The download's own connection keeps going after a refusal; a joined one leaves. */
    persistent: boolean;
    refusals: number;
  }

  /**
   * Fetches `segment` until its end (which may move), continuing after cuts; `opened` is an answer
   * already received for it. Returns false when the server refused and this connection left.
   */
  const fetchSegment = async (worker: Worker, segment: Segment, opened?: PolicyResponse): Promise<boolean> => {
    let cuts = 0;
    for (let first = true; ; first = false) {
      const from = segment.start + segment.done;
      if (stop.signal.aborted) return true;
      if (!first || !opened) {
        if (from >= segment.end) return true;
        if (!first) {
          if (++cuts > run.maxResumes) {
            halt('incomplete');
            return true;
          }
          result.resumed += 1;
          // The sidecar learns at once how far this range got, should the process end now.
          void save();
        }
      }
      let outcome: RangeOutcome;
      try {
        if (first && opened) outcome = await receive(opened, segment, from, run.first?.fresh === true && from === 0);
        else {
          const sent = await run.send(
            { range: `bytes=${from}-${segment.end - 1}`, 'if-range': run.validator },
            (res) => receiveRange(res, segment, from),
            stop.signal,
          );
          result.attempts += sent.attempts;
          outcome = sent.value;
        }
      } catch (err) {
        if (stop.signal.aborted) return true;
        if (!isRefusal(err, run.connection)) throw err;
        result.attempts += 1;
        worker.slot.refused(err.retryAfterMs);
        if (!worker.persistent) {
          plan.letGo(segment);
          return false;
        }
        worker.refusals += 1;
        if (!mayWaitOut(err, worker.refusals)) throw refusedTooOften(err as EoError, worker.refusals);
        worker.slot = await cap.acquire(stop.signal, 'resume');
        cuts -= 1; // a refusal is not a cut: the same range is asked for again
        continue;
      }
      if (outcome.kind === 'restart') {
        halt('restart');
        return true;
      }
    }
  };

  /** One connection: its range, then more work while there is some; gives its connection back at the end. */
  const work = async (worker: Worker, segment: Segment | undefined, opened?: PolicyResponse): Promise<void> => {
    running += 1;
    result.connections = Math.max(result.connections, running);
    try {
      let next = segment;
      let answer = opened;
      while (next && !stop.signal.aborted) {
        const kept = await fetchSegment(worker, next, answer);
        answer = undefined;
        void save();
        // A joined connection was only ever spare: other downloads waiting for it come first.
        if (!kept || (!worker.persistent && cap.wanted())) return;
        next = plan.claimFree() ?? plan.split(run.minSegmentBytes);
      }
    } catch (err) {
      halt('failure', err);
    } finally {
      running -= 1;
      worker.slot.release(!failure);
    }
  };

  /** Connections join while the cap has spare ones and there is a range worth splitting. */
  const recruit = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      let slot: ConnectionSlot;
      try {
        slot = await cap.acquire(stop.signal, 'spare');
      } catch {
        return;
      }
      const segment = plan.claimFree() ?? plan.split(run.minSegmentBytes);
      if (!segment) {
        slot.release(false);
        return;
      }
      const helper = work({ slot, persistent: false, refusals: 0 }, segment);
      workers.add(helper);
      void helper.finally(() => workers.delete(helper));
    }
  };

  /** The download's own connection: its first range, then more work, again while a range was given back. */
  const primary = async (): Promise<void> => {
    let slot = run.primary;
    let first: { segment?: Segment; res?: PolicyResponse } = run.first ?? { segment: plan.claimFree() };
    try {
      for (;;) {
        await work({ slot, persistent: true, refusals: 0 }, first.segment, first.res);
        while (workers.size > 0) await Promise.all([...workers]);
        if (stop.signal.aborted || plan.complete()) return;
        // A joined connection was refused and gave its range back after this one had finished.
        slot = await cap.acquire(stop.signal, 'resume');
        first = { segment: plan.claimFree() };
      }
    } catch (err) {
      if (!stop.signal.aborted) halt('failure', err);
    }
  };

  // The first answer is read at once: a body left unread while the sidecar is written would pause
  // its connection, and undici must not see a paused connection closed (nodejs/undici#5360).
  const primaryDone = primary();
  let recruiting: Promise<void> = Promise.resolve();
  try {
    // Before any other connection writes at its offset, the .part exists and the sidecar describes
    // the ranges: a .part with gaps must never be taken for one filled from the start.
    await (await open(run.part, 'a')).close();
    // This save must succeed (unlike the progress saves, whose failure only under-reports): a
    // sidecar without the ranges would let the next run take the gaps for bytes on disk.
    const describing = saving.then(() => run.save(plan));
    saving = describing.catch(() => undefined);
    await describing;
    recruiting = recruit();
    await primaryDone;
  } catch (err) {
    halt('failure', err);
  } finally {
    stop.abort(new Error('segmented download done'));
    run.signal?.removeEventListener('abort', onOuterAbort);
    clearInterval(timer);
    await primaryDone;
    await recruiting;
    while (workers.size > 0) await Promise.all([...workers]);
    await save();
  }
  if (failure) throw failure.error;
  if (run.signal?.aborted) throw run.signal.reason;
  result.complete = !result.restart && !givenUp && plan.complete();
  result.bytes = plan.bytesDone();
  return result;
}
