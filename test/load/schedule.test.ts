import { describe, expect, it } from 'vitest';
import { exponential, gamma, lognormal, normal, substream } from '../../src/load/rng.ts';
import { buildPlan } from '../../src/load/schedule.ts';
import type { PlanOptions } from '../../src/load/types.ts';

const N = 100_000;

function moments(xs: ArrayLike<number>): { mean: number; cv: number } {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
  const mean = sum / xs.length;
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i]! - mean) ** 2;
  return { mean, cv: Math.sqrt(ss / (xs.length - 1)) / mean };
}

/** Two-sided Kolmogorov–Smirnov statistic of a sample against a CDF. */
function ksStatistic(sample: number[], cdf: (x: number) => number): number {
  const sorted = Float64Array.from(sample).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

function options(over: Partial<PlanOptions>): PlanOptions {
  return {
    arrival: { kind: 'poisson' },
    rateRps: 50,
    warmupSeconds: 0,
    measureRequests: N,
    promptLength: { kind: 'fixed', value: 32 },
    outputLength: { kind: 'fixed', value: 64 },
    seed: 7,
    streamId: 'variant-a/step-0/repeat-0',
    ...over,
  };
}

function gapsOf(o: PlanOptions): number[] {
  const plan = buildPlan(o);
  // The first arrival is itself a gap from the step's start (a process started at 0).
  let previous = 0;
  return plan.requests.map((r) => {
    const gap = r.intendedAtMs - previous;
    previous = r.intendedAtMs;
    return gap;
  });
}

describe('arrival schedules over 100k gaps', () => {
  it('Poisson: mean gap within 1% of 1/λ, CV within 2% of 1, KS does not reject at 1%', () => {
    const rate = 50; // mean gap 20 ms
    const gaps = gapsOf(options({ rateRps: rate }));
    expect(gaps).toHaveLength(N);
    const { mean, cv } = moments(gaps);
    expect(Math.abs(mean - 1000 / rate) / (1000 / rate)).toBeLessThan(0.01);
    expect(Math.abs(cv - 1)).toBeLessThan(0.02);
    // Exponential CDF with mean 20 ms; critical value at α = 1% is 1.628/√n.
    const d = ksStatistic(gaps, (x) => 1 - Math.exp(-x / 20));
    expect(d).toBeLessThan(1.628 / Math.sqrt(N));
  });

  it('the KS check can fail: gamma gaps with CV 2 are rejected as exponential', () => {
    const gaps = gapsOf(options({ arrival: { kind: 'gamma', cv: 2 } }));
    const d = ksStatistic(gaps, (x) => 1 - Math.exp(-x / 20));
    expect(d).toBeGreaterThan(1.628 / Math.sqrt(N));
  });

  it.each([0.5, 1, 2, 3])('gamma with CV %d: CV within 3%, mean within 1%', (cv) => {
    const gaps = gapsOf(options({ arrival: { kind: 'gamma', cv }, rateRps: 100 }));
    const m = moments(gaps);
    expect(Math.abs(m.cv - cv) / cv).toBeLessThan(0.03);
    expect(Math.abs(m.mean - 10) / 10).toBeLessThan(0.01);
  });

  it('constant: every gap is exactly 1/λ', () => {
    const gaps = gapsOf(
      options({ arrival: { kind: 'constant' }, rateRps: 8, measureRequests: 100 }),
    );
    for (const g of gaps) expect(g).toBeCloseTo(125, 9);
  });
});

describe('seeding', () => {
  it('the same seed and stream give the same plan', () => {
    const a = buildPlan(options({ measureRequests: 1000 }));
    const b = buildPlan(options({ measureRequests: 1000 }));
    expect(b).toEqual(a);
  });

  it('different stream ids give independent schedules', () => {
    const a = gapsOf(options({ measureRequests: 20_000, streamId: 'v/0/0' }));
    const b = gapsOf(options({ measureRequests: 20_000, streamId: 'v/0/1' }));
    // No gap repeats across the two streams (GuideLLM repeated every gap once per worker).
    const seen = new Set(a);
    expect(b.filter((g) => seen.has(g))).toHaveLength(0);
    // Pearson correlation of paired gaps ≈ 0: |r| < 4/√n is > 4 standard errors.
    const ma = moments(a).mean;
    const mb = moments(b).mean;
    let sab = 0;
    let saa = 0;
    let sbb = 0;
    for (let i = 0; i < a.length; i++) {
      sab += (a[i]! - ma) * (b[i]! - mb);
      saa += (a[i]! - ma) ** 2;
      sbb += (b[i]! - mb) ** 2;
    }
    expect(Math.abs(sab / Math.sqrt(saa * sbb))).toBeLessThan(4 / Math.sqrt(a.length));
  });

  it('a different seed changes the schedule', () => {
    const a = gapsOf(options({ measureRequests: 100 }));
    const b = gapsOf(options({ measureRequests: 100, seed: 8 }));
    expect(b).not.toEqual(a);
  });

  it('changing the length distribution does not move arrivals', () => {
    const a = buildPlan(options({ measureRequests: 500 }));
    const b = buildPlan(
      options({ measureRequests: 500, promptLength: { kind: 'uniform', min: 1, max: 9 } }),
    );
    expect(b.requests.map((r) => r.intendedAtMs)).toEqual(a.requests.map((r) => r.intendedAtMs));
  });
});

describe('phases', () => {
  it('warm-up by seconds, measured phase by seconds', () => {
    const plan = buildPlan(
      options({
        arrival: { kind: 'constant' },
        rateRps: 10,
        warmupSeconds: 2,
        measureSeconds: 3,
        measureRequests: undefined,
      }),
    );
    // Constant 100 ms gaps from 100 ms: warm-up 100..1900 (19), measured 2000..4900 (30).
    expect(plan.requests.filter((r) => r.phase === 'warmup')).toHaveLength(19);
    expect(plan.requests.filter((r) => r.phase === 'measure')).toHaveLength(30);
    expect(plan.measureStartAtMs).toBe(2000);
    expect(plan.measureEndAtMs).toBe(5000);
    expect(plan.requests.at(-1)!.intendedAtMs).toBeCloseTo(4900, 6);
  });

  it('measured phase by request count ends where the next arrival would be', () => {
    const plan = buildPlan(
      options({ arrival: { kind: 'constant' }, rateRps: 4, warmupSeconds: 1, measureRequests: 8 }),
    );
    // Gaps of 250 ms: warm-up 250, 500, 750; measured 1000..2750; next would be 3000.
    expect(plan.requests.map((r) => r.phase)).toEqual([
      ...Array(3).fill('warmup'),
      ...Array(8).fill('measure'),
    ]);
    expect(plan.measureEndAtMs).toBeCloseTo(3000, 9);
  });

  it('rejects bad options naming the field', () => {
    expect(() => buildPlan(options({ rateRps: 0 }))).toThrow(/rateRps/);
    expect(() => buildPlan(options({ measureSeconds: 5 }))).toThrow(/exactly one/);
    expect(() => buildPlan(options({ arrival: { kind: 'gamma', cv: 0 } }))).toThrow(/cv/);
    expect(() => buildPlan(options({ outputLength: { kind: 'fixed', value: 0 } }))).toThrow(
      /outputLength/,
    );
  });
});

describe('lengths', () => {
  it('uniform covers [min, max] inclusive with equal frequency', () => {
    const plan = buildPlan(
      options({ measureRequests: 60_000, promptLength: { kind: 'uniform', min: 10, max: 15 } }),
    );
    const counts = new Map<number, number>();
    for (const r of plan.requests)
      counts.set(r.promptTokens, (counts.get(r.promptTokens) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15]);
    // Each value expected 10,000 times; binomial sd ≈ 91, so ±500 is > 5 sd.
    for (const c of counts.values()) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('normal and lognormal have the requested mean and spread; bounds clamp', () => {
    const n = options({
      measureRequests: 50_000,
      promptLength: { kind: 'normal', mean: 500, stdev: 50 },
      outputLength: { kind: 'lognormal', mean: 200, stdev: 100, max: 2000 },
    });
    const plan = buildPlan(n);
    const p = moments(plan.requests.map((r) => r.promptTokens));
    const o = moments(plan.requests.map((r) => r.outputTokens));
    expect(Math.abs(p.mean - 500)).toBeLessThan(2);
    expect(Math.abs(p.cv * p.mean - 50)).toBeLessThan(2);
    expect(Math.abs(o.mean - 200) / 200).toBeLessThan(0.02);
    expect(Math.abs(o.cv - 0.5)).toBeLessThan(0.03);
    expect(Math.max(...plan.requests.map((r) => r.outputTokens))).toBeLessThanOrEqual(2000);
    expect(Math.min(...plan.requests.map((r) => r.outputTokens))).toBeGreaterThanOrEqual(1);
  });

  it('empirical draws only the listed values', () => {
    const plan = buildPlan(
      options({ measureRequests: 1000, outputLength: { kind: 'empirical', values: [7, 70, 700] } }),
    );
    expect(new Set(plan.requests.map((r) => r.outputTokens))).toEqual(new Set([7, 70, 700]));
  });

  it('trace replay keeps offsets and per-row lengths', () => {
    const plan = buildPlan(
      options({
        arrival: {
          kind: 'trace',
          offsetsMs: [0, 10, 10, 2500],
          promptTokens: [5, 6, 7, 8],
          outputTokens: [50, 60, 70, 80],
        },
        rateRps: 0,
        warmupSeconds: 0.005,
        measureRequests: undefined,
      }),
    );
    expect(
      plan.requests.map((r) => [r.intendedAtMs, r.promptTokens, r.outputTokens, r.phase]),
    ).toEqual([
      [0, 5, 50, 'warmup'],
      [10, 6, 60, 'measure'],
      [10, 7, 70, 'measure'],
      [2500, 8, 80, 'measure'],
    ]);
    expect(plan.measureEndAtMs).toBe(2500);
  });
});

describe('samplers', () => {
  const rng = () => substream(1, 'samplers');
  it('exponential, normal, gamma and lognormal have their textbook moments', () => {
    const r = rng();
    const take = (f: () => number) => Array.from({ length: 100_000 }, f);
    const e = moments(take(() => exponential(r, 4)));
    expect(e.mean).toBeCloseTo(0.25, 2);
    const z = take(() => normal(r, 3, 2));
    expect(moments(z).mean).toBeCloseTo(3, 1);
    expect(moments(z).cv * moments(z).mean).toBeCloseTo(2, 1);
    // Gamma(k = 0.25, θ = 4): mean kθ = 1, CV 1/√k = 2 (exercises the shape < 1 boost).
    const g = moments(take(() => gamma(r, 0.25, 4)));
    expect(Math.abs(g.mean - 1)).toBeLessThan(0.03);
    expect(Math.abs(g.cv - 2)).toBeLessThan(0.06);
    const l = moments(take(() => lognormal(r, 10, 5)));
    expect(Math.abs(l.mean - 10)).toBeLessThan(0.1);
    expect(Math.abs(l.cv - 0.5)).toBeLessThan(0.02);
  });

  it('next() stays in [0, 1) and int() in its range', () => {
    const r = rng();
    for (let i = 0; i < 10_000; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      const k = r.int(3, 6);
      expect(k >= 3 && k < 6 && Number.isInteger(k)).toBe(true);
    }
  });
});
