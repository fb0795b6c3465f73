/**
 * The CPU profiles learn from the real server: each step of a real sweep of the tiny model on
 * the CPU build of vLLM is replayed by `whatif`'s engine (the benchmark protocol, offline) with
 * candidate efficiency factors, and the few factors that matter on a CPU — GEMM efficiency, the
 * fixed and per-sequence step overheads, the front end's delay — are fitted on some rates while
 * the others stay held out. Pure: measured steps in, numbers out.
 */

import { nelderMead } from './nelderMead.ts';
import { resolveProfile } from './profiles.ts';
import type { EfficiencyFactors } from './roofline.ts';
import { predictCostCurve } from './whatif.ts';

/** One measured step, as the harness wrote it (medians over the measured requests). */
export interface MeasuredStep {
  rateRps: number;
  outputTokPerS: number;
  ttftP50Ms: number;
  tpotP50Ms: number;
}

/** How `whatif` is asked about a step: one command reproduces every prediction. */
export interface CpuProtocol {
  inputTokens: number;
  outputTokens: number;
  prompts: number;
  seed: number;
  gpuHourlyUsd: number;
}

export interface StepComparison extends MeasuredStep {
  heldOut: boolean;
  thetaSim: number;
  ttftP50Sim: number;
  tpotP50Sim: number;
  thetaErrPct: number;
  ttftErrPct: number;
  tpotErrPct: number;
}

/** The factors fitted on a CPU, with the range each may take (the rest keep their value). */
export const CPU_FIT_BOUNDS: Partial<Record<keyof EfficiencyFactors, [number, number]>> = {
  gemmEffFp16: [0.005, 1],
  stepOverheadMs: [0, 50],
  perSeqOverheadUs: [0, 2000],
  frontendMs: [0, 200],
};

const errPct = (sim: number, obs: number) => (100 * (sim - obs)) / obs;

/** Predicts every step's rate with `whatif` on the profile and compares with the measurement. */
export function compareCpuSteps(
  profileName: string,
  factors: EfficiencyFactors,
  steps: MeasuredStep[],
  heldOutRates: readonly number[],
  protocol: CpuProtocol,
): StepComparison[] {
  const profile = resolveProfile(profileName, { factors });
  const prediction = predictCostCurve({
    profile,
    ratesRps: steps.map((s) => s.rateRps),
    inputTokens: protocol.inputTokens,
    outputTokens: protocol.outputTokens,
    prompts: protocol.prompts,
    gpuHourlyUsd: protocol.gpuHourlyUsd,
    sloTtftP99Ms: null,
    sloTpotP99Ms: null,
    seed: protocol.seed,
  });
  return steps.map((s, i) => {
    const sim = prediction.steps[i]!;
    const ttftP50Sim = sim.ttftP50Ms ?? Number.NaN;
    const tpotP50Sim = sim.tpotP50Ms ?? Number.NaN;
    return {
      ...s,
      heldOut: heldOutRates.includes(s.rateRps),
      thetaSim: sim.outputTokPerS,
      ttftP50Sim,
      tpotP50Sim,
      thetaErrPct: errPct(sim.outputTokPerS, s.outputTokPerS),
      ttftErrPct: errPct(ttftP50Sim, s.ttftP50Ms),
      tpotErrPct: errPct(tpotP50Sim, s.tpotP50Ms),
    };
  });
}

/**
 * Mean over steps of 2·|ln θ ratio| + ½·|ln TTFT p50 ratio| + ½·|ln TPOT p50 ratio|, each
 * latency term capped at 1: throughput is what the cost rests on; a queueing step whose TTFT is
 * seconds either way must not steer the factors alone.
 */
export function cpuLoss(rows: StepComparison[]): number {
  const term = (sim: number, obs: number) => {
    const v = Math.abs(Math.log(sim / obs));
    return Number.isFinite(v) ? v : 1;
  };
  const total = rows.reduce(
    (sum, r) =>
      sum +
      2 * term(r.thetaSim, r.outputTokPerS) +
      0.5 * Math.min(1, term(r.ttftP50Sim, r.ttftP50Ms)) +
      0.5 * Math.min(1, term(r.tpotP50Sim, r.tpotP50Ms)),
    0,
  );
  return total / rows.length;
}

export const mape = (values: number[]) =>
  values.length === 0 ? null : values.reduce((a, v) => a + Math.abs(v), 0) / values.length;

/** Nelder–Mead over a logit of each fitted factor's place in its bounds. */
export function fitCpuFactors(
  profileName: string,
  start: EfficiencyFactors,
  steps: MeasuredStep[],
  heldOutRates: readonly number[],
  protocol: CpuProtocol,
  maxEvaluations: number,
): { factors: EfficiencyFactors; loss: number; evaluations: number } {
  const keys = Object.keys(CPU_FIT_BOUNDS) as (keyof EfficiencyFactors)[];
  const fitted = steps.filter((s) => !heldOutRates.includes(s.rateRps));
  const toFree = (key: keyof EfficiencyFactors, v: number) => {
    const [lo, hi] = CPU_FIT_BOUNDS[key]!;
    const u = Math.min(Math.max((v - lo) / (hi - lo), 1e-4), 1 - 1e-4);
    return Math.log(u / (1 - u));
  };
  const decode = (x: number[]): EfficiencyFactors => {
    const factors = { ...start };
    keys.forEach((key, i) => {
      const [lo, hi] = CPU_FIT_BOUNDS[key]!;
      factors[key] = lo + (hi - lo) / (1 + Math.exp(-x[i]!));
    });
    return factors;
  };
  const result = nelderMead(
    (x) => cpuLoss(compareCpuSteps(profileName, decode(x), fitted, [], protocol)),
    keys.map((key) => toFree(key, start[key])),
    { initialStep: 0.6, maxEvaluations, tolerance: 1e-5 },
  );
  return { factors: decode(result.x), loss: result.value, evaluations: result.evaluations };
}
