import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_THRESHOLDS, judgeHealth, lagP99BoundMs } from '../../src/load/health.ts';

/** 100 lags: 98 of `base` ms and two of `tail` ms, so p99 (nearest rank 99) is `tail`. */
function input(offeredRps: number, base: number, tail: number) {
  const lagMs = new Float64Array(100).fill(base);
  lagMs[98] = tail;
  lagMs[99] = tail;
  return {
    lagMs,
    loopDelayMs: { p50: 0.1, p99: 1, max: 2 },
    cpuPercent: 20,
    offeredRps,
    achievedSendRps: offeredRps,
    capped: false,
    errorsByClass: {},
  };
}

describe('driver health: the p99 schedule-lag bound', () => {
  it('is 1 ms at high rates and 5% of the mean arrival gap at low ones', () => {
    const t = DEFAULT_HEALTH_THRESHOLDS;
    expect(lagP99BoundMs(1000, t)).toBe(1); // gap 1 ms → 0.05 ms < 1 ms floor
    expect(lagP99BoundMs(50, t)).toBe(1); // gap 20 ms → exactly 1 ms
    expect(lagP99BoundMs(10, t)).toBeCloseTo(5, 12); // gap 100 ms → 5 ms
    expect(lagP99BoundMs(1, t)).toBeCloseTo(50, 12);
  });

  it('2 ms of lag p99 invalidates a 1000 req/s step but not a 1 req/s one', () => {
    const fast = judgeHealth(input(1000, 0.05, 2), DEFAULT_HEALTH_THRESHOLDS);
    expect(fast.valid).toBe(false);
    expect(fast.reasons).toEqual(['schedule lag p99 2.00 ms > 1.00 ms']);
    const slow = judgeHealth(input(1, 0.05, 2), DEFAULT_HEALTH_THRESHOLDS);
    expect(slow.valid).toBe(true);
    expect(slow.scheduleLagMs.p99).toBe(2);
  });

  it('a single long pause still invalidates at any rate (lag max > 50 ms)', () => {
    const h = judgeHealth(input(1, 0.05, 60), DEFAULT_HEALTH_THRESHOLDS);
    expect(h.valid).toBe(false);
    expect(h.reasons).toEqual([
      'schedule lag p99 60.00 ms > 50.00 ms',
      'schedule lag max 60.00 ms > 50.00 ms',
    ]);
  });
});
