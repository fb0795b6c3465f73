/**
 * What-if cost curves without a server: replay the benchmark protocol offline on a profile at
 * each offered rate and price what the simulated node produced with the cost model. The answer
 * carries the calibration error of the profile's hardware class, so nobody mistakes it for a
 * measurement.
 */

import { type StepCost, stepCost } from '../cost/costModel.ts';
import { type BenchResult, simulateBench } from './offline.ts';
import type { ProfileCalibration, SimProfile } from './profiles.ts';

export interface WhatIfSpec {
  profile: SimProfile;
  ratesRps: number[];
  inputTokens: number;
  outputTokens: number;
  prompts: number;
  gpuHourlyUsd: number;
  sloTtftP99Ms: number | null;
  sloTpotP99Ms: number | null;
  seed: number;
}

export interface WhatIfStep {
  rateRps: number;
  offeredOutputTokPerS: number;
  outputTokPerS: number;
  completedRps: number;
  ttftP50Ms: number | null;
  ttftP99Ms: number | null;
  tpotP50Ms: number | null;
  tpotP99Ms: number | null;
  e2eP50Ms: number | null;
  /** Share of requests within every given SLO; null without SLOs. */
  goodFraction: number | null;
  /** Whether the step's p99s meet the SLOs; null without SLOs. */
  sloMet: boolean | null;
  cost: StepCost;
}

export interface WhatIfResult {
  profile: string;
  gpus: number;
  gpuHourlyUsd: number;
  inputTokens: number;
  outputTokens: number;
  prompts: number;
  /** Saturation throughput: the most any offered rate (including a burst of all prompts) gives. */
  thetaMaxTokPerS: number;
  steps: WhatIfStep[];
  calibration: ProfileCalibration;
}

/** The offered rate that stands for "everything at once" when estimating θ_max. */
const BURST_RPS = 1000;

export function predictCostCurve(spec: WhatIfSpec): WhatIfResult {
  const bench = (rateRps: number) =>
    simulateBench(spec.profile, {
      rateRps,
      prompts: spec.prompts,
      inputTokens: spec.inputTokens,
      outputTokens: spec.outputTokens,
      seed: spec.seed,
    });
  const runs = spec.ratesRps.map(bench);
  const burst = bench(Math.max(BURST_RPS, ...spec.ratesRps));
  const thetaMax = Math.max(burst.outputTokPerS, ...runs.map((r) => r.outputTokPerS));
  const price = { gpuHourlyUsd: spec.gpuHourlyUsd, gpus: spec.profile.gpus };
  const hasSlo = spec.sloTtftP99Ms !== null || spec.sloTpotP99Ms !== null;

  const steps = runs.map((run): WhatIfStep => {
    const tpotP99 = run.tpot.p99Ms;
    const good = hasSlo ? goodOutputTokens(run, spec) : null;
    const sloMet = hasSlo
      ? (spec.sloTtftP99Ms === null || (run.ttft.p99Ms ?? Infinity) <= spec.sloTtftP99Ms) &&
        (spec.sloTpotP99Ms === null || (tpotP99 ?? Infinity) <= spec.sloTpotP99Ms)
      : null;
    return {
      rateRps: run.rateRps,
      offeredOutputTokPerS: run.rateRps * spec.outputTokens,
      outputTokPerS: run.outputTokPerS,
      completedRps: run.requestsPerS,
      ttftP50Ms: run.ttft.p50Ms,
      ttftP99Ms: run.ttft.p99Ms,
      tpotP50Ms: run.tpot.p50Ms,
      tpotP99Ms: tpotP99,
      e2eP50Ms: run.e2e.p50Ms,
      goodFraction: good === null ? null : good.requests / run.completed,
      sloMet,
      cost: stepCost(
        price,
        {
          outputTokPerS: run.outputTokPerS,
          promptTokPerS: run.promptTokens / run.durationS,
          completedRps: run.requestsPerS,
          goodOutputTokPerS: good === null ? null : good.tokens / run.durationS,
        },
        thetaMax,
      ),
    };
  });
  return {
    profile: spec.profile.name,
    gpus: spec.profile.gpus,
    gpuHourlyUsd: spec.gpuHourlyUsd,
    inputTokens: spec.inputTokens,
    outputTokens: spec.outputTokens,
    prompts: spec.prompts,
    thetaMaxTokPerS: thetaMax,
    steps,
    calibration: spec.profile.calibration,
  };
}

/** Requests (and their output tokens) that met every given SLO, request by request. */
function goodOutputTokens(
  run: BenchResult,
  spec: WhatIfSpec,
): { requests: number; tokens: number } {
  let requests = 0;
  let tokens = 0;
  for (const r of run.requests) {
    if (spec.sloTtftP99Ms !== null && r.ttftMs > spec.sloTtftP99Ms) continue;
    if (spec.sloTpotP99Ms !== null && r.outputTokens > 1 && r.tpotMs > spec.sloTpotP99Ms) continue;
    requests += 1;
    tokens += r.outputTokens;
  }
  return { requests, tokens };
}
