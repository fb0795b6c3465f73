/**
 * Repeats of one variant at one λ folded into a load point: mean and spread of θ, costs at the
 * mean θ, and latency percentiles averaged over repeats. Steps that failed or were interrupted
 * measured nothing and are left out; steps the driver marked invalid are kept and counted.
 */

import { stepCost } from '../cost/costModel.ts';
import type { LoadPoint, Spread, StepAnalysis } from './types.ts';

export const usableStep = (row: StepAnalysis): boolean =>
  row.status === 'ok' || row.status === 'invalid';

export function spreadOf(values: number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const stdev =
    n > 1 ? Math.sqrt(values.reduce((acc, v) => acc + (v - mean) ** 2, 0) / (n - 1)) : null;
  return { mean, min: Math.min(...values), max: Math.max(...values), stdev, n };
}

/** Mean of the non-null values, or null when there are none. */
function meanOf(values: Array<number | null | undefined>): number | null {
  const kept = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return kept.length ? kept.reduce((a, b) => a + b, 0) / kept.length : null;
}

function aggregateSlo(rows: StepAnalysis[]): LoadPoint['slo'] {
  const first = rows[0]?.slo;
  if (!first) return null;
  const attainment = meanOf(rows.map((r) => r.slo?.attainment));
  const checks = first.checks.map((check, i) => ({
    metric: check.metric,
    percentile: check.percentile,
    maxMs: check.maxMs,
    valueMs: meanOf(rows.map((r) => r.slo?.checks[i]?.valueMs)),
  }));
  // Met when every repeat met it: a single failing repeat is a real failure at that load.
  const verdicts = rows.map((r) => r.slo?.met ?? null);
  const met = verdicts.includes(false) ? false : verdicts.includes(null) ? null : true;
  return { attainment, met, checks };
}

/** Groups usable rows of one variant by λ and aggregates each group (ascending λ). */
export function loadPoints(rows: StepAnalysis[], thetaMaxTokPerS: number | null): LoadPoint[] {
  const byRate = new Map<number, StepAnalysis[]>();
  for (const row of rows.filter(usableStep)) {
    const group = byRate.get(row.rateRps) ?? [];
    group.push(row);
    byRate.set(row.rateRps, group);
  }

  return [...byRate.entries()]
    .sort(([a], [b]) => a - b)
    .map(([rateRps, group]) => {
      const first = group[0] as StepAnalysis;
      const theta = spreadOf(group.map((r) => r.outputTokPerS));
      const goodValues = group.map((r) => r.goodOutputTokPerS);
      const goodOutputTokPerS = goodValues.includes(null) ? null : meanOf(goodValues);
      const promptTokPerS = meanOf(group.map((r) => r.promptTokPerS)) ?? 0;
      const completedRps = meanOf(group.map((r) => r.completedRps)) ?? 0;
      const price = { gpuHourlyUsd: first.pricing.gpuHourlyUsd, gpus: first.pricing.gpus };
      const costs = group.map((r) => r.cost.cEffUsdPerMTok);
      const ratios = group.map((r) => r.littlesLaw.ratio);
      return {
        variant: first.variant,
        rateRps,
        repeats: group.length,
        invalidRepeats: group.filter((r) => r.status === 'invalid').length,
        offeredOutputTokPerS: meanOf(group.map((r) => r.offeredOutputTokPerS)) ?? 0,
        outputTokPerS: theta,
        goodOutputTokPerS,
        completedRps,
        promptTokPerS,
        cost: stepCost(
          price,
          { outputTokPerS: theta.mean, promptTokPerS, completedRps, goodOutputTokPerS },
          thetaMaxTokPerS,
        ),
        cEffRangeUsdPerMTok: { min: Math.min(...costs), max: Math.max(...costs) },
        latencyMs: {
          ttftP50: meanOf(group.map((r) => r.latency.ttftFromIntendedMs.p50Ms)),
          ttftP99: meanOf(group.map((r) => r.latency.ttftFromIntendedMs.p99Ms)),
          tpotP50: meanOf(group.map((r) => r.latency.tpotMs.p50Ms)),
          tpotP99: meanOf(group.map((r) => r.latency.tpotMs.p99Ms)),
          e2eP50: meanOf(group.map((r) => r.latency.e2eFromIntendedMs.p50Ms)),
          e2eP99: meanOf(group.map((r) => r.latency.e2eFromIntendedMs.p99Ms)),
        },
        slo: aggregateSlo(group),
        littlesLawRatio: ratios.includes(null) ? null : meanOf(ratios),
      };
    });
}
