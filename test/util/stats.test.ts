import * as ss from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { latencyStats, percentile } from '../../src/util/stats.ts';

describe('percentiles (numpy linear interpolation)', () => {
  it('interpolates between closest ranks', () => {
    // values 1..10: rank for p90 = 9 × 0.9 = 8.1 → 9 + 0.1 × (10 − 9) = 9.1
    expect(percentile([10, 1, 2, 3, 4, 5, 6, 7, 8, 9], 90)).toBeCloseTo(9.1, 12);
    // p50 of 4 values: rank 1.5 → (2 + 3) / 2
    expect(percentile([4, 3, 2, 1], 50)).toBe(2.5);
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 99)).toBe(7);
  });

  it('ignores non-finite values', () => {
    const stats = latencyStats([1, Number.NaN, 3, Number.POSITIVE_INFINITY]);
    expect(stats.count).toBe(2);
    expect(stats.meanMs).toBe(2);
    expect(stats.maxMs).toBe(3);
  });
});

describe('latencyStats against an independent implementation', () => {
  it('mean, median and max agree with simple-statistics on a random sample', () => {
    // A fixed pseudo-random sample (LCG), so the test is deterministic.
    let x = 12345;
    const values = Array.from({ length: 10_001 }, () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return (x / 2 ** 31) * 500;
    });
    const stats = latencyStats(values);
    expect(stats.meanMs).toBeCloseTo(ss.mean(values), 9);
    // Odd count: the median is one sample, so both interpolation rules agree exactly.
    expect(stats.p50Ms).toBe(ss.median(values));
    expect(stats.maxMs).toBe(ss.max(values));
  });
});
