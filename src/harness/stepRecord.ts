/**
 * One step's record, computed from what the driver returned: pure, so every figure in
 * steps.jsonl can be recomputed by hand from requests.jsonl. Conventions:
 *  - counts (`ok`, `failed`, `incomplete`, `errorsByClass`) and latency statistics cover the
 *    measured requests (sent inside the measured window); `sent` covers the whole step;
 *  - θ (`outputTokPerS`) is the output tokens that arrived inside the measured window divided
 *    by its length, from every request that succeeded or was still streaming at the drain
 *    timeout (`incomplete`), whenever it was sent — the driver's
 *    `outputTokensInWindow`; `completedRps` likewise counts
 *    successful requests that ended inside the window; `promptTokPerS` counts the prompts of
 *    requests whose first token (the end of their prefill) fell inside it.
 */

import { evaluateStepSlo } from '../analysis/slo.ts';
import { countsInTheta } from '../load/metrics.ts';
import type { DriveSummary, ErrorClass, Plan, RequestRecord } from '../load/types.ts';
import type { WindowStats } from '../telemetry/types.ts';
import { latencyStats, mean } from '../util/stats.ts';
import type { GpuSampleLine, Pricing, Reconciliation, SloSpec, StepRecord } from './records.ts';

export interface StepInputs {
  variant: string;
  stepIndex: number;
  repeat: number;
  rateRps: number;
  plan: Plan;
  records: readonly RequestRecord[];
  summary: DriveSummary;
  startedAtEpochMs: number;
  endedAtEpochMs: number;
  slo: SloSpec | null;
  pricing: Pricing;
  server: WindowStats | null;
  reconciliation: Reconciliation | null;
  gpuSamples: readonly GpuSampleLine[];
  interrupted: boolean;
}

const finite = (values: Array<number | null>): number[] =>
  values.filter((v): v is number => v !== null && Number.isFinite(v));

function gpuSummary(
  samples: readonly GpuSampleLine[],
  fromMs: number,
  toMs: number,
): StepRecord['gpu'] {
  const inWindow = samples.filter(
    (s) => s.timeMs >= fromMs && s.timeMs <= toMs && s.gpus.length > 0,
  );
  if (inWindow.length === 0) return null;
  // Utilisation averages over GPUs; power and memory add up across the node's GPUs.
  // A reading missing on any GPU leaves that sample out of that figure.
  const perSample = (pick: (g: GpuSampleLine['gpus'][number]) => number | null, sum: boolean) =>
    finite(
      inWindow.map((s) => {
        const values = s.gpus.map(pick);
        if (values.some((v) => v === null)) return null;
        const total = (values as number[]).reduce((a, b) => a + b, 0);
        return sum ? total : total / values.length;
      }),
    );
  const memory = perSample((g) => g.memoryUsedMiB, true);
  return {
    utilPercentMean: mean(perSample((g) => g.utilPercent, false)),
    powerWattsMean: mean(perSample((g) => g.powerWatts, true)),
    memoryUsedMiBMax: memory.length ? Math.max(...memory) : null,
  };
}

function statusOf(
  inputs: StepInputs,
  measured: readonly RequestRecord[],
  okCount: number,
  errors: Partial<Record<ErrorClass, number>>,
): Pick<StepRecord, 'status' | 'statusReason'> {
  if (inputs.interrupted) return { status: 'interrupted', statusReason: 'the run was interrupted' };
  if (measured.length === 0) {
    return { status: 'failed', statusReason: 'no request was sent in the measured window' };
  }
  if (okCount === 0) {
    const top = Object.entries(errors).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))[0];
    const example = measured.find((r) => r.error?.class === top?.[0])?.error?.message ?? '';
    return {
      status: 'failed',
      statusReason:
        `all ${measured.length} measured requests failed ` +
        `(${top?.[0]} ×${top?.[1]}: ${example})`,
    };
  }
  if (!inputs.summary.health.valid) {
    return {
      status: 'invalid',
      statusReason: inputs.summary.health.reasons.join('; ') || 'driver',
    };
  }
  return { status: 'ok', statusReason: null };
}

export function buildStepRecord(inputs: StepInputs): StepRecord {
  const { summary, plan, records } = inputs;
  const measured = records.filter((r) => r.phase === 'measure');
  const good = measured.filter((r) => r.ok);
  const windowStart = summary.measureStartAtMs;
  const windowEnd = summary.measureEndAtMs;
  const measuredSeconds = Math.max(0, (windowEnd - windowStart) / 1000);
  const perSecond = (n: number) => (measuredSeconds > 0 ? n / measuredSeconds : 0);
  const inWindow = (t: number | null) => t !== null && t >= windowStart && t < windowEnd;

  const errorsByClass: Partial<Record<ErrorClass, number>> = {};
  let incomplete = 0;
  for (const r of measured) {
    if (!r.error) continue;
    errorsByClass[r.error.class] = (errorsByClass[r.error.class] ?? 0) + 1;
    if (r.error.class === 'incomplete') incomplete += 1;
  }

  // Like the driver's summary and analyze: completed and `incomplete` requests' tokens.
  const outputTokensInWindow = records
    .filter(countsInTheta)
    .reduce((sum, r) => sum + r.outputTokensInWindow, 0);
  const completedInWindow = records.filter((r) => r.ok && inWindow(r.endAtMs)).length;
  const promptInWindow = records
    .filter((r) => inWindow(r.firstTokenAtMs))
    .reduce((sum, r) => sum + (r.promptTokens ?? 0), 0);
  const plannedMeasured = plan.requests.filter((p) => p.phase === 'measure');
  const meanRequestedOutput = mean(plannedMeasured.map((p) => p.outputTokens));

  const e2eMs = finite(good.map((r) => r.e2eMs));
  const timeInSystemS = finite(
    measured.map((r) => (r.sentAtMs === null ? null : (r.endAtMs - r.sentAtMs) / 1000)),
  );
  const arrivalRps = summary.health.achievedSendRps ?? inputs.rateRps;
  const meanInSystemS = mean(timeInSystemS);
  const predicted = meanInSystemS === null ? null : arrivalRps * meanInSystemS;
  const meanInFlight = summary.inFlight.mean;

  const originMs = summary.originEpochMs;
  const measureStartEpochMs = originMs + windowStart;
  const measureEndEpochMs = originMs + windowEnd;

  return {
    v: 1,
    variant: inputs.variant,
    stepIndex: inputs.stepIndex,
    rateRps: inputs.rateRps,
    repeat: inputs.repeat,
    ...statusOf(inputs, measured, good.length, errorsByClass),
    startedAt: new Date(inputs.startedAtEpochMs).toISOString(),
    endedAt: new Date(inputs.endedAtEpochMs).toISOString(),
    measureStartEpochMs,
    measureEndEpochMs,
    measuredSeconds,
    warmupSeconds: windowStart / 1000,
    drainSeconds: Math.max(0, (summary.endAtMs - windowEnd) / 1000),
    sent: summary.sent,
    measuredRequests: measured.length,
    ok: good.length,
    failed: measured.length - good.length,
    incomplete,
    errorsByClass,
    offeredRps: inputs.rateRps,
    achievedSendRps: summary.health.achievedSendRps,
    completedRps: perSecond(completedInWindow),
    meanPromptTokens: mean(finite(good.map((r) => r.promptTokens))),
    meanOutputTokens: mean(finite(good.map((r) => r.outputTokens))),
    outputTokPerS: perSecond(outputTokensInWindow),
    promptTokPerS: perSecond(promptInWindow),
    offeredOutputTokPerS: inputs.rateRps * (meanRequestedOutput ?? 0),
    latency: {
      ttftMs: latencyStats(finite(good.map((r) => r.ttftMs))),
      tpotMs: latencyStats(finite(good.map((r) => r.tpotMs))),
      itlMs: summary.itlPooled,
      e2eMs: latencyStats(e2eMs),
      ttftFromIntendedMs: latencyStats(finite(good.map((r) => r.ttftFromIntendedMs))),
      e2eFromIntendedMs: latencyStats(finite(good.map((r) => r.e2eFromIntendedMs))),
      capWaitMs: latencyStats(measured.map((r) => r.capWaitMs)),
    },
    slo: inputs.slo ? evaluateStepSlo(measured, inputs.slo) : null,
    driver: summary.health,
    inFlight: summary.inFlight,
    littlesLaw: {
      meanInFlight,
      predicted,
      ratio: meanInFlight !== null && predicted ? meanInFlight / predicted : null,
    },
    server: inputs.server,
    reconciliation: inputs.reconciliation,
    gpu: gpuSummary(inputs.gpuSamples, measureStartEpochMs, measureEndEpochMs),
    pricing: inputs.pricing,
  };
}

/**
 * A window that opens before the server reached steady state under-reads θ: requests sent
 * during a warm-up shorter than their own life have not yet filled the batch.
 */
export function warmupWarning(step: StepRecord): string | null {
  const e2eP50S = (step.latency.e2eMs.p50Ms ?? 0) / 1000;
  if (step.status === 'interrupted' || step.warmupSeconds >= e2eP50S) return null;
  return (
    `λ=${step.rateRps}: the warm-up (${step.warmupSeconds} s) is shorter than the median ` +
    `request (${e2eP50S.toFixed(1)} s), so θ reads low; raise step.warmupSeconds`
  );
}
