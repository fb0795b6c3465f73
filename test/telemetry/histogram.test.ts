import { describe, expect, it } from 'vitest';
import {
  histogramDelta,
  histogramMean,
  histogramQuantile,
  sumHistograms,
} from '../../src/telemetry/histogram.ts';
import type { HistogramData } from '../../src/telemetry/types.ts';

/** Cumulative histogram from [bound, count] pairs; `count` is the +Inf bucket. */
function h(buckets: Array<[number, number]>, count: number, sum = 0): HistogramData {
  return { buckets: buckets.map(([le, c]) => ({ le, count: c })), count, sum };
}

describe('histogramQuantile (Prometheus histogram_quantile semantics)', () => {
  // Buckets: ≤0.1: 2, ≤0.5: 10, ≤1: 17, +Inf: 20 (20 observations).
  const grid = h(
    [
      [0.1, 2],
      [0.5, 10],
      [1, 17],
    ],
    20,
  );

  it('interpolates linearly inside a bucket', () => {
    // q=0.3 → rank 6, in (0.1, 0.5] holding counts 2..10: 0.1 + 0.4 × (6−2)/(10−2) = 0.3.
    expect(histogramQuantile(0.3, grid)).toBeCloseTo(0.3, 12);
    // q=0.75 → rank 15, in (0.5, 1] holding 10..17: 0.5 + 0.5 × 5/7 = 0.857142857…
    expect(histogramQuantile(0.75, grid)).toBeCloseTo(0.5 + 0.5 * (5 / 7), 12);
  });

  it('lands exactly on a bucket edge when the rank equals a cumulative count', () => {
    // q=0.5 → rank 10 = count at le 0.5: 0.1 + 0.4 × 8/8 = 0.5.
    expect(histogramQuantile(0.5, grid)).toBe(0.5);
  });

  it('returns the largest finite bound when the rank falls in the +Inf bucket', () => {
    // q=0.9 → rank 18 > 17 (count at le 1): in +Inf, so 1.
    expect(histogramQuantile(0.9, grid)).toBe(1);
    expect(histogramQuantile(1, grid)).toBe(1);
  });

  it('interpolates the lowest bucket from 0 when its bound is above 0', () => {
    // q=0.05 → rank 1, in (0, 0.1] holding 0..2: 0.1 × 1/2 = 0.05.
    expect(histogramQuantile(0.05, grid)).toBeCloseTo(0.05, 12);
  });

  it('returns the lowest bound when that bound is 0 or below', () => {
    const negative = h(
      [
        [-1, 4],
        [0, 6],
      ],
      8,
    );
    // q=0.25 → rank 2 ≤ 4, lowest bucket with bound −1 ≤ 0: answer −1.
    expect(histogramQuantile(0.25, negative)).toBe(-1);
  });

  it('answers null for an empty histogram, one without finite buckets, or NaN q', () => {
    expect(histogramQuantile(0.5, h([[1, 0]], 0))).toBeNull();
    expect(histogramQuantile(0.5, h([], 5))).toBeNull();
    expect(histogramQuantile(Number.NaN, grid)).toBeNull();
  });

  it('answers ±Infinity for q outside [0, 1], as Prometheus does', () => {
    expect(histogramQuantile(-0.1, grid)).toBe(Number.NEGATIVE_INFINITY);
    expect(histogramQuantile(1.1, grid)).toBe(Number.POSITIVE_INFINITY);
  });

  it('answers null when the total count is NaN', () => {
    expect(histogramQuantile(0.5, h([[1, 1]], Number.NaN))).toBeNull();
  });

  it('forces monotonic counts and merges equal bounds before searching', () => {
    // Unsorted, a duplicate bound and a dip: sorted → 0.5: 3+1 = 4, 1: 2 raised to 4, +Inf 8.
    const odd = h(
      [
        [1, 2],
        [0.5, 3],
        [0.5, 1],
      ],
      8,
    );
    // q=0.25 → rank 2 ≤ 4 in (0, 0.5]: 0.5 × 2/4 = 0.25. q=0.75 → rank 6 in +Inf: 1.
    expect(histogramQuantile(0.25, odd)).toBeCloseTo(0.25, 12);
    expect(histogramQuantile(0.75, odd)).toBe(1);
  });
});

describe('histogramDelta, sumHistograms, histogramMean', () => {
  const before = h(
    [
      [0.1, 4],
      [1, 10],
    ],
    12,
    5,
  );
  const after = h(
    [
      [0.1, 5],
      [1, 16],
    ],
    20,
    9.5,
  );

  it('subtracts bucket by bucket, and the mean is Δsum/Δcount', () => {
    const d = histogramDelta(before, after);
    expect(d).toEqual(
      h(
        [
          [0.1, 1],
          [1, 6],
        ],
        8,
        4.5,
      ),
    );
    // (9.5 − 5) / (20 − 12) = 0.5625
    expect(histogramMean(d)).toBe(0.5625);
  });

  it('takes the new histogram whole after a reset (a bucket or the count fell)', () => {
    const restarted = h(
      [
        [0.1, 1],
        [1, 2],
      ],
      3,
      0.7,
    );
    expect(histogramDelta(after, restarted)).toEqual(restarted);
  });

  it('takes the new histogram whole when the bucket layout changed', () => {
    const regridded = h([[0.5, 30]], 31, 20);
    expect(histogramDelta(after, regridded)).toEqual(regridded);
  });

  it('sums by le across series, a bound missing in one series counting what the others have', () => {
    const sum = sumHistograms([
      h(
        [
          [0.1, 1],
          [1, 2],
        ],
        3,
        1,
      ),
      h([[1, 4]], 5, 2),
    ]);
    expect(sum).toEqual(
      h(
        [
          [0.1, 1],
          [1, 6],
        ],
        8,
        3,
      ),
    );
  });

  it('has no mean without observations or with a NaN sum', () => {
    expect(histogramMean(h([[1, 0]], 0, 0))).toBeNull();
    expect(histogramMean(h([[1, 2]], 2, Number.NaN))).toBeNull();
  });
});
