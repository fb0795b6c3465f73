import { describe, expect, it } from 'vitest';
import {
  cEffUsdPerMTok,
  penalty,
  stepCost,
  throughputForCost,
  usdPerRequest,
} from '../../src/cost/costModel.ts';
import { findGpu } from '../../src/cost/gpuCatalog.ts';

describe('cost model', () => {
  it('reproduces the paper row C1 at λ=1 (master_results.csv: tps 255.1465…, c_eff 7.599119…)', () => {
    // 6.98 $/h × 1 GPU × 1e6 / (3600 s × 255.14653291847958 tok/s) = 7.599119089375878
    const cEff = cEffUsdPerMTok({ gpuHourlyUsd: 6.98, gpus: 1 }, 255.14653291847958);
    expect(cEff).toBeCloseTo(7.599119089375878, 12);
  });

  it('counts every GPU of the node once (C5: 2 × H100 at 13.96 $/h, λ=1 → 15.253)', () => {
    // 13.96 × 1e6 / (3600 × 254.2301…) — the CSV's row for C5 at λ=1 gives c_eff 15.2531.
    const theta = (6.98 * 2 * 1e6) / (3600 * 15.2531);
    expect(cEffUsdPerMTok({ gpuHourlyUsd: 6.98, gpus: 2 }, theta)).toBeCloseTo(15.2531, 4);
  });

  it('is unbounded when nothing is produced', () => {
    expect(cEffUsdPerMTok({ gpuHourlyUsd: 6.98, gpus: 1 }, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(usdPerRequest({ gpuHourlyUsd: 6.98, gpus: 1 }, 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('penalty is θ_max/θ (C4 at λ=1: 9271.0 / 255.1… ≈ 36.3)', () => {
    expect(penalty(9271.0 / 36.34, 9271.0)).toBeCloseTo(36.34, 2);
  });

  it('throughputForCost inverts the cost', () => {
    expect(
      throughputForCost(6.98, cEffUsdPerMTok({ gpuHourlyUsd: 6.98, gpus: 1 }, 1234)),
    ).toBeCloseTo(1234, 9);
  });

  it('stepCost: goodput cost uses only SLO-compliant tokens, per-request and input costs', () => {
    // 3.6 $/h node: 1e-3 $ per second. 1000 tok/s → 1 $/M·1e-3·1e6/1000 = 1.0 $/M.
    const cost = stepCost(
      { gpuHourlyUsd: 1.8, gpus: 2 },
      { outputTokPerS: 1000, promptTokPerS: 2000, completedRps: 4, goodOutputTokPerS: 500 },
      4000,
    );
    expect(cost.nodeHourlyUsd).toBe(3.6);
    expect(cost.cEffUsdPerMTok).toBeCloseTo(1.0, 12);
    expect(cost.cNaiveUsdPerMTok).toBeCloseTo(0.25, 12);
    expect(cost.penalty).toBeCloseTo(4, 12);
    expect(cost.goodputUsdPerMTok).toBeCloseTo(2.0, 12);
    expect(cost.usdPerRequest).toBeCloseTo(0.001 / 4, 12);
    expect(cost.usdPerMInputTok).toBeCloseTo(0.5, 12);
    expect(cost.usdPerMTotalTok).toBeCloseTo(1 / 3, 12);
  });

  it('catalog knows the paper prices by alias', () => {
    expect(findGpu('H100')?.gpuHourlyUsd).toBe(6.98);
    expect(findGpu('a100_80gb_pcie')?.gpuHourlyUsd).toBe(3.67);
    expect(findGpu('tpu')).toBeUndefined();
  });
});
