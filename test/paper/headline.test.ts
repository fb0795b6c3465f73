/**
 * Every number stated in ../shared/paper/README.md and in the paper note's §3 table, recomputed
 * from the raw CSV columns by our code. Expected values are the ones those documents quote.
 */

import { describe, expect, it } from 'vitest';
import { buildCurves } from '../../src/paper/curves.ts';
import { loadPaperData } from '../../src/paper/data.ts';
import { computeHeadline } from '../../src/paper/headline.ts';
import { expect3sf, PAPER_DIR, SKIP_NOTE } from './helpers.ts';

describe.skipIf(!PAPER_DIR)(`paper headline numbers${SKIP_NOTE}`, () => {
  const data = PAPER_DIR ? loadPaperData(PAPER_DIR) : null;
  const curves = data ? buildCurves(data.runs) : [];
  const h = data ? computeHeadline(data, curves) : (null as never);

  it('README: on H100, C_eff spans 0.209 to 15.25 USD per million output tokens', () => {
    expect3sf(h.h100CeffMin, 0.209);
    expect(h.h100CeffMax.toFixed(2)).toBe('15.25');
    // §3 #1: min at C4 λ=200 (0.2091), max at C5 λ=1 (15.2531).
    expect(h.h100CeffMinAt).toEqual({ config: 'C4', rps: 200 });
    expect(h.h100CeffMaxAt).toEqual({ config: 'C5', rps: 1 });
    expect(h.h100CeffMin.toFixed(4)).toBe('0.2091');
    expect(h.h100CeffMax.toFixed(4)).toBe('15.2531');
  });

  it('§3 #1: the SGLang extremes on H100 (15.22 / 0.46) do not move the range', () => {
    const sglang = curves.filter((c) => c.engine === 'sglang' && c.hardware === 'H100');
    const costs = sglang.flatMap((c) => c.points.map((p) => p.cEffUsdPerMTok));
    expect3sf(Math.max(...costs), 15.22);
    expect3sf(Math.min(...costs), 0.463);
  });

  it('README + §3 #3: the largest penalty is 36.3× (C4, λ=1)', () => {
    expect(h.maxPenalty.config).toBe('C4');
    expect(h.maxPenalty.rps).toBe(1);
    expect3sf(h.maxPenalty.value, 36.3);
    expect(h.maxPenalty.value.toFixed(2)).toBe('36.34');
  });

  it('README + §3 #3b: at λ=1 the vLLM-H100 penalty runs from 17.5× (C5) to 36.3× (C4)', () => {
    const quoted: Record<string, number> = {
      C1: 24.45,
      C2: 31.93,
      C3: 20.86,
      C4: 36.34,
      C5: 17.52,
      C6: 29.51,
    };
    for (const [config, value] of Object.entries(quoted)) expect3sf(h.penaltyAtRps1[config], value);
    const vllmH100 = Object.keys(quoted).map((c) => h.penaltyAtRps1[c] as number);
    expect3sf(Math.min(...vllmH100), 17.5);
    expect3sf(Math.max(...vllmH100), 36.3);
  });

  it('§3 #2: C1 24.45 @1, 4.96 @5, 2.53 @10; λ≤10 spans vLLM 1.91–36.34, SGLang 1.01–16.32', () => {
    const c1 = curves.find((c) => c.config === 'C1');
    expect3sf(c1?.points.find((p) => p.rateRps === 1)?.penalty, 24.45);
    expect3sf(c1?.points.find((p) => p.rateRps === 5)?.penalty, 4.96);
    expect3sf(c1?.points.find((p) => p.rateRps === 10)?.penalty, 2.53);
    const low = (engine: string) =>
      curves
        .filter((c) => c.engine === engine && c.hardware === 'H100')
        .flatMap((c) => c.points.filter((p) => p.rateRps <= 10).map((p) => p.penalty));
    expect3sf(Math.min(...low('vllm')), 1.91);
    expect3sf(Math.max(...low('vllm')), 36.34);
    expect3sf(Math.min(...low('sglang')), 1.01);
    expect3sf(Math.max(...low('sglang')), 16.32);
  });

  it('§3 #4: penalty = θ_max/θ = C_eff/C_naive on 140/140 rows, equal to the CSV columns', () => {
    expect(h.check.rows).toBe(140);
    expect(h.check.maxRelDiffCEff).toBeLessThan(1e-12);
    expect(h.check.maxRelDiffCNaive).toBeLessThan(1e-12);
    expect(h.check.maxRelDiffPenalty).toBeLessThan(1e-12);
    for (const c of curves) {
      for (const p of c.points) {
        expect(p.penalty).toBeCloseTo(p.cEffUsdPerMTok / c.cNaiveUsdPerMTok, 10);
      }
    }
    expect(h.check.priceMismatches).toEqual([]);
  });

  it('§3 (R3): θ_max C1 6238, C2 8155, C3 5319, C4 9271, C5 4454, C6 7524', () => {
    const quoted = { C1: 6238, C2: 8155, C3: 5319, C4: 9271, C5: 4454, C6: 7524 };
    for (const [config, value] of Object.entries(quoted)) expect3sf(h.thetaMax[config], value);
    for (const [config, value] of Object.entries(quoted)) {
      expect(Math.round(h.thetaMax[config] as number)).toBe(value);
    }
  });

  it('§3 #5: FP8 gains +30.7%, +74.3%, +68.9%; MoE over dense 2.42× and 2.24×', () => {
    expect3sf(h.fp8Gain['C2/C1'], 0.307);
    expect3sf(h.fp8Gain['C4/C3'], 0.743);
    expect3sf(h.fp8Gain['C6/C5'], 0.689);
    expect3sf(h.moeFp8GainOverDense['C4/C3'], 2.42);
    expect3sf(h.moeFp8GainOverDense['C6/C5'], 2.24);
  });

  it('§3 #5b: the same test on SGLang gives +35.8%, +80.1%, +128.4%', () => {
    expect3sf(h.fp8Gain['S2/S1'], 0.358);
    expect3sf(h.fp8Gain['S4/S3'], 0.801);
    expect3sf(h.fp8Gain['S6/S5'], 1.284);
  });

  it('§3 #6: active-parameter ordering holds at FP8, breaks at FP16', () => {
    const t = h.thetaMax as Record<string, number>;
    // H100 FP8: Qwen (3B) 9271 > Llama (8B) 8155 > Mixtral (12.9B) 7524.
    expect(t.C4).toBeGreaterThan(t.C2 as number);
    expect(t.C2).toBeGreaterThan(t.C6 as number);
    // A100 FP8: Qwen 2867 > Llama 2489.
    expect3sf(t.A4, 2867);
    expect3sf(t.A2, 2489);
    expect(t.A4).toBeGreaterThan(t.A2 as number);
    // FP16: Llama beats Qwen on both GPUs (H100 6238 > 5319; A100 2906 > 2071).
    expect3sf(t.A1, 2906);
    expect3sf(t.A3, 2071);
    expect(t.C1).toBeGreaterThan(t.C3 as number);
    expect(t.A1).toBeGreaterThan(t.A3 as number);
  });

  it('§3 #7: A100 spread max/min C_eff per config, 7.03 (AS1) … 12.33 (M3)', () => {
    const quoted = {
      A1: 11.42,
      A2: 9.76,
      A3: 8.15,
      A4: 11.26,
      AS1: 7.03,
      M1: 9.29,
      M2: 2.54,
      M3: 12.33,
    };
    expect(Object.keys(h.a100SpreadByConfig).sort()).toEqual(Object.keys(quoted).sort());
    for (const [config, value] of Object.entries(quoted)) {
      expect3sf(h.a100SpreadByConfig[config], value);
      // "equal to the penalty at λ=1".
      expect(h.a100SpreadByConfig[config]).toBeCloseTo(h.penaltyAtRps1[config] as number, 9);
    }
  });

  it('§3 #7b: on A100, A2/A1 θ_max is −14.4% and A4/A3 +38.4%', () => {
    expect3sf(h.fp8Gain['A2/A1'], -0.144);
    expect3sf(h.fp8Gain['A4/A3'], 0.384);
  });

  it('§3 #8: 42 vLLM-H100 runs, 84 on H100, 56 on A100, 140 in all, 20 configurations', () => {
    expect(h.counts).toEqual({
      runs: 140,
      configs: 20,
      h100Runs: 84,
      a100Runs: 56,
      vllmH100Runs: 42,
    });
  });

  it('§3 #9: C2 CVs: throughput and C_eff 0.005–0.31%, TTFT p50 8.73% @50, E2E 1.25% @10', () => {
    const s = h.stability;
    expect(s).not.toBeNull();
    const tps = s?.rows.map((r) => r.tpsCvPct) ?? [];
    expect3sf(Math.min(...tps), 0.00532);
    expect3sf(s?.maxThroughputCvPct, 0.306);
    expect3sf(s?.maxCEffCvPct, 0.306);
    expect(s?.maxTtftP50Cv.rps).toBe(50);
    expect3sf(s?.maxTtftP50Cv.valuePct, 8.73);
    expect(s?.maxE2eP50Cv.rps).toBe(10);
    expect3sf(s?.maxE2eP50Cv.valuePct, 1.25);
    // §1.6 table: TTFT p50 CV 0.33 @1, 0.22 @10, 3.24 @100; E2E p50 CV 0.40 @1, 0.55 @50.
    const at = (rps: number) => s?.rows.find((r) => r.rateRps === rps);
    expect3sf(at(1)?.ttftP50CvPct, 0.33);
    expect3sf(at(10)?.ttftP50CvPct, 0.217);
    expect3sf(at(100)?.ttftP50CvPct, 3.24);
    expect3sf(at(1)?.e2eP50CvPct, 0.396);
    expect3sf(at(50)?.e2eP50CvPct, 0.552);
  });

  it('§1.6: replicates differ from the primary C2 row at λ=100 by −8.4% (0.2613 vs 0.2394)', () => {
    const at100 = h.stability?.replicateVsPrimary.find((r) => r.rps === 100);
    expect3sf(at100?.replicateTpsMean, 7419.5);
    expect3sf(at100?.primaryTps, 8100.6);
    // Quoted as −8.4% (two figures): −0.0841.
    expect(at100?.throughputRelDiff.toFixed(3)).toBe('-0.084');
    expect3sf(at100?.replicateCEff, 0.2613);
    expect3sf(at100?.primaryCEff, 0.2394);
    const at50 = h.stability?.replicateVsPrimary.find((r) => r.rps === 50);
    expect(Math.abs(at50?.throughputRelDiff ?? 1)).toBeLessThan(0.003);
  });

  it('§3 extra: below the knee θ = 256·λ, so the λ=1 penalty ≈ θ_max/256 (C4 36.21)', () => {
    expect(h.outputTokensPerRequest.min).toBeCloseTo(256, 9);
    expect(h.outputTokensPerRequest.max).toBeCloseTo(256, 9);
    expect3sf(h.idealSaturationRps.C4, 36.21);
    expect3sf(h.idealSaturationRps.C1, 24.37);
    // §4 λ_sat = θ_max / L_out: C1 24.4, C2 31.9, C3 20.8, C4 36.2, C5 17.4, C6 29.4.
    const quoted = { C1: 24.4, C2: 31.9, C3: 20.8, C4: 36.2, C5: 17.4, C6: 29.4 };
    for (const [config, value] of Object.entries(quoted)) {
      expect(h.idealSaturationRps[config]).toBeCloseTo(value, 0);
    }
  });

  it('§3 extra: engine gap vLLM/SGLang θ_max 2.02, 1.95, 2.59, 2.50, 3.59, 2.66', () => {
    const quoted = {
      'C1/S1': 2.02,
      'C2/S2': 1.95,
      'C3/S3': 2.59,
      'C4/S4': 2.5,
      'C5/S5': 3.59,
      'C6/S6': 2.66,
    };
    for (const [pair, value] of Object.entries(quoted)) expect3sf(h.engineGap[pair], value);
  });

  it('§3 extra: knee (U reaches 0.9) C1 35, C2 47, C3 29, C4 82, C5 25, C6 46; S* 5–23', () => {
    const quoted = { C1: 35, C2: 47, C3: 29, C4: 82, C5: 25, C6: 46 };
    for (const [config, value] of Object.entries(quoted)) {
      expect(Math.round(h.kneeRps[config] as number)).toBe(value);
    }
    const sKnees = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'].map((c) => h.kneeRps[c] as number);
    expect(Math.round(Math.min(...sKnees))).toBe(5);
    expect(Math.round(Math.max(...sKnees))).toBe(23);
  });

  it('§3 extra: nvidia-smi util reads 71–88% at λ=1 while U = θ/θ_max is 2.8–5.7%', () => {
    const ones = curves
      .filter((c) => c.engine === 'vllm' && c.hardware === 'H100')
      .map((c) => c.points[0]);
    const smi = ones.map((p) => p?.run.gpuUtilPct as number);
    const u = ones.map((p) => (p?.utilisation as number) * 100);
    // The note truncates to whole percent: 71.5 (C4) and 88.2 (C5).
    expect(Math.trunc(Math.min(...smi))).toBe(71);
    expect(Math.trunc(Math.max(...smi))).toBe(88);
    expect3sf(Math.min(...smi), 71.5);
    expect3sf(Math.max(...smi), 88.2);
    expect3sf(Math.min(...u), 2.75);
    expect3sf(Math.max(...u), 5.71);
  });

  it('§1.5: C4 chat with prefix caching 37.95× at λ=1; rag 2.3–2.6×, agentic 1.15–1.25×', () => {
    const shapes = h.shapes;
    expect(shapes).not.toBeNull();
    const p1 = shapes?.penaltyAtRps1 ?? {};
    expect(p1['C4/chat/prefix-cache/k=1']?.toFixed(2)).toBe('37.95');
    expect(shapes?.maxPenalty.config).toBe('C4/chat/prefix-cache/k=1');
    expect3sf(p1['C2/rag/no-prefix-cache/k=1'], 2.29);
    expect3sf(p1['C4/rag/no-prefix-cache/k=1'], 2.59);
    expect3sf(p1['C2/agentic/no-prefix-cache/k=1'], 1.15);
    expect3sf(p1['C4/agentic/no-prefix-cache/k=1'], 1.25);
    // Output lengths per shape: chat 256, rag 1024, agentic 4096 tokens per request.
    expect(shapes?.outputTokensPerRequest['C2/rag/no-prefix-cache/k=1']).toBeCloseTo(1024, 6);
    expect(shapes?.outputTokensPerRequest['C4/agentic/no-prefix-cache/k=1']).toBeCloseTo(4096, 6);
    expect(shapes?.check.maxRelDiffCEff).toBeLessThan(1e-12);
    expect(shapes?.check.maxRelDiffPenalty).toBeLessThan(1e-12);
  });

  it('§1.5: burstiness k=0.25 vs 1 (C4 chat) moves θ by ≤1%; TTFT p99 109 → 151 ms at λ=10', () => {
    const rows = h.shapes?.burstiness ?? [];
    expect(rows.map((r) => r.rps)).toEqual([10, 50, 100]);
    for (const row of rows) expect(Math.abs(row.throughputChange)).toBeLessThanOrEqual(0.01);
    const at10 = rows.find((r) => r.rps === 10);
    expect(Math.round(at10?.ttftP99MsPoisson ?? 0)).toBe(109);
    expect(Math.round(at10?.ttftP99MsBursty ?? 0)).toBe(151);
  });
});
