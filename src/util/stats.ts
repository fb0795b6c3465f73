/**
 * Exact descriptive statistics over plain arrays. Percentiles use linear interpolation between
 * closest ranks — numpy's default and what `vllm bench serve` reports — so our numbers and
 * theirs are comparable on the same samples.
 */

import type { LatencyStats } from '../load/types.ts';

/** Percentile p ∈ [0, 100] of values already sorted ascending; null when empty. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const rank = ((n - 1) * Math.min(100, Math.max(0, p))) / 100;
  const lo = Math.floor(rank);
  const hi = Math.min(n - 1, lo + 1);
  const low = sorted[lo] as number;
  const high = sorted[hi] as number;
  return low + (high - low) * (rank - lo);
}

/** Ascending numeric sort into a Float64Array (no comparator callbacks, no NaN). */
export function sortedFinite(values: Iterable<number>): Float64Array {
  const out: number[] = [];
  for (const v of values) if (Number.isFinite(v)) out.push(v);
  return Float64Array.from(out).sort();
}

export function percentile(values: Iterable<number>, p: number): number | null {
  return percentileSorted(sortedFinite(values), p);
}

export function mean(values: ArrayLike<number>): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum / values.length;
}

/** count, mean, p50, p90, p99 and max of the finite values given. */
export function latencyStats(values: Iterable<number>): LatencyStats {
  const sorted = sortedFinite(values);
  return {
    count: sorted.length,
    meanMs: mean(sorted),
    p50Ms: percentileSorted(sorted, 50),
    p90Ms: percentileSorted(sorted, 90),
    p99Ms: percentileSorted(sorted, 99),
    maxMs: sorted.length ? (sorted[sorted.length - 1] as number) : null,
  };
}

export const emptyLatencyStats = (): LatencyStats => ({
  count: 0,
  meanMs: null,
  p50Ms: null,
  p90Ms: null,
  p99Ms: null,
  maxMs: null,
});
