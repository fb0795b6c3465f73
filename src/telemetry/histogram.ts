/**
 * Histogram maths with Prometheus' semantics: `histogram_quantile` over classic buckets
 * (promql/quantile.go, `bucketQuantile`), bucket deltas over a window, and means from Δsum/Δcount.
 * Prometheus answers NaN where there is nothing to say (no observations, no +Inf bucket, a NaN
 * count); these functions answer `null` there, so JSON carries it.
 */

import type { HistogramData } from './types.ts';

interface Bucket {
  le: number;
  count: number;
}

/**
 * The q-quantile of a cumulative histogram, as `histogram_quantile(q, …)` computes it: linear
 * interpolation inside the bucket that holds rank q·count; the lowest bucket interpolates from 0
 * when its bound is above 0 (and returns its bound otherwise); a rank in the +Inf bucket returns
 * the largest finite bound. q < 0 gives -Infinity and q > 1 gives +Infinity, as in Prometheus.
 */
export function histogramQuantile(q: number, h: HistogramData): number | null {
  if (Number.isNaN(q)) return null;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;

  const buckets: Bucket[] = h.buckets.map((b) => ({ le: b.le, count: b.count }));
  buckets.push({ le: Number.POSITIVE_INFINITY, count: h.count });
  buckets.sort((a, b) => a.le - b.le);
  const merged = coalesce(buckets);
  ensureMonotonic(merged);
  if (merged.length < 2) return null;

  const observations = merged[merged.length - 1]!.count;
  if (observations === 0 || Number.isNaN(observations)) return null;
  let rank = q * observations;

  // First bucket whose cumulative count reaches the rank, by binary search over the finite
  // buckets (Go's sort.Search), so NaN counts steer it exactly as they steer Prometheus.
  const last = merged.length - 1;
  let b = 0;
  let hi = last;
  while (b < hi) {
    const mid = (b + hi) >>> 1;
    if (!(merged[mid]!.count >= rank)) b = mid + 1;
    else hi = mid;
  }
  if (b === last) return merged[last - 1]!.le;
  const bucket = merged[b]!;
  if (b === 0 && bucket.le <= 0) return bucket.le;

  let start = 0;
  let count = bucket.count;
  if (b > 0) {
    const below = merged[b - 1]!;
    start = below.le;
    count -= below.count;
    rank -= below.count;
  }
  const value = start + (bucket.le - start) * (rank / count);
  return Number.isNaN(value) ? null : value;
}

/** Sums buckets that share an upper bound (several series summed by `le`). Input sorted. */
function coalesce(buckets: Bucket[]): Bucket[] {
  const out: Bucket[] = [];
  for (const b of buckets) {
    const prev = out[out.length - 1];
    if (prev && prev.le === b.le) prev.count += b.count;
    else out.push({ le: b.le, count: b.count });
  }
  return out;
}

/** Raises any bucket below its predecessor to it, as Prometheus does for inconsistent data. */
function ensureMonotonic(buckets: Bucket[]): void {
  let max = buckets[0]?.count ?? 0;
  for (let i = 1; i < buckets.length; i++) {
    const b = buckets[i]!;
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
}

/** True when every bucket bound is the same in both, in the same order. */
export function sameLayout(a: HistogramData, b: HistogramData): boolean {
  if (a.buckets.length !== b.buckets.length) return false;
  for (let i = 0; i < a.buckets.length; i++) {
    if (a.buckets[i]!.le !== b.buckets[i]!.le) return false;
  }
  return true;
}

/**
 * True when `cur` cannot follow `prev` in one process: a bucket, the count or the sum fell, or
 * the bucket layout changed. The increase since then is `cur` itself.
 */
export function histogramReset(prev: HistogramData, cur: HistogramData): boolean {
  if (!sameLayout(prev, cur)) return true;
  if (cur.count < prev.count || cur.sum < prev.sum) return true;
  for (let i = 0; i < cur.buckets.length; i++) {
    if (cur.buckets[i]!.count < prev.buckets[i]!.count) return true;
  }
  return false;
}

/** Observations between two scrapes of one series: `cur − prev`, or `cur` after a reset. */
export function histogramDelta(prev: HistogramData | null, cur: HistogramData): HistogramData {
  if (prev === null || histogramReset(prev, cur)) return cloneHistogram(cur);
  return {
    buckets: cur.buckets.map((b, i) => ({ le: b.le, count: b.count - prev.buckets[i]!.count })),
    count: cur.count - prev.count,
    sum: cur.sum - prev.sum,
  };
}

export function cloneHistogram(h: HistogramData): HistogramData {
  return {
    buckets: h.buckets.map((b) => ({ le: b.le, count: b.count })),
    count: h.count,
    sum: h.sum,
  };
}

/**
 * Sums histograms bucket by bucket, as `sum by (le)` does: a bound present in only some inputs
 * sums the inputs that have it. Buckets come out ascending.
 */
export function sumHistograms(parts: HistogramData[]): HistogramData | null {
  if (parts.length === 0) return null;
  if (parts.length === 1) return cloneHistogram(parts[0]!);
  const byLe = new Map<number, number>();
  let count = 0;
  let sum = 0;
  for (const h of parts) {
    for (const b of h.buckets) byLe.set(b.le, (byLe.get(b.le) ?? 0) + b.count);
    count += h.count;
    sum += h.sum;
  }
  const buckets = [...byLe.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([le, c]) => ({ le, count: c }));
  return { buckets, count, sum };
}

/** Mean observation, Δsum/Δcount; null when there is none or the sum is not a number. */
export function histogramMean(h: HistogramData): number | null {
  if (!(h.count > 0)) return null;
  const mean = h.sum / h.count;
  return Number.isFinite(mean) ? mean : null;
}
