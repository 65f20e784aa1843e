/** Small statistics for the tables: percentiles, throughput, rounding. */

/** The p-th percentile (0..100) by nearest rank; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/** Completed requests per second. */
export function throughput(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : NaN;
}

/** `value` to `digits` significant decimals, for tables. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * How much of ours's shortfall against a reference a third peer shows as well, both as ratios to
 * that reference (1 = as fast): (1 − peer) ÷ (1 − ours). E.g. ours 0.7×, peer 0.85×: half of ours's
 * gap. Undefined when ours has no shortfall to share out.
 */
export function shareOfGap(oursRatio: number, peerRatio: number): number | undefined {
  return oursRatio < 1 ? (1 - peerRatio) / (1 - oursRatio) : undefined;
}
