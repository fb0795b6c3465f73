import { describe, expect, it } from 'vitest';
import { simulateBench } from '../../src/sim/offline.ts';
import { resolveProfile } from '../../src/sim/profiles.ts';
import { benchArrivalsS } from '../../src/sim/random.ts';
import { predictCostCurve, type WhatIfSpec } from '../../src/sim/whatif.ts';

const spec = (over: Partial<WhatIfSpec> = {}): WhatIfSpec => ({
  profile: resolveProfile('demo'),
  ratesRps: [2, 8, 30],
  inputTokens: 128,
  outputTokens: 64,
  prompts: 120,
  gpuHourlyUsd: 1,
  sloTtftP99Ms: null,
  sloTpotP99Ms: null,
  seed: 3,
  ...over,
});

describe('offline replay of the benchmark protocol', () => {
  it('draws arrivals like vllm bench serve: the last lands at exactly N / λ', () => {
    const arrivals = benchArrivalsS(20_000, 25, 1, 9);
    expect(arrivals.at(-1)).toBeCloseTo(20_000 / 25, 9);
    // Poisson gaps: mean 1/λ by construction, coefficient of variation 1 (± 0.1 is ~10 standard
    // errors of the estimate at n = 20,000: the exponential's kurtosis is 9).
    const gaps = arrivals.map((t, i) => t - (arrivals[i - 1] ?? 0));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(sd / mean).toBeGreaterThan(0.9);
    expect(sd / mean).toBeLessThan(1.1);
  });

  it('is deterministic for a seed and completes every request', () => {
    const profile = resolveProfile('demo');
    const run = () =>
      simulateBench(profile, {
        rateRps: 10,
        prompts: 80,
        inputTokens: 128,
        outputTokens: 64,
        seed: 5,
      });
    const [a, b] = [run(), run()];
    expect(a).toEqual(b);
    expect(a.completed).toBe(80);
    expect(a.outputTokens).toBe(80 * 64);
  });

  it('refuses a request that does not fit the context instead of replaying it forever', () => {
    const profile = resolveProfile('demo');
    const bench = (inputTokens: number) => () =>
      simulateBench(profile, { rateRps: 1, prompts: 2, inputTokens, outputTokens: 64 });
    // demo serves 4,096 tokens; a prompt larger than its KV cache used to loop unscheduled.
    expect(bench(1_000_000)).toThrow(/exceed the context length of profile 'demo' \(4096 tokens\)/);
    expect(bench(4096 - 64)().completed).toBe(2);
  });
});

describe('whatif cost curve', () => {
  it('prices each step with the cost model and finds θ_max at saturation', () => {
    const curve = predictCostCurve(spec());
    for (const step of curve.steps) {
      // $1/h × 1 GPU × 1e6 / (3600 × θ).
      expect(step.cost.cEffUsdPerMTok).toBeCloseTo(1e6 / (3600 * step.outputTokPerS), 9);
      expect(step.cost.cNaiveUsdPerMTok).toBeCloseTo(1e6 / (3600 * curve.thetaMaxTokPerS), 9);
      expect(step.outputTokPerS).toBeLessThanOrEqual(curve.thetaMaxTokPerS);
      expect(step.goodFraction).toBeNull();
    }
    // Cost falls as load rises toward the knee: the curve the paper is about.
    const costs = curve.steps.map((s) => s.cost.cEffUsdPerMTok);
    expect(costs[0]).toBeGreaterThan(costs[1]!);
    expect(costs[1]).toBeGreaterThan(costs[2]!);
  });

  it('charges goodput cost on requests within the SLOs only', () => {
    const curve = predictCostCurve(spec({ sloTtftP99Ms: 200, sloTpotP99Ms: 1000 }));
    for (const step of curve.steps) {
      const good = step.goodFraction!;
      expect(good).toBeGreaterThanOrEqual(0);
      expect(good).toBeLessThanOrEqual(1);
      // Same node-hour over a share `good` of the tokens (all outputs have 64 tokens).
      if (good > 0)
        expect(step.cost.goodputUsdPerMTok).toBeCloseTo(step.cost.cEffUsdPerMTok / good, 6);
      expect(step.sloMet).toBe(step.ttftP99Ms! <= 200 && step.tpotP99Ms! <= 1000);
    }
    // Past the knee (30 req/s ≫ θ_max / 64) the queue breaks the TTFT budget.
    expect(curve.steps[2]!.sloMet).toBe(false);
    expect(curve.steps[0]!.goodFraction).toBe(1);
  });

  it('scales every cost with the GPU price', () => {
    const one = predictCostCurve(spec({ ratesRps: [5] }));
    const two = predictCostCurve(spec({ ratesRps: [5], gpuHourlyUsd: 2 }));
    expect(two.steps[0]!.cost.cEffUsdPerMTok).toBeCloseTo(2 * one.steps[0]!.cost.cEffUsdPerMTok, 9);
  });
});
