import { describe, expect, it } from 'vitest';
import { StepAccumulator } from '../../src/analysis/requestStats.ts';
import { evaluateStepSlo } from '../../src/analysis/slo.ts';
import type { SloSpec } from '../../src/harness/records.ts';
import type { RequestRecord } from '../../src/load/types.ts';

function record(i: number): RequestRecord {
  // Deterministic variety: every 7th fails, every 11th has one token (no TPOT), every 5th is a
  // warm-up request, latencies spread by a multiplicative hash.
  const spread = ((i * 2654435761) % 1000) / 1000;
  const ok = i % 7 !== 0;
  const oneToken = i % 11 === 0;
  return {
    v: 1,
    variant: 'a',
    stepIndex: 0,
    repeat: 0,
    rateRps: 1,
    phase: i % 5 === 0 ? 'warmup' : 'measure',
    seq: i,
    id: `r${i}`,
    api: 'chat',
    intendedAtMs: i,
    releasedAtMs: i,
    sentAtMs: i,
    firstByteAtMs: null,
    firstTokenAtMs: null,
    lastTokenAtMs: null,
    endAtMs: i,
    ttftMs: ok ? 100 + 300 * spread : null,
    ttftFromIntendedMs: ok ? 110 + 300 * spread : null,
    e2eMs: ok ? 1000 + 2000 * spread : null,
    e2eFromIntendedMs: ok ? 1010 + 2000 * spread : null,
    tpotMs: ok && !oneToken ? 20 + 60 * spread : null,
    capWaitMs: 0,
    sendLagMs: 0,
    itl: ok
      ? { count: 5, meanMs: 30, p50Ms: 30, p90Ms: 40, p99Ms: 30 + 50 * spread, maxMs: 90 }
      : null,
    chunkGaps: null,
    chunks: 5,
    promptTokens: 100,
    promptTokensSource: 'usage',
    outputTokens: ok ? (oneToken ? 1 : 50 + (i % 13)) : null,
    outputTokensSource: ok ? 'usage' : null,
    requestedOutputTokens: 64,
    outputTokensInWindow: ok ? 40 : 3,
    status: ok ? 200 : 500,
    finishReason: ok ? 'length' : null,
    ok,
    error: ok ? null : { class: i % 2 ? 'http_5xx' : 'incomplete', message: 'x' },
  };
}

describe('StepAccumulator', () => {
  const records = Array.from({ length: 500 }, (_, i) => record(i));
  const measured = records.filter((r) => r.phase === 'measure');

  it.each<SloSpec>([
    {
      ttftMs: { percentile: 90, maxMs: 350 },
      tpotMs: { percentile: 99, maxMs: 70 },
      attainment: 0.8,
    },
    {
      itlMs: { percentile: 50, maxMs: 60 },
      e2eMs: { percentile: 95, maxMs: 2800 },
      attainment: 0.5,
    },
  ])('gives exactly the verdict of evaluateStepSlo on the same records: %o', (slo) => {
    const acc = new StepAccumulator(slo);
    for (const r of records) acc.add(r);
    expect(acc.finish().slo).toEqual(evaluateStepSlo(measured, slo));
  });

  it('counts tokens in the window over all phases, the rest over measured requests', () => {
    const acc = new StepAccumulator(null);
    for (const r of records) acc.add(r);
    const out = acc.finish();
    const okMeasured = measured.filter((r) => r.ok);
    // θ's numerator: 428 ok requests × 40 in-window tokens, plus the 36 `incomplete` ones (even
    // multiples of 7, cut at the drain timeout) × 3; the 36 http_5xx failures' tokens are waste.
    expect(out.outputTokensInWindow).toBe(428 * 40 + 36 * 3);
    expect(out.measuredRequests).toBe(400);
    expect(out.ok).toBe(okMeasured.length);
    // As steps.jsonl counts them: failed = measured − ok, incomplete ones included.
    expect(out.failed).toBe(400 - okMeasured.length);
    expect(out.incomplete).toBe(measured.filter((r) => r.error?.class === 'incomplete').length);
    expect(out.latency.tpotMs.count).toBe(okMeasured.filter((r) => r.tpotMs !== null).length);
    expect(out.meanRequestedOutputTokens).toBe(64);
    expect(out.slo).toBeNull();
  });
});
