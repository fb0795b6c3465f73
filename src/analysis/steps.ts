/**
 * One row per measured step: throughput, latency, SLO verdict, Little's law and cost. Statistics
 * come from the re-read requests when there are any for the step, else from the step record.
 */

import { stepCost } from '../cost/costModel.ts';
import type { SloSpec, StepRecord } from '../harness/records.ts';
import type { LatencyStats } from '../load/types.ts';
import type { RecomputedStep } from './requestStats.ts';
import type { StepAnalysis, StepSloView } from './types.ts';

const SLO_FIELDS = ['ttftMs', 'tpotMs', 'itlMs', 'e2eMs'] as const;

/** Percentile of a LatencyStats when it carries that one (p50, p90, p99), else null. */
function statAt(stats: LatencyStats | undefined, percentile: number): number | null {
  if (!stats) return null;
  if (percentile === 50) return stats.p50Ms;
  if (percentile === 90) return stats.p90Ms;
  if (percentile === 99) return stats.p99Ms;
  if (percentile === 100) return stats.maxMs;
  return null;
}

/** good / total, within [0, 1]; 0 good tokens of 0 is a share of 0 (nothing compliant). */
function share(good: number, total: number | null): number | null {
  if (total === null) return null;
  return total > 0 ? Math.min(1, good / total) : 0;
}

/**
 * Share of the step's output tokens that came from SLO-compliant requests, from the step record
 * alone (good tokens over the measured successful requests' tokens), or null without an SLO.
 */
export function stepGoodTokenShare(step: StepRecord): number | null {
  if (!step.slo) return null;
  const total = step.meanOutputTokens === null ? null : step.meanOutputTokens * step.ok;
  return share(step.slo.goodOutputTokens, total);
}

/**
 * The verdict when requests are absent. The run's own verdict is kept when no other SLO was
 * asked for; otherwise only the step percentiles can be compared with the bounds.
 */
function sloFromStep(step: StepRecord, slo: SloSpec, sloIsRunOwn: boolean): StepSloView {
  if (sloIsRunOwn && step.slo) {
    return {
      basis: 'run',
      attainment: step.slo.attainment,
      goodOutputTokens: step.slo.goodOutputTokens,
      goodTokenShare: stepGoodTokenShare(step),
      met: step.slo.met,
      checks: step.slo.checks.map(({ metric, percentile, valueMs, maxMs }) => ({
        metric,
        percentile,
        valueMs,
        maxMs,
      })),
    };
  }
  const source: Record<(typeof SLO_FIELDS)[number], LatencyStats | undefined> = {
    ttftMs: step.latency.ttftFromIntendedMs ?? step.latency.ttftMs,
    tpotMs: step.latency.tpotMs,
    itlMs: step.latency.itlMs,
    e2eMs: step.latency.e2eFromIntendedMs ?? step.latency.e2eMs,
  };
  const checks = SLO_FIELDS.flatMap((metric) => {
    const bound = slo[metric];
    if (!bound) return [];
    const valueMs = statAt(source[metric], bound.percentile);
    return [{ metric, percentile: bound.percentile, valueMs, maxMs: bound.maxMs }];
  });
  const known = checks.every((c) => c.valueMs !== null);
  const met = known ? checks.every((c) => (c.valueMs as number) <= c.maxMs) : null;
  return {
    basis: 'percentiles',
    attainment: null,
    goodOutputTokens: null,
    goodTokenShare: null,
    met,
    checks,
  };
}

function fromRecomputed(rec: RecomputedStep): StepSloView | null {
  if (!rec.slo) return null;
  return {
    basis: 'requests',
    attainment: rec.slo.attainment,
    goodOutputTokens: rec.slo.goodOutputTokens,
    goodTokenShare: share(rec.slo.goodOutputTokens, rec.measuredOutputTokens),
    met: rec.slo.met,
    checks: rec.slo.checks.map(({ metric, percentile, valueMs, maxMs }) => ({
      metric,
      percentile,
      valueMs,
      maxMs,
    })),
  };
}

/**
 * Little's law, L = λ·W: the client's mean requests in flight against the achieved send rate
 * times the mean time in system (end − sent) of measured requests, as steps.jsonl defines it.
 * Without requests the step's own figures are kept (imported runs: completion rate × mean E2E).
 */
function littlesLawOf(step: StepRecord, rec: RecomputedStep | null): StepAnalysis['littlesLaw'] {
  const meanInFlight = step.inFlight?.mean ?? null;
  let predicted: number | null = null;
  if (rec) {
    const arrivalRps = step.achievedSendRps ?? step.rateRps;
    predicted = rec.meanTimeInSystemS === null ? null : arrivalRps * rec.meanTimeInSystemS;
  } else if (step.littlesLaw?.predicted != null) {
    predicted = step.littlesLaw.predicted;
  } else if (step.latency.e2eMs.meanMs !== null) {
    predicted = (step.completedRps * step.latency.e2eMs.meanMs) / 1000;
  }
  const ratio =
    meanInFlight !== null && predicted !== null && predicted > 0 ? meanInFlight / predicted : null;
  return { meanInFlight, predicted, ratio };
}

export interface StepInputs {
  step: StepRecord;
  recomputed: RecomputedStep | null;
  slo: SloSpec | null;
  /** True when `slo` is the run's own (manifest) spec, so the run's verdicts still apply. */
  sloIsRunOwn: boolean;
}

/** Builds a step row. C_naive and the penalty need θ_max: see `withThetaMax`. */
export function analyzeStep({ step, recomputed, slo, sloIsRunOwn }: StepInputs): StepAnalysis {
  const rec = recomputed && recomputed.records > 0 ? recomputed : null;
  const seconds = step.measuredSeconds;
  const outputTokPerS =
    rec && seconds > 0 ? rec.outputTokensInWindow / seconds : step.outputTokPerS;
  const meanRequested = rec ? rec.meanRequestedOutputTokens : null;
  const offered = meanRequested !== null ? step.rateRps * meanRequested : step.offeredOutputTokPerS;

  const sloView = slo ? (rec ? fromRecomputed(rec) : sloFromStep(step, slo, sloIsRunOwn)) : null;
  // Tokens of requests that finish during the drain fall outside the window, so good tokens
  // over the window length could exceed θ; the compliant share of θ keeps one time base and
  // goodput cost ≥ C_eff.
  const goodShare = sloView?.goodTokenShare ?? null;
  const goodOutputTokPerS = goodShare === null ? null : outputTokPerS * goodShare;

  const latency = rec
    ? rec.latency
    : {
        ttftMs: step.latency.ttftMs,
        ttftFromIntendedMs: step.latency.ttftFromIntendedMs,
        tpotMs: step.latency.tpotMs,
        e2eMs: step.latency.e2eMs,
        e2eFromIntendedMs: step.latency.e2eFromIntendedMs,
      };

  const littlesLaw = littlesLawOf(step, rec);

  const price = { gpuHourlyUsd: step.pricing.gpuHourlyUsd, gpus: step.pricing.gpus };
  return {
    variant: step.variant,
    stepIndex: step.stepIndex,
    repeat: step.repeat,
    rateRps: step.rateRps,
    status: step.status,
    statusReason: step.statusReason ?? null,
    source: rec ? 'requests' : 'steps',
    measuredSeconds: seconds,
    measuredRequests: rec ? rec.measuredRequests : step.measuredRequests,
    ok: rec ? rec.ok : step.ok,
    failed: rec ? rec.failed : step.failed,
    incomplete: rec ? rec.incomplete : step.incomplete,
    errorsByClass: rec ? rec.errorsByClass : (step.errorsByClass ?? {}),
    outputTokPerS,
    promptTokPerS: step.promptTokPerS,
    completedRps: step.completedRps,
    meanPromptTokens: rec ? rec.meanPromptTokens : step.meanPromptTokens,
    meanOutputTokens: rec ? rec.meanOutputTokens : step.meanOutputTokens,
    meanRequestedOutputTokens: meanRequested,
    offeredOutputTokPerS: offered,
    goodOutputTokPerS,
    latency,
    slo: sloView,
    cost: stepCost(
      price,
      {
        outputTokPerS,
        promptTokPerS: step.promptTokPerS,
        completedRps: step.completedRps,
        goodOutputTokPerS,
      },
      null,
    ),
    littlesLaw,
    reconciliation: step.reconciliation
      ? { ok: step.reconciliation.ok, warnings: step.reconciliation.warnings ?? [] }
      : null,
    serverOutputTokPerS: step.server?.rates?.outputTokensPerS ?? null,
    pricing: step.pricing,
  };
}

/** The same row with C_naive and the penalty at the variant's θ_max. */
export function withThetaMax(row: StepAnalysis, thetaMaxTokPerS: number): StepAnalysis {
  const price = { gpuHourlyUsd: row.pricing.gpuHourlyUsd, gpus: row.pricing.gpus };
  return {
    ...row,
    cost: stepCost(
      price,
      {
        outputTokPerS: row.outputTokPerS,
        promptTokPerS: row.promptTokPerS,
        completedRps: row.completedRps,
        goodOutputTokPerS: row.goodOutputTokPerS,
      },
      thetaMaxTokPerS,
    ),
  };
}
