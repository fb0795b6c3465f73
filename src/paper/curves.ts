/**
 * Runs grouped into saturation curves, costed with the project's cost model. The paper defines
 * θ_max as the largest measured output throughput of a configuration (no fit, no SLO bound), so
 * C_naive = C_eff(θ_max) = min over λ of C_eff and the penalty is θ_max / θ(λ).
 *
 * Price convention: the CSV column `gpu_cost_hr` already holds the whole node's hourly price
 * (13.96 for 2×H100, 14.68 for 4×A100). The data README's formula multiplies it by `gpus`
 * again, which would double (or quadruple) the multi-GPU costs; the published c_eff_per_mtok
 * column does not, and neither do we: the per-GPU price is gpu_cost_hr / gpus.
 */

import { cEffUsdPerMTok, type NodePrice, penalty } from '../cost/costModel.ts';
import { findGpu } from '../cost/gpuCatalog.ts';
import { inputError } from '../util/errors.ts';
import type { PaperRun } from './data.ts';

export interface CurvePoint<R extends PaperRun = PaperRun> {
  run: R;
  rateRps: number;
  outputTokPerS: number;
  cEffUsdPerMTok: number;
  penalty: number;
  /** U = θ / θ_max. */
  utilisation: number;
}

export interface ConfigCurve<R extends PaperRun = PaperRun> {
  /** The grouping key: the config id for the primary corpus, config plus variant for v2. */
  key: string;
  config: string;
  engine: string;
  modelId: string;
  architecture: string;
  activeParamsB: number;
  precision: string;
  hardware: string | null;
  gpus: number;
  price: NodePrice;
  /** Ascending offered rate. */
  points: Array<CurvePoint<R>>;
  thetaMaxTokPerS: number;
  thetaMaxRateRps: number;
  cNaiveUsdPerMTok: number;
  /** λ where U first reaches 0.9, linearly interpolated between grid points. */
  kneeRps: number | null;
  /** Mean of tps_output / request_throughput over the points. */
  outputTokensPerRequest: number;
}

/** The node price of a run: gpu_cost_hr is the node total, so one GPU costs a gpus-th of it. */
export function nodePriceOf(run: PaperRun): NodePrice {
  return { gpuHourlyUsd: run.nodeHourlyUsd / run.gpus, gpus: run.gpus };
}

/** λ at which utilisation first reaches `fraction`, interpolated linearly in λ; null if never. */
export function kneeRateRps(
  points: ReadonlyArray<{ rateRps: number; utilisation: number }>,
  fraction = 0.9,
): number | null {
  const index = points.findIndex((p) => p.utilisation >= fraction);
  if (index < 0) return null;
  const hit = points[index] as { rateRps: number; utilisation: number };
  if (index === 0) return hit.rateRps;
  const before = points[index - 1] as { rateRps: number; utilisation: number };
  const share = (fraction - before.utilisation) / (hit.utilisation - before.utilisation);
  return before.rateRps + share * (hit.rateRps - before.rateRps);
}

const same = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));

function buildCurve<R extends PaperRun>(key: string, runs: R[]): ConfigCurve<R> {
  const first = runs[0] as R;
  for (const run of runs) {
    const clash = (['engine', 'modelId', 'precision', 'hardware', 'gpus'] as const).find(
      (field) => run[field] !== first[field],
    );
    if (clash || !same(run.nodeHourlyUsd, first.nodeHourlyUsd)) {
      throw inputError(
        `${run.file}:${run.line}: ${key} differs from line ${first.line} in ` +
          `${clash ?? 'gpu_cost_hr'}; one configuration must keep one setup`,
      );
    }
  }
  const sorted = [...runs].sort((a, b) => a.rateRps - b.rateRps);
  sorted.forEach((run, i) => {
    if (i > 0 && run.rateRps === sorted[i - 1]?.rateRps) {
      throw inputError(`${run.file}:${run.line}: ${key} has two runs at rps=${run.rateRps}`);
    }
  });

  const price = nodePriceOf(first);
  const peak = sorted.reduce((best, run) => (run.outputTokPerS > best.outputTokPerS ? run : best));
  const thetaMax = peak.outputTokPerS;
  const points = sorted.map((run) => ({
    run,
    rateRps: run.rateRps,
    outputTokPerS: run.outputTokPerS,
    cEffUsdPerMTok: cEffUsdPerMTok(price, run.outputTokPerS),
    penalty: penalty(run.outputTokPerS, thetaMax),
    utilisation: run.outputTokPerS / thetaMax,
  }));
  const perRequest = sorted.map((run) => run.outputTokPerS / run.completedRps);

  return {
    key,
    config: first.config,
    engine: first.engine,
    modelId: first.modelId,
    architecture: first.architecture,
    activeParamsB: first.activeParamsB,
    precision: first.precision,
    hardware: first.hardware,
    gpus: first.gpus,
    price,
    points,
    thetaMaxTokPerS: thetaMax,
    thetaMaxRateRps: peak.rateRps,
    cNaiveUsdPerMTok: cEffUsdPerMTok(price, thetaMax),
    kneeRps: kneeRateRps(points),
    outputTokensPerRequest: perRequest.reduce((a, b) => a + b, 0) / perRequest.length,
  };
}

/** Groups runs by key (first-appearance order) and costs each group as one curve. */
export function buildCurves<R extends PaperRun>(
  runs: readonly R[],
  keyOf: (run: R) => string = (run) => run.config,
): Array<ConfigCurve<R>> {
  const groups = new Map<string, R[]>();
  for (const run of runs) {
    const key = keyOf(run);
    const group = groups.get(key);
    if (group) group.push(run);
    else groups.set(key, [run]);
  }
  return [...groups].map(([key, group]) => buildCurve(key, group));
}

export interface PublishedCheck {
  rows: number;
  /** Largest relative difference between our value and the CSV's derived column. */
  maxRelDiffCEff: number;
  maxRelDiffCNaive: number;
  maxRelDiffPenalty: number;
}

/** How far our costs are from the CSV's own derived columns (they should agree to ~1e-12). */
export function checkAgainstPublished(curves: readonly ConfigCurve[]): PublishedCheck {
  const rel = (ours: number, theirs: number) => Math.abs(ours - theirs) / Math.abs(theirs);
  const check: PublishedCheck = {
    rows: 0,
    maxRelDiffCEff: 0,
    maxRelDiffCNaive: 0,
    maxRelDiffPenalty: 0,
  };
  for (const curve of curves) {
    for (const point of curve.points) {
      const published = point.run.published;
      check.rows++;
      check.maxRelDiffCEff = Math.max(
        check.maxRelDiffCEff,
        rel(point.cEffUsdPerMTok, published.cEffUsdPerMTok),
      );
      check.maxRelDiffCNaive = Math.max(
        check.maxRelDiffCNaive,
        rel(curve.cNaiveUsdPerMTok, published.cNaiveUsdPerMTok),
      );
      check.maxRelDiffPenalty = Math.max(
        check.maxRelDiffPenalty,
        rel(point.penalty, published.penalty),
      );
    }
  }
  return check;
}

/**
 * Runs whose node price disagrees with the GPU catalog's per-GPU price × GPUs, one line each.
 * Empty for the paper's data: its gpu_cost_hr is the node price at 6.98 (H100) or 3.67 (A100).
 */
export function priceMismatches(runs: readonly PaperRun[]): string[] {
  const messages: string[] = [];
  for (const run of runs) {
    const gpu = run.hardware === null ? undefined : findGpu(run.hardware);
    if (!gpu) continue;
    const expected = gpu.gpuHourlyUsd * run.gpus;
    if (!same(expected, run.nodeHourlyUsd)) {
      messages.push(
        `${run.file}:${run.line}: gpu_cost_hr ${run.nodeHourlyUsd} for ${run.gpus}×` +
          `${run.hardware}; the catalog's node price is ${expected.toFixed(2)}`,
      );
    }
  }
  return messages;
}
