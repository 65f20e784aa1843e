/**
 * Sentinel Hub Statistical API: one entry per aggregation interval between the timeRange bounds,
 * with deterministic band statistics per evalscript output.
 */
import type { Ctx } from '../context';
import { acceptApiJsonPost } from '../auth';
import { fnv1a, isObject, prng, sendBadPayload, sendJson } from '../http';
import { outputSize, readBounds, readData } from './process';

/** Splits [from, to) into intervals of an ISO-8601 period (PnD, PnW, PnM, PnY). */
export function intervals(from: Date, to: Date, period: string, lastIntervalBehavior = 'SKIP'): { from: string; to: string }[] | undefined {
  const m = /^P(\d+)([DWMY])$/.exec(period);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (n < 1) return undefined;
  const step = (d: Date): Date => {
    const next = new Date(d.getTime());
    if (m[2] === 'D') next.setUTCDate(next.getUTCDate() + n);
    else if (m[2] === 'W') next.setUTCDate(next.getUTCDate() + 7 * n);
    else if (m[2] === 'M') next.setUTCMonth(next.getUTCMonth() + n);
    else next.setUTCFullYear(next.getUTCFullYear() + n);
    return next;
  };
  const iso = (d: Date) => d.toISOString().replace(/\.000Z$/, 'Z');
  const out: { from: string; to: string }[] = [];
  for (let start = from; start < to && out.length < 10000;) {
    const end = step(start);
    if (end <= to) out.push({ from: iso(start), to: iso(end) });
    else if (lastIntervalBehavior === 'SHORTEN') out.push({ from: iso(start), to: iso(to) });
    else if (lastIntervalBehavior === 'EXTEND') out.push({ from: iso(start), to: iso(end) });
    start = end;
  }
  return out;
}

/** Output ids and band counts declared in an evalscript's setup; one 1-band "default" if none. */
export function evalscriptOutputs(evalscript: string): { id: string; bands: number }[] {
  const out: { id: string; bands: number }[] = [];
  const re = /\{\s*id\s*:\s*["']([^"']+)["']\s*,\s*bands\s*:\s*(\d+)/g;
  for (let m = re.exec(evalscript); m; m = re.exec(evalscript)) out.push({ id: m[1], bands: Number(m[2]) });
  if (out.length === 0) {
    const bands = /output\s*:\s*\{[^}]*bands\s*:\s*(\d+)/.exec(evalscript)?.[1];
    out.push({ id: 'default', bands: bands ? Number(bands) : 1 });
  }
  return out;
}

function stats(seed: number, samples: number): Record<string, number> {
  const rnd = prng(seed);
  const a = rnd();
  const b = rnd();
  const min = Math.round(Math.min(a, b) * 1e4) / 1e4;
  const max = Math.round(Math.max(a, b) * 1e4) / 1e4;
  const noDataCount = Math.floor(rnd() * samples * 0.1);
  return {
    min,
    max,
    mean: Math.round(((min + max) / 2) * 1e6) / 1e6,
    stDev: Math.round(((max - min) / 4) * 1e6) / 1e6,
    sampleCount: samples,
    noDataCount,
  };
}

export async function handleStatistics(ctx: Ctx): Promise<void> {
  const { res } = ctx;
  const body = await acceptApiJsonPost(ctx);
  if (!body) return;
  const { input, aggregation } = body;
  if (!isObject(input)) return sendBadPayload(res, 'input must be specified');
  const bounds = readBounds(input);
  if (typeof bounds === 'string') return sendBadPayload(res, bounds);
  const dataError = readData(input);
  if (dataError) return sendBadPayload(res, dataError);
  if (!isObject(aggregation)) return sendBadPayload(res, 'aggregation must be specified');
  const { timeRange, aggregationInterval, evalscript } = aggregation;
  if (typeof evalscript !== 'string' || !evalscript.trim()) return sendBadPayload(res, 'aggregation.evalscript must be specified');
  if (!isObject(timeRange) || typeof timeRange.from !== 'string' || typeof timeRange.to !== 'string') {
    return sendBadPayload(res, 'aggregation.timeRange must have "from" and "to"');
  }
  const from = new Date(timeRange.from);
  const to = new Date(timeRange.to);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to)
    return sendBadPayload(res, 'aggregation.timeRange is not a valid interval');
  const period = isObject(aggregationInterval) ? aggregationInterval.of : undefined;
  const last = typeof aggregation.lastIntervalBehavior === 'string' ? aggregation.lastIntervalBehavior : 'SKIP';
  const list = typeof period === 'string' ? intervals(from, to, period, last) : undefined;
  if (!list) return sendBadPayload(res, 'aggregation.aggregationInterval.of must be an ISO-8601 period such as P1D, P1W or P1M');
  const size = outputSize(aggregation, bounds.bbox, 'aggregation');
  if (typeof size === 'string') return sendBadPayload(res, size);
  const samples = size.width * size.height;
  const outputs = evalscriptOutputs(evalscript);
  const failures = ctx.state.config.statisticsIntervalErrors;
  const data = list.map((interval, index) => {
    // Sentinel Hub reports a failed interval in place and still answers 200 for the rest.
    const failure = failures[String(index)];
    if (failure) return { interval, error: { type: failure } };
    const out: Record<string, unknown> = {};
    for (const o of outputs) {
      const bands: Record<string, unknown> = {};
      for (let b = 0; b < o.bands; b++)
        bands[`B${b}`] = { stats: stats(fnv1a(`${interval.from}:${o.id}:${b}:${bounds.bbox.join(',')}`), samples) };
      out[o.id] = { bands };
    }
    return { interval, outputs: out };
  });
  sendJson(res, 200, { data, status: 'OK' });
}
