import { describe, expect, it } from 'vitest';
import { buildCurves, kneeRateRps, nodePriceOf, priceMismatches } from '../../src/paper/curves.ts';
import type { PaperRun } from '../../src/paper/data.ts';

function run(
  config: string,
  rateRps: number,
  outputTokPerS: number,
  extra: Partial<PaperRun> = {},
): PaperRun {
  return {
    file: 'synthetic.csv',
    line: rateRps + 1,
    config,
    engine: 'vllm',
    modelId: 'org/Model',
    architecture: 'dense',
    activeParamsB: 8,
    precision: 'fp8',
    hardware: 'H100',
    gpus: 2,
    rateRps,
    completedRps: outputTokPerS / 256,
    outputTokPerS,
    ttftMeanMs: 1,
    ttftP50Ms: 1,
    ttftP90Ms: 1,
    ttftP99Ms: 1,
    e2eP50Ms: 1,
    e2eP90Ms: 1,
    e2eP99Ms: 1,
    tpotP50Ms: 1,
    tpotP90Ms: 1,
    gpuUtilPct: null,
    gpuPowerW: null,
    nodeHourlyUsd: 13.96,
    published: { cEffUsdPerMTok: 0, cNaiveUsdPerMTok: 0, penalty: 0 },
    ...extra,
  };
}

describe('buildCurves', () => {
  // Out of order on purpose: the curve sorts by λ.
  const runs = [run('X', 20, 1000), run('X', 1, 100), run('X', 10, 800)];
  const [curve] = buildCurves(runs);

  it('treats gpu_cost_hr as the node price: 13.96 on 2 GPUs is 6.98 per GPU', () => {
    expect(nodePriceOf(runs[0] as PaperRun)).toEqual({ gpuHourlyUsd: 6.98, gpus: 2 });
    expect(priceMismatches(runs)).toEqual([]);
  });

  it('costs each point: θ_max 1000, C_naive 13.96e6/(3600·1000) = 3.8778, C_eff(1) 38.778', () => {
    expect(curve?.points.map((p) => p.rateRps)).toEqual([1, 10, 20]);
    expect(curve?.thetaMaxTokPerS).toBe(1000);
    expect(curve?.thetaMaxRateRps).toBe(20);
    expect(curve?.cNaiveUsdPerMTok).toBeCloseTo(3.877778, 5);
    expect(curve?.points[0]?.cEffUsdPerMTok).toBeCloseTo(38.77778, 4);
    // penalty θ_max/θ: 1000/100 = 10, 1000/800 = 1.25, 1.
    expect(curve?.points.map((p) => p.penalty)).toEqual([10, 1.25, 1]);
    expect(curve?.outputTokensPerRequest).toBeCloseTo(256, 9);
  });

  it('interpolates the knee linearly in λ: U 0.8 at 10, 1.0 at 20 → 0.9 at λ = 15', () => {
    expect(curve?.kneeRps).toBeCloseTo(15, 12);
    expect(kneeRateRps([{ rateRps: 1, utilisation: 0.95 }])).toBe(1);
    expect(
      kneeRateRps([
        { rateRps: 1, utilisation: 0.5 },
        { rateRps: 2, utilisation: 0.7 },
      ]),
    ).toBeNull();
  });

  it('flags a node price that disagrees with the GPU catalog (README per-GPU reading)', () => {
    const perGpu = [run('Y', 1, 100, { nodeHourlyUsd: 6.98 })];
    expect(priceMismatches(perGpu)).toEqual([
      "synthetic.csv:2: gpu_cost_hr 6.98 for 2×H100; the catalog's node price is 13.96",
    ]);
  });

  it('rejects two runs at one rate and a configuration whose setup changes', () => {
    expect(() => buildCurves([run('X', 1, 100), run('X', 1, 110)])).toThrow(
      'synthetic.csv:2: X has two runs at rps=1',
    );
    expect(() => buildCurves([run('X', 1, 100), run('X', 5, 500, { gpus: 4 })])).toThrow(
      /X differs from line 2 in gpus/,
    );
  });
});
