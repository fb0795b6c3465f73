/**
 * What `analyze` produces: one object, written as analysis.json and read back by `compare`,
 * `check` and the report. Costs are USD; a cost that is unbounded (nothing produced) is
 * `Infinity` in memory and `null` in JSON.
 */

import type { StepCost } from '../cost/costModel.ts';
import type { Pricing, RunManifest, SloSpec, StepRecord } from '../harness/records.ts';
import type { ErrorClass, LatencyStats } from '../load/types.ts';

/** An SLO verdict for one step, and what it was computed from. */
export interface StepSloView {
  /** 'requests': every request re-judged; 'run': the harness's own verdict (steps.jsonl);
   *  'percentiles': only step percentiles were available, so no attainment. */
  basis: 'requests' | 'run' | 'percentiles';
  attainment: number | null;
  goodOutputTokens: number | null;
  /** Good output tokens over all output tokens of the measured requests. */
  goodTokenShare: number | null;
  met: boolean | null;
  checks: Array<{ metric: string; percentile: number; valueMs: number | null; maxMs: number }>;
}

export interface StepLatencyView {
  ttftMs: LatencyStats;
  /** From the intended send time: what a user waiting behind a late client sees. */
  ttftFromIntendedMs: LatencyStats;
  tpotMs: LatencyStats;
  e2eMs: LatencyStats;
  e2eFromIntendedMs: LatencyStats;
}

/** One measured step: variant × λ × repeat. */
export interface StepAnalysis {
  variant: string;
  stepIndex: number;
  repeat: number;
  rateRps: number;
  status: StepRecord['status'];
  statusReason: string | null;
  /** Where the statistics came from: re-read requests.jsonl, or the step record alone. */
  source: 'requests' | 'steps';
  measuredSeconds: number;
  measuredRequests: number;
  ok: number;
  failed: number;
  incomplete: number;
  errorsByClass: Partial<Record<ErrorClass, number>>;
  /** θ: output tokens that arrived inside the measured window, per second. */
  outputTokPerS: number;
  promptTokPerS: number;
  completedRps: number;
  meanPromptTokens: number | null;
  meanOutputTokens: number | null;
  meanRequestedOutputTokens: number | null;
  offeredOutputTokPerS: number;
  /** θ × the SLO-compliant share of output tokens. */
  goodOutputTokPerS: number | null;
  latency: StepLatencyView;
  slo: StepSloView | null;
  cost: StepCost;
  littlesLaw: { meanInFlight: number | null; predicted: number | null; ratio: number | null };
  reconciliation: { ok: boolean | null; warnings: string[] } | null;
  serverOutputTokPerS: number | null;
  pricing: Pricing;
}

/** Mean and spread of one quantity over the repeats of a step. */
export interface Spread {
  mean: number;
  min: number;
  max: number;
  /** Sample standard deviation; null with one repeat. */
  stdev: number | null;
  n: number;
}

/** One variant at one λ, repeats aggregated. */
export interface LoadPoint {
  variant: string;
  rateRps: number;
  repeats: number;
  invalidRepeats: number;
  offeredOutputTokPerS: number;
  outputTokPerS: Spread;
  goodOutputTokPerS: number | null;
  completedRps: number;
  promptTokPerS: number;
  /** Costs at the mean throughput (cost is 1/θ: the mean of costs would overstate it). */
  cost: StepCost;
  /** C_eff of the cheapest and dearest repeat. */
  cEffRangeUsdPerMTok: { min: number; max: number };
  latencyMs: {
    ttftP50: number | null;
    ttftP99: number | null;
    tpotP50: number | null;
    tpotP99: number | null;
    e2eP50: number | null;
    e2eP99: number | null;
  };
  slo: {
    attainment: number | null;
    met: boolean | null;
    checks: Array<{ metric: string; percentile: number; valueMs: number | null; maxMs: number }>;
  } | null;
  littlesLawRatio: number | null;
}

export type ThroughputFit =
  | {
      ok: true;
      /** θ(a) = a·θ_max / (a^n + θ_max^n)^(1/n), a = s·offered output tok/s. */
      thetaMaxTokPerS: number;
      thetaMaxSe: number | null;
      sharpness: number;
      sharpnessSe: number | null;
      deliveryRatio: number;
      deliveryRatioSe: number | null;
      deliveryRatioFitted: boolean;
      /** L_out used to turn λ into offered output tok/s on the curves. */
      meanRequestedOutputTokens: number;
      /** λ at which the fitted θ reaches 90% of θ_max. */
      kneeRps: number;
      kneeOfferedTokPerS: number;
      r2Log: number | null;
      rmseLog: number;
      points: number;
      dof: number;
      equation: string;
      warnings: string[];
    }
  | { ok: false; reason: string };

export interface SloCapacity {
  /** Largest λ (req/s) at which the SLO holds; null when it fails at the lowest λ. */
  rateRps: number | null;
  /** 'interpolated' between a passing and a failing step; 'above-range' when every step
   *  passed (the true capacity is higher); 'below-range' when the lowest step failed. */
  kind: 'interpolated' | 'above-range' | 'below-range';
  limitedBy: string | null;
  note: string | null;
}

export interface VariantCurves {
  rateRps: number[];
  outputTokPerS: number[];
  cEffUsdPerMTok: number[];
  goodputUsdPerMTok: number[] | null;
}

export interface VariantAnalysis {
  name: string;
  model: string | null;
  quantization: string | null;
  serverVersion: string | null;
  pricing: Pricing;
  /** Highest mean θ over λ: the paper's θ_max, which defines C_naive and the penalty. */
  thetaMaxObservedTokPerS: number;
  cNaiveUsdPerMTok: number;
  minCEffUsdPerMTok: number;
  meanRequestedOutputTokens: number | null;
  fit: ThroughputFit;
  sloCapacity: SloCapacity | null;
  curves: VariantCurves | null;
  points: LoadPoint[];
}

export interface RunAnalysis {
  v: 1;
  runDir: string;
  generatedAt: string;
  tool: { name: 'vllm-cost-meter'; version: string };
  run: {
    scenarioName: string;
    startedAt: string;
    endedAt: string | null;
    status: RunManifest['status'];
    toolVersion: string;
    gitCommit: string | null;
    importedFrom: RunManifest['importedFrom'] | null;
    host: RunManifest['host'];
    scenario: unknown;
  };
  slo: { spec: SloSpec | null; source: 'flag' | 'manifest' | null };
  variants: VariantAnalysis[];
  steps: StepAnalysis[];
  warnings: string[];
}
