import { describe, expect, it } from 'vitest';
import { evaluateStepSlo, isGoodRequest } from '../../src/analysis/slo.ts';
import type { SloSpec } from '../../src/harness/records.ts';
import type { RequestRecord } from '../../src/load/types.ts';

function request(over: Partial<RequestRecord>): RequestRecord {
  return {
    v: 1,
    variant: 'a',
    stepIndex: 0,
    repeat: 0,
    rateRps: 1,
    phase: 'measure',
    seq: 0,
    id: 'r',
    api: 'completions',
    intendedAtMs: 0,
    releasedAtMs: 0,
    sentAtMs: 0,
    firstByteAtMs: 1,
    firstTokenAtMs: 1,
    lastTokenAtMs: 2,
    endAtMs: 2,
    ttftMs: 100,
    ttftFromIntendedMs: 100,
    e2eMs: 1000,
    e2eFromIntendedMs: 1000,
    tpotMs: 10,
    capWaitMs: 0,
    sendLagMs: 0,
    itl: null,
    chunkGaps: null,
    chunks: 10,
    promptTokens: 10,
    promptTokensSource: 'usage',
    outputTokens: 91,
    outputTokensSource: 'usage',
    requestedOutputTokens: 91,
    outputTokensInWindow: 91,
    status: 200,
    finishReason: 'length',
    ok: true,
    error: null,
    ...over,
  };
}

const slo: SloSpec = {
  ttftMs: { percentile: 90, maxMs: 300 },
  tpotMs: { percentile: 90, maxMs: 50 },
  attainment: 0.75,
};

describe('SLO evaluation', () => {
  it('a request is good only when it succeeded and meets every bound', () => {
    expect(isGoodRequest(request({}), slo)).toBe(true);
    expect(isGoodRequest(request({ ttftFromIntendedMs: 301 }), slo)).toBe(false);
    expect(isGoodRequest(request({ tpotMs: 51 }), slo)).toBe(false);
    expect(isGoodRequest(request({ ok: false }), slo)).toBe(false);
    // One output token has no TPOT: it cannot violate a TPOT bound.
    expect(isGoodRequest(request({ tpotMs: null, outputTokens: 1 }), slo)).toBe(true);
  });

  it('attainment, goodput tokens and percentile checks over a step', () => {
    // TTFTs 100, 200, 250, 400 (ms): 3 of 4 good → attainment 0.75, good tokens 3 × 91 = 273.
    // TTFT p90 by linear interpolation: rank 0.9 × 3 = 2.7 → 250 + 0.7 × (400 − 250) = 355 > 300.
    const step = [100, 200, 250, 400].map((t) => request({ ttftFromIntendedMs: t }));
    const verdict = evaluateStepSlo(step, slo);
    expect(verdict.goodRequests).toBe(3);
    expect(verdict.attainment).toBe(0.75);
    expect(verdict.goodOutputTokens).toBe(273);
    expect(verdict.checks[0]?.valueMs).toBeCloseTo(355, 9);
    expect(verdict.checks[0]?.ok).toBe(false);
    expect(verdict.met).toBe(false);
  });

  it('an empty step has no verdict', () => {
    expect(evaluateStepSlo([], slo).met).toBeNull();
  });
});
