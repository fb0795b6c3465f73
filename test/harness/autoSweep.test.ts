import { describe, expect, it } from 'vitest';
import {
  type AutoObservation,
  type AutoSweepConfig,
  nextAutoRate,
  observeRate,
} from '../../src/harness/autoSweep.ts';
import type { StepRecord } from '../../src/harness/records.ts';

const CFG: AutoSweepConfig = {
  start: 1,
  max: 64,
  factor: 2,
  bisectSteps: 3,
  saturation: 0.9,
  maxSteps: 30,
};

/** A server that keeps up until 1000 tok/s: θ(λ) = min(100 λ, 1000), 100 output tokens each. */
function observe(rateRps: number, sloMet: boolean | null = null): AutoObservation {
  return {
    rateRps,
    outputTokPerS: Math.min(100 * rateRps, 1000),
    offeredOutputTokPerS: 100 * rateRps,
    sloMet,
    failed: false,
  };
}

/** Runs the search against a model server until it stops. */
function search(cfg: AutoSweepConfig, measure: (rate: number) => AutoObservation) {
  const history: AutoObservation[] = [];
  for (;;) {
    const decision = nextAutoRate(cfg, history);
    if (decision.kind === 'stop') return { rates: history.map((h) => h.rateRps), decision };
    history.push(measure(decision.rateRps));
  }
}

describe('auto sweep', () => {
  it('doubles until saturation, then bisects the knee', () => {
    // By hand: 1, 2, 4, 8 keep up (θ = 100 λ ≥ 90% of offered). At 16, θ 1000 < 0.9 × 1600.
    // Bisect (8, 16) → 12: θ 1000 < 0.9 × 1200 → bad.
    // (8, 12) → 10: θ 1000 ≥ 900 → good.
    // (10, 12) → 11: θ 1000 ≥ 990 → good. Three bisections done: knee between 11 and 12.
    const { rates, decision } = search(CFG, (r) => observe(r));
    expect(rates).toEqual([1, 2, 4, 8, 16, 12, 10, 11]);
    expect(decision).toEqual({
      kind: 'stop',
      reason:
        'knee between 11 and 12 req/s ' + '(θ 1000 tok/s < 90% of offered 1200 tok/s at 12 req/s)',
      lastGoodRps: 11,
      firstBadRps: 12,
    });
  });

  it('an SLO miss counts as past the knee even when throughput keeps up', () => {
    // SLO holds up to 3 req/s. 1, 2 good; 4 misses → bisect (2, 4) → 3 good;
    // (3, 4) → 3.5 bad.
    const { rates, decision } = search({ ...CFG, bisectSteps: 2 }, (r) => observe(r, r <= 3));
    expect(rates).toEqual([1, 2, 4, 3, 3.5]);
    expect(decision.kind === 'stop' && decision.reason).toBe(
      'knee between 3 and 3.5 req/s (SLO missed at 3.5 req/s)',
    );
  });

  it('stops at the max bound, trying the bound itself', () => {
    const { rates, decision } = search({ ...CFG, max: 6 }, (r) => observe(r));
    expect(rates).toEqual([1, 2, 4, 6]);
    expect(decision.kind === 'stop' && decision.reason).toBe(
      'reached sweep max 6 req/s without saturating',
    );
  });

  it('says to lower the start when the first rate is already saturated', () => {
    const { rates, decision } = search({ ...CFG, start: 20 }, (r) => observe(r));
    expect(rates).toEqual([20]);
    expect(decision.kind === 'stop' && decision.reason).toBe(
      'already past the knee at the first rate: θ 1000 tok/s < 90% of offered 2000 tok/s at ' +
        '20 req/s; lower sweep.start',
    );
  });

  it('is a pure function of the history: replaying a prefix gives the same next rate', () => {
    const { rates } = search(CFG, (r) => observe(r));
    for (let k = 0; k < rates.length; k++) {
      const next = nextAutoRate(
        CFG,
        rates.slice(0, k).map((r) => observe(r)),
      );
      expect(next).toMatchObject({ kind: 'run', rateRps: rates[k] });
    }
  });
});

describe('combining the repeats of one rate', () => {
  const step = (over: Partial<StepRecord>): StepRecord =>
    ({
      rateRps: 2,
      measuredSeconds: 10,
      measuredRequests: 20,
      outputTokPerS: 1000,
      offeredOutputTokPerS: 1000,
      status: 'ok',
      slo: null,
      ...over,
    }) as StepRecord;

  it('judges θ against the offered load the schedule realised, not the nominal λ', () => {
    // Nominal offered: 2 req/s × 500 tokens = 1000 tok/s. The draws put 12 and 16 requests in
    // the 10 s windows: realised 1.2 × 500 = 600 and 1.6 × 500 = 800 tok/s, mean 700;
    // θ averages (600 + 700) / 2 = 650.
    const obs = observeRate([
      step({ measuredRequests: 12, outputTokPerS: 600 }),
      step({ measuredRequests: 16, outputTokPerS: 700 }),
    ]);
    expect(obs.offeredOutputTokPerS).toBe(700);
    expect(obs.outputTokPerS).toBe(650);
  });

  it('misses the SLO when any repeat missed, and fails only when all failed', () => {
    const slo = (met: boolean) => ({ met }) as StepRecord['slo'];
    const obs = observeRate([
      step({ slo: slo(true) }),
      step({ slo: slo(false), status: 'failed' }),
    ]);
    expect(obs.sloMet).toBe(false);
    expect(obs.failed).toBe(false);
  });
});
