/** Progress reports for long transfers, throttled so a fast download does not flood a flow. */

export interface DownloadProgress {
  /** Bytes on disk so far (a resumed download starts from what the `.part` file held). */
  bytes: number;
  /** Expected size, when the server announced it. */
  total?: number;
  /** 0..100 with one decimal, when `total` is known. */
  percent?: number;
}

/**
 * Wraps `report` so it fires at most every `intervalMs`, or sooner when the percentage moved by
 * at least one point; `flush()` sends the last state whatever the throttle says.
 */
export function throttledProgress(
  report: ((p: DownloadProgress) => void) | undefined,
  intervalMs = 250,
  now: () => number = Date.now,
): { update(bytes: number, total?: number): void; flush(): void } {
  let lastTime = -Infinity;
  let lastPercent = -Infinity;
  let current: DownloadProgress | undefined;
  let sent: DownloadProgress | undefined;
  const emit = (): void => {
    if (!report || !current || current === sent) return;
    sent = current;
    lastTime = now();
    lastPercent = current.percent ?? lastPercent;
    report(current);
  };
  return {
    update(bytes, total) {
      if (!report) return;
      const percent = total ? Math.min(100, Math.floor((bytes / total) * 1000) / 10) : undefined;
      current = total ? { bytes, total, percent } : { bytes };
      if (now() - lastTime >= intervalMs || (percent !== undefined && percent - lastPercent >= 1)) emit();
    },
    flush: emit,
  };
}
