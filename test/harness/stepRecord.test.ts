import { describe, expect, it } from 'vitest';
import { analyzeStep } from '../../src/analysis/steps.ts';
import type { Pricing } from '../../src/harness/records.ts';
import { buildStepRecord, type StepInputs, warmupWarning } from '../../src/harness/stepRecord.ts';
import { goodputCostUsd, stepCostUsd } from '../../src/harness/summary.ts';
import { request, summary } from './records.ts';

const PRICE: Pricing = { gpuClass: 'h100', gpuHourlyUsd: 6.98, gpus: 1, source: 'scenario' };

/**
 * Four requests around a measured window [1000, 3000) ms (2 s):
 *   r0 warm-up, ok: 5 of its 10 tokens arrive in the window, ends at 1500 (inside);
 *   r1 measured, ok: 10 tokens, all inside; first token at 1200; ends at 2200;
 *   r2 measured, ok: 6 of its 10 tokens inside; first token at 2500; ends at 3500 (outside);
 *   r3 measured, HTTP 500 at 2510.
 */
function inputs(over: Partial<StepInputs> = {}): StepInputs {
  const records = [
    request({
      seq: 0,
      phase: 'warmup',
      sentAtMs: 0,
      firstTokenAtMs: 100,
      endAtMs: 1500,
      outputTokens: 10,
      outputTokensInWindow: 5,
      promptTokens: 20,
      ttftMs: 100,
      e2eMs: 1500,
    }),
    request({
      seq: 1,
      intendedAtMs: 1000,
      sentAtMs: 1002,
      firstTokenAtMs: 1200,
      endAtMs: 2200,
      outputTokens: 10,
      outputTokensInWindow: 10,
      promptTokens: 30,
      ttftMs: 198,
      ttftFromIntendedMs: 200,
      e2eMs: 1198,
      e2eFromIntendedMs: 1200,
      tpotMs: 111,
    }),
    request({
      seq: 2,
      intendedAtMs: 2000,
      sentAtMs: 2000,
      firstTokenAtMs: 2500,
      endAtMs: 3500,
      outputTokens: 10,
      outputTokensInWindow: 6,
      promptTokens: 40,
      ttftMs: 500,
      ttftFromIntendedMs: 500,
      e2eMs: 1500,
      e2eFromIntendedMs: 1500,
      tpotMs: 111,
    }),
    request({
      seq: 3,
      intendedAtMs: 2500,
      sentAtMs: 2500,
      firstTokenAtMs: null,
      endAtMs: 2510,
      status: 500,
      ok: false,
      error: { class: 'http_5xx', message: 'HTTP 500' },
      outputTokensInWindow: 0,
    }),
  ];
  return {
    variant: 'v',
    stepIndex: 2,
    repeat: 0,
    rateRps: 1.5,
    plan: {
      measureStartAtMs: 1000,
      measureEndAtMs: 3000,
      requests: [
        { seq: 0, intendedAtMs: 0, promptTokens: 20, outputTokens: 10, phase: 'warmup' },
        { seq: 1, intendedAtMs: 1000, promptTokens: 30, outputTokens: 10, phase: 'measure' },
        { seq: 2, intendedAtMs: 2000, promptTokens: 40, outputTokens: 12, phase: 'measure' },
        { seq: 3, intendedAtMs: 2500, promptTokens: 50, outputTokens: 14, phase: 'measure' },
      ],
    },
    records,
    summary: summary({ sent: 4 }),
    startedAtEpochMs: 1_000_000,
    endedAtEpochMs: 1_003_600,
    slo: { attainment: 0.5, ttftMs: { percentile: 50, maxMs: 300 } },
    pricing: PRICE,
    server: null,
    reconciliation: null,
    gpuSamples: [],
    interrupted: false,
    ...over,
  };
}

describe('step record', () => {
  it('computes θ, rates and counts over the measured window by hand', () => {
    const step = buildStepRecord(inputs());
    expect(step.measuredSeconds).toBe(2);
    expect(step.measureStartEpochMs).toBe(1_001_000);
    expect(step.measureEndEpochMs).toBe(1_003_000);
    expect(step.warmupSeconds).toBe(1);
    expect(step.drainSeconds).toBeCloseTo(0.6, 12); // (3600 − 3000) ms
    expect([step.sent, step.measuredRequests, step.ok, step.failed]).toEqual([4, 3, 2, 1]);
    expect(step.errorsByClass).toEqual({ http_5xx: 1 });
    // θ = (5 + 10 + 6) tokens of successful requests that arrived in the window / 2 s.
    expect(step.outputTokPerS).toBe(10.5);
    // Successful requests ending inside the window: r0 (1500) and r1 (2200) → 2 / 2 s.
    expect(step.completedRps).toBe(1);
    // Prompts whose first token fell inside: r1 (30) and r2 (40) → 70 / 2 s.
    expect(step.promptTokPerS).toBe(35);
    // Offered: λ 1.5 × mean planned output of the measured plan (10 + 12 + 14) / 3 = 12.
    expect(step.offeredOutputTokPerS).toBe(18);
    expect(step.meanOutputTokens).toBe(10);
    expect(step.meanPromptTokens).toBe(35);
    expect(step.latency.ttftMs.count).toBe(2);
    expect(step.latency.ttftMs.p50Ms).toBe(349); // midway between 198 and 500
    expect(step.status).toBe('ok');
  });

  it('judges the SLO over measured requests and applies Little’s law', () => {
    const step = buildStepRecord(inputs());
    // TTFT from intended: r1 200 ≤ 300 good, r2 500 bad, r3 failed → 1 of 3.
    expect(step.slo?.goodRequests).toBe(1);
    expect(step.slo?.attainment).toBeCloseTo(1 / 3, 12);
    expect(step.slo?.met).toBe(false);
    // Time in system of measured sent requests: 1.198, 1.5, 0.01 s → mean 0.902667 s;
    // predicted in-flight = 1.5 req/s × 0.902667 = 1.354; ratio = 1.2 / 1.354.
    expect(step.littlesLaw.predicted).toBeCloseTo(1.354, 12);
    expect(step.littlesLaw.ratio).toBeCloseTo(1.2 / 1.354, 12);
  });

  it('marks failed, invalid and interrupted steps with the reason', () => {
    const allFailed = inputs();
    allFailed.records = allFailed.records.map((r) =>
      r.phase === 'measure'
        ? { ...r, ok: false, error: { class: 'connect' as const, message: 'ECONNREFUSED' } }
        : r,
    );
    expect(buildStepRecord(allFailed)).toMatchObject({
      status: 'failed',
      statusReason: 'all 3 measured requests failed (connect ×3: ECONNREFUSED)',
    });

    const lagging = inputs();
    lagging.summary.health = {
      ...lagging.summary.health,
      valid: false,
      reasons: ['lag p99 5 ms > 1 ms'],
    };
    expect(buildStepRecord(lagging)).toMatchObject({
      status: 'invalid',
      statusReason: 'lag p99 5 ms > 1 ms',
    });

    expect(buildStepRecord(inputs({ interrupted: true })).status).toBe('interrupted');
  });

  it('summarises GPU samples inside the window: mean util, node power, peak memory', () => {
    const gpu = (timeMs: number, util: number, watts: number, mib: number) => ({
      v: 1 as const,
      timeMs,
      gpus: [0, 1].map((index) => ({
        index,
        name: 'H100',
        utilPercent: util,
        powerWatts: watts,
        memoryUsedMiB: mib,
        memoryTotalMiB: 81559,
      })),
    });
    const step = buildStepRecord(
      inputs({
        gpuSamples: [
          gpu(999_000, 0, 60, 1),
          gpu(1_001_500, 50, 300, 1000),
          gpu(1_002_500, 70, 400, 2000),
        ],
      }),
    );
    // Only the last two are inside [1 001 000, 1 003 000]: util (50 + 70) / 2 = 60;
    // power per sample 600 and 800 W → 700 W; memory peak 2 × 2000 MiB.
    expect(step.gpu).toEqual({ utilPercentMean: 60, powerWattsMean: 700, memoryUsedMiBMax: 4000 });
  });

  it('warns when the warm-up is shorter than the median request', () => {
    // Warm-up 1 s (window opens at 1000 ms); E2E of the two successes: 1198 and 1500 ms →
    // median 1.349 s > 1 s.
    const step = buildStepRecord(inputs());
    expect(warmupWarning(step)).toBe(
      'λ=1.5: the warm-up (1 s) is shorter than the median request (1.3 s), so θ reads low; ' +
        'raise step.warmupSeconds',
    );
    expect(warmupWarning({ ...step, warmupSeconds: 2 })).toBeNull();
  });

  it('θ counts in-window tokens of incomplete requests, not of other failures', () => {
    const withR3 = (cls: 'incomplete' | 'reset') => {
      const base = inputs();
      base.records = base.records.map((r) =>
        r.seq === 3 ? { ...r, outputTokensInWindow: 4, error: { class: cls, message: cls } } : r,
      );
      return buildStepRecord(base);
    };
    // (5 + 10 + 6 + 4) / 2 s: r3 was still streaming when the drain timer cut it.
    expect(withR3('incomplete').outputTokPerS).toBe(12.5);
    // A reset answer's tokens are waste: (5 + 10 + 6) / 2 s.
    expect(withR3('reset').outputTokPerS).toBe(10.5);
  });
});

describe('end-of-run goodput cost', () => {
  const hourlyUsd = PRICE.gpuHourlyUsd * PRICE.gpus;
  const usdPerMTok = (tokPerS: number) => (hourlyUsd * 1e6) / (3600 * tokPerS);

  // r2 is good under a loose SLO but streams 24 of its 30 tokens after the window closes.
  function lateGoodTokens(maxMs: number) {
    const base = inputs({ slo: { attainment: 0.5, ttftMs: { percentile: 50, maxMs } } });
    base.records = base.records.map((r) => (r.seq === 2 ? { ...r, outputTokens: 30 } : r));
    return { step: buildStepRecord(base), slo: base.slo };
  }

  it('is never below C_eff: tokens after the window do not count (B1)', () => {
    const { step } = lateGoodTokens(1000);
    // Every measured success is good (40 of 40 tokens), so goodput θ = θ = 10.5 tok/s; the
    // good requests' 40 tokens over the 2 s window (20 tok/s) would exceed θ.
    expect(step.outputTokPerS).toBe(10.5);
    expect(goodputCostUsd(step)).toBeCloseTo(usdPerMTok(10.5), 9);
    expect(goodputCostUsd(step)).toBeGreaterThanOrEqual(stepCostUsd(step));
  });

  it('is θ times the compliant share of tokens, the figure analyze prints', () => {
    const { step, slo } = lateGoodTokens(300);
    // Only r1 (TTFT 200 ms from intended) is good: 10 of the 40 tokens → 10.5 × 0.25 tok/s.
    expect(goodputCostUsd(step)).toBeCloseTo(usdPerMTok(10.5 * 0.25), 9);
    const row = analyzeStep({ step, recomputed: null, slo, sloIsRunOwn: true });
    expect(goodputCostUsd(step)).toBeCloseTo(row.cost.goodputUsdPerMTok as number, 9);
  });
});
