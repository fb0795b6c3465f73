/**
 * Calibration against the paper: replay its protocol offline for a configuration, compare θ(λ),
 * TTFT p50 and TPOT p50 with the measured rows, and fit a hardware class's efficiency factors on
 * some configurations while others stay held out. Pure: rows come in, numbers go out.
 */

import { nelderMead } from './nelderMead.ts';
import { simulateBench } from './offline.ts';
import type { PaperRow } from './paperData.ts';
import { PAPER_CONFIGS, resolveProfile } from './profiles.ts';
import { type EfficiencyFactors, FACTOR_KEYS } from './roofline.ts';

/**
 * The paper's workload (512 in, 256 out with ignore_eos, Poisson). Prompts per run are not
 * published; its λ = 1 rows imply about 500 (θ = 256·N / (N/λ + e2e) gives N ≈ 500–520 for every
 * configuration), so the replay uses 500.
 */
export const PAPER_PROTOCOL = { prompts: 500, inputTokens: 512, outputTokens: 256, seed: 0 };

/** Held out of the fit by default: one fp8 MoE and one tensor-parallel configuration per class. */
export const DEFAULT_HELD_OUT = ['C4', 'C6', 'A4', 'M3'];

export interface RowComparison {
  rateRps: number;
  thetaObs: number;
  thetaSim: number;
  ttftP50Obs: number;
  ttftP50Sim: number;
  tpotP50Obs: number;
  tpotP50Sim: number;
}

export interface ConfigComparison {
  config: string;
  profile: string;
  heldOut: boolean;
  thetaMapePct: number;
  ttftP50MapePct: number;
  tpotP50MapePct: number;
  thetaMaxObs: number;
  thetaMaxSim: number;
  rows: RowComparison[];
}

const ape = (sim: number, obs: number) => (100 * Math.abs(sim - obs)) / obs;
const avg = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Simulates every λ of one configuration with the given factors and compares with the paper. */
export function compareConfig(
  config: string,
  rows: PaperRow[],
  factors: EfficiencyFactors,
  heldOut = false,
): ConfigComparison {
  const name = PAPER_CONFIGS[config];
  if (!name) throw new RangeError(`no profile for paper configuration ${config}`);
  const profile = resolveProfile(name, { factors });
  const compared = rows.map((row): RowComparison => {
    const sim = simulateBench(profile, { rateRps: row.rateRps, ...PAPER_PROTOCOL });
    return {
      rateRps: row.rateRps,
      thetaObs: row.outputTokPerS,
      thetaSim: sim.outputTokPerS,
      ttftP50Obs: row.ttftP50Ms,
      ttftP50Sim: sim.ttft.p50Ms ?? Number.NaN,
      tpotP50Obs: row.tpotP50Ms,
      tpotP50Sim: sim.tpot.p50Ms ?? Number.NaN,
    };
  });
  return {
    config,
    profile: name,
    heldOut,
    thetaMapePct: avg(compared.map((r) => ape(r.thetaSim, r.thetaObs))),
    ttftP50MapePct: avg(compared.map((r) => ape(r.ttftP50Sim, r.ttftP50Obs))),
    tpotP50MapePct: avg(compared.map((r) => ape(r.tpotP50Sim, r.tpotP50Obs))),
    thetaMaxObs: Math.max(...compared.map((r) => r.thetaObs)),
    thetaMaxSim: Math.max(...compared.map((r) => r.thetaSim)),
    rows: compared,
  };
}

/**
 * Loss of one comparison: mean absolute log-ratio, θ weighted double, each latency term capped
 * at a factor e. Log ratios treat a 2× miss on a 40 ms TTFT and on a 4 s TTFT alike; the cap
 * keeps the few knee rows whose TTFT p50 flips between "served at once" and "queued for
 * seconds" (C3 at λ = 50: p50 213 ms, p90 7.5 s) from steering every factor.
 */
export function comparisonLoss(c: ConfigComparison): number {
  const capped = (sim: number, obs: number) => Math.min(1, Math.abs(Math.log(sim / obs)));
  const terms = c.rows.map(
    (r) =>
      2 * Math.abs(Math.log(r.thetaSim / r.thetaObs)) +
      0.5 * capped(r.ttftP50Sim, r.ttftP50Obs) +
      0.5 * capped(r.tpotP50Sim, r.tpotP50Obs),
  );
  return avg(terms);
}

/** Bounds of each factor; the fit works on a logit of the position inside them. */
export const FACTOR_BOUNDS: Record<keyof EfficiencyFactors, [number, number]> = {
  gemmEffFp16: [0.05, 1],
  gemmEffFp8: [0.05, 1],
  memEff: [0.2, 1],
  moeEff: [0.05, 1],
  moeLayerUs: [0, 400],
  commEff: [0.02, 1],
  stepOverheadMs: [0, 20],
  perSeqOverheadUs: [0, 300],
  frontendMs: [0, 200],
};

const toFree = (key: keyof EfficiencyFactors, value: number) => {
  const [lo, hi] = FACTOR_BOUNDS[key];
  const u = Math.min(Math.max((value - lo) / (hi - lo), 1e-4), 1 - 1e-4);
  return Math.log(u / (1 - u));
};

const fromFree = (key: keyof EfficiencyFactors, x: number) => {
  const [lo, hi] = FACTOR_BOUNDS[key];
  return lo + (hi - lo) / (1 + Math.exp(-x));
};

export interface FitOptions {
  maxEvaluations: number;
  /** Factors that keep their start value (e.g. commEff for a class with no multi-GPU row). */
  fixed?: (keyof EfficiencyFactors)[];
  onProgress?: (evaluations: number, loss: number) => void;
}

export interface FitResult {
  factors: EfficiencyFactors;
  loss: number;
  evaluations: number;
}

/** Fits one class's factors on the given configurations by Nelder–Mead on the mean loss. */
export function fitFactors(
  train: Map<string, PaperRow[]>,
  start: EfficiencyFactors,
  options: FitOptions,
): FitResult {
  const free = FACTOR_KEYS.filter((key) => !(options.fixed ?? []).includes(key));
  const decode = (x: number[]): EfficiencyFactors => {
    const factors = { ...start };
    free.forEach((key, i) => {
      factors[key] = fromFree(key, x[i]!);
    });
    return factors;
  };
  const objective = (x: number[]) => {
    const factors = decode(x);
    const losses = [...train].map(([config, rows]) =>
      comparisonLoss(compareConfig(config, rows, factors)),
    );
    return avg(losses);
  };
  const x0 = free.map((key) => toFree(key, start[key]));
  const result = nelderMead(objective, x0, {
    initialStep: 0.6,
    maxEvaluations: options.maxEvaluations,
    tolerance: 1e-5,
    onProgress: options.onProgress,
  });
  return { factors: decode(result.x), loss: result.value, evaluations: result.evaluations };
}
