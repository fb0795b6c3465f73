/**
 * The paper's headline numbers, recomputed from raw columns (tps_output, gpu_cost_hr, gpus) with
 * the project's cost model. Pure: curves in, one plain object out (written as headline.json).
 */

import { inputError } from '../util/errors.ts';
import { COST_FORMULA, PAPER_CITATION, PAPER_URL } from './citation.ts';
import {
  buildCurves,
  type ConfigCurve,
  checkAgainstPublished,
  type PublishedCheck,
  priceMismatches,
} from './curves.ts';
import type { PaperData, ShapeRun, StabilityRow } from './data.ts';
import { fitPaperCurve, type PaperFit } from './fits.ts';
import { enginePairs, fp8Pairs } from './pairs.ts';

export interface RateValue {
  config: string;
  rps: number;
  value: number;
}

export interface ShapeFindings {
  /** Key `config/shape/prefix-cache|no-prefix-cache/k=<gamma shape>`. */
  penaltyAtRps1: Record<string, number>;
  maxPenalty: RateValue;
  outputTokensPerRequest: Record<string, number>;
  /** Bursty (k<1) against Poisson (k=1) arrivals, same config, shape and cache, per λ. */
  check: PublishedCheck;
  burstiness: Array<{
    config: string;
    rps: number;
    gammaShape: number;
    throughputChange: number;
    ttftP99MsPoisson: number;
    ttftP99MsBursty: number;
  }>;
}

export interface StabilityFindings {
  rows: StabilityRow[];
  maxThroughputCvPct: number;
  maxCEffCvPct: number;
  maxTtftP50Cv: { rps: number; valuePct: number };
  maxE2eP50Cv: { rps: number; valuePct: number };
  /** The replicate means against the primary corpus's single C2 run at the same λ. */
  replicateVsPrimary: Array<{
    rps: number;
    replicateTpsMean: number;
    primaryTps: number;
    throughputRelDiff: number;
    replicateCEff: number;
    primaryCEff: number;
  }>;
}

export interface Headline {
  source: { citation: string; url: string; dataDir: string; costFormula: string };
  counts: {
    runs: number;
    configs: number;
    h100Runs: number;
    a100Runs: number;
    vllmH100Runs: number;
  };
  h100CeffMin: number;
  h100CeffMinAt: { config: string; rps: number };
  h100CeffMax: number;
  h100CeffMaxAt: { config: string; rps: number };
  maxPenalty: RateValue;
  penaltyAtRps1: Record<string, number>;
  thetaMax: Record<string, number>;
  cNaive: Record<string, number>;
  /** FP8 over FP16 θ_max − 1, per `fp8/fp16` config pair on the same engine and hardware. */
  fp8Gain: Record<string, number>;
  /** An MoE pair's FP8 gain divided by the dense pair's gain on the same engine and hardware. */
  moeFp8GainOverDense: Record<string, number>;
  /** vLLM θ_max / SGLang θ_max per `vllm/sglang` pair (same model, precision, hardware). */
  engineGap: Record<string, number>;
  a100SpreadByConfig: Record<string, number>;
  kneeRps: Record<string, number | null>;
  /** The analyzer's saturating fit on each configuration, with its error. */
  saturationFits: Record<string, PaperFit>;
  /** θ_max / output tokens per request: where the ideal line λ·L_out meets the plateau. */
  idealSaturationRps: Record<string, number>;
  outputTokensPerRequest: { min: number; max: number };
  shapes: ShapeFindings | null;
  stability: StabilityFindings | null;
  check: PublishedCheck & { priceMismatches: string[] };
}

const isH100 = (c: ConfigCurve) => /h100/i.test(c.hardware ?? '');
const isA100 = (c: ConfigCurve) => /a100/i.test(c.hardware ?? '');
const perConfig = <T>(curves: readonly ConfigCurve[], value: (c: ConfigCurve) => T) =>
  Object.fromEntries(curves.map((c) => [c.config, value(c)])) as Record<string, T>;

function pointAt(curve: ConfigCurve, rps: number) {
  return curve.points.find((p) => p.rateRps === rps);
}

function extreme(curves: readonly ConfigCurve[], pick: (a: number, b: number) => boolean) {
  let best: { config: string; rps: number; value: number } | null = null;
  for (const curve of curves) {
    for (const p of curve.points) {
      if (!best || pick(p.cEffUsdPerMTok, best.value)) {
        best = { config: curve.config, rps: p.rateRps, value: p.cEffUsdPerMTok };
      }
    }
  }
  if (!best) throw inputError('the primary corpus holds no H100 runs to take C_eff extremes over');
  return best;
}

export function shapeKey(run: ShapeRun): string {
  const cache = run.prefixCaching ? 'prefix-cache' : 'no-prefix-cache';
  return `${run.config}/${run.ioShape}/${cache}/k=${run.gammaShape}`;
}

function shapeFindings(runs: readonly ShapeRun[]): ShapeFindings {
  const curves = buildCurves(runs, shapeKey);
  const penaltyAtRps1: Record<string, number> = {};
  let maxPenalty: RateValue = { config: '', rps: 0, value: 0 };
  for (const curve of curves) {
    const one = pointAt(curve, 1);
    if (one) penaltyAtRps1[curve.key] = one.penalty;
    for (const p of curve.points) {
      if (p.penalty > maxPenalty.value)
        maxPenalty = { config: curve.key, rps: p.rateRps, value: p.penalty };
    }
  }
  const burstiness: ShapeFindings['burstiness'] = [];
  for (const bursty of curves) {
    const k = bursty.points[0]?.run.gammaShape ?? 1;
    if (k === 1) continue;
    const poissonKey = bursty.key.replace(/k=[^/]+$/, 'k=1');
    const poisson = curves.find((c) => c.key === poissonKey);
    for (const p of bursty.points) {
      const q = poisson && pointAt(poisson, p.rateRps);
      if (!q) continue;
      burstiness.push({
        config: bursty.config,
        rps: p.rateRps,
        gammaShape: k,
        throughputChange: p.outputTokPerS / q.outputTokPerS - 1,
        ttftP99MsPoisson: q.run.ttftP99Ms,
        ttftP99MsBursty: p.run.ttftP99Ms,
      });
    }
  }
  return {
    penaltyAtRps1,
    maxPenalty,
    outputTokensPerRequest: Object.fromEntries(
      curves.map((c) => [c.key, c.outputTokensPerRequest]),
    ),
    burstiness,
    check: checkAgainstPublished(curves),
  };
}

function stabilityFindings(
  rows: StabilityRow[],
  primary: readonly ConfigCurve[],
): StabilityFindings {
  const argmax = (value: (r: StabilityRow) => number) =>
    rows.reduce((best, r) => (value(r) > value(best) ? r : best));
  const ttft = argmax((r) => r.ttftP50CvPct);
  const e2e = argmax((r) => r.e2eP50CvPct);
  const c2 = primary.find((c) => c.config === 'C2');
  const replicateVsPrimary = rows.flatMap((r) => {
    const p = c2 && pointAt(c2, r.rateRps);
    if (!p) return [];
    return [
      {
        rps: r.rateRps,
        replicateTpsMean: r.tpsMean,
        primaryTps: p.outputTokPerS,
        throughputRelDiff: r.tpsMean / p.outputTokPerS - 1,
        replicateCEff: r.cEffMeanUsdPerMTok,
        primaryCEff: p.cEffUsdPerMTok,
      },
    ];
  });
  return {
    rows,
    maxThroughputCvPct: Math.max(...rows.map((r) => r.tpsCvPct)),
    maxCEffCvPct: Math.max(...rows.map((r) => r.cEffCvPct)),
    maxTtftP50Cv: { rps: ttft.rateRps, valuePct: ttft.ttftP50CvPct },
    maxE2eP50Cv: { rps: e2e.rateRps, valuePct: e2e.e2eP50CvPct },
    replicateVsPrimary,
  };
}

export function computeHeadline(data: PaperData, curves = buildCurves(data.runs)): Headline {
  const h100 = curves.filter(isH100);
  const min = extreme(h100, (a, b) => a < b);
  const max = extreme(h100, (a, b) => a > b);

  let maxPenalty: RateValue = { config: '', rps: 0, value: 0 };
  for (const curve of curves) {
    for (const p of curve.points) {
      if (p.penalty > maxPenalty.value)
        maxPenalty = { config: curve.config, rps: p.rateRps, value: p.penalty };
    }
  }

  const pairs = fp8Pairs(curves);
  const moeOverDense: Record<string, number> = {};
  for (const pair of pairs.filter((p) => p.base.architecture !== 'dense')) {
    const dense = pairs.find(
      (d) =>
        d.base.architecture === 'dense' &&
        d.base.engine === pair.base.engine &&
        d.base.hardware === pair.base.hardware,
    );
    // A ratio to a negative or zero dense gain (A100: FP8 slower) has no meaning.
    if (dense && dense.gain > 0)
      moeOverDense[`${pair.fp8.config}/${pair.base.config}`] = pair.gain / dense.gain;
  }

  const perRequest = curves.flatMap((c) =>
    c.points.map((p) => p.outputTokPerS / p.run.completedRps),
  );
  const a100 = curves.filter(isA100);
  return {
    source: {
      citation: PAPER_CITATION,
      url: PAPER_URL,
      dataDir: data.dir,
      costFormula: COST_FORMULA,
    },
    counts: {
      runs: data.runs.length,
      configs: curves.length,
      h100Runs: h100.reduce((n, c) => n + c.points.length, 0),
      a100Runs: a100.reduce((n, c) => n + c.points.length, 0),
      vllmH100Runs: h100
        .filter((c) => c.engine === 'vllm')
        .reduce((n, c) => n + c.points.length, 0),
    },
    h100CeffMin: min.value,
    h100CeffMinAt: { config: min.config, rps: min.rps },
    h100CeffMax: max.value,
    h100CeffMaxAt: { config: max.config, rps: max.rps },
    maxPenalty,
    penaltyAtRps1: Object.fromEntries(
      curves.flatMap((c) => {
        const p = pointAt(c, 1);
        return p ? [[c.config, p.penalty]] : [];
      }),
    ),
    thetaMax: perConfig(curves, (c) => c.thetaMaxTokPerS),
    cNaive: perConfig(curves, (c) => c.cNaiveUsdPerMTok),
    fp8Gain: Object.fromEntries(pairs.map((p) => [`${p.fp8.config}/${p.base.config}`, p.gain])),
    moeFp8GainOverDense: moeOverDense,
    engineGap: Object.fromEntries(
      enginePairs(curves).map((p) => [`${p.vllm.config}/${p.sglang.config}`, p.ratio]),
    ),
    a100SpreadByConfig: perConfig(a100, (c) => {
      const costs = c.points.map((p) => p.cEffUsdPerMTok);
      return Math.max(...costs) / Math.min(...costs);
    }),
    kneeRps: perConfig(curves, (c) => c.kneeRps),
    saturationFits: perConfig(curves, fitPaperCurve),
    idealSaturationRps: perConfig(curves, (c) => c.thetaMaxTokPerS / c.outputTokensPerRequest),
    outputTokensPerRequest: { min: Math.min(...perRequest), max: Math.max(...perRequest) },
    shapes: data.shapeRuns ? shapeFindings(data.shapeRuns) : null,
    stability: data.stability ? stabilityFindings(data.stability, curves) : null,
    check: { ...checkAgainstPublished(curves), priceMismatches: priceMismatches(data.runs) },
  };
}
