import { describe, expect, it } from 'vitest';
import { sloCapacity } from '../../src/analysis/sloCapacity.ts';
import type { LoadPoint } from '../../src/analysis/types.ts';
import type { SloSpec } from '../../src/harness/records.ts';

const slo: SloSpec = { ttftMs: { percentile: 99, maxMs: 300 }, attainment: 0.9 };

function at(rateRps: number, attainment: number, ttftP99: number): LoadPoint {
  const met = attainment >= 0.9 && ttftP99 <= 300;
  return {
    rateRps,
    slo: {
      attainment,
      met,
      checks: [{ metric: 'ttftMs', percentile: 99, valueMs: ttftP99, maxMs: 300 }],
    },
  } as LoadPoint;
}

describe('sloCapacity', () => {
  it('interpolates the first failing constraint linearly in λ', () => {
    // TTFT p99 200 → 400 ms between λ 10 and 20 crosses 300 at 15; attainment 0.95 → 0.85
    // crosses 0.9 at 15 too: make attainment cross earlier, 0.95 → 0.75: at 10 + 10 × 0.25 = 12.5.
    const cap = sloCapacity([at(5, 1, 100), at(10, 0.95, 200), at(20, 0.75, 400)], slo);
    expect(cap).toMatchObject({ kind: 'interpolated', limitedBy: 'attainment', note: null });
    expect(cap?.rateRps).toBeCloseTo(12.5, 12);
    const byTtft = sloCapacity([at(10, 0.99, 200), at(20, 0.95, 400)], slo);
    expect(byTtft?.rateRps).toBeCloseTo(15, 12);
    expect(byTtft?.limitedBy).toBe('TTFT p99');
  });

  it('is above the range when every step passes, below it when the first fails', () => {
    expect(sloCapacity([at(1, 1, 10), at(2, 1, 20)], slo)).toMatchObject({
      rateRps: 2,
      kind: 'above-range',
    });
    expect(sloCapacity([at(1, 0.5, 400), at(2, 0.4, 500)], slo)).toMatchObject({
      rateRps: null,
      kind: 'below-range',
      limitedBy: 'attainment, TTFT p99',
    });
  });

  it('uses the first crossing and notes a later pass', () => {
    const cap = sloCapacity([at(1, 1, 100), at(2, 1, 500), at(4, 1, 200)], slo);
    // 100 → 500 ms crosses 300 half-way: λ = 1.5.
    expect(cap?.rateRps).toBeCloseTo(1.5, 12);
    expect(cap?.note).toMatch(/holds again at λ = 4/);
  });

  it('is null without verdicts', () => {
    expect(sloCapacity([{ rateRps: 1, slo: null } as LoadPoint], slo)).toBeNull();
  });
});
