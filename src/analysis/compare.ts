/**
 * Variants side by side: every series against a baseline, with ratios at each λ both measured
 * (throughput gain, C_eff ratio, goodput-cost ratio) and over the whole curve (θ_max, C_naive,
 * SLO capacity, knee). A series is one variant of one run; with several runs it is labelled
 * `<run folder>/<variant>`.
 */

import { basename } from 'node:path';
import { usageError } from '../util/errors.ts';
import type { LoadPoint, RunAnalysis, VariantAnalysis } from './types.ts';

export interface Series {
  label: string;
  runDir: string;
  variant: VariantAnalysis;
}

export interface RateComparison {
  rateRps: number;
  baselineTokPerS: number;
  tokPerS: number;
  /** θ / θ_baseline − 1. */
  throughputGain: number;
  /** C_eff / C_eff baseline (< 1: cheaper). */
  costRatio: number;
  goodputCostRatio: number | null;
}

export interface SeriesComparison {
  label: string;
  thetaMaxRatio: number;
  cNaiveRatio: number;
  sloCapacityRatio: number | null;
  /** A ratio of lower bounds when either capacity lies above its sweep. */
  sloCapacityNote: string | null;
  kneeRatio: number | null;
  atRate: RateComparison[];
}

export interface Comparison {
  baseline: string;
  series: Array<{ label: string; runDir: string; variant: string }>;
  against: SeriesComparison[];
}

/** One series per variant; run folder names prefix labels when several runs are compared. */
export function seriesOf(analyses: RunAnalysis[]): Series[] {
  const many = analyses.length > 1;
  const out: Series[] = [];
  for (const a of analyses) {
    for (const v of a.variants) {
      let label = many ? `${basename(a.runDir)}/${v.name}` : v.name;
      for (let k = 2; out.some((s) => s.label === label); k++) label = `${v.name} (${k})`;
      out.push({ label, runDir: a.runDir, variant: v });
    }
  }
  return out;
}

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  typeof a === 'number' && typeof b === 'number' && b !== 0 && Number.isFinite(a / b)
    ? a / b
    : null;

const sameRate = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

function atRates(base: LoadPoint[], other: LoadPoint[]): RateComparison[] {
  return other.flatMap((p) => {
    const b = base.find((q) => sameRate(q.rateRps, p.rateRps));
    if (!b) return [];
    return [
      {
        rateRps: p.rateRps,
        baselineTokPerS: b.outputTokPerS.mean,
        tokPerS: p.outputTokPerS.mean,
        throughputGain: p.outputTokPerS.mean / b.outputTokPerS.mean - 1,
        costRatio: p.cost.cEffUsdPerMTok / b.cost.cEffUsdPerMTok,
        goodputCostRatio: ratio(p.cost.goodputUsdPerMTok, b.cost.goodputUsdPerMTok),
      },
    ];
  });
}

export function compareSeries(all: Series[], baselineLabel?: string): Comparison {
  if (all.length < 2) {
    throw usageError(
      `compare needs at least two variants, found ${all.length}` +
        `${all.length ? ` (${all[0]?.label})` : ''}: ` +
        'pass a run with several variants or several runs',
    );
  }
  const base = baselineLabel ? all.find((s) => s.label === baselineLabel) : all[0];
  if (!base) {
    throw usageError(
      `--baseline '${baselineLabel}' is not one of: ${all.map((s) => s.label).join(', ')}`,
    );
  }
  const b = base.variant;
  const against = all
    .filter((s) => s !== base)
    .map((s): SeriesComparison => {
      const v = s.variant;
      const capB = b.sloCapacity;
      const capV = v.sloCapacity;
      const censored = capB?.kind === 'above-range' || capV?.kind === 'above-range';
      return {
        label: s.label,
        thetaMaxRatio: v.thetaMaxObservedTokPerS / b.thetaMaxObservedTokPerS,
        cNaiveRatio: v.cNaiveUsdPerMTok / b.cNaiveUsdPerMTok,
        sloCapacityRatio: ratio(capV?.rateRps, capB?.rateRps),
        sloCapacityNote: censored ? 'a capacity lies above its sweep: ratio of lower bounds' : null,
        kneeRatio: v.fit.ok && b.fit.ok ? v.fit.kneeRps / b.fit.kneeRps : null,
        atRate: atRates(b.points, v.points),
      };
    });
  return {
    baseline: base.label,
    series: all.map((s) => ({ label: s.label, runDir: s.runDir, variant: s.variant.name })),
    against,
  };
}
